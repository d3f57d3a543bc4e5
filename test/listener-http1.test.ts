/**
 * The HTTP/1.1 listener (listener/h1-connection.ts, listener/http.ts) over real sockets: raw
 * `net` clients against a live listener forwarding to a real target. What node:http did and
 * the listener now does itself (its module comment): pipelining in order, a body the answer
 * did not need dropped, 100 Continue, chunked and large bodies streamed both ways, keep-alive
 * per RFC 9112 §9.3, response framing for 1.1 and 1.0 clients, HEAD, Date, half-closed
 * clients, the idle timeout (408 / quiet close, spec §7.4, §7.6), a client that stops mid-body,
 * and the graceful close of a deleted listener.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { EventEmitter, once } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import { DeleteListenerCommand, ModifyLoadBalancerAttributesCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { startTestOpenAlb, type TestOpenAlb } from './support/openalb.ts'
import { createRule, createSite, httpRequest, startTarget, waitFor, type Site, type TestTarget } from './support/dataplane.ts'

const HOST = 'listener.example.com'
const BIG = 5 * 1024 * 1024
const TEST_TIMEOUT_MS = 30_000

// ------------------------------------------------------------------ raw client

interface RawResponse {
  readonly status: number
  readonly reason: string
  /** [name, value] in order, names as sent. */
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly body: Buffer
  /** The head as received, without its empty line. */
  readonly head: string
  header(name: string): string | undefined
  count(name: string): number
}

/** Bytes of a chunked body from `start`: the body and where it ends, or undefined when incomplete. */
function takeChunked(buf: Buffer, start: number): { body: Buffer; end: number } | undefined {
  const parts: Buffer[] = []
  let pos = start
  for (;;) {
    const eol = buf.indexOf('\r\n', pos)
    if (eol === -1) return undefined
    const size = parseInt(buf.toString('latin1', pos, eol).split(';')[0]!, 16)
    if (!Number.isInteger(size)) throw new Error(`bad chunk size line ${JSON.stringify(buf.toString('latin1', pos, eol))}`)
    pos = eol + 2
    if (size === 0) {
      for (;;) {
        const end = buf.indexOf('\r\n', pos)
        if (end === -1) return undefined
        const empty = end === pos
        pos = end + 2
        if (empty) return { body: Buffer.concat(parts), end: pos }
      }
    }
    if (buf.length < pos + size + 2) return undefined
    if (buf.toString('latin1', pos + size, pos + size + 2) !== '\r\n') throw new Error('chunk data without CRLF')
    parts.push(buf.subarray(pos, pos + size))
    pos += size + 2
  }
}

/**
 * One client connection: writes raw bytes, reads responses one at a time (framed by
 * Content-Length, chunked, or the close), and tells when the server closed.
 */
