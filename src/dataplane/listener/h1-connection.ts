/**
 * @module dataplane/listener/h1-connection
 * One client connection of an HTTP/1.1 listener, served without node:http (issue 5 §2).
 *
 * Why: after the target side went purpose-built (upstream/pool.ts), the profile of the plain
 * benchmark put most of the remaining user time in node:http's server side — IncomingMessage
 * and ServerResponse set-up, header validation and the `headers` object, the generic
 * OutgoingMessage write path, per-request timers and the connections list — and ~8.9 KB per
 * idle keep-alive connection (its parser and server bookkeeping). Here a connection is a
 * small state machine over the socket: the head is found with one `indexOf` and parsed by
 * listener/h1-request.ts, the response head is one string, and a response with its body
 * leaves in one `writev` (the socket is corked from the head to `end()`).
 *
 * The objects handed to the proxy, Http1Request and Http1Response, offer the part of
 * node:http's IncomingMessage / ServerResponse the proxy uses (proxy.ts `ClientRequest` /
 * `ClientResponse`), so proxy.ts serves HTTP/1.1 and HTTP/2 (node:http2's compatibility
 * objects) with one request loop.
 *
 * Behaviour kept from node:http, which the data-plane tests pin down: keep-alive per RFC 9112
 * §9.3 (HTTP/1.0 only with `Connection: keep-alive`); pipelined requests answered in order
 * (spec §7.6: accepted on the front end), the next one parsed only when the previous response
 * ended; `100 Continue` sent when the client asks for it; a request body streamed with
 * backpressure (the socket stops being read while the target cannot take more); a body the
 * answer did not need read and dropped so the connection stays usable; `Date` added when the
 * response has none; chunked responses to HTTP/1.1 clients when the length is unknown, a
 * close-delimited body for HTTP/1.0; half-closed clients still get their answers (pipelined ones too).
 */
import { EventEmitter } from 'node:events'
import type { IncomingHttpHeaders } from 'node:http'
import { STATUS_CODES } from 'node:http'
import { Readable, type Duplex } from 'node:stream'
import type { Socket } from 'node:net'
import { asciiEqualsLower } from '../router/request.ts'
import { BadRequestError, errorResponseBytes } from '../proxy/errors.ts'
import { ChunkedDecoder } from '../proxy/h1-chunked.ts'
import { listsToken } from '../proxy/h1-syntax.ts'
import { parseRequestHead, type FramingProblem, type RequestHead } from './h1-request.ts'
import type { ClientWatcher } from '../proxy/proxy.ts'
import { UpgradedStream } from './callback-reads.ts'
import { SocketWriter } from '../direct-write.ts'

/** All request headers together above this → 400 (spec §7.6: 64K). */
export const MAX_REQUEST_HEAD_BYTES = 64 * 1024
/** Pipelined bytes buffered while a response is pending before the socket stops being read. */
const MAX_PIPELINED_BYTES = MAX_REQUEST_HEAD_BYTES

const CRLF_CRLF = Buffer.from('\r\n\r\n', 'latin1')
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n'

/** What a connection needs from its listener. */
export interface Http1Host {
  /** The port's current idle timeout (it may change while the connection lives). */
  readonly idleTimeoutMs: number
  /** The listener is closing: finish the request in flight, then close. */
  readonly closing: boolean
  onRequest(req: Http1Request, res: Http1Response, conn: Http1Connection): void
  /** The request asks to leave HTTP (WebSocket, CONNECT): the socket is the host's from now on. */
  onUpgrade(req: Http1Request, socket: Duplex, head: Buffer): void
  onClose(conn: Http1Connection): void
}

// ---------------------------------------------------------------- Date

let dateSecond = -1
let dateText = ''

/** The `Date` header value, formatted once per second (as node:http does). */
function httpDate(): string {
  const now = Date.now()
  const second = Math.floor(now / 1000)
  if (second !== dateSecond) {
    dateSecond = second
    dateText = new Date(now).toUTCString()
  }
  return dateText
}

// ---------------------------------------------------------------- request

