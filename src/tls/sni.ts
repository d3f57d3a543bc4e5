/**
 * @module tls/sni
 * Certificate selection for HTTPS listeners (spec §5.1) and a cache of SecureContexts.
 *
 * AWS: a client's SNI host name that matches exactly one certificate of the listener's list
 * gets that one; if several match, the ALB picks the best the client supports (ECDSA over RSA,
 * then the largest key, then the latest validity); no SNI or no match → the default certificate.
 * Contexts are cached by certificate ARN + version (import time) + policy, so re-importing a
 * certificate to the same ARN takes effect on the next handshake without a restart, and
 * connections already established keep their session.
 */
import { createSecureContext, type SecureContext } from 'node:tls'
import type { Certificate } from '../model/resources.ts'
import { DEFAULT_SSL_POLICY, tlsOptionsFor } from '../model/ssl-policies.ts'

/** What a listener needs of a certificate to serve it. */
export interface TlsCertificate {
  readonly arn: string
  /** Changes on every re-import: the cache key. */
  readonly version: number
  readonly names: readonly string[]
  readonly keyAlgorithm: string
  readonly notAfter: number
  readonly certificatePem: string
  readonly chainPem?: string
  readonly privateKeyPem: string
}

export function tlsCertificate(record: Certificate): TlsCertificate {
  return {
    arn: record.arn,
    version: record.importedAt ?? record.issuedAt ?? record.createdAt,
    names: [record.domainName, ...record.subjectAlternativeNames],
    keyAlgorithm: record.keyAlgorithm,
    notAfter: record.notAfter,
    certificatePem: record.certificatePem,
    ...(record.chainPem !== undefined ? { chainPem: record.chainPem } : {}),
    privateKeyPem: record.privateKeyPem,
  }
}

/** RFC 6125 host name match: case-insensitive; a leading `*.` covers exactly one label. */
export function nameMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase()
  const h = host.toLowerCase().replace(/\.$/, '')
  if (p === h) return true
  if (!p.startsWith('*.')) return false
  const dot = h.indexOf('.')
  return dot > 0 && h.slice(dot + 1) === p.slice(2)
}

/** Key strength for ranking: ECDSA beats RSA, then key size (spec §5.1). */
function rank(cert: TlsCertificate): number {
  const [family, size] = cert.keyAlgorithm.split('_')
  const bits = family === 'EC' ? ({ prime256v1: 256, secp384r1: 384, secp521r1: 521 } as Record<string, number>)[size ?? ''] ?? 256 : Number(size) || 2048
  return (family === 'EC' ? 1_000_000 : 0) + bits
}

/**
 * The certificate for a handshake: best SNI match among `list` (which may contain the default),
 * else the default.
 */
export function selectCertificate(servername: string | undefined, defaultCertificate: TlsCertificate, list: readonly TlsCertificate[]): TlsCertificate {
  if (servername === undefined || servername === '') return defaultCertificate
  let best: TlsCertificate | undefined
  for (const cert of [defaultCertificate, ...list]) {
    if (!cert.names.some((n) => nameMatches(n, servername))) continue
    if (best === undefined || rank(cert) > rank(best) || (rank(cert) === rank(best) && cert.notAfter > best.notAfter)) best = cert
  }
  return best ?? defaultCertificate
}

/** SecureContexts by certificate version and policy; stale versions are dropped on `retain`. */
export class SecureContextCache {
  readonly #contexts = new Map<string, SecureContext>()

  get(cert: TlsCertificate, policyName: string | undefined): SecureContext {
    const policy = policyName ?? DEFAULT_SSL_POLICY
    const key = `${cert.arn}|${cert.version}|${policy}`
    let context = this.#contexts.get(key)
    if (context === undefined) {
      const options = tlsOptionsFor(policy) ?? tlsOptionsFor(DEFAULT_SSL_POLICY)!
      context = createSecureContext({
        key: cert.privateKeyPem,
        cert: cert.chainPem !== undefined ? `${cert.certificatePem.trim()}\n${cert.chainPem.trim()}\n` : cert.certificatePem,
        minVersion: options.minVersion,
        maxVersion: options.maxVersion,
        ciphers: options.ciphers,
        honorCipherOrder: options.honorCipherOrder,
      })
      this.#contexts.set(key, context)
    }
    return context
  }

  /** Forgets contexts of certificates or versions no longer in use. */
  retain(inUse: Iterable<{ cert: TlsCertificate; policy: string | undefined }>): void {
    const keep = new Set<string>()
    for (const { cert, policy } of inUse) keep.add(`${cert.arn}|${cert.version}|${policy ?? DEFAULT_SSL_POLICY}`)
    for (const key of this.#contexts.keys()) if (!keep.has(key)) this.#contexts.delete(key)
  }
}
