import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import { PassThrough, Readable } from 'node:stream'
import { TargetPool, requestHead, type ExchangeHandler, type OutgoingRequest } from './pool.ts'
import type { ResponseHead } from '../proxy/h1-response.ts'
import { AlbError, BadRequestError, BadResponseError, ClientAbortError, ConnectError, TargetClosedError, TargetTimeoutError } from '../proxy/errors.ts'

interface Result {
  head?: ResponseHead
  body: Buffer
  error?: AlbError
  connected: boolean
}

/**
 * Runs one exchange; `slowReader` makes onBody refuse every chunk and resume a tick later
 * (backpressure); `keepChunks` keeps the body pieces as handed over when they are not
 * borrowed, as a socket's write queue does, instead of copying them.
 */
function exchange(pool: TargetPool, req: Partial<OutgoingRequest>, options: { slowReader?: boolean; fresh?: boolean; keepChunks?: boolean } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    const result: Result = { body: Buffer.alloc(0), connected: false }
    const conn = options.fresh === true ? pool.fresh() : pool.acquire()
    const handler: ExchangeHandler = {
      onConnect: () => { result.connected = true },
      onHead: (head) => { result.head = head },
      onReadEnd: () => {},
      onBody: (chunk, borrowed) => {
        chunks.push(options.keepChunks === true && !borrowed ? chunk : Buffer.from(chunk))
        if (options.slowReader !== true) return true
        setImmediate(() => conn.resume())
        return false
      },
      onEnd: () => resolve({ ...result, body: Buffer.concat(chunks) }),
      onError: (error) => resolve({ ...result, body: Buffer.concat(chunks), error }),
    }
    conn.send({ method: 'GET', path: '/', headers: ['Host', 'target'], body: null, bodyLength: false, ...req }, handler)
  })
}

function listen(server: Server | NetServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))
}