/** A request head and, when it has one, its body as a stream (IncomingMessage's shape). */
export class Http1Request extends Readable {
  readonly method: string
  readonly url: string
  readonly rawHeaders: string[]
  readonly httpVersionMajor: number
  readonly httpVersionMinor: number
  readonly socket: Socket
  /** The client lets the connection carry another request after this one. */
  readonly keepAlive: boolean
  /** How the body is framed, as parsed (the proxy forwards it the same way). */
  readonly bodyFraming: 'none' | 'length' | 'chunked'
  /** An Ambiguous framing for the desync mitigation mode (listener/h1-request.ts). */
  readonly framingProblem: FramingProblem | undefined
  /** The client's address and port, read once per connection (net reads them from the kernel on every access). */
  readonly remoteAddress: string | undefined
  readonly remotePort: number | undefined
  readonly #conn: Http1Connection
  #headers: IncomingHttpHeaders | undefined

  constructor(head: RequestHead, conn: Http1Connection) {
    super()
    this.method = head.method
    this.url = head.url
    this.rawHeaders = head.rawHeaders
    this.httpVersionMajor = head.versionMajor
    this.httpVersionMinor = head.versionMinor
    this.keepAlive = head.keepAlive
    this.bodyFraming = head.chunked ? 'chunked' : head.contentLength > 0 ? 'length' : 'none'
    this.framingProblem = head.framingProblem
    this.socket = conn.socket as Socket
    this.remoteAddress = conn.remoteAddress
    this.remotePort = conn.remotePort
    this.#conn = conn
  }

  get httpVersion(): string {
    return `${this.httpVersionMajor}.${this.httpVersionMinor}`
  }

  /**
   * Lower-cased names; repeated headers joined with ", " (Set-Cookie kept as a list, the first
   * wins for the fields node:http keeps single). Built on first use: the hot path reads
   * `rawHeaders` only.
   */
  get headers(): IncomingHttpHeaders {
    if (this.#headers !== undefined) return this.#headers
    const out: Record<string, string | string[]> = {}
    const raw = this.rawHeaders
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase()
      const value = raw[i + 1]!
      const seen = out[name]
      if (name === 'set-cookie') (out[name] = Array.isArray(seen) ? seen : []).push(value)
      else if (seen === undefined) out[name] = value
      else if (!SINGLE_HEADERS.has(name)) out[name] = `${seen as string}, ${value}`
    }
    this.#headers = out
    return out
  }

  /**
   * A request without a body ends when first read, not when dispatched: ending it at once
   * costs a nextTick per request (Readable's emitReadable), and most are never read.
   */
  override _read(): void {
    if (this.bodyFraming === 'none') this.push(null)
    else this.#conn.bodyWanted()
  }
}

/** Headers node:http keeps the first of (its `matchKnownFields` drop list). */
const SINGLE_HEADERS = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after',
  'server', 'user-agent',
])

// ---------------------------------------------------------------- response

/**
 * The response to one request (ServerResponse's shape, the part the proxy uses). Emits
 * 'drain' when the socket drains and 'close' when the connection closed before the response
 * was complete (a finished response emits nothing: nobody listens then).
 */
export class Http1Response extends EventEmitter {
  statusCode = 200
  statusMessage = ''
  headersSent = false
  writableFinished = false
  readonly #conn: Http1Connection
  readonly #req: Http1Request
  /** Headers set with setHeader before the head is written (ALB pages, fixed responses, redirects), flat. */
  #headers: string[] | undefined
  #bodyAllowed = true
  #chunked = false
  #close = false
  #corked = false
  #destroyed = false
  /** The head, written but not sent yet: it leaves with the first body bytes, at `end()`, or at the end of the tick. */
  #head: string | undefined
  #watcher: ClientWatcher | undefined

  constructor(conn: Http1Connection, req: Http1Request) {
    super()
    this.#conn = conn
    this.#req = req
  }

