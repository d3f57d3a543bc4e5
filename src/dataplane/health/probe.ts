/**
 * @module dataplane/health/probe
 * One health check request (spec §4.4, UG troubleshooting): GET HealthCheckPath over HTTP/1.1
 * to target:port with `Host: <target-ip>:<port>` and `User-Agent: ELB-HealthChecker/2.0`, on a
 * new connection that is closed after the check. HTTPS checks do not verify the target's
 * certificate (spec §3.2). GRPC target groups get a gRPC call over HTTP/2 instead.
 *
 * A probe never rejects: every outcome is a ProbeResult. The timeout runs from the start
 * (connect included) until the response headers (for gRPC: the grpc-status) arrive.
 *
 * HTTP and HTTPS checks use a raw socket (net.connect / tls.connect with the data plane's
 * target TLS options), one request head written once, and the proxy's ResponseParser for the
 * answer — like upstream/pool.ts — rather than node:http, whose ClientRequest, Agent and
 * IncomingMessage machinery was most of the checks' user CPU (issue 5). The bytes on the wire
 * are the ones node:http sent (`host`, `user-agent`, `connection: close`, lower-case, in that
 * order); what it refused to send (a path outside U+0021–U+00FF, a bad port) still fails the
 * check without a connection.
 *
 * Measured with benchmarks/micro/health-load.ts (1,000 HTTP targets every 5 s, the bench's
 * `health` scenario; both builds checking the same targets over the same 20 s windows, Node
 * 20.20, 2 shared vCPU, 15 rounds in 4 runs): node:http 58–97 ms CPU/s (median 80), raw
 * socket 44–86 ms CPU/s (median 53.5); median per-round ratio 0.69, i.e. ≈ −30 %. User time
 * ≈ −40 %; system time (the kernel's connect/close, the floor HAProxy pays too) unchanged. `npm run bench` health:
 * 83.0 → 59.0 ms CPU/s (416 → 295 µs per check; separate runs, HAProxy 55 and 33 in them).
 * HTTPS (300 TLS targets, in-harness): ≈ 115 → 98 ms CPU/s, the handshake dominating.
 */
