/**
 * One HTTP(S) health check on its raw socket (probe.ts) against scripted targets on 127.0.0.1:
 * the exact bytes sent, how the response head is read, and that every connection is closed
 * whatever the outcome. Waits are on events (a result, a socket closing), never sleeps.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import net from 'node:net'
import tls from 'node:tls'
import type { AddressInfo } from 'node:net'
import type { HealthCheck } from '../../model/resources.ts'
import { selfSigned } from '../../../test/support/openssl.ts'
import { probeRequest } from './checker.ts'
import { hostHeader, probe, type ProbeRequest } from './probe.ts'
import { freePort } from '../../../test/support/dataplane.ts'

interface Connection {
  readonly socket: net.Socket
  /** Everything the probe sent, once it has sent a complete head. */
  readonly head: Promise<string>
  /** How the probe's side ended the connection: 'end' (FIN) or 'error' (reset). */
  readonly closed: Promise<'end' | 'error'>
}

interface Target {
  readonly port: number
  readonly connections: Connection[]
  /** The next connection (past ones first). */
  connection(index: number): Promise<Connection>
}

const servers: net.Server[] = []
after(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
})

/** A target answering each connection through `respond` once the probe's head has arrived. */
async function target(respond: (connection: Connection) => void, secure?: tls.TlsOptions): Promise<Target> {
  const connections: Connection[] = []
  const waiting = new Map<number, (c: Connection) => void>()
  const onSocket = (socket: net.Socket): void => {
    let text = ''
    let headDone: (text: string) => void = () => {}
    const head = new Promise<string>((resolve) => { headDone = resolve })
    const closed = new Promise<'end' | 'error'>((resolve) => {
      socket.once('end', () => { resolve('end'); socket.end() })
      socket.once('error', () => resolve('error'))
      socket.once('close', () => resolve('end'))
    })
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1')
      if (text.includes('\r\n\r\n')) headDone(text)
    })
    const connection: Connection = { socket, head, closed }
    connections.push(connection)
    waiting.get(connections.length - 1)?.(connection)
    void head.then(() => respond(connection))
  }
  const server = secure === undefined ? net.createServer(onSocket) : tls.createServer(secure, onSocket)
  servers.push(server)
  after(() => { for (const c of connections) c.socket.destroy() })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    connection: (index) => connections[index] !== undefined
      ? Promise.resolve(connections[index]!)
      : new Promise((resolve) => waiting.set(index, resolve)),
  }
}

function request(port: number, overrides: Partial<ProbeRequest> = {}): ProbeRequest {
  return { protocol: 'HTTP', host: '127.0.0.1', port, path: '/', timeoutMs: 5000, grpc: false, ...overrides }
}

const never = new AbortController().signal

/** Writes `pieces` one TCP write at a time (no Nagle), each after the previous one was flushed. */
async function writeApart(socket: net.Socket, pieces: string[]): Promise<void> {
  socket.setNoDelay(true)
  for (const piece of pieces) await new Promise<void>((resolve) => socket.write(piece, 'latin1', () => resolve()))
}

