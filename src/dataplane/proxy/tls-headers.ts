/**
 * @module dataplane/proxy/tls-headers
 * `x-amzn-tls-version` / `x-amzn-tls-cipher-suite` (spec §6.2, §7.2): with the load balancer
 * attribute `routing.http.x_amzn_tls_version_and_cipher_suite.enabled`, requests on HTTPS
 * listeners tell the target the negotiated protocol and cipher, by their OpenSSL names
 * (`TLSv1.2`, `ECDHE-RSA-AES128-GCM-SHA256`), under the names the listener attributes
 * `routing.http.request.x_amzn_tls_{version,cipher_suite}.header_name` give.
 * A client cannot forge them: copies it sent are removed.
 */
import type { ListenerTls } from '../../tls/listener-tls.ts'

/** The parts of a TLSSocket read here (node:http2's socket proxy forwards them too). */
interface TlsSocketInfo {
  getProtocol?(): string | null
  getCipher?(): { readonly name: string } | undefined
}

/** appendTlsHeaders adds the TLS headers to a flat [name, value, …] header list, in place. */
export function appendTlsHeaders(headers: string[], tls: ListenerTls | undefined, socket: object): void {
  const names = tls?.tlsHeaders
  if (names === undefined) return
  const version = names.version.toLowerCase()
  const cipher = names.cipherSuite.toLowerCase()
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    const name = headers[i]!.toLowerCase()
    if (name === version || name === cipher) headers.splice(i, 2)
  }
  const info = socket as TlsSocketInfo
  const protocol = info.getProtocol?.()
  const suite = info.getCipher?.()?.name
  if (protocol !== undefined && protocol !== null) headers.push(names.version, protocol)
  if (suite !== undefined) headers.push(names.cipherSuite, suite)
}
