/**
 * @module dataplane/upstream/pool
 * The ALB's target-side HTTP/1.1 connections: one TargetPool of keep-alive connections per
 * target; 10 s to connect (a slower connect is a 504, spec §7.4), kept alive between requests,
 * never pipelined ("pipelining accepted on the front end, not used to targets", spec §7.6).
 *
 * Purpose-built (issue 5 §2) instead of undici's Pool: the proxy is the only user, so a
 * request is one head string written with one `write` (one syscall), the response goes
 * through the small strict parser of proxy/h1-response.ts straight into the proxy's handler,
 * and the only per-request timer is the socket's own idle timer (Node's net timers just move
 * a timestamp on activity). Measured with benchmarks/micro/proxy-load.ts: see proxy.ts.
 *
 * Keep-alive reuse follows undici's rules, which the data-plane tests were written against:
 * an idle connection is reused for 4 s, or for the target's `Keep-Alive: timeout` hint minus
 * 1 s, capped at the load balancer's idle timeout; the most recently used connection is
 * taken first (the least likely to have been closed by the target). A connection the target
 * closes while idle leaves the pool as soon as the FIN is read.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import type { Readable } from 'node:stream'
import { type AlbError, BadRequestError, BadResponseError, ClientTimeoutError, ConnectError, TargetClosedError, TargetTimeoutError } from '../proxy/errors.ts'
import { ResponseParser, type ResponseHead, type ResponseSink } from '../proxy/h1-response.ts'
import { breaksLine } from '../proxy/h1-syntax.ts'
import { targetTlsOptions } from './tls-pool.ts'
import { SlotSet, type Slotted } from '../slot-set.ts'
import { SocketWriter } from '../direct-write.ts'
import { readIntoSharedBuffer } from '../shared-read.ts'

/** No connection to the target within this → 504 (spec §7.4). */
export const TARGET_CONNECT_TIMEOUT_MS = 10_000

/** Idle reuse without a Keep-Alive hint (undici's keepAliveTimeout default). */
const DEFAULT_KEEP_ALIVE_MS = 4_000
/** Taken off the target's hint so we let go first (undici's keepAliveTimeoutThreshold is alike). */
const KEEP_ALIVE_MARGIN_MS = 1_000
/** How often idle connections past their keep-alive are closed. */
const SWEEP_INTERVAL_MS = 1_000

/** What the proxy hears about one exchange. Exactly one of onEnd / onError is called, once. */
export interface ExchangeHandler {
  /** The connection is up and the request is being written (a retry may no longer be safe). */
  onConnect(): void
  onHead(head: ResponseHead): void
  /**
   * A body chunk; return false to stop reading from the target until `resume()`. `borrowed`:
   * the chunk is a view into the shared read buffer, valid during this call only — copy what
   * is kept (a plain connection's; TLS connections hand over their own buffers).
   */
  onBody(chunk: Buffer, borrowed: boolean): boolean
  /** Everything read from the target this turn has been handed on (a held response head can go). */
  onReadEnd(): void
  onEnd(): void
  onError(err: AlbError): void
}

export interface OutgoingRequest {
  readonly method: string
  /** Origin-form request target. */
  readonly path: string
  /** Flat [name, value, …]; must not contain CR, LF or NUL (checked). */
  readonly headers: readonly string[]
  /** The client's request body when it has one (streamed with backpressure), else null. */
  readonly body: Readable | null
  /** The body length is known (Content-Length among `headers`); otherwise it is sent chunked. */
  readonly bodyLength: boolean
}

/**
 * requestHead: the request line and header section as one latin1 string (bytes preserved:
 * Node decodes header bytes as latin1). Throws BadRequestError(400) on a value a target could
 * misread as a line break — undici refused those too (UND_ERR_INVALID_ARG).
 */
