/**
 * @module dataplane/listener/http
 * HttpListenerServer: one node:http server per port, shared by every load balancer listening
 * on it (DESIGN.md). HTTP/1.1 keep-alive with clients; connection-level limits follow the
 * port's first load balancer (spec §7.6):
 *
 * - `idle_timeout.timeout_seconds`: an idle keep-alive connection is closed silently; a
 *   connection that has not sent a complete request head within it gets 408 ("client sent no
 *   data before the idle timeout", spec §7.4).
 * - `client_keep_alive.seconds`: once a connection is older, its next response carries
 *   `Connection: close` (graceful close; AWS's mechanism is UNVERIFIED).
 * - Malformed requests (Node's parser refuses them) get the ALB's 400 page and the connection
 *   closes; other connections are not affected.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { PortBinding } from '../../config/snapshot.ts'
import { handleRequest, sendAlbError, type ProxyRuntime } from '../proxy/proxy.ts'
import { handleUpgrade, type UpgradeRuntime } from '../proxy/upgrade.ts'
import { errorResponseBytes, InternalError } from '../proxy/errors.ts'

/** All request headers together above this → 400 (spec §7.6: 64K). */
export const MAX_REQUEST_HEAD_BYTES = 64 * 1024

/** clientErrorStatus maps Node's parser failures to the ALB's status (spec §7.4). */
export function clientErrorStatus(code: string | undefined): number | undefined {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT': return 408
    // `PRI * HTTP/2.0` on an HTTP/1 listener: an unexpected HTTP version (spec §7.4).
    case 'HPE_PAUSED_H2_UPGRADE': return 505
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ERR_STREAM_DESTROYED':
      return undefined // the client is gone: nobody to answer
    default:
      // HPE_HEADER_OVERFLOW, HPE_INVALID_METHOD/URL/VERSION/CONSTANT, HPE_UNEXPECTED_CONTENT_LENGTH
      // (duplicate Content-Length), HPE_INVALID_TRANSFER_ENCODING (with Content-Length) … → 400.
      return 400
  }
}

export class HttpListenerServer {
  readonly port: number
  readonly #server: Server
  readonly #runtime: ProxyRuntime & UpgradeRuntime
  readonly #openedAt = new WeakMap<Socket, number>()
  readonly #upgraded = new Set<Duplex>()
  #binding: PortBinding
  #closing = false
  #closed: Promise<void> | undefined

  constructor(binding: PortBinding, runtime: ProxyRuntime & UpgradeRuntime) {
    this.port = binding.port
    this.#binding = binding
    this.#runtime = runtime
    const idleMs = binding.listeners[0]!.loadBalancer.idleTimeoutMs
    this.#server = createServer({
      maxHeaderSize: MAX_REQUEST_HEAD_BYTES,
      requestTimeout: 0,
      headersTimeout: idleMs,
      keepAliveTimeout: idleMs,
      connectionsCheckingInterval: 1000,
      // The proxy answers a missing Host itself, with the ALB's page (Node's own 400 has none).
      requireHostHeader: false,
    })
    this.#server.timeout = 0
    this.#server.on('connection', (socket: Socket) => {
      this.#openedAt.set(socket, runtime.clock())
      socket.on('error', () => {}) // errors surface through 'clientError' or the request
    })
    this.#server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#onRequest(req, res))
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head))
    this.#server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.#onClientError(err, socket))
  }

  get binding(): PortBinding {
    return this.#binding
  }

  listen(bind: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err)
      this.#server.once('error', onError)
      this.#server.listen(this.port, bind, () => {
        this.#server.off('error', onError)
        this.#server.on('error', () => {})
        resolve()
      })
    })
  }

  /**
   * accept serves a connection accepted elsewhere: the HTTPS listener (listener/https.ts)
   * hands over TLS sockets that negotiated HTTP/1.1 (or no ALPN).
   */
  accept(socket: Duplex): void {
    this.#server.emit('connection', socket)
  }

  /** Swaps in the port's new configuration; connections in flight keep going. */
  update(binding: PortBinding): void {
    this.#binding = binding
    const idleMs = binding.listeners[0]!.loadBalancer.idleTimeoutMs
    this.#server.keepAliveTimeout = idleMs
    this.#server.headersTimeout = idleMs
  }

  /**
   * Graceful: stop accepting, close idle connections, let requests in flight finish (each
   * answers with `Connection: close`), then resolve. Idempotent.
   */
  close(): Promise<void> {
    this.#closing = true
    this.#closed ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve())
      this.#server.closeIdleConnections()
      for (const socket of this.#upgraded) socket.destroy()
    })
    return this.#closed
  }

  /** Forced: every connection is cut now. Idempotent. */
  destroy(): Promise<void> {
    const closed = this.close()
    this.#server.closeAllConnections()
    for (const socket of this.#upgraded) socket.destroy()
    return closed
  }

  #closeAfter(socket: Socket): boolean {
    if (this.#closing) return true
    const openedAt = this.#openedAt.get(socket)
    const lifetime = this.#binding.listeners[0]!.loadBalancer.clientKeepAliveMs
    return openedAt !== undefined && this.#runtime.clock() - openedAt >= lifetime
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    try {
      handleRequest(req, res, this.#binding, this.#runtime, { closeAfter: this.#closeAfter(req.socket) })
    } catch (err) {
      sendAlbError(res, new InternalError(err), undefined, true)
    }
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#upgraded.add(socket)
    socket.once('close', () => this.#upgraded.delete(socket))
    try {
      handleUpgrade(req, socket, head, this.#binding, this.#runtime)
    } catch {
      if (socket.writable) socket.end(errorResponseBytes(500))
      else socket.destroy()
    }
  }

  #onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    const status = clientErrorStatus(err.code)
    if (status === undefined || !socket.writable) {
      socket.destroy()
      return
    }
    socket.end(errorResponseBytes(status))
  }
}