class RawClient {
  readonly socket: Socket
  readonly ended: Promise<void>
  #chunks: Buffer[] = []
  #closed = false
  #wake: (() => void) | undefined
  /** Reads slower than the server writes: pause after every read, resume on the next turn. */
  slow = false

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk)
      this.#notify()
      if (this.slow) {
        socket.pause()
        setImmediate(() => socket.resume())
      }
    })
    socket.on('error', () => {})
    this.ended = new Promise<void>((resolve) => socket.once('close', () => {
      this.#closed = true
      this.#notify()
      resolve()
    }))
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.off('error', reject)
        resolve(new RawClient(socket))
      })
      socket.once('error', reject)
    })
  }

  write(bytes: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())))
  }

  /** Writes `body` in 64 KiB pieces, waiting for 'drain' whenever the socket asks to. */
  async writeAll(body: Buffer, frame: (piece: Buffer) => Buffer[] = (piece) => [piece]): Promise<void> {
    for (let at = 0; at < body.length; at += 64 * 1024) {
      for (const part of frame(body.subarray(at, at + 64 * 1024))) {
        if (!this.socket.write(part)) await once(this.socket, 'drain')
      }
    }
  }

  /** Waits until the bytes received and not taken yet hold `text`. */
  async receivedText(text: string): Promise<void> {
    await this.#until((buf) => (buf.includes(text, 0, 'latin1') ? true : undefined))
  }

  /** Everything received and not taken yet. */
  get pending(): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks)]
    return this.#chunks[0] ?? Buffer.alloc(0)
  }

  #notify(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  #consume(n: number): void {
    const rest = this.pending.subarray(n)
    this.#chunks = rest.length > 0 ? [rest] : []
  }

  /** Waits until `take` finds what it needs in the bytes received (it gets `closed` to judge a close-delimited body). */
  async #until<T>(take: (buf: Buffer, closed: boolean) => T | undefined): Promise<T> {
    for (;;) {
      const closed = this.#closed
      const value = take(this.pending, closed)
      if (value !== undefined) return value
      if (closed) throw new Error(`connection closed; received ${JSON.stringify(this.pending.toString('latin1').slice(0, 300))}`)
      await new Promise<void>((resolve) => { this.#wake = resolve })
    }
  }

  /** The next response; `head`: it answers a HEAD request (no body whatever its headers say). */
  async response(options: { head?: boolean } = {}): Promise<RawResponse> {
    const response = await this.#until((buf, closed) => {
      const end = buf.indexOf('\r\n\r\n')
      if (end === -1) return undefined
      const head = buf.toString('latin1', 0, end)
      const [statusLine, ...lines] = head.split('\r\n')
      const match = /^HTTP\/1\.1 (\d{3}) (.*)$/.exec(statusLine!)
      if (match === null) throw new Error(`bad status line ${JSON.stringify(statusLine)}`)
      const status = Number(match[1])
      const headers = lines.map((line): [string, string] => {
        const colon = line.indexOf(':')
        return [line.slice(0, colon), line.slice(colon + 1).trim()]
      })
      const all = (name: string): string[] => headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v)
      const make = (body: Buffer, consumed: number): { response: RawResponse; consumed: number } => ({
        consumed,
        response: {
          status, reason: match[2]!, headers, body, head,
          header: (name) => all(name.toLowerCase())[0],
          count: (name) => all(name.toLowerCase()).length,
        },
      })
      const start = end + 4
      if (options.head === true || status < 200 || status === 204 || status === 304) return make(Buffer.alloc(0), start)
      if (all('transfer-encoding').some((v) => /chunked/i.test(v))) {
        const chunked = takeChunked(buf, start)
        return chunked === undefined ? undefined : make(chunked.body, chunked.end)
      }
      const length = all('content-length')[0]
      if (length !== undefined) return buf.length - start >= Number(length) ? make(buf.subarray(start, start + Number(length)), start + Number(length)) : undefined
      // No framing: the body ends with the connection.
      return closed ? make(buf.subarray(start), buf.length) : undefined
    })
    this.#consume(response.consumed)
    return response.response
  }

  /** Waits for the server to close; returns the bytes it sent that no response took. */
  async closed(): Promise<string> {
    await this.ended
    return this.pending.toString('latin1')
  }

  close(): void {
    this.socket.destroy()
  }
}

function request(method: string, path: string, headers: readonly string[] = [], version = '1.1'): string {
  return `${method} ${path} HTTP/${version}\r\nHost: ${HOST}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`
}

function json(response: RawResponse): Record<string, unknown> {
  return JSON.parse(response.body.toString('utf8')) as Record<string, unknown>
}

const sha256 = (body: Buffer): string => createHash('sha256').update(body).digest('hex')

/** A body that is not all one byte, so that a lost or repeated piece changes its hash. */
function pattern(size: number): Buffer {
  const body = Buffer.alloc(size)
  for (let i = 0; i < size; i += 4) body.writeUInt32LE(i, i)
  return body
}

const IMF_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/

// ------------------------------------------------------------------ target

/**
 * The target's behaviour by path: `/echo` reads the whole body, then answers what it got;
 * `/hold` answers when the test releases it; `/big?bytes=N[&cl=1]` sends N bytes of
 * pattern(); `/stream` answers in three writes without Content-Length; `/length` sends 5
 * bytes with Content-Length.
 */
