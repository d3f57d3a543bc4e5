import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { nameMatches, selectCertificate, type TlsCertificate } from './sni.ts'

function cert(arn: string, names: string[], keyAlgorithm = 'RSA_2048', notAfter = 1000): TlsCertificate {
  return { arn, version: 1, names, keyAlgorithm, notAfter, certificatePem: '', privateKeyPem: '' }
}

describe('nameMatches', () => {
  const cases: Array<[string, string, boolean]> = [
    ['example.com', 'example.com', true],
    ['Example.COM', 'example.com', true],
    ['example.com', 'example.com.', true],
    ['*.example.com', 'www.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'a.b.example.com', false],
    ['www.example.com', 'api.example.com', false],
  ]
  for (const [pattern, host, expected] of cases) {
    it(`${pattern} vs ${host} → ${expected}`, () => assert.equal(nameMatches(pattern, host), expected))
  }
})

describe('selectCertificate (spec §5.1)', () => {
  const dflt = cert('default', ['default.test'])
  const a = cert('a', ['a.test'])
  const wildcard = cert('wild', ['*.b.test'])
  const rsa = cert('rsa', ['c.test'], 'RSA_2048')
  const rsaBig = cert('rsa4096', ['c.test'], 'RSA_4096')
  const ecdsa = cert('ecdsa', ['c.test'], 'EC_prime256v1')
  const older = cert('older', ['d.test'], 'RSA_2048', 10)
  const newer = cert('newer', ['d.test'], 'RSA_2048', 20)
  const cases: Array<[string | undefined, TlsCertificate[], string]> = [
    [undefined, [a], 'default'],
    ['', [a], 'default'],
    ['a.test', [a], 'a'],
    ['A.TEST', [a], 'a'],
    ['x.b.test', [a, wildcard], 'wild'],
    ['unknown.test', [a, wildcard], 'default'],
    ['default.test', [a], 'default'],
    ['c.test', [rsa, rsaBig], 'rsa4096'],
    ['c.test', [rsa, rsaBig, ecdsa], 'ecdsa'],
    ['d.test', [older, newer], 'newer'],
  ]
  for (const [sni, list, expected] of cases) {
    it(`SNI ${String(sni)} among [${list.map((c) => c.arn).join(', ')}] → ${expected}`, () => {
      assert.equal(selectCertificate(sni, dflt, list).arn, expected)
    })
  }
})
