/**
 * HTTP/2 from clients on HTTPS listeners (spec §7.6, §7.9, issue 4): ALPN h2 while
 * `routing.http2.enabled` (default true), requests translated to HTTP/1.1 for HTTP1 target
 * groups (header case per spec §7.2), at most 128 concurrent streams, h2load through the
 * listener, and WebSocket over HTTPS (HTTP/1.1 upgrade).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { connect as h2Connect } from 'node:http2'
import { connect as tlsConnect } from 'node:tls'
import type { Socket } from 'node:net'
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm'
import { CreateListenerCommand, CreateLoadBalancerCommand, ModifyLoadBalancerAttributesCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { startTestOpenAlb, TEST_CREDENTIALS, TEST_REGION, type TestOpenAlb } from './support/openalb.ts'
import { createTargetGroup, freePort, startTarget, waitFor, type TestTarget } from './support/dataplane.ts'
import { defaultSubnets } from './support/network.ts'
import { certificateFiles, curl, run, type CertificateFiles } from './support/tls.ts'
import { h2Request } from './support/http2.ts'

describe('HTTP/2 from clients, WebSocket over HTTPS', () => {
  let alb: TestOpenAlb
  let acm: ACMClient
  let target: TestTarget
  let cert: CertificateFiles
  let port: number
  let loadBalancerArn: string

  before(async () => {
    alb = await startTestOpenAlb()
    acm = new ACMClient({ endpoint: alb.apiUrl, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 })
    target = await startTarget('h2-target')
    // A WebSocket-style echo: answers the upgrade with 101, then echoes bytes back.
    target.server.on('upgrade', (req, socket: Socket) => {
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Proto: ${req.headers['x-forwarded-proto']}\r\n\r\n`)
      socket.on('data', (chunk: Buffer) => socket.write(chunk))
      socket.on('end', () => socket.end()) // node:http sockets allow half-open: close when the ALB does
    })
    cert = certificateFiles('h2.test')
    const arn = (await acm.send(new ImportCertificateCommand({ Certificate: Buffer.from(cert.certPem), PrivateKey: Buffer.from(cert.keyPem) }))).CertificateArn!
    const subnets = await defaultSubnets(alb)
    loadBalancerArn = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'h2', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!.LoadBalancerArn!
    const tg = await createTargetGroup(alb, 'h2-tg', [target])
    port = await freePort()
    await alb.elbv2.send(new CreateListenerCommand({
      LoadBalancerArn: loadBalancerArn, Protocol: 'HTTPS', Port: port, Certificates: [{ CertificateArn: arn }],
      DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }],
    }))
    await waitFor(async () => (await curl(['-k', `https://127.0.0.1:${port}/hostname`])).stdout === 'h2-target' ? true : undefined, 10_000, 'listener live')
  })
  after(async () => {
    acm.destroy()
    await alb.close()
    await target.close()
    rmSync(cert.dir, { recursive: true, force: true })
  })

  it('translates HTTP/2 requests to HTTP/1.1: Host from :authority, ALB headers mixed case, others lowercase', async () => {
    const session = h2Connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false })
    try {
      const res = await h2Request(session, {
        ':method': 'POST', ':path': '/echo?q=1', ':authority': 'h2.test', 'x-custom': 'v', cookie: 'a=1', 'content-type': 'text/plain',
      }, 'hello')
      assert.equal(res.status, 200)
      const seen = JSON.parse(res.body) as { method: string; url: string; rawHeaders: string[] }
      assert.equal(seen.method, 'POST')
      assert.equal(seen.url, '/echo?q=1')
      const names = seen.rawHeaders.filter((_, i) => i % 2 === 0)
      const value = (name: string): string | undefined => seen.rawHeaders[seen.rawHeaders.indexOf(name) + 1]
      // undici writes the Host line itself, lowercase, whatever case it is given (noted for the proxy's owner).
      assert.equal(seen.rawHeaders[seen.rawHeaders.findIndex((n, i) => i % 2 === 0 && n.toLowerCase() === 'host') + 1], `h2.test:${port}`)
      assert.equal(value('X-Forwarded-Proto'), 'https')
      assert.equal(value('X-Forwarded-Port'), String(port))
      assert.equal(value('X-Forwarded-For'), '127.0.0.1')
      assert.match(value('X-Amzn-Trace-Id') ?? '', /^Root=1-/)
      assert.equal(value('x-custom'), 'v')
      assert.equal(value('cookie'), 'a=1')
      assert.ok(!names.some((n) => n.startsWith(':')), `no pseudo-headers: ${names.join(',')}`)
      // The body arrived (Content-Length absent on HTTP/2 is fine: chunked to the target).
      assert.equal(target.seen.at(-1)?.method, 'POST')
      assert.equal(res.headers['server'], undefined, 'a target response keeps its own Server header')
      assert.equal(session.remoteSettings.maxConcurrentStreams, 128, 'spec §7.6: ≤ 128 concurrent streams')
    } finally {
      session.close()
    }
  })

  it('serves h2load (HTTP/2 over TLS) with every request reaching the target', async () => {
    const hostnameRequests = (): number => target.seen.filter((r) => r.url === '/hostname').length // health checks ask for /
    const before = hostnameRequests()
    // 4 connections × 150 concurrent streams each: more than the 128 the ALB allows, which h2load respects.
    const r = await run('h2load', ['-n', '2000', '-c', '4', '-m', '150', `https://127.0.0.1:${port}/hostname`], { timeoutMs: 60_000 })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /Application protocol: h2/)
    assert.match(r.stdout, /requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored/, r.stdout)
    assert.match(r.stdout, /status codes: 2000 2xx/)
    assert.equal(hostnameRequests() - before, 2000)
  })

  it('proxies a WebSocket upgrade over HTTPS (wss)', async () => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] })
    try {
      await new Promise<void>((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject) })
      assert.equal(socket.alpnProtocol, 'http/1.1')
      let received = ''
      socket.setEncoding('latin1')
      socket.on('data', (c: string) => { received += c })
      socket.write('GET /ws HTTP/1.1\r\nHost: h2.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
      await waitFor(() => (received.includes('\r\n\r\n') ? true : undefined), 5000, '101')
      assert.match(received, /^HTTP\/1\.1 101 Switching Protocols\r\n/)
      assert.match(received, /\r\nX-Proto: https\r\n/i)
      received = ''
      socket.write('ping over wss')
      await waitFor(() => (received === 'ping over wss' ? true : undefined), 5000, 'echo')
    } finally {
      socket.destroy()
    }
  })

  it('offers only HTTP/1.1 when routing.http2.enabled is false', async () => {
    await alb.elbv2.send(new ModifyLoadBalancerAttributesCommand({
      LoadBalancerArn: loadBalancerArn, Attributes: [{ Key: 'routing.http2.enabled', Value: 'false' }],
    }))
    const r = await waitFor(async () => {
      const out = await curl(['-k', '--http2', '-w', ' %{http_version}', `https://127.0.0.1:${port}/hostname`])
      return out.stdout.endsWith(' 1.1') ? out : undefined
    }, 10_000, 'HTTP/2 off')
    assert.equal(r.stdout, 'h2-target 1.1')
    await alb.elbv2.send(new ModifyLoadBalancerAttributesCommand({
      LoadBalancerArn: loadBalancerArn, Attributes: [{ Key: 'routing.http2.enabled', Value: 'true' }],
    }))
    await waitFor(async () => (await curl(['-k', '--http2', '-w', ' %{http_version}', `https://127.0.0.1:${port}/hostname`])).stdout.endsWith(' 2') ? true : undefined, 10_000, 'HTTP/2 on')
  })
})