export function requestHead(req: OutgoingRequest): string {
  let head = `${req.method} ${req.path} HTTP/1.1\r\n`
  const h = req.headers
  for (let i = 0; i + 1 < h.length; i += 2) {
    const value = h[i + 1]!
    if (breaksLine(value) || breaksLine(h[i]!)) throw new BadRequestError(400, 'BadHeader')
    head += `${h[i]}: ${value}\r\n`
  }
  if (req.body !== null && !req.bodyLength) head += 'Transfer-Encoding: chunked\r\n'
  return `${head}\r\n`
}

/** One keep-alive connection to a target; carries one exchange at a time. */
export class TargetConnection implements ResponseSink, Slotted {
  /** Its index in the pool's set of open connections (dataplane/slot-set.ts). */
  slot = -1
  readonly #pool: TargetPool
  readonly #socket: Socket
  /** The request head's write (dataplane/direct-write.ts). */
  readonly #writer: SocketWriter
  readonly #parser = new ResponseParser()
  #connected = false
  #handler: ExchangeHandler | undefined
  #pendingHead: string | undefined
  #body: Readable | null = null
  #chunked = false
  #bodyDone = true
  #detachBody: (() => void) | undefined
  /** The target's `Keep-Alive: timeout` hint of the last response, in ms. */
  #keepAliveMs = DEFAULT_KEEP_ALIVE_MS
  idleSince = 0
  #closed = false

