/**
 * Test support: keys and self-signed certificates made with the openssl CLI, as seed 002 does
 * (`openssl genrsa 2048 > my-private-key`, `openssl req -new -x509 -nodes -sha256 -days 365 …`).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface KeyPair { readonly keyPem: string; readonly certPem: string }

export function selfSigned(commonName: string, altNames: readonly string[] = [commonName]): KeyPair {
  const dir = mkdtempSync(join(tmpdir(), 'openalb-cert-'))
  try {
    const key = join(dir, 'my-private-key.pem')
    const cert = join(dir, 'my-certificate.pem')
    execFileSync('openssl', ['genrsa', '-out', key, '2048'], { stdio: 'ignore' })
    execFileSync('openssl', [
      'req', '-new', '-x509', '-nodes', '-sha256', '-days', '365', '-key', key, '-outform', 'PEM', '-out', cert,
      '-subj', `/CN=${commonName}/O=OpenALB Test`, '-addext', `subjectAltName=${altNames.map((n) => `DNS:${n}`).join(',')}`,
    ], { stdio: 'ignore' })
    return { keyPem: readFileSync(key, 'utf8'), certPem: readFileSync(cert, 'utf8') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