  get destroyed(): boolean {
    return this.#destroyed || this.#conn.socket.destroyed
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    if (this.headersSent) throw new Error('headers already sent')
    const headers = (this.#headers ??= [])
    const lower = name.toLowerCase()
    for (let i = headers.length - 2; i >= 0; i -= 2) if (headers[i]!.toLowerCase() === lower) headers.splice(i, 2)
    for (const v of Array.isArray(value) ? value : [String(value)]) {
      // Values the ALB composes can carry client bytes (a redirect's Location): never a line break.
      if (/[\r\n\0]/.test(v) || /[\r\n\0:]/.test(name)) throw new BadRequestError(400, 'BadHeader')
      headers.push(name, v)
    }
    return this
  }

  /**
   * Writes the head (held back until the first body bytes or `end()`, so they leave
   * together). `headers`: flat [name, value, …]; the proxy passes the target's, which
   * proxy/h1-response.ts has already refused when they held control characters.
   * `callerFlushes`: the caller calls flushHead() when nothing more comes this turn (the
   * proxy does at the end of each read from the target); otherwise the head leaves at the end
   * of the tick at the latest — a nextTick per response, which the proxy's path avoids.
   */
  writeHead(status: number, reason?: string, headers?: readonly string[], callerFlushes = false): this {
    if (this.headersSent) throw new Error('headers already sent')
    this.statusCode = status
    if (this.#destroyed) {
      this.headersSent = true
      return this
    }
    if (reason !== undefined && reason !== '') this.statusMessage = reason
    const req = this.#req
    let head = `HTTP/1.1 ${status} ${this.statusMessage !== '' ? this.statusMessage : (STATUS_CODES[status] ?? 'Unknown')}\r\n`
    let date = false
    let length = false
    let connection = false
    const own = this.#headers
    const all = own === undefined ? headers : headers === undefined ? own : [...own, ...headers]
    if (all !== undefined) {
      for (let i = 0; i + 1 < all.length; i += 2) {
        const name = all[i]!
        const value = all[i + 1]!
        switch (name.length) {
          case 4: if (asciiEqualsLower(name, 'date')) date = true; break
          case 10:
            if (asciiEqualsLower(name, 'connection')) {
              connection = true
              if (listsToken(value, 'close')) this.#close = true
            }
            break
          case 14: if (asciiEqualsLower(name, 'content-length')) length = true; break
        }
        head += `${name}: ${value}\r\n`
      }
    }
    if (!date) head += `Date: ${httpDate()}\r\n`
    // No body for HEAD, 1xx, 204 and 304 (RFC 9110 §6.4.1); their framing headers are kept as sent.
    this.#bodyAllowed = req.method !== 'HEAD' && status >= 200 && status !== 204 && status !== 304
    // Framing for a body of unknown length; not for HEAD, whose body is never sent (as node:http).
    if (!length && this.#bodyAllowed) {
      if (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) {
        head += 'Transfer-Encoding: chunked\r\n'
        this.#chunked = true
      } else {
        this.#close = true // HTTP/1.0: the body ends with the connection
      }
    }
    if (!req.keepAlive || this.#conn.host.closing || this.#conn.lastAnswer) this.#close = true
    if (!connection) head += this.#close ? 'Connection: close\r\n' : 'Connection: keep-alive\r\n'
    this.headersSent = true
    this.#head = `${head}\r\n`
    // A body that comes later (a streamed response) must not hold the head back.
    if (!callerFlushes) process.nextTick(flushLater, this)
    return this
  }

  write(chunk: Buffer | string): boolean {
    return this.#write(chunk, false)
  }

  /** write() of a chunk valid during this call only (a view into a shared read buffer): copied unless it is copied behind the head anyway. */
  writeView(chunk: Buffer): boolean {
    return this.#write(chunk, true)
  }

  #write(data: Buffer | string, view: boolean): boolean {
    if (!this.headersSent) this.writeHead(this.statusCode)
    const socket = this.#conn.socket
    if (!this.#bodyAllowed || data.length === 0 || this.destroyed) return true
    const head = this.#head
    if (head !== undefined && !this.#chunked && typeof data !== 'string' && data.length <= MAX_BODY_WITH_HEAD) {
      // The usual proxied response: head and body in one buffer, one write — cheaper than a
      // corked writev of a string and a buffer (benchmarks/micro/proxy-load.ts).
      this.#head = undefined
      return this.#conn.writer.write(withHead(head, data))
    }
    const chunk = view && typeof data !== 'string' ? Buffer.from(data) : data
    this.#cork()
    this.#flushHead()
    if (!this.#chunked) return socket.write(chunk)
    socket.write(`${Buffer.byteLength(chunk).toString(16)}\r\n`, 'latin1')
    socket.write(chunk)
    return socket.write('\r\n', 'latin1')
  }

  end(body?: Buffer | string): this {
    if (this.writableFinished) return this
    if (this.#destroyed) {
      this.writableFinished = true
      return this
    }
    if (!this.headersSent) {
      if (body !== undefined && !this.#hasHeader('content-length')) this.setHeader('Content-Length', Buffer.byteLength(body))
      this.writeHead(this.statusCode)
    }
    if (body !== undefined) this.write(body)
    if (this.#chunked && !this.#conn.socket.destroyed) {
      if (this.#head !== undefined) this.#head += '0\r\n\r\n'
      else this.#conn.socket.write('0\r\n\r\n', 'latin1')
    }
    this.#flushHead()
    this.#uncork()
    this.writableFinished = true
    this.#conn.responseDone(this.#close)
    return this
  }

  /** The connection answered for itself (listener/h1-connection.ts): the client is gone for this response. */
  abandon(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    const watcher = this.#watcher
    this.#watcher = undefined
    watcher?.clientGone()
    this.emit('close')
  }

  /** `watcher.clientGone()` when the client goes away before this response is complete (once). */
  watch(watcher: ClientWatcher): void {
    this.#watcher = watcher
  }

  /** Cuts the connection (a response that cannot be completed must not look complete). */
  destroy(): this {
    this.#destroyed = true
    this.#conn.socket.destroy()
    return this
  }

  #hasHeader(lower: string): boolean {
    const headers = this.#headers
    if (headers !== undefined) for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === lower) return true
    return false
  }

  /** Sends a head written with `callerFlushes` and still held (no body came with it). */
  flushHead(): void {
    this.#flushHead()
  }

  #flushHead(): void {
    const head = this.#head
    if (head === undefined) return
    this.#head = undefined
    if (!this.#destroyed) this.#conn.writer.write(head)
  }

  /** Held until `end()` or the end of this tick: the head and a streamed body leave in one writev. */
  #cork(): void {
    if (this.#corked) return
    this.#corked = true
    this.#conn.socket.cork()
    process.nextTick(flushLater, this)
  }

  #uncork(): void {
    if (!this.#corked) return
    this.#corked = false
    this.#conn.socket.uncork()
  }

  /** @internal the tick ended with the response still streaming */
  flushCorked(): void {
    this.#flushHead()
    this.#uncork()
  }
}

function flushLater(res: Http1Response): void {
  res.flushCorked()
}

/** A body up to this size is copied behind the head into one buffer; a larger one is written on its own. */
const MAX_BODY_WITH_HEAD = 16 * 1024

/** `head` (latin1) and `body` in one buffer, from Buffer's shared pool when small. */
function withHead(head: string, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(head.length + body.length)
  out.write(head, 0, 'latin1')
  body.copy(out, head.length)
  return out
}

// ---------------------------------------------------------------- connection

const Body = { none: 0, length: 1, chunked: 2 } as const
type BodyFraming = (typeof Body)[keyof typeof Body]

/** One client connection: reads requests, hands them to the host, keeps the order of answers. */
export class Http1Connection {
  readonly socket: Duplex
  /** The response's writes (dataplane/direct-write.ts). */
  readonly writer: SocketWriter
  readonly host: Http1Host
  /** When the connection was accepted, on the data plane's clock (client_keep_alive.seconds counts from it). */
  readonly openedAt: number
  /** Its index in the listener's connection set (dataplane/slot-set.ts). */
  slot = -1
  readonly remoteAddress: string | undefined
  readonly remotePort: number | undefined
  /** Bytes read but not parsed yet: a partial head, a partial chunk line, or pipelined requests. */
  #pending: Buffer | undefined
  #consuming = false
  #closed = false
  /** Requests answered (an idle timeout after one is a quiet close, before one a 408). */
  #served = 0
  /** Since when the connection waits for a request head (epoch ms); -1 while a request is in flight. */
  #waitingSince: number
  // The request in flight.
  #req: Http1Request | undefined
  #res: Http1Response | undefined
  #responding = false
  #framing: BodyFraming = Body.none
  #bodyRemaining = 0
  /** Where body bytes go: the request stream, or nowhere once the response no longer needs them. */
  #bodySink: Http1Request | undefined
  readonly #chunked: ChunkedDecoder
  #lastData: number
  #pausedForBody = false
  #pausedForPipeline = false
  #peerEnded = false
  /**
   * The bytes being consumed are a view into the listener's shared read buffer
   * (listener/callback-reads.ts): what outlives the read is copied.
   */
  #borrowed = false
  /** The connection was upgraded while its socket reads by callback: reads go on here. */
  #upgraded: UpgradedStream | undefined
  readonly #readsByCallback: boolean

  /**
   * `readsByCallback`: the socket delivers its reads through `read()` (a view into a shared
   * buffer, listener/callback-reads.ts) instead of 'data' events.
   */
  constructor(socket: Duplex, host: Http1Host, now: number, readsByCallback = false) {
    this.socket = socket
    this.writer = new SocketWriter(socket as Socket)
    this.host = host
    this.openedAt = now
    this.#readsByCallback = readsByCallback
    const peer = socket as Partial<Socket>
    this.remoteAddress = peer.remoteAddress
    this.remotePort = peer.remotePort
    this.#waitingSince = Date.now()
    this.#lastData = this.#waitingSince
    this.#chunked = new ChunkedDecoder((piece) => this.#deliver(piece), (reason) => new BadRequestError(400, reason))
    if (!readsByCallback) socket.on('data', (chunk: Buffer) => this.#onData(chunk, false))
    socket.on('end', () => this.#onPeerEnd())
    socket.on('drain', () => this.#res?.emit('drain'))
    socket.on('error', () => {}) // a reset client: 'close' follows
    socket.on('close', () => this.#onClose())
  }

  /**
   * The client half-closed and sent nothing after the request being answered: this answer is
   * the last. Not claimed for an answer given while a read is still being parsed (a fixed
   * response in a pipelined batch): what follows it is not in #pending yet.
   */
  get lastAnswer(): boolean {
    return this.#peerEnded && this.#pending === undefined && !this.#consuming
  }

  /** No request in flight and nothing of the next one received. */
  get idle(): boolean {
    return !this.#responding && this.#framing === Body.none && this.#pending === undefined && !this.#closed
  }

  /** Closes the connection now when it is idle (graceful listener close). */
  closeIfIdle(): void {
    if (this.idle) this.socket.destroy()
  }

  destroy(): void {
    this.socket.destroy()
  }

  /**
   * The idle timeout (spec §7.6): a connection that has not sent a complete request head
   * within it gets 408 ("the client did not send data before the idle timeout", spec §7.4),
   * an idle keep-alive connection is closed quietly, and one whose answer was sent while its
   * request body never finished is cut. The time counts from when the connection started
   * waiting, not from the last byte, so a head trickled byte by byte (slowloris) still ends.
   */
  checkIdle(now: number): void {
    if (this.#closed) return
    const idleMs = this.host.idleTimeoutMs
    if (this.#responding) return // the target side times the exchange (upstream/pool.ts)
    if (this.#framing !== Body.none) {
      if (now - this.#lastData >= idleMs) this.socket.destroy()
      return
    }
    if (now - this.#waitingSince < idleMs) return
    if (this.#pending === undefined && this.#served > 0) this.socket.destroy()
    else this.#refuse(408)
  }

  // ------------------------------------------------------------ reading

  /** What the socket read, as a view into the shared read buffer: valid during this call only. */
  read(chunk: Buffer): void {
    if (this.#upgraded !== undefined) this.#upgraded.feed(Buffer.from(chunk))
    else this.#onData(chunk, true)
  }

  #onData(chunk: Buffer, borrowed: boolean): void {
    if (this.#closed) return
    if (this.#framing !== Body.none) this.#lastData = Date.now()
    const pending = this.#pending
    this.#pending = undefined
    if (pending === undefined) this.#consume(chunk, borrowed)
    else this.#consume(Buffer.concat([pending, chunk]), false)
  }

  /** Keeps bytes beyond this read: a copy when they are a view into the shared read buffer. */
  #keep(bytes: Buffer): Buffer {
    return this.#borrowed ? Buffer.from(bytes) : bytes
  }

  /** Parses and dispatches what `buf` holds; keeps what cannot be used yet in #pending. */
  #consume(buf: Buffer, borrowed: boolean): void {
    this.#consuming = true
    this.#borrowed = borrowed
    try {
      let offset = 0
      while (offset < buf.length && !this.#closed) {
        if (this.#readingBody()) {
          offset = this.#readBody(buf, offset)
          if (this.#readingBody()) break // more body to come (a partial chunk line stays pending)
          continue
        }
        if (this.#responding) {
          // Pipelined: parsed once the response in flight has ended.
          if (buf.length - offset > MAX_PIPELINED_BYTES) this.#pause('pipeline')
          break
        }
        offset = this.#readHead(buf, offset)
        if (offset === -1) return
      }
      if (offset < buf.length && !this.#closed) this.#pending = this.#keep(offset === 0 ? buf : buf.subarray(offset))
    } finally {
      this.#consuming = false
      this.#borrowed = false
      this.#closeIfPeerDone()
    }
  }

  /** Reads a request head at `offset`; returns where the body starts, or -1 when consumed otherwise. */
  #readHead(buf: Buffer, offset: number): number {
    // Empty lines before a request (a body's stray CRLF, RFC 9112 §2.2) are skipped.
    while (offset + 1 < buf.length && buf[offset] === 13 && buf[offset + 1] === 10) offset += 2
    if (offset >= buf.length) return offset
    const end = buf.indexOf(CRLF_CRLF, offset)
    if (end === -1) {
      if (buf.length - offset > MAX_REQUEST_HEAD_BYTES) this.#refuse(400)
      else this.#pending = this.#keep(offset === 0 ? buf : buf.subarray(offset))
      return -1
    }
    if (end - offset > MAX_REQUEST_HEAD_BYTES) {
      this.#refuse(400)
      return -1
    }
    let head: RequestHead
    try {
      head = parseRequestHead(buf.toString('latin1', offset, end))
    } catch (err) {
      this.#refuse(err instanceof BadRequestError ? err.status : 400)
      return -1
    }
    offset = end + 4
    const req = new Http1Request(head, this)
    if (head.upgrade) {
      // The socket leaves HTTP: the host owns it (and what followed the head) from here. It
      // stays paused until the host pipes it (upgrade.ts does once the target is connected).
      // Closed for this connection: the idle check must not answer 408 into the upgraded
      // stream (upgrade.ts times the pinned pair by its own inactivity).
      this.#closed = true
      this.#detach()
      this.socket.pause()
      const rest = this.#keep(buf.subarray(offset))
      // A socket that reads by callback goes on as a stream fed by read().
      this.host.onUpgrade(req, this.#readsByCallback ? (this.#upgraded = new UpgradedStream(this.socket as Socket)) : this.socket, rest)
      return -1
    }
    this.#dispatch(req, head)
    return offset
  }

  #dispatch(req: Http1Request, head: RequestHead): void {
    const res = new Http1Response(this, req)
    this.#req = req
    this.#res = res
    this.#responding = true
    this.#waitingSince = -1
    switch (req.bodyFraming) {
      case 'chunked':
        this.#framing = Body.chunked
        this.#chunked.reset()
        break
      case 'length':
        this.#framing = Body.length
        this.#bodyRemaining = head.contentLength
        break
      case 'none':
        this.#framing = Body.none
    }
    if (this.#framing !== Body.none) {
      this.#bodySink = req
      this.#lastData = Date.now()
      // The client waits for this before sending the body (RFC 9110 §10.1.1).
      if (head.expectContinue) this.socket.write(CONTINUE, 'latin1')
    }
    this.host.onRequest(req, res, this)
  }

  #readingBody(): boolean {
    return this.#framing !== Body.none
  }

  /** Consumes body bytes at `offset` (into the request stream or dropped); returns the new offset. */
  #readBody(buf: Buffer, offset: number): number {
    if (this.#framing === Body.length) {
      const n = Math.min(this.#bodyRemaining, buf.length - offset)
      this.#bodyRemaining -= n
      const piece = offset === 0 && n === buf.length ? buf : buf.subarray(offset, offset + n)
      offset += n
      if (this.#bodyRemaining === 0) this.#framing = Body.none
      this.#deliver(piece)
    } else {
      try {
        offset = this.#chunked.decode(buf, offset)
      } catch {
        // A malformed body: the exchange cannot go on (the target has part of it already).
        this.#bodyFailed()
        return buf.length
      }
      if (this.#chunked.done) this.#framing = Body.none
    }
    if (this.#framing === Body.none) this.#bodyComplete()
    return offset
  }

  #deliver(piece: Buffer): void {
    const sink = this.#bodySink
    if (sink === undefined || piece.length === 0) return
    if (!sink.push(this.#keep(piece))) this.#pause('body')
  }

  #bodyComplete(): void {
    const sink = this.#bodySink
    this.#bodySink = undefined
    if (sink !== undefined) sink.push(null)
    if (this.#pausedForBody) this.#resume('body')
    if (!this.#responding) this.#next()
  }

  /** The request stream wants more (Readable._read). */
  bodyWanted(): void {
    if (this.#pausedForBody) this.#resume('body')
  }

  #pause(reason: 'body' | 'pipeline'): void {
    if (reason === 'body') this.#pausedForBody = true
    else this.#pausedForPipeline = true
    this.socket.pause()
  }

  #resume(reason: 'body' | 'pipeline'): void {
    if (reason === 'body') this.#pausedForBody = false
    else this.#pausedForPipeline = false
    if (!this.#pausedForBody && !this.#pausedForPipeline && !this.#closed) this.socket.resume()
  }

  // ------------------------------------------------------------ answering

  /** The response ended (`close`: it said `Connection: close`). */
  responseDone(close: boolean): void {
    this.#responding = false
    this.#served++
    this.#res = undefined
    this.#req = undefined
    if (close || this.host.closing) {
      this.#closeAfterWrites()
      return
    }
    if (this.#framing !== Body.none) {
      // Answered before the body was read (a fixed response, an early error): drop the rest
      // of it so the connection can carry the next request, as node:http did.
      const sink = this.#bodySink
      this.#bodySink = undefined
      if (sink !== undefined) sink.push(null)
      if (this.#pausedForBody) this.#resume('body')
      return
    }
    this.#next()
  }

  /** Ready for the next request: parse what is already buffered (pipelining). */
  #next(): void {
    this.#waitingSince = Date.now()
    if (this.#pausedForPipeline) this.#resume('pipeline')
    if (this.#consuming) return // the read loop in progress goes on with the buffered bytes
    const pending = this.#pending
    if (pending === undefined) {
      this.#closeIfPeerDone()
      return
    }
    this.#pending = undefined
    this.#consume(pending, false)
  }

  /**
   * A half-closed client has been answered every request it sent: close our side too. Its
   * pipelined requests are all answered first (it may well write them and end at once, as
   * `printf … | nc` does); a partial head left behind can never complete.
   */
  #closeIfPeerDone(): void {
    if (!this.#peerEnded || this.#closed || this.#responding || this.#framing !== Body.none) return
    this.#closeAfterWrites()
  }

  /** Ends our side once what was written has been sent; nothing more is read. */
  #closeAfterWrites(): void {
    this.#closed = true
    this.#pending = undefined
    this.#detach()
    this.socket.end()
  }

  /** Answers with the ALB's page for `status` and closes (a request that cannot be served). */
  #refuse(status: number): void {
    if (this.#closed) return
    this.#closed = true
    this.#pending = undefined
    this.#detach()
    if (this.socket.writable) this.socket.end(errorResponseBytes(status))
    else this.socket.destroy()
  }

  #onPeerEnd(): void {
    this.#peerEnded = true
    if (this.#closed) return
    // The client stopped mid-body: the request can never be complete.
    if (this.#readingBody()) {
      this.#bodyFailed()
      return
    }
    // A half-closed client still gets the answers to the requests it sent.
    this.#closeIfPeerDone()
  }

  /**
   * The request body cannot be completed (malformed chunked framing, or the client ended
   * mid-body). Before any answer it is a malformed request: 400, as node:http's parser judged
   * it, and the exchange with the target is abandoned. Once the answer has started it is cut
   * (it must not look complete); once it was sent (the body was being dropped) the connection
   * just ends, without cutting what is still on its way.
   */
  #bodyFailed(): void {
    const res = this.#res
    if (res === undefined) {
      this.#closeAfterWrites()
    } else if (!res.headersSent) {
      res.abandon()
      this.#refuse(400)
    } else {
      this.socket.destroy()
    }
  }

  #onClose(): void {
    this.#closed = true
    const res = this.#res
    const req = this.#req
    this.#res = undefined
    this.#req = undefined
    if (res !== undefined && !res.writableFinished) res.abandon()
    if (req !== undefined && !req.readableEnded) req.destroy()
    this.host.onClose(this)
  }

  /** Stops reading requests: the socket's 'data' belongs to nobody (upgrade) or is ignored (closing). */
  #detach(): void {
    this.socket.removeAllListeners('data')
    this.socket.removeAllListeners('end')
    this.socket.removeAllListeners('drain')
  }
}
