/**
 * @module model/certificates
 * Reading imported certificates the way ACM does: PEM certificate, PEM private key that must
 * match it, optional chain. Uses node:crypto's X509Certificate (no I/O).
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto'
import type { Certificate } from './resources.ts'

/** What ImportCertificate reads off a certificate: the Certificate record's descriptive fields. */
export type ParsedCertificate = Pick<Certificate,
  'domainName' | 'subjectAlternativeNames' | 'serial' | 'subject' | 'issuer' | 'notBefore' | 'notAfter' | 'keyAlgorithm' | 'signatureAlgorithm'>

export class CertificateError extends Error {}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/** Splits a PEM bundle into its certificates. */
export function pemCertificates(pem: string): string[] {
  return pem.match(PEM_CERT) ?? []
}

/** ACM's key algorithm names: RSA_2048, EC_prime256v1, … */
function keyAlgorithm(key: KeyObject): string {
  const details = key.asymmetricKeyDetails
  if (key.asymmetricKeyType === 'rsa') return `RSA_${details?.modulusLength ?? 2048}`
  if (key.asymmetricKeyType === 'ec') {
    const curve = details?.namedCurve ?? 'prime256v1'
    return `EC_${curve === 'P-256' ? 'prime256v1' : curve === 'P-384' ? 'secp384r1' : curve === 'P-521' ? 'secp521r1' : curve}`
  }
  return String(key.asymmetricKeyType ?? 'UNKNOWN').toUpperCase()
}

/** `CN=example.com, O=Acme` from Node's newline-separated subject. */
function distinguishedName(value: string): string {
  return value.split('\n').filter((p) => p !== '').reverse().join(',')
}

function commonName(value: string): string | undefined {
  return value.split('\n').find((p) => p.startsWith('CN='))?.slice(3)
}

/**
 * Parses and checks what ImportCertificate receives. Throws CertificateError with ACM's
 * messages: unparseable PEM, a private key that does not match, a certificate not yet valid
 * or expired.
 */
export function parseImport(certificatePem: string, privateKeyPem: string, chainPem: string | undefined, now: number): ParsedCertificate {
  const certs = pemCertificates(certificatePem)
  if (certs.length !== 1) throw new CertificateError('Unable to parse certificate. Please ensure the certificate is in PEM format.')
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certs[0]!)
  } catch {
    throw new CertificateError('Unable to parse certificate. Please ensure the certificate is in PEM format.')
  }
  let key: KeyObject
  try {
    key = createPrivateKey(privateKeyPem)
  } catch {
    throw new CertificateError('Unable to parse key; the key may be encrypted or the format is not supported. Please ensure the key is an unencrypted PEM-encoded private key.')
  }
  if (!cert.checkPrivateKey(key)) throw new CertificateError('The private key does not match the public key in the certificate.')
  if (chainPem !== undefined && chainPem.trim() !== '') {
    const chain = pemCertificates(chainPem)
    if (chain.length === 0) throw new CertificateError('Unable to parse certificate chain. Please ensure the chain is in PEM format.')
    for (const c of chain) {
      try { new X509Certificate(c) } catch { throw new CertificateError('Unable to parse certificate chain. Please ensure the chain is in PEM format.') }
    }
  }
  const notBefore = Date.parse(cert.validFrom)
  const notAfter = Date.parse(cert.validTo)
  if (notAfter < now) throw new CertificateError('The certificate that is attached to your request has expired. Please ensure that the certificate is valid.')
  if (notBefore > now) throw new CertificateError('The certificate that is attached to your request is not yet valid. Please ensure that the certificate is valid.')
  const sans = (cert.subjectAltName ?? '').split(',').map((s) => s.trim()).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4))
  const cn = commonName(cert.subject)
  const domainName = cn ?? sans[0] ?? ''
  return {
    domainName,
    subjectAlternativeNames: sans.length > 0 ? sans : domainName !== '' ? [domainName] : [],
    serial: cert.serialNumber.toLowerCase().match(/.{1,2}/g)?.join(':') ?? cert.serialNumber,
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    notBefore, notAfter,
    keyAlgorithm: keyAlgorithm(cert.publicKey),
    signatureAlgorithm: cert.publicKey.asymmetricKeyType === 'ec' ? 'SHA256WITHECDSA' : 'SHA256WITHRSA',
  }
}