class Behaviour extends EventEmitter {
  readonly held: ServerResponse[] = []

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://target')
    switch (url.pathname) {
      case '/echo': {
        const pieces: Buffer[] = []
        let received = 0
        req.on('data', (piece: Buffer) => {
          pieces.push(piece)
          received += piece.length
          this.emit('progress', url.search, received)
        })
        req.on('end', () => {
          const body = Buffer.concat(pieces)
          res.setHeader('Content-Type', 'application/json')
          res.end(JSON.stringify({
            method: req.method, url: req.url, length: body.length, sha256: sha256(body),
            body: body.length <= 1024 ? body.toString('latin1') : undefined, rawHeaders: req.rawHeaders,
          }))
        })
        return
      }
      case '/head-first':
        res.setHeader('Content-Length', 4)
        res.flushHeaders()
        this.held.push(res)
        this.emit('held', res)
        return
      case '/hold':
        this.held.push(res)
        req.resume()
        this.emit('held', res)
        return
      case '/big': {
        const size = Number(url.searchParams.get('bytes'))
        const body = pattern(size)
        if (url.searchParams.get('cl') === '1') res.setHeader('Content-Length', size)
        let at = 0
        const pump = (): void => {
          while (at < size) {
            const piece = body.subarray(at, at + 64 * 1024)
            at += piece.length
            if (!res.write(piece)) {
              res.once('drain', pump)
              return
            }
          }
          res.end()
        }
        pump()
        return
      }
      case '/stream':
        res.write('part-1;')
        res.write('part-2;')
        res.end('part-3')
        return
      case '/length':
        res.setHeader('Content-Length', 5)
        res.end(req.method === 'HEAD' ? undefined : 'hello')
        return
      default:
        res.end('ok')
    }
  }

  /** Resolves when the target has received at least `bytes` of the body of the `/echo?<tag>` request. */
  received(tag: string, bytes: number): Promise<void> {
    return new Promise((resolve) => {
      const check = (search: string, received: number): void => {
        if (search !== `?${tag}` || received < bytes) return
        this.off('progress', check)
        resolve()
      }
      this.on('progress', check)
    })
  }
}

// ------------------------------------------------------------------ tests

