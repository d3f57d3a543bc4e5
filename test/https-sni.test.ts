/**
 * HTTPS listeners: SNI among several certificates (spec §5.1) and certificate changes applied
 * without a restart or a dropped connection — AddListenerCertificates,
 * RemoveListenerCertificates and a re-import to the same ACM ARN (issue 4).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { connect as tlsConnect, type PeerCertificate } from 'node:tls'
import { Agent, request } from 'node:https'
import { connect as h2Connect } from 'node:http2'
import { rmSync } from 'node:fs'
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm'
import {
  AddListenerCertificatesCommand, CreateListenerCommand, CreateLoadBalancerCommand, RemoveListenerCertificatesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { startTestOpenAlb, TEST_CREDENTIALS, TEST_REGION, type TestOpenAlb } from './support/openalb.ts'
import { createTargetGroup, freePort, startTarget, waitFor, type TestTarget } from './support/dataplane.ts'
import { defaultSubnets } from './support/network.ts'
import { certificateFiles, presentedCommonName, sClient, type CertificateFiles } from './support/tls.ts'
import { h2Get } from './support/http2.ts'

/** The certificate a TLS client gets for `servername` (undefined: no SNI). */
function peerCertificate(port: number, servername: string | undefined): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1', port, rejectUnauthorized: false,
      // Node sends no SNI for an IP address; '' disables it explicitly.
      servername: servername ?? '',
    }, () => {
      resolve(socket.getPeerCertificate())
      socket.end()
    })
    socket.on('error', reject)
  })
}

function get(agent: Agent, port: number, path: string): Promise<{ body: string; reused: boolean; cn: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, servername: 'a.sni.test', rejectUnauthorized: false }, (res) => {
      let body = ''
      const cn = String((res.socket as import('node:tls').TLSSocket).getPeerCertificate().subject.CN)
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ body, reused: req.reusedSocket, cn }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('HTTPS listener: SNI and live certificate changes', () => {
  let alb: TestOpenAlb
  let acm: ACMClient
  let target: TestTarget
  let port: number
  let listenerArn: string
  const arns: Record<string, string> = {}
  const certs: Record<string, CertificateFiles> = {}

  before(async () => {
    alb = await startTestOpenAlb()
    acm = new ACMClient({ endpoint: alb.apiUrl, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 })
    target = await startTarget('sni')
    for (const name of ['default.sni.test', 'a.sni.test', 'b.sni.test']) {
      certs[name] = certificateFiles(name)
      arns[name] = (await acm.send(new ImportCertificateCommand({
        Certificate: Buffer.from(certs[name].certPem), PrivateKey: Buffer.from(certs[name].keyPem),
      }))).CertificateArn!
    }
    const subnets = await defaultSubnets(alb)
    const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'sni', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
    const tg = await createTargetGroup(alb, 'sni-tg', [target])
    port = await freePort()
    listenerArn = (await alb.elbv2.send(new CreateListenerCommand({
      LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTPS', Port: port,
      Certificates: [{ CertificateArn: arns['default.sni.test'] }],
      DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }],
    }))).Listeners![0]!.ListenerArn!
    await alb.elbv2.send(new AddListenerCertificatesCommand({
      ListenerArn: listenerArn, Certificates: [{ CertificateArn: arns['a.sni.test'] }, { CertificateArn: arns['b.sni.test'] }],
    }))
    await waitFor(async () => (await peerCertificate(port, 'b.sni.test')).subject.CN === 'b.sni.test' ? true : undefined, 10_000, 'listener live')
  })
  after(async () => {
    acm.destroy()
    await alb.close()
    await target.close()
    for (const c of Object.values(certs)) rmSync(c.dir, { recursive: true, force: true })
  })

  it('gives each host name its own certificate and the default without SNI (openssl s_client -servername)', async () => {
    for (const name of ['a.sni.test', 'b.sni.test']) {
      const r = await sClient(port, ['-servername', name, '-CAfile', certs[name]!.certFile, '-verify_return_error'], 'Q\n')
      assert.equal(presentedCommonName(r.stdout), name, r.stdout + r.stderr)
      assert.match(r.stdout, /Verify return code: 0 \(ok\)/)
    }
    const none = await sClient(port, ['-noservername'], 'Q\n')
    assert.equal(presentedCommonName(none.stdout), 'default.sni.test')
    const unknown = await sClient(port, ['-servername', 'other.sni.test'], 'Q\n')
    assert.equal(presentedCommonName(unknown.stdout), 'default.sni.test', 'no match → the default certificate')
    // Host name matching is case-insensitive.
    assert.equal((await peerCertificate(port, 'A.SNI.TEST')).subject.CN, 'a.sni.test')
  })

  it('applies RemoveListenerCertificates to new handshakes while open connections keep working', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const session = h2Connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, servername: 'b.sni.test' })
    try {
      const first = await get(agent, port, '/hostname')
      assert.deepEqual([first.body, first.reused], ['sni', false])
      const h2Before = await h2Get(session, '/hostname')
      assert.equal(h2Before, 'sni')

      await alb.elbv2.send(new RemoveListenerCertificatesCommand({ ListenerArn: listenerArn, Certificates: [{ CertificateArn: arns['b.sni.test'] }] }))
      await waitFor(async () => (await peerCertificate(port, 'b.sni.test')).subject.CN === 'default.sni.test' ? true : undefined, 10_000, 'b removed')
      assert.equal((await peerCertificate(port, 'a.sni.test')).subject.CN, 'a.sni.test', 'a is still served')

      const second = await get(agent, port, '/hostname')
      assert.deepEqual([second.body, second.reused, second.cn], ['sni', true, 'a.sni.test'], 'the HTTP/1.1 keep-alive connection survived')
      assert.equal(await h2Get(session, '/hostname'), 'sni', 'the HTTP/2 connection survived')

      await alb.elbv2.send(new AddListenerCertificatesCommand({ ListenerArn: listenerArn, Certificates: [{ CertificateArn: arns['b.sni.test'] }] }))
      await waitFor(async () => (await peerCertificate(port, 'b.sni.test')).subject.CN === 'b.sni.test' ? true : undefined, 10_000, 'b added back')
    } finally {
      agent.destroy()
      session.close()
    }
  })

  it('serves a re-imported certificate from the next handshake on, without a restart', async () => {
    const before = await peerCertificate(port, 'a.sni.test')
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      await get(agent, port, '/hostname')
      const renewed = certificateFiles('a.sni.test')
      try {
        await acm.send(new ImportCertificateCommand({
          CertificateArn: arns['a.sni.test'], Certificate: Buffer.from(renewed.certPem), PrivateKey: Buffer.from(renewed.keyPem),
        }))
        const after = await waitFor(async () => {
          const cert = await peerCertificate(port, 'a.sni.test')
          return cert.fingerprint256 !== before.fingerprint256 ? cert : undefined
        }, 10_000, 'the re-imported certificate')
        assert.equal(after.subject.CN, 'a.sni.test')
        const verified = await sClient(port, ['-servername', 'a.sni.test', '-CAfile', renewed.certFile, '-verify_return_error'], 'Q\n')
        assert.match(verified.stdout, /Verify return code: 0 \(ok\)/, 'the new certificate verifies against its own PEM')
        const again = await get(agent, port, '/hostname')
        assert.deepEqual([again.body, again.reused], ['sni', true], 'the connection opened before the re-import is still served')
      } finally {
        rmSync(renewed.dir, { recursive: true, force: true })
      }
    } finally {
      agent.destroy()
    }
  })
})
