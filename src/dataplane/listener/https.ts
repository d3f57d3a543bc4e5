/**
 * @module dataplane/listener/https
 * HttpsListenerServer: one TLS socket per HTTPS port (spec §5.1, §7.6). It terminates TLS and
 * hands each connection to the protocol ALPN chose:
 *
 * ```
 *  TCP ─► tls.Server ─ SNICallback: certificate from the current binding (spec §5.1)
 *                    ─ ALPNCallback: h2 when every load balancer on the port has
 *                      routing.http2.enabled, else http/1.1
 *         'secureConnection' ─┬─ h2 ─────────► http2.Server (no socket of its own) ─► handleRequest
 *                             └─ http/1.1 ──► HttpListenerServer.accept (same code as HTTP:
 *                                             408/400 handling, keep-alive limits, WebSocket)
 * ```
 *
 * Certificates and policy come from the snapshot on every handshake, so AddListenerCertificates,
 * RemoveListenerCertificates, ModifyListener and a re-import (a new certificate version) apply
 * to the next handshake; established connections keep their session (no restart, nothing cut).
 *
 * The SSL policy is the port's (its first opener's): OpenSSL negotiates the protocol version
 * and the cipher with the context the connection started with, before the SNI callback can
 * switch certificates, so the policy lives in the server's own context (setSecureContext),
 * which also serves clients that send no SNI (the default certificate).
 */
import { createServer as createTlsServer, type SecureContextOptions, type Server as TlsServer, type TLSSocket } from 'node:tls'
import { createServer as createH2Server, type Http2Server, type ServerHttp2Session } from 'node:http2'
import type { Socket } from 'node:net'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { PortBinding } from '../../config/snapshot.ts'
import { certificateFor } from '../../tls/listener-tls.ts'
import { SecureContextCache, type TlsCertificate } from '../../tls/sni.ts'
import { DEFAULT_SSL_POLICY, tlsOptionsFor } from '../../model/ssl-policies.ts'
import { handleRequest, sendAlbError, type ProxyRuntime } from '../proxy/proxy.ts'
import type { UpgradeRuntime } from '../proxy/upgrade.ts'
import { InternalError } from '../proxy/errors.ts'
import { AlbHttp2Request, AlbHttp2Response } from '../proxy/h2.ts'
import { isGrpcRequest } from '../proxy/grpc.ts'
import { HttpListenerServer } from './http.ts'
import { Slot, SlotSet } from '../slot-set.ts'
import { untangleStreamTables } from '../h2-stream-tables.ts'

/** Concurrent streams per HTTP/2 connection (spec §7.6). */
export const MAX_CONCURRENT_STREAMS = 128
/** Requests on one HTTP/2 connection before GOAWAY (spec §7.4, "000"). */
export const MAX_REQUESTS_PER_CONNECTION = 10_000
/** A TLS handshake must complete within this. UNVERIFIED for AWS (it logs handshake latency only). */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000

/** The port's SSL policy: its first opener's listener's (see module comment). */
function portPolicy(binding: PortBinding): string {
  return binding.listeners[0]?.tls?.sslPolicy ?? DEFAULT_SSL_POLICY
}

/** h2 is offered only when every load balancer on the port allows it (routing.http2.enabled). */
function offersHttp2(binding: PortBinding): boolean {
  return binding.listeners.every((l) => l.loadBalancer.http2)
}

function contextOptions(certificate: TlsCertificate | undefined, policy: string): SecureContextOptions {
  const options = tlsOptionsFor(policy) ?? tlsOptionsFor(DEFAULT_SSL_POLICY)!
  return {
    ...(certificate !== undefined ? {
      key: certificate.privateKeyPem,
      cert: certificate.chainPem !== undefined ? `${certificate.certificatePem.trim()}\n${certificate.chainPem.trim()}\n` : certificate.certificatePem,
    } : {}),
    minVersion: options.minVersion,
    maxVersion: options.maxVersion,
    ciphers: options.ciphers,
    honorCipherOrder: options.honorCipherOrder,
  }
}

export class HttpsListenerServer {
  readonly port: number
  readonly #runtime: ProxyRuntime & UpgradeRuntime
  readonly #tls: TlsServer
  readonly #http1: HttpListenerServer
  readonly #h2: Http2Server<typeof IncomingMessage, typeof ServerResponse, typeof AlbHttp2Request, typeof AlbHttp2Response>
  readonly #contexts = new SecureContextCache()
  /** Raw TCP sockets, handshaking or handed over: destroy() cuts them all. */
  readonly #sockets = new SlotSet<Slot<Socket>>()
  readonly #sessions = new SlotSet<Slot<ServerHttp2Session>>()
  #binding: PortBinding
  /** `arn|version|policy` of the server's own context, to replace it only when it changes. */
  #defaultContextKey: string
  #closed: Promise<void> | undefined

