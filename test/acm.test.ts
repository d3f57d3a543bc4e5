import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  ACMClient, AddTagsToCertificateCommand, DeleteCertificateCommand, DescribeCertificateCommand, GetCertificateCommand,
  ImportCertificateCommand, ListCertificatesCommand, ListTagsForCertificateCommand,
} from '@aws-sdk/client-acm'
import { startTestOpenAlb, TEST_CREDENTIALS, TEST_REGION, type TestOpenAlb } from './support/openalb.ts'
import { selfSigned } from './support/openssl.ts'

describe('ACM (SDK v3)', () => {
  let alb: TestOpenAlb
  let acm: ACMClient
  const site = selfSigned('www.example.test', ['www.example.test', 'example.test'])
  const other = selfSigned('other.example.test')

  before(async () => {
    alb = await startTestOpenAlb()
    acm = new ACMClient({ endpoint: alb.apiUrl, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 })
  })
  after(async () => { acm.destroy(); await alb.close() })

  it('imports a self-signed certificate and describes it like ACM', async () => {
    const { CertificateArn } = await acm.send(new ImportCertificateCommand({
      Certificate: Buffer.from(site.certPem), PrivateKey: Buffer.from(site.keyPem), Tags: [{ Key: 'Name', Value: 'seed-002' }],
    }))
    assert.match(CertificateArn!, /^arn:aws:acm:us-east-1:123456789012:certificate\/[0-9a-f-]{36}$/)
    const { Certificate: detail } = await acm.send(new DescribeCertificateCommand({ CertificateArn }))
    assert.equal(detail?.DomainName, 'www.example.test')
    assert.deepEqual(detail?.SubjectAlternativeNames, ['www.example.test', 'example.test'])
    assert.equal(detail?.Type, 'IMPORTED')
    assert.equal(detail?.Status, 'ISSUED')
    assert.equal(detail?.KeyAlgorithm, 'RSA_2048')
    assert.ok(detail?.NotAfter instanceof Date && detail.NotAfter.getTime() > Date.now())
    assert.deepEqual(detail?.InUseBy, [])
    const pem = await acm.send(new GetCertificateCommand({ CertificateArn }))
    assert.equal(pem.Certificate, site.certPem)
    const tags = await acm.send(new ListTagsForCertificateCommand({ CertificateArn }))
    assert.deepEqual(tags.Tags, [{ Key: 'Name', Value: 'seed-002' }])
    await acm.send(new AddTagsToCertificateCommand({ CertificateArn, Tags: [{ Key: 'env', Value: 'dev' }] }))
    const list = await acm.send(new ListCertificatesCommand({}))
    assert.ok(list.CertificateSummaryList?.some((c) => c.CertificateArn === CertificateArn && c.DomainName === 'www.example.test'))
  })

  it('re-imports to the same ARN', async () => {
    const { CertificateArn } = await acm.send(new ImportCertificateCommand({ Certificate: Buffer.from(site.certPem), PrivateKey: Buffer.from(site.keyPem) }))
    const again = await acm.send(new ImportCertificateCommand({ CertificateArn, Certificate: Buffer.from(other.certPem), PrivateKey: Buffer.from(other.keyPem) }))
    assert.equal(again.CertificateArn, CertificateArn)
    const { Certificate: detail } = await acm.send(new DescribeCertificateCommand({ CertificateArn }))
    assert.equal(detail?.DomainName, 'other.example.test')
  })

  it('refuses bad PEM and a key that does not match, with ACM error codes', async () => {
    await assert.rejects(acm.send(new ImportCertificateCommand({ Certificate: Buffer.from('not a certificate'), PrivateKey: Buffer.from(site.keyPem) })), { name: 'ValidationException' })
    await assert.rejects(acm.send(new ImportCertificateCommand({ Certificate: Buffer.from(site.certPem), PrivateKey: Buffer.from(other.keyPem) })), { name: 'ValidationException' })
    await assert.rejects(acm.send(new DescribeCertificateCommand({ CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000' })), { name: 'ResourceNotFoundException' })
    await assert.rejects(acm.send(new DescribeCertificateCommand({ CertificateArn: 'nope' })), { name: 'InvalidArnException' })
  })

  it('deletes an unused certificate', async () => {
    const { CertificateArn } = await acm.send(new ImportCertificateCommand({ Certificate: Buffer.from(other.certPem), PrivateKey: Buffer.from(other.keyPem) }))
    await acm.send(new DeleteCertificateCommand({ CertificateArn }))
    await assert.rejects(acm.send(new GetCertificateCommand({ CertificateArn })), { name: 'ResourceNotFoundException' })
  })
})

describe('ACM RequestCertificate (local CA)', () => {
  it('issues at once from the local CA that `openalb ca` prints', async () => {
    const { execFileSync } = await import('node:child_process')
    const { X509Certificate } = await import('node:crypto')
    const alb = await startTestOpenAlb()
    const acm = new ACMClient({ endpoint: alb.apiUrl, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 })
    try {
      const { RequestCertificateCommand } = await import('@aws-sdk/client-acm')
      const { CertificateArn } = await acm.send(new RequestCertificateCommand({ DomainName: 'app.example.test', SubjectAlternativeNames: ['api.example.test'], ValidationMethod: 'DNS' }))
      const { Certificate: detail } = await acm.send(new DescribeCertificateCommand({ CertificateArn }))
      assert.equal(detail?.Status, 'ISSUED')
      assert.equal(detail?.Type, 'AMAZON_ISSUED')
      assert.deepEqual(detail?.SubjectAlternativeNames, ['app.example.test', 'api.example.test'])
      const pem = await acm.send(new GetCertificateCommand({ CertificateArn }))
      const caPem = execFileSync(process.execPath, [new URL('../src/cli/main.js', import.meta.url).pathname, 'ca', '--data-dir', alb.dataDir], { encoding: 'utf8' })
      const ca = new X509Certificate(caPem)
      const leaf = new X509Certificate(pem.Certificate!)
      assert.ok(leaf.checkIssued(ca), 'the certificate is signed by the CA `openalb ca` prints')
      assert.ok(leaf.verify(ca.publicKey))
      assert.equal(pem.CertificateChain, caPem)
      await assert.rejects(acm.send(new RequestCertificateCommand({ DomainName: 'not a domain' })), { name: 'ValidationException' })
    } finally {
      acm.destroy()
      await alb.close()
    }
  })
})

describe('ACM ImportCertificate validity', () => {
  it('refuses an expired certificate', async () => {
    const x509 = await import('@peculiar/x509')
    const { webcrypto } = await import('node:crypto')
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
    const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']) as import('node:crypto').webcrypto.CryptoKeyPair
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01', name: 'CN=expired.example.test', keys, signingAlgorithm: algorithm,
      notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z'),
    })
    const keyDer = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)
    const keyPem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(keyDer).toString('base64')}\n-----END PRIVATE KEY-----\n`
    const alb = await startTestOpenAlb()
    const acm = new ACMClient({ endpoint: alb.apiUrl, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 })
    try {
      await assert.rejects(
        acm.send(new ImportCertificateCommand({ Certificate: Buffer.from(cert.toString('pem')), PrivateKey: Buffer.from(keyPem) })),
        (err: Error) => { assert.equal(err.name, 'ValidationException'); assert.match(err.message, /expired/); return true },
      )
    } finally {
      acm.destroy()
      await alb.close()
    }
  })
})