import http2 from 'node:http2'
import { connect as netConnect, isIP, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import type { ProbeResult } from './thresholds.ts'
import { grpcStatusFor } from '../proxy/grpc.ts'
import { ResponseParser, type ResponseHead, type ResponseSink } from '../proxy/h1-response.ts'
import { targetTlsOptions } from '../upstream/tls-pool.ts'

export const HEALTH_CHECK_USER_AGENT = 'ELB-HealthChecker/2.0'

export interface ProbeRequest {
  /** Health check protocol: 'HTTP' or 'HTTPS'. */
  readonly protocol: string
  readonly host: string
  readonly port: number
  /** HealthCheckPath: `/path?query`. */
  readonly path: string
  readonly timeoutMs: number
  /** Send a gRPC call over HTTP/2 and report its grpc-status (GRPC target groups). */
  readonly grpc: boolean
}

/** hostHeader is `<ip>:<port>`, bracketing IPv6 literals (RFC 7230 §5.4 / RFC 3986 authority). */
export function hostHeader(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** probe runs one check; `signal` aborts it (target removed, checker closed). */
export function probe(request: ProbeRequest, signal: AbortSignal): Promise<ProbeResult> {
  return request.grpc ? probeGrpc(request, signal) : probeHttp(request, signal)
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

function failed(err: unknown): ProbeResult {
  const cause = errorCode(err)
  return cause === undefined ? { kind: 'failed' } : { kind: 'failed', cause }
}

const ABORTED: ProbeResult = { kind: 'failed', cause: 'ABORTED' }
const TIMEOUT: ProbeResult = { kind: 'timeout' }

/**
 * Paths node:http refused (its INVALID_PATH_REGEX: anything outside U+0021–U+00FF, e.g. a space)
 * still fail the check without sending it, as before the raw socket: the API accepts them.
 */
const UNSENDABLE_PATH = /[^\u0021-\u00ff]/
const UNSENDABLE: ProbeResult = { kind: 'failed', cause: 'ERR_UNESCAPED_CHARACTERS' }
/** The target closed the connection before a complete response head (node:http's "socket hang up"). */
const CLOSED: ProbeResult = { kind: 'failed', cause: 'ECONNRESET' }
const MALFORMED: ProbeResult = { kind: 'failed', cause: 'ALB_ERR_BAD_RESPONSE' }

/**
 * One HTTP(S) check on its own connection: the request head is one latin1 string written once
 * the connection is up; the response goes through the proxy's ResponseParser (strict HTTP/1.1,
 * 1xx skipped), whose first final head settles the probe. The body is read and dropped until
 * the response ends (usually in the same read), then the socket is destroyed — reading it
 * rather than cutting it off keeps the close a FIN, not a reset, as node:http's did.
 */
class HttpProbe implements ResponseSink {
  readonly #resolve: (result: ProbeResult) => void
  readonly #signal: AbortSignal
  readonly #socket: Socket
  readonly #head: string
  readonly #parser = new ResponseParser()
  readonly #deadline: NodeJS.Timeout
  #settled = false
  #finished = false
  readonly #onAbort = (): void => {
    this.#settle(ABORTED)
    this.#close()
  }

  constructor(request: ProbeRequest, signal: AbortSignal, resolve: (result: ProbeResult) => void) {
    this.#resolve = resolve
    this.#signal = signal
    // Header names and order exactly as the node:http probe sent them.
    this.#head = `GET ${request.path} HTTP/1.1\r\nhost: ${hostHeader(request.host, request.port)}\r\nuser-agent: ${HEALTH_CHECK_USER_AGENT}\r\nconnection: close\r\n\r\n`
    const tls = request.protocol === 'HTTPS'
    // Targets' certificates are not validated: self-signed and expired are fine (spec §3.2);
    // the same TLS policy as the data plane's connections, so a target it can reach can be checked.
    // SNI only carries DNS names (RFC 6066 §3); targets are mostly addresses.
    this.#socket = tls
      ? tlsConnect({
        host: request.host, port: request.port, ...targetTlsOptions(),
        ...(isIP(request.host) === 0 ? { servername: request.host } : {}),
      })
      : netConnect({ host: request.host, port: request.port })
    this.#parser.start(this, false)
    // One deadline covers connect + response head; after the head it only bounds how long we
    // keep reading a body nobody needs.
    this.#deadline = setTimeout(() => {
      this.#settle(TIMEOUT)
      this.#close()
    }, request.timeoutMs)
    signal.addEventListener('abort', this.#onAbort, { once: true })
    const socket = this.#socket
    socket.once(tls ? 'secureConnect' : 'connect', () => { socket.write(this.#head, 'latin1') })
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('end', () => this.#onEnd())
    // ECONNREFUSED, ECONNRESET, TLS errors → Target.FailedHealthChecks.
    socket.on('error', (err) => {
      this.#settle(failed(err))
      this.#close()
    })
    socket.on('close', () => {
      this.#settle(CLOSED)
      this.#cleanUp()
    })
  }

  onHead(head: ResponseHead): void {
    this.#settle({ kind: 'response', code: head.status })
  }

  onBody(): void {
    // The status is all a check needs.
  }

  onEnd(): void {
    this.#close()
  }

  #onData(chunk: Buffer): void {
    if (this.#finished) return
    try {
      this.#parser.execute(chunk)
    } catch {
      // A malformed head (or body framing) → Target.FailedHealthChecks; after the head the result stands.
      this.#settle(MALFORMED)
      this.#close()
    }
  }

  #onEnd(): void {
    if (this.#finished) return
    try {
      this.#parser.finish() // completes an until-close body
    } catch {
      this.#settle(CLOSED)
    }
    this.#close()
  }

  #settle(result: ProbeResult): void {
    if (this.#settled) return
    this.#settled = true
    this.#resolve(result)
  }

  #close(): void {
    this.#cleanUp()
    this.#socket.destroy()
  }

  #cleanUp(): void {
    if (this.#finished) return
    this.#finished = true
    clearTimeout(this.#deadline)
    this.#signal.removeEventListener('abort', this.#onAbort)
  }
}

function probeHttp(request: ProbeRequest, signal: AbortSignal): Promise<ProbeResult> {
  if (signal.aborted) return Promise.resolve(ABORTED)
  if (UNSENDABLE_PATH.test(request.path)) return Promise.resolve(UNSENDABLE)
  return new Promise((resolve) => {
    try {
      new HttpProbe(request, signal, resolve)
    } catch (err) {
      // net/tls refuse a bad port synchronously (ERR_SOCKET_BAD_PORT): the check cannot be sent.
      resolve(failed(err))
    }
  })
}


/** An empty protobuf message in gRPC's length-prefixed framing: flag 0, length 0. */
const EMPTY_GRPC_MESSAGE = Buffer.alloc(5)

/**
 * probeGrpc sends a unary call with an empty message to HealthCheckPath (default
 * /AWS.ALB/healthcheck, which a gRPC server answers with 12 UNIMPLEMENTED — hence the default
 * GrpcCode "12"; spec §3.1) and reports the grpc-status, from the trailers or a trailers-only
 * response. h2 over TLS for HTTPS checks, cleartext h2 (prior knowledge) for HTTP.
 */
function probeGrpc(request: ProbeRequest, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    if (signal.aborted) { resolve(ABORTED); return }
    let settled = false
    const authority = hostHeader(request.host, request.port)
    const scheme = request.protocol === 'HTTPS' ? 'https' : 'http'
    let session: http2.ClientHttp2Session
    try {
      session = http2.connect(`${scheme}://${authority}`, {
        rejectUnauthorized: false,
        ...(scheme === 'https' ? { ALPNProtocols: ['h2'] } : {}),
      })
    } catch (err) {
      resolve(failed(err))
      return
    }
    const settle = (result: ProbeResult): void => {
      if (settled) return
      settled = true
      clearTimeout(deadline)
      signal.removeEventListener('abort', onAbort)
      session.destroy()
      resolve(result)
    }
    const deadline = setTimeout(() => settle(TIMEOUT), request.timeoutMs)
    const onAbort = (): void => settle(ABORTED)
    signal.addEventListener('abort', onAbort, { once: true })
    session.on('error', (err) => settle(failed(err)))
    let stream: http2.ClientHttp2Stream
    try {
      stream = session.request({
        ':method': 'POST',
        ':path': request.path,
        'content-type': 'application/grpc',
        te: 'trailers',
        'user-agent': HEALTH_CHECK_USER_AGENT,
      })
    } catch (err) {
      settle(failed(err))
      return
    }
    stream.on('error', (err) => settle(failed(err)))
    const fromHeaders = (headers: http2.IncomingHttpHeaders): boolean => {
      const value = headers['grpc-status']
      if (value === undefined) return false
      const code = Number(Array.isArray(value) ? value[0] : value)
      settle(Number.isInteger(code) ? { kind: 'response', code } : { kind: 'failed', cause: 'GRPC_BAD_STATUS' })
      return true
    }
    stream.on('response', (headers) => {
      if (fromHeaders(headers)) return // trailers-only response
      const status = Number(headers[':status'])
      if (status !== 200) settle({ kind: 'response', code: grpcStatusFor(status) })
    })
    stream.on('trailers', (trailers) => {
      if (!fromHeaders(trailers)) settle({ kind: 'failed', cause: 'GRPC_NO_STATUS' })
    })
    stream.on('end', () => settle({ kind: 'failed', cause: 'GRPC_NO_STATUS' }))
    stream.on('close', () => settle({ kind: 'failed', cause: 'GRPC_NO_STATUS' }))
    stream.resume()
    stream.end(EMPTY_GRPC_MESSAGE)
  })
}
