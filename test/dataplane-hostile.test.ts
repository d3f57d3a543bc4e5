/**
 * Hostile or malformed input (issue 3 "What it must show"; spec §6.3, §7.4, §7.5): each
 * gets the status AWS would send, while a concurrent normal client keeps being served. Plus
 * WebSocket upgrades through the load balancer and their draining.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import { DeregisterTargetsCommand, ModifyLoadBalancerAttributesCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { startTestOpenAlb, type TestOpenAlb } from './support/openalb.ts'
import { createSite, httpRequest, rawExchange, startTarget, waitFor, type Site, type TestTarget } from './support/dataplane.ts'

function statusLine(response: string): string {
  return response.slice(0, response.indexOf('\r\n'))
}

describe('data plane: hostile input', () => {
  let alb: TestOpenAlb
  let target: TestTarget
  let site: Site
  before(async () => {
    alb = await startTestOpenAlb()
    target = await startTarget('t')
    site = await createSite(alb, { targets: [target] })
    await waitFor(async () => (await httpRequest(site.port, '/hostname')).status === 200 || undefined, 5000, 'listener')
  })
  after(async () => {
    await alb.close()
    await target.close()
  })

  it('answers malformed requests with AWS statuses while other clients keep being served', async () => {
    let running = true
    let served = 0
    const failures: string[] = []
    const normal = (async () => {
      while (running) {
        const r = await httpRequest(site.port, '/hostname').catch((e: Error) => ({ status: 0, body: e.message }))
        if (r.status === 200) served++
        else failures.push(`${r.status} ${r.body}`)
      }
    })()
    const cases: Array<[string, string | Buffer, string]> = [
      ['bad request line', 'GARBAGE\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
      // Ambiguous framings the ALB can frame are the desync mode's call (dataplane-lifecycle); these it cannot.
      ['CL with a TE it cannot frame', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: gzip\r\n\r\nhello', 'HTTP/1.1 400 Bad Request'],
      ['conflicting Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc', 'HTTP/1.1 400 Bad Request'],
      ['invalid Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
      ['headers over 64K', `GET / HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 9 }, (_, i) => `X-Big-${i}: ${'a'.repeat(8000)}\r\n`).join('')}\r\n`, 'HTTP/1.1 400 Bad Request'],
      ['one header over 16K', `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(17000)}\r\nConnection: close\r\n\r\n`, 'HTTP/1.1 400 Bad Request'],
      ['URL over 16K', `GET /${'a'.repeat(17000)} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`, 'HTTP/1.1 414 Request-URI Too Large'],
      ['Transfer-Encoding other than chunked', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n', 'HTTP/1.1 501 Not Implemented'],
      ['more than 30 X-Forwarded-For addresses', `GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: ${Array.from({ length: 31 }, (_, i) => `10.0.0.${i}`).join(', ')}\r\nConnection: close\r\n\r\n`, 'HTTP/1.1 463 '],
      ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
      ['TRACE', 'TRACE / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n', 'HTTP/1.1 405 Not Allowed'],
      ['HTTP/2 preface on an HTTP/1 listener', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'HTTP/1.1 505 HTTP Version Not Supported'],
    ]
    try {
      for (const [name, bytes, expected] of cases) {
        const response = await rawExchange(site.port, bytes)
        assert.ok(statusLine(response).startsWith(expected.trimEnd()), `${name}: got ${JSON.stringify(statusLine(response))}`)
        assert.match(response, /\r\nServer: awselb\/2\.0\r\n/i, `${name}: Server header`)
        assert.match(response, /\r\nContent-Type: text\/html\r\n/i, `${name}: Content-Type`)
      }
      const bad = await rawExchange(site.port, 'GARBAGE\r\n\r\n')
      assert.ok(bad.endsWith('<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n</body>\r\n</html>\r\n'))
    } finally {
      // A failed case must not leave the other client looping (the file would never end).
      running = false
      await normal
    }
    assert.deepEqual(failures, [])
    assert.ok(served > 0)
  })

  it('answers 408 to a client that sends no complete request within the idle timeout', async () => {
    await alb.elbv2.send(new ModifyLoadBalancerAttributesCommand({
      LoadBalancerArn: site.loadBalancerArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '1' }],
    }))
    try {
      // The change reaches the listener within the coalescing delay; poll rather than sleep.
      const response = await waitFor(async () => {
        const r = await rawExchange(site.port, 'GET / HTTP/1.1\r\nHost: a\r\n', 4000)
        return r.startsWith('HTTP/1.1 408') ? r : undefined
      }, 15_000, '408')
      assert.match(response, /<title>408 Request Time-out<\/title>/)
      assert.equal((await httpRequest(site.port, '/hostname')).status, 200, 'other clients unaffected')
    } finally {
      await alb.elbv2.send(new ModifyLoadBalancerAttributesCommand({
        LoadBalancerArn: site.loadBalancerArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '60' }],
      }))
    }
  })
})

/** A WebSocket-speaking target: answers the handshake, then echoes every byte (framing is opaque to the proxy). */
async function startWebSocketTarget(): Promise<TestTarget> {
  const t = await startTarget('ws')
  t.server.on('upgrade', (req, socket: Socket) => {
    t.seen.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders })
    const key = req.headers['sec-websocket-key'] ?? ''
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)
    socket.on('data', (chunk) => socket.write(chunk))
    // Upgraded sockets are half-open by default (http.Server sets allowHalfOpen): close on FIN.
    socket.on('end', () => socket.end())
    socket.on('error', () => {})
  })
  return t
}

