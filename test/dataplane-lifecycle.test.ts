/**
 * Data plane lifecycle: timeouts and drains that end with the ALB's own status (spec §4.3,
 * §7.4), desync mitigation modes (spec §6.3), and listeners that move or go away.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import {
  DeleteListenerCommand, DeregisterTargetsCommand, ModifyListenerCommand, ModifyLoadBalancerAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { startTestOpenAlb, type TestOpenAlb } from './support/openalb.ts'
import { createSite, freePort, httpRequest, rawExchange, startTarget, waitFor, type TestTarget } from './support/dataplane.ts'

describe('data plane: lifecycle', () => {
  let alb: TestOpenAlb
  const targets: TestTarget[] = []
  const hanging = new Set<() => void>()
  before(async () => { alb = await startTestOpenAlb() })
  after(async () => {
    for (const release of hanging) release()
    await alb.close()
    await Promise.all(targets.map((t) => t.close()))
  })

  /** A target that never answers `/hang` (until the suite ends). */
  async function hangingTarget(name: string): Promise<TestTarget> {
    const t = await startTarget(name, (req, res, n) => {
      if (req.url === '/hang') {
        hanging.add(() => res.destroy())
        return
      }
      res.end(n)
    })
    targets.push(t)
    return t
  }

  it('answers 504 when a connected target sends no response within the idle timeout', async () => {
    const t = await hangingTarget('slow')
    const site = await createSite(alb, { targets: [t] })
    await alb.elbv2.send(new ModifyLoadBalancerAttributesCommand({
      LoadBalancerArn: site.loadBalancerArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '1' }],
    }))
    const res = await waitFor(async () => {
      const r = await httpRequest(site.port, '/hang')
      return r.status === 504 ? r : undefined
    }, 10_000, '504')
    assert.equal(res.body, '<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n')
    assert.equal(res.headers.server, 'awselb/2.0')
  })

  it('answers 502 to a request still in flight when the deregistration delay ends', async () => {
    const t = await hangingTarget('draining')
    const site = await createSite(alb, { targets: [t], targetGroupAttributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '1' }] })
    await waitFor(async () => (await httpRequest(site.port, '/')).body === 'draining' || undefined, 5000, 'listener')
    const inflight = httpRequest(site.port, '/hang')
    await waitFor(() => (t.seen.some((r) => r.url === '/hang') ? true : undefined), 5000, 'request at the target')
    const started = Date.now()
    await alb.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: site.targetGroupArn, Targets: [{ Id: '127.0.0.1', Port: t.port }] }))
    const res = await inflight
    assert.equal(res.status, 502)
    assert.ok(Date.now() - started >= 900, 'not before the delay')
  })

  it('retries a request whose kept-alive target connection the target closed', async () => {
    // A target that answers the first request of each connection, then drops the connection
    // when the next request arrives (the race of a keep-alive connection closed while idle).
    let connections = 0
    const raw = createNetServer((socket: Socket) => {
      connections++
      let requests = 0
      socket.on('data', (chunk) => {
        if (!chunk.includes('\r\n\r\n')) return
        if (++requests === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=60\r\n\r\nok')
        else socket.destroy()
      })
      socket.on('error', () => {})
    })
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve))
    try {
      const site = await createSite(alb, { targets: [{ port: (raw.address() as AddressInfo).port } as TestTarget] })
      await waitFor(async () => (await httpRequest(site.port, '/')).status === 200 || undefined, 5000, 'listener')
      for (let i = 0; i < 5; i++) {
        const r = await httpRequest(site.port, '/')
        assert.equal(r.status, 200, `request ${i}: ${r.body}`)
        assert.equal(r.body, 'ok')
      }
      assert.ok(connections >= 2, 'the dropped connection was replaced')
    } finally {
      await new Promise((resolve) => raw.close(resolve))
    }
  })

  it('applies routing.http.desync_mitigation_mode', async () => {
    const t = await startTarget('desync')
    targets.push(t)
    const site = await createSite(alb, { targets: [t] })
    const getWithZeroLength = 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'
    const emptyHeader = 'GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n'
    await waitFor(async () => (await rawExchange(site.port, getWithZeroLength)).startsWith('HTTP/1.1 200') || undefined, 5000, 'listener')
    // defensive (default): Acceptable passes; Ambiguous passes but the connection is closed after it.
    const ambiguous = await rawExchange(site.port, emptyHeader)
    assert.match(ambiguous, /^HTTP\/1\.1 200/)
    assert.match(ambiguous, /\r\nConnection: close\r\n/i)
    const setMode = (mode: string) => alb.elbv2.send(new ModifyLoadBalancerAttributesCommand({
      LoadBalancerArn: site.loadBalancerArn, Attributes: [{ Key: 'routing.http.desync_mitigation_mode', Value: mode }],
    }))
    await setMode('strictest')
    const blocked = await waitFor(async () => {
      const r = await rawExchange(site.port, getWithZeroLength)
      return r.startsWith('HTTP/1.1 400') ? r : undefined
    }, 5000, 'strictest blocks')
    assert.match(blocked, /<title>400 Bad Request<\/title>/)
    await setMode('monitor')
    await waitFor(async () => (await rawExchange(site.port, emptyHeader, 1000)).startsWith('HTTP/1.1 200') || undefined, 5000, 'monitor allows')
  })

  it('frames the Ambiguous BothTeClPresent and DuplicateContentLength as the desync mode says', async () => {
    const t = await startTarget('framing')
    targets.push(t)
    const site = await createSite(alb, { targets: [t] })
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n'
    // Chunked wins over Content-Length (RFC 9112 §6.3): the body is `hello`; what follows it is
    // never parsed, because the connection closes after the answer in every mode.
    const teCl = `POST /tecl HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n${smuggled}`
    const duplicate = 'POST /dup HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhelloGET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
    const setMode = (mode: string) => alb.elbv2.send(new ModifyLoadBalancerAttributesCommand({
      LoadBalancerArn: site.loadBalancerArn, Attributes: [{ Key: 'routing.http.desync_mitigation_mode', Value: mode }],
    }))
    // Status lines, also one right after a body (the target's JSON never holds one).
    const statuses = (response: string): string[] => [...response.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]!)
    await waitFor(async () => (await httpRequest(site.port, '/hostname')).body === 'framing' || undefined, 5000, 'listener')

    // defensive (default): both forwarded, then the connection closes.
    const forwarded = await rawExchange(site.port, teCl)
    assert.deepEqual(statuses(forwarded), ['200'])
    assert.match(forwarded, /\r\nConnection: close\r\n/i)
    const seen = t.seen.find((r) => r.url === '/tecl')!
    const names = seen.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase())
    assert.ok(!names.includes('content-length'), 'the target never sees the Content-Length chunked framing overrides')
    assert.deepEqual(statuses(await rawExchange(site.port, duplicate)), ['200'], 'DuplicateContentLength: answered, then closed (the next request is not served)')
    const dupSeen = t.seen.find((r) => r.url === '/dup')!
    assert.equal(dupSeen.rawHeaders.filter((n, i) => i % 2 === 0 && n.toLowerCase() === 'content-length').length, 1, 'one Content-Length reaches the target')

    // strictest: both blocked with the ALB's 400.
    await setMode('strictest')
    await waitFor(async () => (await rawExchange(site.port, teCl)).startsWith('HTTP/1.1 400') || undefined, 5000, 'strictest blocks BothTeClPresent')
    assert.deepEqual(statuses(await rawExchange(site.port, duplicate)), ['400'])

    // monitor: both forwarded; the duplicate length keeps the connection (the next request is
    // served), Transfer-Encoding with Content-Length still closes it (RFC 9112 §6.1).
    await setMode('monitor')
    await waitFor(async () => statuses(await rawExchange(site.port, duplicate)).join() === '200,200' || undefined, 5000, 'monitor keeps the connection')
    assert.deepEqual(statuses(await rawExchange(site.port, teCl)), ['200'])
    assert.ok(!t.seen.some((r) => r.url === '/smuggled'), 'nothing after a chunked body was ever a request')
    await setMode('defensive')
  })

  it('moves a listener to another port and closes it on delete', async () => {
    const t = await startTarget('moving')
    targets.push(t)
    const site = await createSite(alb, { targets: [t] })
    await waitFor(async () => (await httpRequest(site.port, '/hostname')).body === 'moving' || undefined, 5000, 'listener')
    const newPort = await freePort()
    await alb.elbv2.send(new ModifyListenerCommand({ ListenerArn: site.listenerArn, Port: newPort }))
    await waitFor(async () => (await httpRequest(newPort, '/hostname')).body === 'moving' || undefined, 5000, 'new port')
    await waitFor(() => refused(site.port), 5000, 'old port closed')
    await alb.elbv2.send(new DeleteListenerCommand({ ListenerArn: site.listenerArn }))
    await waitFor(() => refused(newPort), 5000, 'deleted listener closed')
  })

  it('closes every listener on /_openalb/reset, open connections included (last: it wipes the suite state)', async () => {
    const t = await startTarget('reset')
    targets.push(t)
    const site = await createSite(alb, { targets: [t] })
    await waitFor(async () => (await httpRequest(site.port, '/hostname')).body === 'reset' || undefined, 5000, 'listener')
    assert.ok(alb.dataPlane.ports.includes(site.port))
    await alb.reset()
    assert.deepEqual(alb.dataPlane.ports, [])
    assert.equal(await refused(site.port), true, 'closed when reset returns')
  })
})

function refused(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => { res.resume(); resolve(undefined) })
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? true : undefined))
    req.end()
  })
}