describe('HTTP/1.1 listener over raw sockets', { timeout: 120_000 }, () => {
  let alb: TestOpenAlb
  let target: TestTarget
  let behaviour: Behaviour
  let site: Site

  before(async () => {
    alb = await startTestOpenAlb()
    behaviour = new Behaviour()
    target = await startTarget('h1', behaviour.handle)
    site = await createSite(alb, { targets: [target] })
    await createRule(alb, site.listenerArn, 1, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/fixed*'] } }],
      [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'fixed body' } }])
    await waitFor(async () => (await httpRequest(site.port, '/fixed')).body === 'fixed body' || undefined, 10_000, 'listener and rule')
  })
  after(async () => {
    await alb.close()
    await target.close()
  })

  it('answers pipelined requests written at once, in order', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = await RawClient.open(site.port)
    await client.write(
      request('GET', '/echo?1')
      + `${request('POST', '/echo?2', ['Content-Length: 4']).trimEnd()}\r\n\r\nbody`
      + request('GET', '/fixed')
      + `${request('POST', '/echo?4', ['Transfer-Encoding: chunked']).trimEnd()}\r\n\r\n3\r\nabc\r\n0\r\n\r\n`
      + request('GET', '/echo?5', ['Connection: close']),
    )
    const first = await client.response()
    assert.equal(json(first).url, '/echo?1')
    assert.equal(first.header('connection'), 'keep-alive')
    const second = json(await client.response())
    assert.deepEqual([second.url, second.method, second.body], ['/echo?2', 'POST', 'body'])
    assert.equal((await client.response()).body.toString(), 'fixed body')
    const fourth = json(await client.response())
    assert.deepEqual([fourth.url, fourth.body], ['/echo?4', 'abc'])
    const last = await client.response()
    assert.equal(json(last).url, '/echo?5')
    assert.equal(last.header('connection'), 'close')
    assert.equal(await client.closed(), '')
  })

  it('answers a pipelined batch larger than the read-ahead limit, in order', { timeout: TEST_TIMEOUT_MS }, async () => {
    // 1,000 requests of ~200 bytes: the listener stops reading past 64 KiB of pipelined bytes
    // while a response is pending, and resumes when it ends.
    const count = 1000
    const client = await RawClient.open(site.port)
    const batch = Array.from({ length: count }, (_, i) => request('GET', `/echo?batch-${i}`, [`X-Pad: ${'p'.repeat(120)}`]))
    await client.write(batch.join(''))
    for (let i = 0; i < count; i++) assert.equal(json(await client.response()).url, `/echo?batch-${i}`)
    client.close()
  })

  it('drops a body the fixed response did not read and serves the next request on the connection', { timeout: TEST_TIMEOUT_MS }, async () => {
    const seenBefore = target.seen.length
    const client = await RawClient.open(site.port)
    // Half of the body: the fixed response answers before the rest is sent.
    // The body is a request of its own (26 bytes): it must never be read as one.
    await client.write(`${request('POST', '/fixed', ['Content-Length: 26']).trimEnd()}\r\n\r\nGET /smuggled HTTP/1.`)
    const fixed = await client.response()
    assert.equal(fixed.status, 200)
    assert.equal(fixed.body.toString(), 'fixed body')
    assert.equal(fixed.header('connection'), 'keep-alive')
    // The rest of it, then a stray CRLF before the next request (ignored, RFC 9112 §2.2).
    await client.write('1\r\n\r\n' + '\r\n' + request('GET', '/echo?after-fixed'))
    assert.equal(json(await client.response()).url, '/echo?after-fixed')

    // A chunked body, and a large one (the socket is paused and resumed while it is dropped).
    await client.write(`${request('PUT', '/fixed', ['Transfer-Encoding: chunked']).trimEnd()}\r\n\r\n5\r\nab`)
    assert.equal((await client.response()).body.toString(), 'fixed body')
    await client.write('cde\r\n0\r\n\r\n' + request('GET', '/echo?after-chunked'))
    assert.equal(json(await client.response()).url, '/echo?after-chunked')
    await client.write(request('POST', '/fixed', [`Content-Length: ${BIG}`]))
    assert.equal((await client.response()).body.toString(), 'fixed body')
    await client.writeAll(pattern(BIG))
    await client.write(request('GET', '/echo?after-big', ['Connection: close']))
    assert.equal(json(await client.response()).url, '/echo?after-big')
    assert.equal(await client.closed(), '')
    const urls = target.seen.slice(seenBefore).map((r) => r.url).filter((url) => url !== '/')
    assert.deepEqual(urls, ['/echo?after-fixed', '/echo?after-chunked', '/echo?after-big'], 'no body bytes were read as a request')
  })

  it('sends 100 Continue before the body when asked, then the proxied answer', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = await RawClient.open(site.port)
    await client.write(request('POST', '/echo?expect', ['Expect: 100-continue', 'Content-Length: 11']))
    const interim = await client.response()
    assert.equal(interim.status, 100)
    assert.equal(interim.head, 'HTTP/1.1 100 Continue')
    await client.write('hello world')
    const final = await client.response()
    assert.equal(final.status, 200)
    const echoed = json(final)
    assert.equal(echoed.body, 'hello world')
    // The ALB answers the expectation itself and does not forward it (spec §7.1).
    assert.ok(!(echoed.rawHeaders as string[]).some((h) => h.toLowerCase() === 'expect'))
    // An expectation other than 100-continue is ignored: no interim response.
    await client.write(`${request('POST', '/echo?other-expect', ['Expect: something-else', 'Content-Length: 2']).trimEnd()}\r\n\r\nok`)
    const plain = await client.response()
    assert.equal(plain.status, 200)
    assert.equal(json(plain).body, 'ok')
    // HTTP/1.0 clients never get 100 Continue (RFC 9110 §10.1.1).
    await client.write(`${request('POST', '/echo?expect-1.0', ['Expect: 100-continue', 'Content-Length: 2'], '1.0').trimEnd()}\r\n\r\nok`)
    const old = await client.response()
    assert.equal(old.status, 200)
    assert.equal(json(old).body, 'ok')
    assert.equal(await client.closed(), '')
  })

  it('streams a chunked request body written in pieces to the target intact', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = await RawClient.open(site.port)
    // Each piece reaches the target before the next is written: the body is streamed, not buffered.
    const firstPiece = behaviour.received('chunked', 3)
    await client.write(`${request('POST', '/echo?chunked', ['Transfer-Encoding: chunked']).trimEnd()}\r\n\r\n5;ext=1\r\nhel`)
    await firstPiece
    const secondPiece = behaviour.received('chunked', 9)
    await client.write('lo\r\n6\r\n wor')
    await secondPiece
    await client.write('ld\r\n')
    await client.write('1')
    await client.write('0\r\n')
    await client.write(`${'x'.repeat(16)}\r\n0\r\nX-Trailer: t\r\n\r\n`)
    const echoed = json(await client.response())
    assert.equal(echoed.body, `hello world${'x'.repeat(16)}`)
    const names = (echoed.rawHeaders as string[]).filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase())
    assert.ok(names.includes('transfer-encoding') && !names.includes('content-length'), 'forwarded chunked')
    client.close()
  })

  it('uploads a 5 MB body intact, with Content-Length and chunked', { timeout: TEST_TIMEOUT_MS }, async () => {
    const body = pattern(BIG)
    const client = await RawClient.open(site.port)
    await client.write(request('PUT', '/echo?upload-length', [`Content-Length: ${BIG}`]))
    await client.writeAll(body)
    const byLength = json(await client.response())
    assert.deepEqual([byLength.length, byLength.sha256], [BIG, sha256(body)])
    await client.write(request('PUT', '/echo?upload-chunked', ['Transfer-Encoding: chunked']))
    await client.writeAll(body, (piece) => [Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
    await client.write('0\r\n\r\n')
    const chunked = json(await client.response())
    assert.deepEqual([chunked.length, chunked.sha256], [BIG, sha256(body)])
    client.close()
  })

  it('keeps every connection\'s bytes apart when reads of many clients interleave', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Client reads land in one shared buffer (listener/callback-reads.ts): a partial head,
    // pipelined bytes and body pieces outlive their read only as copies. If one were not
    // copied, the next client's read would overwrite it.
    const partial = await RawClient.open(site.port)
    const other = await RawClient.open(site.port)
    await partial.write(`GET /echo?partial HTTP/1.1\r\nHost: ${HOST}\r\nX-Part: fir`)
    await other.write(`${request('GET', '/echo?other', ['X-Part: overwrite-attempt-overwrite-attempt'])}GET /echo?other-pipelined HTTP/1.1\r\nHost: ${HOST}\r\n`)
    assert.equal(json(await other.response()).url, '/echo?other')
    await partial.write('st\r\n\r\n')
    const echoed = json(await partial.response())
    assert.equal(echoed.url, '/echo?partial')
    assert.ok((echoed.rawHeaders as string[]).includes('first'), 'the partial head was kept intact')
    await other.write('\r\n')
    assert.equal(json(await other.response()).url, '/echo?other-pipelined')
    partial.close()
    other.close()

    // Four uploads at once, each a different pattern, written in pieces that interleave; half
    // with Content-Length, half chunked.
    const size = 1024 * 1024
    const clients = await Promise.all([0, 1, 2, 3].map(() => RawClient.open(site.port)))
    const bodies = clients.map((_, i) => {
      const body = pattern(size)
      for (let at = 0; at < size; at += 997) body[at] = i
      return body
    })
    const results = await Promise.all(clients.map(async (client, i) => {
      const body = bodies[i]!
      if (i % 2 === 0) {
        await client.write(request('PUT', `/echo?interleaved-${i}`, [`Content-Length: ${size}`]))
        await client.writeAll(body)
      } else {
        await client.write(request('PUT', `/echo?interleaved-${i}`, ['Transfer-Encoding: chunked']))
        await client.writeAll(body, (piece) => [Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
        await client.write('0\r\n\r\n')
      }
      return json(await client.response())
    }))
    results.forEach((result, i) => assert.deepEqual([result.length, result.sha256], [size, sha256(bodies[i]!)], `upload ${i}`))
    for (const client of clients) client.close()
  })

  it('downloads a 5 MB body intact to a slow reader, with Content-Length and chunked', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = await RawClient.open(site.port)
    client.slow = true
    await client.write(request('GET', `/big?bytes=${BIG}&cl=1`))
    const byLength = await client.response()
    assert.equal(byLength.header('content-length'), String(BIG))
    assert.equal(byLength.body.length, BIG)
    assert.equal(sha256(byLength.body), sha256(pattern(BIG)))
    await client.write(request('GET', `/big?bytes=${BIG}`))
    const chunked = await client.response()
    assert.equal(chunked.header('transfer-encoding'), 'chunked')
    assert.equal(chunked.body.length, BIG)
    assert.equal(sha256(chunked.body), sha256(pattern(BIG)))
    client.close()
  })

  it('sends a head the target sent before its body at once, without waiting for the body', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = await RawClient.open(site.port)
    const held = once(behaviour, 'held') as Promise<[ServerResponse]>
    await client.write(request('GET', '/head-first'))
    const [res] = await held
    await client.receivedText('\r\n\r\n')
    assert.match(client.pending.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n[^]*Content-Length: 4\r\n/)
    res.end('body')
    assert.equal((await client.response()).body.toString(), 'body')
    client.close()
  })

  it('closes after answering HTTP/1.0 without keep-alive', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = await RawClient.open(site.port)
    await client.write(request('GET', '/echo?1.0', [], '1.0') + request('GET', '/echo?never', [], '1.0'))
    const response = await client.response()
    assert.equal(json(response).url, '/echo?1.0')
    assert.equal(response.header('connection'), 'close')
    assert.equal(await client.closed(), '', 'the second request is not answered')
  })

  it('keeps an HTTP/1.0 connection alive with Connection: keep-alive', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = await RawClient.open(site.port)
    await client.write(request('GET', '/echo?ka-1', ['Connection: keep-alive'], '1.0'))
    const first = await client.response()
    assert.equal(json(first).url, '/echo?ka-1')
    assert.equal(first.header('connection'), 'keep-alive')
    await client.write(request('GET', '/fixed', ['Connection: Keep-Alive'], '1.0'))
    const second = await client.response()
    assert.equal(second.body.toString(), 'fixed body')
    assert.equal(second.header('connection'), 'keep-alive')
    await client.write(request('GET', '/echo?ka-3', [], '1.0'))
    const third = await client.response()
    assert.equal(third.header('connection'), 'close')
    assert.equal(await client.closed(), '')
  })

  it('honours Connection: close from the client', { timeout: TEST_TIMEOUT_MS }, async () => {
    for (const path of ['/echo?close', '/fixed']) {
      const client = await RawClient.open(site.port)
      await client.write(request('GET', path, ['Connection: close']) + request('GET', '/echo?never'))
      const response = await client.response()
      assert.equal(response.status, 200)
      assert.equal(response.header('connection'), 'close')
      assert.equal(await client.closed(), '', `${path}: nothing after the response`)
    }
  })

  it('frames a response without Content-Length: chunked for HTTP/1.1, close-delimited for HTTP/1.0', { timeout: TEST_TIMEOUT_MS }, async () => {
    const modern = await RawClient.open(site.port)
    await modern.write(request('GET', '/stream'))
    const chunked = await modern.response()
    assert.equal(chunked.header('transfer-encoding'), 'chunked')
    assert.equal(chunked.count('content-length'), 0)
    assert.equal(chunked.body.toString(), 'part-1;part-2;part-3')
    assert.equal(chunked.header('connection'), 'keep-alive')
    modern.close()

    for (const headers of [[], ['Connection: keep-alive']]) {
      const old = await RawClient.open(site.port)
      await old.write(request('GET', '/stream', headers, '1.0'))
      const response = await old.response()
      assert.equal(response.count('transfer-encoding'), 0)
      assert.equal(response.count('content-length'), 0)
      assert.equal(response.header('connection'), 'close', 'the body ends with the connection')
      assert.equal(response.body.toString(), 'part-1;part-2;part-3')
    }
  })

  it('sends no body in answer to HEAD', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = await RawClient.open(site.port)
    // Proxied with a Content-Length, proxied without one, and a fixed response; the GET after
    // each is read right after its head, which fails if any body bytes were sent.
    await client.write(request('HEAD', '/length') + request('HEAD', '/echo?head') + request('HEAD', '/fixed') + request('GET', '/length'))
    const withLength = await client.response({ head: true })
    assert.equal(withLength.status, 200)
    assert.equal(withLength.header('content-length'), '5')
    const withoutLength = await client.response({ head: true })
    assert.equal(withoutLength.status, 200)
    assert.equal(withoutLength.count('transfer-encoding'), 0, 'no framing invented for a body that is never sent')
    const fixed = await client.response({ head: true })
    assert.equal(fixed.header('content-length'), '10')
    const get = await client.response()
    assert.equal(get.body.toString(), 'hello')
    assert.equal(client.pending.length, 0)
    client.close()

    // HTTP/1.0 with keep-alive: a HEAD answer without a length does not need the close.
    const old = await RawClient.open(site.port)
    await old.write(request('HEAD', '/echo?head-1.0', ['Connection: keep-alive'], '1.0'))
    const head = await old.response({ head: true })
    assert.equal(head.header('connection'), 'keep-alive')
    await old.write(request('GET', '/length', [], '1.0'))
    assert.equal((await old.response()).body.toString(), 'hello')
    assert.equal(await old.closed(), '')
  })

  it('adds one Date and Connection: keep-alive to kept responses', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = await RawClient.open(site.port)
    await client.write(request('GET', '/echo?date') + request('GET', '/fixed') + request('TRACE', '/'))
    for (const expected of [200, 200, 405]) {
      const response = await client.response()
      assert.equal(response.status, expected)
      assert.equal(response.count('date'), 1, `${expected}: one Date`)
      assert.match(response.header('date')!, IMF_DATE)
      if (expected !== 405) assert.equal(response.header('connection'), 'keep-alive')
    }
    client.close()
  })

  it('answers a client that half-closed after its request', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = await RawClient.open(site.port)
    await client.write(request('GET', '/echo?half'))
    client.socket.end()
    const response = await client.response()
    assert.equal(json(response).url, '/echo?half')
    // Its end arrived while the target answered: the answer says the connection closes.
    assert.equal(response.header('connection'), 'close')
    assert.equal(await client.closed(), '')
  })

  it('answers every pipelined request of a client that half-closed after writing them', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = await RawClient.open(site.port)
    client.socket.end(request('GET', '/echo?p1') + request('GET', '/fixed') + `${request('POST', '/echo?p3', ['Content-Length: 2']).trimEnd()}\r\n\r\nok`)
    const first = await client.response()
    assert.equal(json(first).url, '/echo?p1')
    assert.equal(first.header('connection'), 'keep-alive', 'more requests follow it')
    assert.equal((await client.response()).body.toString(), 'fixed body')
    const third = await client.response()
    assert.equal(json(third).body, 'ok')
    assert.equal(third.header('connection'), 'close', 'the last answer')
    assert.equal(await client.closed(), '')
  })

  it('answers 400 to a malformed chunked body before any answer', { timeout: TEST_TIMEOUT_MS }, async () => {
    for (const bad of ['5\r\nhello\r\nzz\r\n', '5\r\nhelloXX', '5\nhello']) {
      const client = await RawClient.open(site.port)
      await client.write(`${request('POST', '/echo?bad-chunk', ['Transfer-Encoding: chunked']).trimEnd()}\r\n\r\n${bad}`)
      const response = await client.response()
      assert.equal(response.status, 400, JSON.stringify(bad))
      assert.equal(response.header('server'), 'awselb/2.0')
      assert.equal(await client.closed(), '')
    }
  })

  it('answers 400 to a client that ends its side in the middle of a body', { timeout: TEST_TIMEOUT_MS }, async () => {
    for (const [headers, partial] of [[['Content-Length: 100'], 'only ten b'], [['Transfer-Encoding: chunked'], '64\r\nonly ten b']] as const) {
      const client = await RawClient.open(site.port)
      // /echo answers only once the whole body is in: the FIN comes first.
      client.socket.end(`${request('POST', '/echo?cut', [...headers]).trimEnd()}\r\n\r\n${partial}`)
      const response = await client.response()
      assert.equal(response.status, 400)
      assert.equal(response.header('server'), 'awselb/2.0')
      assert.match(response.body.toString(), /<title>400 Bad Request<\/title>/)
      assert.equal(await client.closed(), '')
    }
  })
})