describe('TargetPool: HTTP/1.1 to targets (proxy fast path)', () => {
  const sockets = new Set<Socket>()
  let port = 0
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      if (req.url === '/echo') {
        res.setHeader('X-Request-Framing', req.headers['transfer-encoding'] ?? `length ${req.headers['content-length']}`)
        res.setHeader('X-Socket', `${req.socket.remotePort}`)
        res.end(body)
      } else if (req.url === '/big') {
        res.setHeader('Content-Type', 'application/octet-stream')
        for (let i = 0; i < 64; i++) res.write(Buffer.alloc(64 * 1024, i)) // chunked, 4 MiB
        res.end()
      } else if (req.url === '/slow') {
        // Never answers: the idle timeout must fire.
      } else if (req.url === '/cut') {
        res.writeHead(200, { 'Content-Length': 100 })
        res.write('partial')
        setImmediate(() => req.socket.destroy())
      } else {
        res.end(`${req.method} ${req.url} ${req.socket.remotePort}`)
      }
    })
  })
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  const pool = (): TargetPool => new TargetPool({ host: '127.0.0.1', port, tls: false, idleTimeoutMs: 60_000 })

  before(async () => { port = await listen(server) })
  after(() => { server.closeAllConnections(); server.close() })

  it('keeps the connection alive across exchanges, and a fresh one is separate', async () => {
    const p = pool()
    const a = await exchange(p, {})
    const b = await exchange(p, {})
    assert.equal(a.head?.status, 200)
    assert.equal(a.body.toString(), b.body.toString(), 'same connection')
    const c = await exchange(p, {}, { fresh: true })
    assert.notEqual(c.body.toString(), a.body.toString())
    assert.equal(p.size, 2)
    p.destroy()
  })

  it('streams a request body with Content-Length as is, and one without length chunked', async () => {
    const p = pool()
    const payload = Buffer.alloc(300_000, 'p')
    const sized = await exchange(p, {
      method: 'POST', path: '/echo', headers: ['Host', 't', 'Content-Length', String(payload.length)], body: Readable.from([payload.subarray(0, 1000), payload.subarray(1000)]), bodyLength: true,
    })
    assert.equal(sized.head?.headers[sized.head.headers.indexOf('X-Request-Framing') + 1], `length ${payload.length}`)
    assert.ok(sized.body.equals(payload))
    const stream = new PassThrough()
    const pending = exchange(p, { method: 'PUT', path: '/echo', headers: ['Host', 't'], body: stream, bodyLength: false })
    stream.write('hello ')
    setImmediate(() => stream.end('world'))
    const chunked = await pending
    assert.equal(chunked.head?.headers[chunked.head.headers.indexOf('X-Request-Framing') + 1], 'chunked')
    assert.equal(chunked.body.toString(), 'hello world')
    // Both exchanges completed in full: the connection was reused for the second one.
    assert.equal(sized.head?.headers[sized.head.headers.indexOf('X-Socket') + 1], chunked.head?.headers[chunked.head.headers.indexOf('X-Socket') + 1])
    p.destroy()
  })

  it('delivers a 4 MiB chunked response intact to a reader that applies backpressure', async () => {
    const p = pool()
    const r = await exchange(p, { path: '/big' }, { slowReader: true })
    assert.equal(r.error, undefined)
    assert.equal(r.body.length, 64 * 64 * 1024)
    for (let i = 0; i < 64; i++) assert.equal(r.body[i * 64 * 1024], i)
    p.destroy()
  })

  it('answers a connect failure as ConnectError before any byte was written', async () => {
    const closed = createNetServer()
    const closedPort = await listen(closed)
    await new Promise((resolve) => closed.close(resolve))
    const p = new TargetPool({ host: '127.0.0.1', port: closedPort, tls: false, idleTimeoutMs: 60_000 })
    const r = await exchange(p, {})
    assert.ok(r.error instanceof ConnectError)
    assert.equal(r.connected, false)
  })

  it('times out a target that does not answer within the idle timeout (504), and a cut response is TargetClosed', async () => {
    const p = new TargetPool({ host: '127.0.0.1', port, tls: false, idleTimeoutMs: 200 })
    const slow = await exchange(p, { path: '/slow' })
    assert.ok(slow.error instanceof TargetTimeoutError && slow.error.phase === 'response')
    const cut = await exchange(p, { path: '/cut' })
    assert.ok(cut.error instanceof TargetClosedError)
    assert.equal(cut.error.beforeResponse, false)
    assert.equal(cut.body.toString(), 'partial')
    p.destroy()
  })

  it('reports an idle connection the target dropped as TargetClosed before the response (a retry may follow)', async () => {
    let requests = 0
    const raw = createNetServer((socket) => {
      socket.on('data', (chunk) => {
        if (!chunk.includes('\r\n\r\n')) return
        if (++requests === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=60\r\n\r\nok')
        else socket.destroy()
      })
      socket.on('error', () => {})
    })
    const rawPort = await listen(raw)
    const p = new TargetPool({ host: '127.0.0.1', port: rawPort, tls: false, idleTimeoutMs: 60_000 })
    assert.equal((await exchange(p, {})).body.toString(), 'ok')
    const second = await exchange(p, {})
    assert.ok(second.error instanceof TargetClosedError && second.error.beforeResponse)
    assert.equal(second.connected, true)
    p.destroy()
    raw.close()
  })

  it('refuses a malformed response (502) and does not reuse that connection', async () => {
    const raw = createNetServer((socket) => {
      socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'))
      socket.on('error', () => {})
    })
    const rawPort = await listen(raw)
    const p = new TargetPool({ host: '127.0.0.1', port: rawPort, tls: false, idleTimeoutMs: 60_000 })
    const r = await exchange(p, {})
    assert.ok(r.error instanceof BadResponseError)
    assert.equal(p.size, 0)
    raw.close()
  })

  it('keeps each response intact while connections interleave reads of split heads and chunk lines', { timeout: 10_000 }, async (t) => {
    // Every plain connection reads into one shared buffer: a partial head or chunk line kept
    // from one read must survive other connections' reads landing in between.
    const pieces = (id: number): string[] => {
      const body = `body of ${id} `.repeat(20)
      const wire = `HTTP/1.1 200 OK\r\nX-Id: ${id}\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`
      const out: string[] = []
      for (let i = 0; i < wire.length; i += 7) out.push(wire.slice(i, i + 7))
      return out
    }
    const raw = createNetServer((socket) => {
      socket.setNoDelay(true)
      socket.once('data', (data: Buffer) => {
        const id = Number(/X-Id: (\d+)/.exec(data.toString('latin1'))![1])
        const rest = pieces(id)
        const next = (): void => {
          const piece = rest.shift()
          if (piece === undefined) return
          socket.write(piece)
          setImmediate(next)
        }
        next()
      })
      socket.on('error', () => {})
    })
    const rawPort = await listen(raw)
    const p = new TargetPool({ host: '127.0.0.1', port: rawPort, tls: false, idleTimeoutMs: 60_000 })
    // A mangled response may never complete: at the test's timeout, cut every exchange so it fails instead of hanging.
    t.signal.addEventListener('abort', () => p.destroy())
    try {
      const ids = [1, 2, 3, 4, 5, 6]
      const results = await Promise.all(ids.map((id) => exchange(p, { headers: ['Host', 't', 'X-Id', String(id)] }, { fresh: true, keepChunks: true })))
      for (const [i, r] of results.entries()) {
        assert.equal(r.error, undefined)
        const id = ids[i]!
        assert.deepEqual(r.head?.headers.slice(0, 2), ['X-Id', String(id)])
        assert.equal(r.body.toString(), `body of ${id} `.repeat(20))
      }
    } finally {
      p.destroy()
      raw.close()
    }
  })

  it('aborts an exchange in flight and destroys its connection', async () => {
    const p = new TargetPool({ host: '127.0.0.1', port, tls: false, idleTimeoutMs: 60_000 })
    const conn = p.acquire()
    const outcome = new Promise<AlbError>((resolve) => {
      conn.send({ method: 'GET', path: '/slow', headers: ['Host', 't'], body: null, bodyLength: false }, {
        onConnect: () => setImmediate(() => conn.abort(new ClientAbortError())),
        onHead: () => {}, onBody: () => true, onReadEnd: () => {}, onEnd: () => {}, onError: resolve,
      })
    })
    assert.ok(await outcome instanceof ClientAbortError)
    assert.equal(p.size, 0)
  })

  it('writes the request head in one piece and refuses header values with line breaks', () => {
    assert.equal(
      requestHead({ method: 'GET', path: '/a?b', headers: ['Host', 'h', 'X-A', '1'], body: null, bodyLength: false }),
      'GET /a?b HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\r\n',
    )
    assert.equal(
      requestHead({ method: 'POST', path: '/', headers: ['Host', 'h'], body: new PassThrough(), bodyLength: false }),
      'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n',
    )
    assert.throws(() => requestHead({ method: 'GET', path: '/', headers: ['X', 'a\r\nInjected: 1'], body: null, bodyLength: false }), BadRequestError)
  })
})