  constructor(pool: TargetPool) {
    this.#pool = pool
    const options = pool.options
    const socket = options.tls
      ? tlsConnect({
        host: options.host, port: options.port, ...targetTlsOptions(), ALPNProtocols: ['http/1.1'],
        // SNI only carries DNS names (RFC 6066 §3); targets are mostly addresses.
        ...(isIP(options.host) === 0 ? { servername: options.host } : {}),
      })
      : netConnect({
        host: options.host, port: options.port, noDelay: true,
        // Plain connections read into the data plane's shared buffer: what outlives a read (a
        // partial head, a body piece handed on) is copied (ResponseParser, the handler's onBody).
        onread: readIntoSharedBuffer((chunk) => this.#onData(chunk)),
      })
    this.#socket = socket
    this.#writer = new SocketWriter(socket)
    socket.setTimeout(TARGET_CONNECT_TIMEOUT_MS)
    socket.once(options.tls ? 'secureConnect' : 'connect', () => this.#onConnected())
    if (options.tls) socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('end', () => this.#onEnd())
    socket.on('timeout', () => this.#onTimeout())
    socket.on('error', (err) => this.#fail(err))
    socket.on('close', () => this.#onClose())
  }

  get busy(): boolean {
    return this.#handler !== undefined
  }

  get closed(): boolean {
    return this.#closed
  }

  /** Whether an idle connection may still be reused at `now` (epoch ms). */
  reusableAt(now: number): boolean {
    return !this.#closed && now - this.idleSince < this.#keepAliveMs
  }

  /** Sends one request; the handler hears about the exchange. */
  send(req: OutgoingRequest, handler: ExchangeHandler): void {
    this.#handler = handler
    this.#parser.start(this, req.method === 'HEAD')
    let head: string
    try {
      head = requestHead(req)
    } catch (err) {
      this.#handler = undefined
      this.#pool.release(this, true)
      handler.onError(err as AlbError)
      return
    }
    this.#body = req.body
    this.#chunked = req.body !== null && !req.bodyLength
    this.#bodyDone = req.body === null
    if (this.#connected) this.#write(head)
    else this.#pendingHead = head
  }

  /** Reads from the target again after onBody returned false. */
  resume(): void {
    if (!this.#closed) this.#socket.resume()
  }

  /** Cuts the exchange (client gone, deregistration delay over): the connection is destroyed. */
  abort(err: AlbError): void {
    const handler = this.#handler
    if (handler === undefined) return
    this.#handler = undefined
    this.destroy()
    handler.onError(err)
  }

  destroy(): void {
    if (this.#closed) return
    this.#closed = true
    this.#stopBody()
    this.#socket.destroy()
    this.#pool.remove(this)
  }

  #onConnected(): void {
    this.#connected = true
    this.#socket.setTimeout(this.#pool.options.idleTimeoutMs)
    const head = this.#pendingHead
    this.#pendingHead = undefined
    if (head !== undefined) this.#write(head)
  }

  #write(head: string): void {
    const handler = this.#handler!
    handler.onConnect()
    if (this.#handler !== handler) return // aborted from onConnect
    const socket = this.#socket
    const body = this.#body
    if (body === null) {
      this.#writer.write(head)
      return
    }
    socket.cork()
    socket.write(head, 'latin1')
    // Request body, client → target, with backpressure both ways (the client's reads pause
    // while the target's socket buffer is full).
    const chunked = this.#chunked
    const onData = (chunk: Buffer): void => {
      if (chunk.length === 0) return
      let ok: boolean
      if (chunked) {
        socket.cork()
        socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1')
        socket.write(chunk)
        ok = socket.write('\r\n', 'latin1')
        socket.uncork()
      } else {
        ok = socket.write(chunk)
      }
      if (!ok) body.pause()
    }
    const onDrain = (): void => { body.resume() }
    const onEnd = (): void => {
      this.#bodyDone = true
      detach()
      if (chunked) socket.write('0\r\n\r\n', 'latin1')
    }
    // The client went away mid-body: the proxy hears it from the response's 'close' and
    // aborts; here the body stream only must not throw an unhandled 'error'.
    const onError = (): void => { detach() }
    const detach = (): void => {
      body.off('data', onData)
      body.off('end', onEnd)
      body.off('error', onError)
      socket.off('drain', onDrain)
      this.#detachBody = undefined
    }
    this.#detachBody = detach
    body.on('data', onData)
    body.on('end', onEnd)
    body.on('error', onError)
    socket.on('drain', onDrain)
    socket.uncork()
    body.resume()
  }

  #stopBody(): void {
    this.#detachBody?.()
  }

  #onData(chunk: Buffer): void {
    if (this.#handler === undefined) {
      // Bytes while idle (never legitimate without a request): the framing is lost.
      this.destroy()
      return
    }
    try {
      this.#parser.execute(chunk)
    } catch (err) {
      this.#fail(err)
      return
    }
    this.#handler?.onReadEnd()
  }

  // ResponseSink: the parser calls these while executing.

  onHead(head: ResponseHead): void {
    if (head.keepAliveHintMs !== undefined) {
      this.#keepAliveMs = head.keepAliveHintMs > KEEP_ALIVE_MARGIN_MS * 2 ? head.keepAliveHintMs - KEEP_ALIVE_MARGIN_MS : head.keepAliveHintMs / 2
    }
    this.#handler?.onHead(head)
  }

  onBody(chunk: Buffer): void {
    const handler = this.#handler
    // Plain connections read into the shared read buffer: the handler copies what it keeps
    // (the client's response usually copies the body behind its head anyway).
    if (handler !== undefined && !handler.onBody(chunk, !this.#pool.options.tls)) this.#socket.pause()
  }

  onEnd(reusable: boolean): void {
    const handler = this.#handler
    if (handler === undefined) return
    this.#handler = undefined
    // Reused only when both directions are complete: a request body still being written (the
    // target answered early) would otherwise run into the next exchange.
    this.#pool.release(this, reusable && this.#bodyDone)
    handler.onEnd()
  }

  #onEnd(): void {
    // The target half-closed: an until-close body ends here; anything else in flight was cut.
    if (this.#handler !== undefined) {
      try {
        this.#parser.finish()
      } catch {
        this.#fail(undefined)
        return
      }
    }
    this.destroy()
  }

  #onTimeout(): void {
    if (this.#handler === undefined) {
      this.destroy() // idle for the whole idle timeout: let it go
      return
    }
    // The request body is not complete and nothing waits to be written to the target: the
    // client stopped sending mid-body, not the target. AWS answers the client's silence with
    // 408 (spec §7.4, "client did not send data before the idle timeout"), not 504.
    if (this.#connected && !this.#bodyDone && this.#socket.writableLength === 0 && !this.#parser.headReceived) {
      this.#failWith(new ClientTimeoutError())
      return
    }
    this.#failWith(new TargetTimeoutError(this.#connected ? 'response' : 'connect'))
  }

  #onClose(): void {
    if (this.#handler !== undefined) this.#fail(undefined)
    else this.destroy()
  }

  /** Classifies a socket failure for the exchange in flight (errors.ts, spec §7.4). */
  #fail(err: unknown): void {
    if (this.#handler === undefined) {
      this.destroy()
      return
    }
    if (err instanceof BadResponseError) return this.#failWith(err)
    if (!this.#connected) return this.#failWith(new ConnectError(err))
    this.#failWith(new TargetClosedError(!this.#parser.headReceived, err))
  }

  #failWith(err: AlbError): void {
    const handler = this.#handler
    this.#handler = undefined
    this.destroy()
    if (handler !== undefined) handler.onError(err)
  }
}

export interface TargetPoolOptions {
  readonly host: string
  readonly port: number
  /** HTTPS target group: TLS to the target, certificate not validated (upstream/tls-pool.ts). */
  readonly tls: boolean
  /** The load balancer's idle timeout: no target activity for this long during an exchange → 504. */
  readonly idleTimeoutMs: number
}

/** Keep-alive connections to one target. Unbounded, like undici's Pool the proxy used before. */
export class TargetPool {
  readonly options: TargetPoolOptions
  readonly #clock: () => number
  /** Idle connections, most recently used last. */
  readonly #idle: TargetConnection[] = []
  readonly #all = new SlotSet<TargetConnection>()
  #sweep: NodeJS.Timeout | undefined
  #closed = false
  #destroyed = false

  constructor(options: TargetPoolOptions, clock: () => number = Date.now) {
    this.options = options
    this.#clock = clock
  }

  get closed(): boolean {
    return this.#closed
  }

  get destroyed(): boolean {
    return this.#destroyed
  }

  /** Connections open (idle and busy); for tests and metrics. */
  get size(): number {
    return this.#all.size
  }

  /** An idle kept-alive connection still within its keep-alive, else a new one. */
  acquire(): TargetConnection {
    const now = this.#clock()
    while (this.#idle.length > 0) {
      const conn = this.#idle.pop()!
      if (conn.reusableAt(now)) return conn
      conn.destroy()
    }
    return this.fresh()
  }

  /** A new connection (a retry must not reuse a pooled one: it may be just as stale). */
  fresh(): TargetConnection {
    const conn = new TargetConnection(this)
    this.#all.add(conn)
    return conn
  }

  /** Called by a connection when its exchange ended; `reusable`: it may carry another. */
  release(conn: TargetConnection, reusable: boolean): void {
    if (!reusable || this.#closed || conn.closed) {
      conn.destroy()
      return
    }
    conn.idleSince = this.#clock()
    this.#idle.push(conn)
    this.#sweep ??= setInterval(() => this.#sweepIdle(), SWEEP_INTERVAL_MS).unref()
  }

  /** Called by a connection when it closed. */
  remove(conn: TargetConnection): void {
    this.#all.delete(conn)
    const i = this.#idle.lastIndexOf(conn)
    if (i !== -1) this.#idle.splice(i, 1)
  }

  /** Graceful: idle connections close now, busy ones when their exchange ends. */
  close(): void {
    this.#closed = true
    for (const conn of [...this.#idle]) conn.destroy()
    this.#stopSweep()
  }

  /** Forced: every connection is cut now (exchanges in flight fail as target-closed). */
  destroy(): void {
    this.#closed = true
    this.#destroyed = true
    for (const conn of this.#all.values()) conn.destroy()
    this.#stopSweep()
  }

  #sweepIdle(): void {
    const now = this.#clock()
    for (const conn of [...this.#idle]) if (!conn.reusableAt(now)) conn.destroy()
    if (this.#idle.length === 0) this.#stopSweep()
  }

  #stopSweep(): void {
    if (this.#sweep !== undefined) clearInterval(this.#sweep)
    this.#sweep = undefined
  }
}