describe('HTTP/1.1 listener: idle timeout and graceful close', { timeout: 120_000 }, () => {
  let alb: TestOpenAlb
  let target: TestTarget
  let behaviour: Behaviour

  before(async () => {
    alb = await startTestOpenAlb()
    behaviour = new Behaviour()
    target = await startTarget('h1-idle', behaviour.handle)
  })
  after(async () => {
    for (const res of behaviour.held) res.destroy()
    await alb.close()
    await target.close()
  })

  async function siteWithIdleTimeout(seconds: number): Promise<Site> {
    const site = await createSite(alb, { targets: [target] })
    await alb.elbv2.send(new ModifyLoadBalancerAttributesCommand({
      LoadBalancerArn: site.loadBalancerArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: String(seconds) }],
    }))
    // Applied when this resolves (the listener binds with the latest snapshot if it still was binding).
    await alb.syncDataPlane()
    await waitFor(async () => (await httpRequest(site.port, '/echo')).status === 200 || undefined, 10_000, 'listener')
    return site
  }

  it('answers 408 to a connection that sends no complete request within the idle timeout', { timeout: TEST_TIMEOUT_MS }, async () => {
    const site = await siteWithIdleTimeout(1)
    const silent = await RawClient.open(site.port)
    const partial = await RawClient.open(site.port)
    await partial.write('GET /echo HTTP/1.1\r\nHost: a\r\n')
    for (const client of [silent, partial]) {
      const response = await client.response()
      assert.equal(response.status, 408)
      assert.equal(response.header('connection'), 'close')
      assert.match(response.body.toString(), /<title>408 Request Time-out<\/title>/)
      assert.equal(await client.closed(), '')
    }
  })

  it('closes a keep-alive connection idle past the timeout without a byte', { timeout: TEST_TIMEOUT_MS }, async () => {
    const site = await siteWithIdleTimeout(1)
    const client = await RawClient.open(site.port)
    await client.write(request('GET', '/echo?before-idle'))
    const response = await client.response()
    assert.equal(response.header('connection'), 'keep-alive')
    assert.equal(await client.closed(), '', 'closed quietly')
  })

  it('keeps an active WebSocket past the idle timeout of HTTP connections', { timeout: TEST_TIMEOUT_MS }, async () => {
    const site = await siteWithIdleTimeout(1)
    target.server.on('upgrade', (_req, socket: Socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n')
      socket.on('data', (chunk) => socket.write(chunk))
      socket.on('end', () => socket.end())
      socket.on('error', () => {})
    })
    const client = await RawClient.open(site.port)
    await client.write(request('GET', '/chat', ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13']))
    assert.equal((await client.response({ head: true })).status, 101)
    // Traffic more often than the 1 s idle timeout, for three of them: the pinned connection
    // is timed by its own inactivity (upgrade.ts), never by the HTTP connection's wait for a head.
    const until = Date.now() + 3000
    let sent = ''
    for (let i = 0; Date.now() < until; i++) {
      const message = `message ${i};`
      sent += message
      await client.write(message)
      await waitFor(() => (client.pending.toString('latin1') === sent ? true : undefined), 2000, `echo ${i}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    assert.equal(client.pending.toString('latin1'), sent, 'only the echoes, no 408 page')
    client.close()
  })

  it('finishes the request in flight with Connection: close when its listener is deleted', { timeout: TEST_TIMEOUT_MS }, async () => {
    const site = await createSite(alb, { targets: [target] })
    await waitFor(async () => (await httpRequest(site.port, '/echo')).status === 200 || undefined, 10_000, 'listener')
    const idle = await RawClient.open(site.port)
    await idle.write(request('GET', '/echo?idle'))
    await idle.response()
    const busy = await RawClient.open(site.port)
    const held = once(behaviour, 'held') as Promise<[ServerResponse]>
    await busy.write(request('GET', '/hold'))
    const [res] = await held
    await alb.elbv2.send(new DeleteListenerCommand({ ListenerArn: site.listenerArn }))
    // The idle connection is closed at once, without a byte; new connections are refused.
    assert.equal(await idle.closed(), '')
    await waitFor(() => RawClient.open(site.port).then((c) => { c.close(); return undefined }, (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' ? true : undefined)), 10_000, 'listener closed')
    res.setHeader('Content-Type', 'text/plain')
    res.end('finished')
    const response = await busy.response()
    assert.equal(response.status, 200)
    assert.equal(response.body.toString(), 'finished')
    assert.equal(response.header('connection'), 'close')
    assert.equal(await busy.closed(), '')
  })
})