  constructor(binding: PortBinding, runtime: ProxyRuntime & UpgradeRuntime) {
    this.port = binding.port
    this.#binding = binding
    this.#runtime = runtime
    this.#http1 = new HttpListenerServer(binding, runtime)
    const { options, key } = this.#defaultContext(binding)
    this.#defaultContextKey = key
    this.#tls = createTlsServer({
      ...options,
      handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
      SNICallback: (servername, cb) => {
        const choice = certificateFor(this.#binding.listeners, servername)
        if (choice === undefined) {
          cb(new Error(`no certificate for ${servername}`), undefined)
          return
        }
        cb(null, this.#contexts.get(choice.certificate, portPolicy(this.#binding)))
      },
      ALPNCallback: ({ protocols }) => {
        if (offersHttp2(this.#binding) && protocols.includes('h2')) return 'h2'
        if (protocols.includes('http/1.1')) return 'http/1.1'
        // A client offering only h2 to a port without HTTP/2, or only unknown protocols:
        // refused with no_application_protocol (RFC 7301 §3.2).
        return undefined
      },
    })
    this.#tls.on('connection', (socket: Socket) => {
      const member = new Slot(socket)
      this.#sockets.add(member)
      socket.once('close', () => this.#sockets.delete(member))
      socket.on('error', () => {})
    })
    // Handshake failures (protocol version or cipher refused by the policy, no certificate)
    // are the client's problem: ClientTLSNegotiationErrorCount on AWS. Node destroys the socket.
    this.#tls.on('tlsClientError', () => {})
    this.#tls.on('secureConnection', (socket: TLSSocket) => this.#onSecureConnection(socket))

    this.#h2 = createH2Server({
      settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS },
      Http2ServerRequest: AlbHttp2Request,
      Http2ServerResponse: AlbHttp2Response,
    })
    this.#h2.on('session', (session: ServerHttp2Session) => this.#onSession(session))
    this.#h2.on('request', (req: AlbHttp2Request, res: AlbHttp2Response) => this.#onHttp2Request(req, res))
    this.#h2.on('sessionError', () => {})
  }

  get binding(): PortBinding {
    return this.#binding
  }

  listen(bind: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err)
      this.#tls.once('error', onError)
      this.#tls.listen(this.port, bind, () => {
        this.#tls.off('error', onError)
        this.#tls.on('error', () => {})
        resolve()
      })
    })
  }

  /** Swaps in the port's new configuration; the next handshake sees its certificates and policy. */
  update(binding: PortBinding): void {
    this.#binding = binding
    this.#http1.update(binding)
    const { options, key } = this.#defaultContext(binding)
    if (key !== this.#defaultContextKey) {
      this.#defaultContextKey = key
      this.#tls.setSecureContext(options)
    }
    const inUse: Array<{ cert: TlsCertificate; policy: string }> = []
    const policy = portPolicy(binding)
    for (const listener of binding.listeners) {
      const tls = listener.tls
      if (tls === undefined) continue
      if (tls.defaultCertificate !== undefined) inUse.push({ cert: tls.defaultCertificate, policy })
      for (const cert of tls.certificates) inUse.push({ cert, policy })
    }
    this.#contexts.retain(inUse)
  }

  /**
   * Graceful: stop accepting, let HTTP/1.1 requests in flight finish, send GOAWAY on HTTP/2
   * connections (streams in flight finish), then resolve. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= Promise.all([
      new Promise<void>((resolve) => this.#tls.close(() => resolve())),
      this.#http1.close(),
      ...this.#sessions.values().map(({ value: session }) => new Promise<void>((resolve) => session.close(() => resolve()))),
      new Promise<void>((resolve) => this.#h2.close(() => resolve())),
    ]).then(() => undefined)
    // Connections still handshaking are not anybody's yet.
    for (const { value: socket } of this.#sockets.values()) if (!(socket as Partial<TLSSocket>).encrypted) socket.destroy()
    return this.#closed
  }

  /** Forced: every connection is cut now. Idempotent. */
  destroy(): Promise<void> {
    const closed = this.close()
    this.#http1.destroy().catch(() => {})
    for (const { value: session } of this.#sessions.values()) session.destroy()
    for (const { value: socket } of this.#sockets.values()) socket.destroy()
    return closed
  }

  #defaultContext(binding: PortBinding): { options: SecureContextOptions; key: string } {
    const policy = portPolicy(binding)
    const certificate = binding.listeners[0]?.tls?.defaultCertificate
    return {
      options: contextOptions(certificate, policy),
      key: `${certificate?.arn ?? '-'}|${certificate?.version ?? 0}|${policy}`,
    }
  }

  #onSecureConnection(socket: TLSSocket): void {
    if (socket.alpnProtocol === 'h2') this.#h2.emit('connection', socket)
    else this.#http1.accept(socket)
  }

  #onSession(session: ServerHttp2Session): void {
    untangleStreamTables(session)
    const member = new Slot(session)
    this.#sessions.add(member)
    const listener = this.#binding.listeners[0]!.loadBalancer
    // idle_timeout applies to HTTP/2 connections too (spec §7.6): no stream activity → close.
    session.setTimeout(listener.idleTimeoutMs, () => session.close())
    // client_keep_alive.seconds: the connection's maximum lifetime, then a graceful GOAWAY.
    const lifetime = setTimeout(() => { if (!session.closed) session.close() }, listener.clientKeepAliveMs)
    lifetime.unref()
    let requests = 0
    session.on('stream', () => {
      if (++requests >= MAX_REQUESTS_PER_CONNECTION && !session.closed) session.close()
    })
    session.on('error', () => {})
    session.once('close', () => {
      clearTimeout(lifetime)
      this.#sessions.delete(member)
    })
  }

  #onHttp2Request(req: AlbHttp2Request, res: AlbHttp2Response): void {
    res.grpc = isGrpcRequest(req.headers['content-type'])
    try {
      handleRequest(req, res, this.#binding, this.#runtime, { closeAfter: false })
    } catch (err) {
      sendAlbError(res, new InternalError(err), undefined)
    }
  }
}

