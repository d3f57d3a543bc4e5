/**
 * @module tls/local-ca
 * OpenALB's own certificate authority. ACM's RequestCertificate issues public certificates
 * after DNS or e-mail validation; on one machine nothing can validate a domain, so OpenALB
 * issues at once from a local CA whose certificate users can trust (`openalb ca` prints it),
 * like mkcert does for development.
 */
import { webcrypto, createPrivateKey, randomBytes } from 'node:crypto'

type CryptoKeyPair = webcrypto.CryptoKeyPair
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as x509 from '@peculiar/x509'

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
const DAY_MS = 86_400_000

export interface IssuedCertificate { readonly certificatePem: string; readonly privateKeyPem: string; readonly chainPem: string }

function pemKey(der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n')
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`
}

export class LocalCa {
  readonly #keys: CryptoKeyPair
  readonly #certificate: x509.X509Certificate
  readonly certificatePem: string

  private constructor(keys: CryptoKeyPair, certificate: x509.X509Certificate) {
    this.#keys = keys
    this.#certificate = certificate
    this.certificatePem = certificate.toString('pem') + '\n'
  }

  /** Loads the CA from `dir` (ca.pem, ca-key.pem), creating it on first use; `dir` undefined keeps it in memory. */
  static async open(dir: string | undefined): Promise<LocalCa> {
    const certFile = dir === undefined ? undefined : join(dir, 'ca.pem')
    const keyFile = dir === undefined ? undefined : join(dir, 'ca-key.pem')
    if (certFile !== undefined && keyFile !== undefined && existsSync(certFile) && existsSync(keyFile)) {
      const certificate = new x509.X509Certificate(readFileSync(certFile, 'utf8'))
      const keyDer = createPrivateKey(readFileSync(keyFile, 'utf8')).export({ type: 'pkcs8', format: 'der' })
      const privateKey = await webcrypto.subtle.importKey('pkcs8', keyDer, ALGORITHM, true, ['sign'])
      const publicKey = await certificate.publicKey.export(ALGORITHM, ['verify'])
      return new LocalCa({ privateKey, publicKey } as CryptoKeyPair, certificate)
    }
    const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as CryptoKeyPair
    const now = Date.now()
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
      name: 'CN=OpenALB Local CA, O=OpenALB',
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + 3650 * DAY_MS),
      keys,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    })
    const ca = new LocalCa(keys, certificate)
    if (dir !== undefined && certFile !== undefined && keyFile !== undefined) {
      mkdirSync(dir, { recursive: true })
      writeFileSync(keyFile, pemKey(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), { mode: 0o600 })
      writeFileSync(certFile, ca.certificatePem)
    }
    return ca
  }

  /** Issues a 395-day server certificate for the names (the first is the subject CN), as ACM's validity is 13 months. */
  async issue(domainName: string, alternativeNames: readonly string[]): Promise<IssuedCertificate> {
    const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as CryptoKeyPair
    const names = [...new Set([domainName, ...alternativeNames])]
    const now = Date.now()
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
      subject: `CN=${domainName}`,
      issuer: this.#certificate.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 395 * DAY_MS),
      signingKey: this.#keys.privateKey,
      publicKey: keys.publicKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: 'dns' as const, value: n }))),
        await x509.AuthorityKeyIdentifierExtension.create(this.#certificate),
      ],
    })
    return {
      certificatePem: certificate.toString('pem') + '\n',
      privateKeyPem: pemKey(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
      chainPem: this.certificatePem,
    }
  }
}
