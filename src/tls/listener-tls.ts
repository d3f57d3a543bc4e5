/**
 * @module tls/listener-tls
 * What an HTTPS listener needs at handshake time, compiled into the snapshot: its
 * certificates resolved from ACM records (so a re-import, which bumps the record's version,
 * is a new snapshot and takes effect on the next handshake), its SSL policy, and the names
 * of the TLS headers it adds (spec §5.2, §6.2, §7.2).
 *
 * And the choice made per handshake on a shared port: which listener's certificates answer
 * a given SNI name (certificateFor).
 */
import type { Certificate, Listener, LoadBalancer } from '../model/resources.ts'
import { attributeValue, listenerAttributeSpecs, loadBalancerAttributeSpecs } from '../model/attributes.ts'
import { DEFAULT_SSL_POLICY } from '../model/ssl-policies.ts'
import { nameMatches, selectCertificate, tlsCertificate, type TlsCertificate } from './sni.ts'

export interface ListenerTls {
  readonly sslPolicy: string
  /** Undefined only if the record vanished (DeleteCertificate refuses certificates in use). */
  readonly defaultCertificate: TlsCertificate | undefined
  /** AddListenerCertificates' list, in order: the SNI candidates besides the default. */
  readonly certificates: readonly TlsCertificate[]
  /**
   * Header names for the negotiated TLS version and cipher when the load balancer's
   * `routing.http.x_amzn_tls_version_and_cipher_suite.enabled` is on (listener attributes
   * `routing.http.request.x_amzn_tls_{version,cipher_suite}.header_name` rename them);
   * undefined when off.
   */
  readonly tlsHeaders?: { readonly version: string; readonly cipherSuite: string }
}

/** compileListenerTls resolves an HTTPS listener's certificates; `certificate` looks a record up by ARN. */
export function compileListenerTls(
  listener: Listener, loadBalancer: LoadBalancer, certificate: (arn: string) => Certificate | undefined,
): ListenerTls {
  const resolve = (arn: string): TlsCertificate | undefined => {
    const record = certificate(arn)
    return record === undefined ? undefined : tlsCertificate(record)
  }
  const certificates: TlsCertificate[] = []
  for (const arn of listener.certificateArns) {
    const cert = resolve(arn)
    if (cert !== undefined) certificates.push(cert)
  }
  const lbSpecs = loadBalancerAttributeSpecs(loadBalancer.scheme)
  const enabled = attributeValue(lbSpecs, loadBalancer.attributes, 'routing.http.x_amzn_tls_version_and_cipher_suite.enabled') === 'true'
  const specs = listenerAttributeSpecs('HTTPS')
  return {
    sslPolicy: listener.sslPolicy ?? DEFAULT_SSL_POLICY,
    defaultCertificate: listener.defaultCertificateArn === undefined ? undefined : resolve(listener.defaultCertificateArn),
    certificates,
    ...(enabled ? {
      tlsHeaders: {
        version: attributeValue(specs, listener.attributes, 'routing.http.request.x_amzn_tls_version.header_name'),
        cipherSuite: attributeValue(specs, listener.attributes, 'routing.http.request.x_amzn_tls_cipher_suite.header_name'),
      },
    } : {}),
  }
}

/** The part of a listener certificateFor reads. */
export interface TlsListenerView {
  readonly tls?: ListenerTls
  readonly loadBalancer: { readonly dnsName: string }
}

/**
 * certificateFor picks the certificate for a handshake on a port that several load balancers
 * may share (DESIGN.md): the load balancer whose DNS name is the SNI name; else the first whose
 * certificates match the name; else the port's first opener. Within that listener, spec §5.1
 * (selectCertificate): best SNI match, else the default certificate.
 */
export function certificateFor<L extends TlsListenerView>(
  listeners: readonly L[], servername: string | undefined,
): { readonly listener: L; readonly certificate: TlsCertificate } | undefined {
  const first = listeners[0]
  if (first === undefined) return undefined
  let chosen: L = first
  if (servername !== undefined && servername !== '' && listeners.length > 1) {
    const name = servername.toLowerCase()
    chosen = listeners.find((l) => l.loadBalancer.dnsName === name)
      ?? listeners.find((l) => l.tls !== undefined && [l.tls.defaultCertificate, ...l.tls.certificates]
        .some((c) => c !== undefined && c.names.some((n) => nameMatches(n, name))))
      ?? first
  }
  const tls = chosen.tls
  if (tls?.defaultCertificate === undefined) return undefined
  return { listener: chosen, certificate: selectCertificate(servername, tls.defaultCertificate, tls.certificates) }
}
