import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import tls from 'node:tls'
import type { AddressInfo } from 'node:net'
import { DEFAULT_SSL_POLICY, SSL_POLICIES, sslPolicy, tlsOptionsFor } from './ssl-policies.ts'
import { selfSigned, type KeyPair } from '../../test/support/openssl.ts'

/** The names AWS publishes for ALBs (docs "Security policies for your Application Load Balancer"). */
const EXPECTED_NAMES = [
  'ELBSecurityPolicy-TLS13-1-2-2021-06', 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06', 'ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06',
  'ELBSecurityPolicy-TLS13-1-1-2021-06', 'ELBSecurityPolicy-TLS13-1-0-2021-06', 'ELBSecurityPolicy-TLS13-1-3-2021-06',
  'ELBSecurityPolicy-TLS13-1-3-PQ-2025-09', 'ELBSecurityPolicy-TLS13-1-2-PQ-2025-09', 'ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09', 'ELBSecurityPolicy-TLS13-1-2-Ext2-PQ-2025-09', 'ELBSecurityPolicy-TLS13-1-0-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04', 'ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04', 'ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04', 'ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-2023-04', 'ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04', 'ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04',
  'ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09', 'ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09', 'ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-PQ-2025-09', 'ELBSecurityPolicy-TLS13-1-2-Ext2-FIPS-PQ-2025-09',
  'ELBSecurityPolicy-TLS13-1-0-FIPS-PQ-2025-09',
  'ELBSecurityPolicy-FS-1-2-Res-2020-10', 'ELBSecurityPolicy-FS-1-2-Res-2019-08', 'ELBSecurityPolicy-FS-1-2-2019-08',
  'ELBSecurityPolicy-FS-1-1-2019-08', 'ELBSecurityPolicy-FS-2018-06', 'ELBSecurityPolicy-TLS-1-2-Ext-2018-06',
  'ELBSecurityPolicy-TLS-1-2-2017-01', 'ELBSecurityPolicy-TLS-1-1-2017-01', 'ELBSecurityPolicy-TLS-1-0-2015-04',
  'ELBSecurityPolicy-2016-08', 'ELBSecurityPolicy-2015-05',
]

/** ELBSecurityPolicy-2016-08 in the API's priority order (model example, docs table). */
const POLICY_2016_08 = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES128-SHA256', 'ECDHE-RSA-AES128-SHA256',
  'ECDHE-ECDSA-AES128-SHA', 'ECDHE-RSA-AES128-SHA', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-RSA-AES256-SHA384', 'ECDHE-RSA-AES256-SHA', 'ECDHE-ECDSA-AES256-SHA',
  'AES128-GCM-SHA256', 'AES128-SHA256', 'AES128-SHA', 'AES256-GCM-SHA384', 'AES256-SHA256', 'AES256-SHA',
]