describe('HTTP health check probe', () => {
  it('sends one GET head with the ELB-HealthChecker headers, Connection: close, on a new connection', async () => {
    const t = await target((c) => { c.socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') })
    assert.deepEqual(await probe(request(t.port, { path: '/healthz?deep=1&caf\u00e9' }), never), { kind: 'response', code: 200 })
    assert.deepEqual(await probe(request(t.port), never), { kind: 'response', code: 200 })
    assert.equal(t.connections.length, 2)
    assert.equal(await t.connections[0]!.head,
      `GET /healthz?deep=1&caf\u00e9 HTTP/1.1\r\nhost: 127.0.0.1:${t.port}\r\nuser-agent: ELB-HealthChecker/2.0\r\nconnection: close\r\n\r\n`)
    assert.equal(await t.connections[1]!.head,
      `GET / HTTP/1.1\r\nhost: 127.0.0.1:${t.port}\r\nuser-agent: ELB-HealthChecker/2.0\r\nconnection: close\r\n\r\n`)
    assert.equal(await t.connections[0]!.closed, 'end')
  })

  it('brackets IPv6 literals in Host', () => {
    assert.equal(hostHeader('fd00::5', 8080), '[fd00::5]:8080')
    assert.equal(hostHeader('10.0.0.5', 80), '10.0.0.5:80')
  })

  it('reads a head split over several TCP segments, skipping 1xx responses', async () => {
    const t = await target((c) => {
      void writeApart(c.socket, ['HTTP/1.1 100 Continue\r\n\r\nHT', 'TP/1.1 50', '3 Service Unavailable\r\nContent-Le', 'ngth: 0\r\n', '\r\n'])
    })
    assert.deepEqual(await probe(request(t.port), never), { kind: 'response', code: 503 })
    assert.equal(await t.connections[0]!.closed, 'end')
  })

  it('reads a chunked body to its end and then closes the connection cleanly, without waiting for the target', async () => {
    // The target keeps the connection open: the probe closes once the response is complete.
    const t = await target((c) => {
      void writeApart(c.socket, ['HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n', '5\r\nnope!\r\n', '0\r\n\r\n'])
    })
    assert.deepEqual(await probe(request(t.port), never), { kind: 'response', code: 404 })
    assert.equal(await t.connections[0]!.closed, 'end')
  })

  it('takes a response whose body runs until the target closes', async () => {
    const t = await target((c) => { c.socket.end('HTTP/1.0 200 OK\r\n\r\nuntil close') })
    assert.deepEqual(await probe(request(t.port), never), { kind: 'response', code: 200 })
  })

  it('fails when the target closes before a complete head, or answers something that is not HTTP', async () => {
    const silent = await target((c) => { c.socket.end() })
    assert.deepEqual(await probe(request(silent.port), never), { kind: 'failed', cause: 'ECONNRESET' })
    const partial = await target((c) => { c.socket.end('HTTP/1.1 200 OK\r\nContent-') })
    assert.deepEqual(await probe(request(partial.port), never), { kind: 'failed', cause: 'ECONNRESET' })
    const garbage = await target((c) => { c.socket.write('NOT HTTP AT ALL\r\n\r\n') })
    assert.deepEqual(await probe(request(garbage.port), never), { kind: 'failed', cause: 'ALB_ERR_BAD_RESPONSE' })
    await garbage.connections[0]!.closed
    const reset = await target((c) => { c.socket.resetAndDestroy() })
    assert.deepEqual(await probe(request(reset.port), never), { kind: 'failed', cause: 'ECONNRESET' })
  })

  it('fails on a refused connection with its error code', async () => {
    assert.deepEqual(await probe(request(await freePort()), never), { kind: 'failed', cause: 'ECONNREFUSED' })
  })

  it('times out when no complete head arrives in time, and closes the connection', async () => {
    const mute = await target(() => { /* never answers */ })
    assert.deepEqual(await probe(request(mute.port, { timeoutMs: 50 }), never), { kind: 'timeout' })
    await mute.connections[0]!.closed
    const slow = await target((c) => { c.socket.write('HTTP/1.1 200 OK\r\n') })
    assert.deepEqual(await probe(request(slow.port, { timeoutMs: 50 }), never), { kind: 'timeout' })
    await slow.connections[0]!.closed
  })

  it('keeps a result that arrived in time; the deadline then only ends the body read', async () => {
    const t = await target((c) => { c.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial') })
    assert.deepEqual(await probe(request(t.port, { timeoutMs: 100 }), never), { kind: 'response', code: 200 })
    await t.connections[0]!.closed
  })

  it('aborts through the signal, closing the connection; an aborted signal sends nothing', async () => {
    const t = await target(() => { /* never answers */ })
    const controller = new AbortController()
    const result = probe(request(t.port), controller.signal)
    await (await t.connection(0)).head
    controller.abort()
    assert.deepEqual(await result, { kind: 'failed', cause: 'ABORTED' })
    await t.connections[0]!.closed
    assert.deepEqual(await probe(request(t.port), controller.signal), { kind: 'failed', cause: 'ABORTED' })
    assert.equal(t.connections.length, 1)
  })

  it('fails without connecting when the path or port cannot be sent (as node:http refused them)', async () => {
    const t = await target((c) => { c.socket.end('HTTP/1.1 200 OK\r\n\r\n') })
    assert.deepEqual(await probe(request(t.port, { path: '/with space' }), never), { kind: 'failed', cause: 'ERR_UNESCAPED_CHARACTERS' })
    assert.deepEqual(await probe(request(t.port, { path: '/\u0100' }), never), { kind: 'failed', cause: 'ERR_UNESCAPED_CHARACTERS' })
    assert.deepEqual(await probe(request(70000), never), { kind: 'failed', cause: 'ERR_SOCKET_BAD_PORT' })
    assert.equal(t.connections.length, 0)
  })
})

describe('HTTPS health check probe', () => {
  const pair = selfSigned('target.invalid')

  it('checks over TLS without verifying the certificate, no SNI for an address, same head', async () => {
    const serverNames: Array<string | false | null> = []
    const t = await target((c) => {
      serverNames.push((c.socket as tls.TLSSocket).servername)
      c.socket.end('HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n')
    }, { key: pair.keyPem, cert: pair.certPem })
    assert.deepEqual(await probe(request(t.port, { protocol: 'HTTPS', path: '/tls' }), never), { kind: 'response', code: 302 })
    assert.equal(await t.connections[0]!.head,
      `GET /tls HTTP/1.1\r\nhost: 127.0.0.1:${t.port}\r\nuser-agent: ELB-HealthChecker/2.0\r\nconnection: close\r\n\r\n`)
    assert.deepEqual(serverNames, [false])
  })

  it('reaches a TLS 1.0-only target, as the data plane does (back-end policy TLS 1.0–1.3), and fails a plain-text one', async () => {
    const t = await target((c) => { c.socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n') },
      { key: pair.keyPem, cert: pair.certPem, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'ECDHE-RSA-AES128-SHA:@SECLEVEL=0' })
    assert.deepEqual(await probe(request(t.port, { protocol: 'HTTPS' }), never), { kind: 'response', code: 200 })
    // A plain-text target answers the ClientHello with HTTP: a TLS error, not a response.
    const plain = net.createServer((socket) => { socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\n\r\n')) })
    servers.push(plain)
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve))
    const result = await probe(request((plain.address() as AddressInfo).port, { protocol: 'HTTPS' }), never)
    assert.equal(result.kind, 'failed')
  })
})

describe('probeRequest', () => {
  const hc: HealthCheck = {
    enabled: true, port: 'traffic-port', intervalSeconds: 30, timeoutSeconds: 5,
    healthyThresholdCount: 5, unhealthyThresholdCount: 2, matcher: { httpCode: '200' },
  }

  it('uses the traffic port, the group protocol and / unless the health check says otherwise', () => {
    assert.deepEqual(probeRequest({ key: 'k', host: '10.0.0.5', trafficPort: 8080, healthCheck: hc, protocol: 'HTTPS' }),
      { protocol: 'HTTPS', host: '10.0.0.5', port: 8080, path: '/', timeoutMs: 5000, grpc: false })
    assert.deepEqual(probeRequest({ key: 'k', host: '10.0.0.5', trafficPort: 8080, healthCheck: { ...hc, port: '9000', protocol: 'HTTP', path: '/hz' }, protocol: 'HTTPS' }),
      { protocol: 'HTTP', host: '10.0.0.5', port: 9000, path: '/hz', timeoutMs: 5000, grpc: false })
  })

  it('sends gRPC checks to /AWS.ALB/healthcheck by default', () => {
    assert.deepEqual(probeRequest({ key: 'k', host: '10.0.0.5', trafficPort: 50051, healthCheck: hc, protocol: 'HTTP', protocolVersion: 'GRPC' }),
      { protocol: 'HTTP', host: '10.0.0.5', port: 50051, path: '/AWS.ALB/healthcheck', timeoutMs: 5000, grpc: true })
  })
})
