/**
 * @module dataplane/listener/http
 * HttpListenerServer: one TCP server per port, shared by every load balancer listening on it
 * (DESIGN.md), speaking HTTP/1.1 with clients through listener/h1-connection.ts (a
 * purpose-built server path, issue 5 §2; node:http is not used). Connection-level limits
 * follow the port's first load balancer (spec §7.6):
 *
 * - `idle_timeout.timeout_seconds`: an idle keep-alive connection is closed silently; a
 *   connection that has not sent a complete request head within it gets 408 ("client sent no
 *   data before the idle timeout", spec §7.4). Checked once a second for every connection
 *   (one interval per port instead of a timer per connection, as node:http's
 *   connectionsCheckingInterval did).
 * - `client_keep_alive.seconds`: once a connection is older, its next response carries
 *   `Connection: close` (graceful close; AWS's mechanism is UNVERIFIED).
 * - Malformed requests get the ALB's page (400, 501, 505) and the connection closes; other
 *   connections are not affected.
 */
import { createServer, type Server, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { PortBinding } from '../../config/snapshot.ts'
import { handleRequest, sendAlbError, type ProxyRuntime } from '../proxy/proxy.ts'
import { handleUpgrade, type UpgradeRuntime } from '../proxy/upgrade.ts'
import { errorResponseBytes, InternalError } from '../proxy/errors.ts'
import { Slot, SlotSet } from '../slot-set.ts'
import { adoptWithCallbackReads } from './callback-reads.ts'
import { Http1Connection, type Http1Host, type Http1Request, type Http1Response } from './h1-connection.ts'

/** How often idle and slow connections are looked at. */
const IDLE_CHECK_INTERVAL_MS = 1000

export class HttpListenerServer implements Http1Host {
  readonly port: number
  readonly #server: Server
  readonly #runtime: ProxyRuntime & UpgradeRuntime
  readonly #connections = new SlotSet<Http1Connection>()
  readonly #upgraded = new SlotSet<Slot<Duplex>>()
  #binding: PortBinding
  #closing = false
  #closed: Promise<void> | undefined
  #idleCheck: NodeJS.Timeout | undefined
  #listening = false
  #serverClosed = false
  #onDrained: (() => void) | undefined

  constructor(binding: PortBinding, runtime: ProxyRuntime & UpgradeRuntime) {
    this.port = binding.port
    this.#binding = binding
    this.#runtime = runtime
    // allowHalfOpen: a client that half-closes after its request still gets the answer.
    // pauseOnConnect: no read starts before the connection is re-wrapped to read by callback.
    this.#server = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (socket: Socket) => this.#onConnection(socket))
  }

  get binding(): PortBinding {
    return this.#binding
  }

  get idleTimeoutMs(): number {
    return this.#binding.listeners[0]!.loadBalancer.idleTimeoutMs
  }

  get closing(): boolean {
    return this.#closing
  }

  listen(bind: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err)
      this.#server.once('error', onError)
      this.#server.listen(this.port, bind, () => {
        this.#server.off('error', onError)
        this.#server.on('error', () => {})
        this.#listening = true
        resolve()
      })
    })
  }

  /**
   * accept serves a connection: accepted here, or handed over by the HTTPS listener
   * (listener/https.ts) once TLS negotiated HTTP/1.1 (or no ALPN).
   */
  accept(socket: Duplex): void {
    if (this.#closing) {
      socket.destroy()
      return
    }
    this.#track(new Http1Connection(socket, this, this.#runtime.clock()))
  }

  #track(conn: Http1Connection): void {
    this.#connections.add(conn)
    this.#idleCheck ??= setInterval(() => this.#checkIdle(), IDLE_CHECK_INTERVAL_MS).unref()
  }

  /** A TCP connection to this port: read by callback when it can be (listener/callback-reads.ts). */
  #onConnection(accepted: Socket): void {
    if (this.#closing) {
      accepted.destroy()
      return
    }
    let conn: Http1Connection | undefined
    const socket = adoptWithCallbackReads(accepted, this.#server, true, (chunk) => conn!.read(chunk))
    if (socket === undefined) {
      this.accept(accepted)
      accepted.resume()
      return
    }
    conn = new Http1Connection(socket, this, this.#runtime.clock(), true)
    this.#track(conn)
  }

  /** Swaps in the port's new configuration; connections in flight keep going. */
  update(binding: PortBinding): void {
    this.#binding = binding
  }

  /**
   * Graceful: stop accepting, close idle connections, let requests in flight finish (each
   * answers with `Connection: close`), then resolve. Idempotent.
   */
  close(): Promise<void> {
    this.#closing = true
    this.#closed ??= new Promise<void>((resolve) => {
      const settle = (): void => {
        if (!this.#serverClosed || this.#connections.size > 0) return
        this.#stopIdleCheck()
        resolve()
      }
      this.#onDrained = settle
      if (this.#listening) this.#server.close(() => { this.#serverClosed = true; settle() })
      else this.#serverClosed = true
      for (const conn of this.#connections.values()) conn.closeIfIdle()
      for (const upgraded of this.#upgraded.values()) upgraded.value.destroy()
      settle()
    })
    return this.#closed
  }

  /** Forced: every connection is cut now. Idempotent. */
  destroy(): Promise<void> {
    const closed = this.close()
    for (const conn of this.#connections.values()) conn.destroy()
    for (const upgraded of this.#upgraded.values()) upgraded.value.destroy()
    return closed
  }

  // ---------------------------------------------------------------- Http1Host

  onRequest(req: Http1Request, res: Http1Response, conn: Http1Connection): void {
    try {
      handleRequest(req, res, this.#binding, this.#runtime, { closeAfter: this.#closeAfter(conn) })
    } catch (err) {
      sendAlbError(res, new InternalError(err), undefined, true)
    }
  }

  onUpgrade(req: Http1Request, socket: Duplex, head: Buffer): void {
    const upgraded = new Slot(socket)
    this.#upgraded.add(upgraded)
    socket.once('close', () => this.#upgraded.delete(upgraded))
    try {
      handleUpgrade(req, socket, head, this.#binding, this.#runtime)
    } catch {
      if (socket.writable) socket.end(errorResponseBytes(500))
      else socket.destroy()
    }
  }

  onClose(conn: Http1Connection): void {
    this.#connections.delete(conn)
    if (this.#closing) this.#onDrained?.()
  }

  #closeAfter(conn: Http1Connection): boolean {
    if (this.#closing) return true
    return this.#runtime.clock() - conn.openedAt >= this.#binding.listeners[0]!.loadBalancer.clientKeepAliveMs
  }

  #checkIdle(): void {
    const now = Date.now()
    for (const conn of this.#connections.values()) conn.checkIdle(now)
  }

  #stopIdleCheck(): void {
    if (this.#idleCheck !== undefined) clearInterval(this.#idleCheck)
    this.#idleCheck = undefined
  }
}