function openWebSocket(port: number): Promise<{ socket: Socket; head: string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('GET /chat HTTP/1.1\r\nHost: ws.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
        + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
    })
    const closed = new Promise<void>((r) => socket.once('close', () => r()))
    let buffered = ''
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('latin1')
      const end = buffered.indexOf('\r\n\r\n')
      if (end === -1) return
      socket.off('data', onData)
      resolve({ socket, head: buffered.slice(0, end), closed })
    }
    socket.on('data', onData)
    socket.once('error', reject)
  })
}

function echo(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    let got = ''
    const onData = (chunk: Buffer): void => {
      got += chunk.toString('latin1')
      if (got.length >= text.length) {
        socket.off('data', onData)
        resolve(got)
      }
    }
    socket.on('data', onData)
    socket.write(text)
  })
}

describe('data plane: WebSocket', () => {
  let alb: TestOpenAlb
  let target: TestTarget
  before(async () => {
    alb = await startTestOpenAlb()
    target = await startWebSocketTarget()
  })
  after(async () => {
    await alb.close()
    await target.close()
  })

  it('proxies the upgrade, echoes through the pinned connection, and cuts it when draining ends', async () => {
    const site = await createSite(alb, { targets: [target], targetGroupAttributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '1' }] })
    await waitFor(async () => (await httpRequest(site.port, '/hostname')).status === 200 || undefined, 5000, 'listener')
    const ws = await openWebSocket(site.port)
    assert.match(ws.head, /^HTTP\/1\.1 101 Switching Protocols/)
    assert.match(ws.head, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/)
    assert.equal(await echo(ws.socket, 'hello through the ALB'), 'hello through the ALB')
    const upgradeSeen = target.seen.find((r) => r.url === '/chat')
    assert.ok(upgradeSeen)
    const xff = upgradeSeen.rawHeaders.findIndex((h) => h.toLowerCase() === 'x-forwarded-for')
    assert.equal(upgradeSeen.rawHeaders[xff + 1], '127.0.0.1')

    await alb.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: site.targetGroupArn, Targets: [{ Id: '127.0.0.1', Port: target.port }] }))
    assert.equal(await echo(ws.socket, 'still open while draining'), 'still open while draining')
    const started = Date.now()
    await ws.closed
    assert.ok(Date.now() - started < 5000, 'closed when the 1 s deregistration delay ended')
  })
})