describe('SSL_POLICIES', () => {
  it('has every ALB policy exactly once', () => {
    const names = SSL_POLICIES.map((p) => p.name)
    assert.equal(new Set(names).size, names.length, 'no duplicates')
    assert.deepEqual([...names].sort(), [...EXPECTED_NAMES].sort())
  })

  it('describes ELBSecurityPolicy-2016-08 (the API default) as AWS does', () => {
    const p = sslPolicy(DEFAULT_SSL_POLICY)
    assert.ok(p)
    assert.deepEqual(p.protocols, ['TLSv1', 'TLSv1.1', 'TLSv1.2'])
    assert.deepEqual(p.ciphers, POLICY_2016_08)
    assert.deepEqual(sslPolicy('ELBSecurityPolicy-2015-05')?.ciphers, POLICY_2016_08)
  })

  it('matches the docs tables for the narrower policies', () => {
    assert.deepEqual(sslPolicy('ELBSecurityPolicy-TLS13-1-3-2021-06')?.ciphers,
      ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'])
    assert.deepEqual(sslPolicy('ELBSecurityPolicy-TLS13-1-2-Res-2021-06')?.ciphers, [
      'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
      'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
    ])
    assert.deepEqual(sslPolicy('ELBSecurityPolicy-TLS13-1-2-Res-2021-06')?.protocols, ['TLSv1.2', 'TLSv1.3'])
    assert.equal(sslPolicy('ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06')?.ciphers.length, 15)
    assert.equal(sslPolicy('ELBSecurityPolicy-TLS-1-2-2017-01')?.ciphers.length, 12)
    assert.deepEqual(sslPolicy('ELBSecurityPolicy-FS-1-2-Res-2020-10')?.ciphers,
      ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384'])
    assert.deepEqual(sslPolicy('ELBSecurityPolicy-FS-1-1-2019-08')?.protocols, ['TLSv1.1', 'TLSv1.2'])
    assert.equal(sslPolicy('ELBSecurityPolicy-TLS-1-0-2015-04')?.ciphers.at(-1), 'DES-CBC3-SHA')
    const ext0 = sslPolicy('ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04')
    assert.equal(ext0?.ciphers.length, 14)
    assert.ok(ext0?.ciphers.slice(2).every((c) => c.startsWith('ECDHE-')))
    for (const p of SSL_POLICIES.filter((x) => x.name.includes('FIPS'))) {
      assert.ok(!p.ciphers.includes('TLS_CHACHA20_POLY1305_SHA256'), `${p.name} has no ChaCha20`)
    }
    for (const p of SSL_POLICIES.filter((x) => x.name.endsWith('-PQ-2025-09'))) {
      const classic = sslPolicy(p.name.replace('-PQ-2025-09', p.name.includes('FIPS') ? '-2023-04' : '-2021-06'))
      assert.ok(classic, `${p.name} has a classical counterpart`)
      assert.deepEqual(p.ciphers, classic.ciphers)
      assert.deepEqual(p.protocols, classic.protocols)
    }
  })
})

describe('tlsOptionsFor (real handshakes)', () => {
  let pair: KeyPair
  before(() => { pair = selfSigned('localhost') })

  const servers: tls.Server[] = []
  after(() => { for (const s of servers) s.close() })

  async function serve(policy: string): Promise<number> {
    const options = tlsOptionsFor(policy)
    assert.ok(options)
    const server = tls.createServer({ key: pair.keyPem, cert: pair.certPem, ...options }, (socket) => socket.end())
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return (server.address() as AddressInfo).port
  }

  function handshake(port: number, client: tls.ConnectionOptions): Promise<{ protocol: string | null; cipher: string } | Error> {
    return new Promise((resolve) => {
      const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...client }, () => {
        resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().name })
        socket.destroy()
      })
      socket.on('error', (err) => resolve(err))
    })
  }

  it('returns undefined for an unknown policy', () => {
    assert.equal(tlsOptionsFor('ELBSecurityPolicy-nope'), undefined)
  })

  it('lets ELBSecurityPolicy-2016-08 negotiate TLS 1.0 but not TLS 1.3', async () => {
    const options = tlsOptionsFor('ELBSecurityPolicy-2016-08')
    assert.equal(options?.minVersion, 'TLSv1')
    assert.equal(options?.maxVersion, 'TLSv1.2')
    assert.equal(options?.cipherSuites, '')
    const port = await serve('ELBSecurityPolicy-2016-08')
    const old = await handshake(port, { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'ECDHE-RSA-AES128-SHA:@SECLEVEL=0' })
    assert.ok(!(old instanceof Error), String(old))
    assert.equal(old.protocol, 'TLSv1')
    const modern = await handshake(port, { minVersion: 'TLSv1.3' })
    assert.ok(modern instanceof Error, 'a TLS 1.3-only client is refused')
  })

  it('uses the server priority order (honorCipherOrder)', async () => {
    const port = await serve('ELBSecurityPolicy-TLS-1-2-2017-01')
    const out = await handshake(port, { maxVersion: 'TLSv1.2', ciphers: 'AES256-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256' })
    assert.ok(!(out instanceof Error), String(out))
    assert.equal(out.cipher, 'ECDHE-RSA-AES128-GCM-SHA256', 'the policy prefers AES128-GCM')
  })

  it('restricts TLS 1.3 suites for FIPS policies and refuses CBC-SHA1 on Res policies', async () => {
    const fips = await serve('ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04')
    const chacha = await handshake(fips, { minVersion: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256' })
    assert.ok(chacha instanceof Error, 'no ChaCha20 under FIPS')
    const aes = await handshake(fips, { minVersion: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384' })
    assert.ok(!(aes instanceof Error), String(aes))
    assert.equal(aes.cipher, 'TLS_AES_256_GCM_SHA384')
    const res = await serve('ELBSecurityPolicy-TLS13-1-2-Res-2021-06')
    const cbc = await handshake(res, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-SHA' })
    assert.ok(cbc instanceof Error, 'Res policies have GCM only')
    const tls11 = await handshake(res, { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'ECDHE-RSA-AES128-SHA:@SECLEVEL=0' })
    assert.ok(tls11 instanceof Error, 'no TLS 1.1')
  })
})
