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
 * node:http with `agent: false` rather than undici: a fresh connection per check is exactly
 * what `agent: false` does, while undici would need a Client per probe, which costs about half
 * as much CPU again (figures in checker.ts).
 */
import http from 'node:http'
import https from 'node:https'
import http2 from 'node:http2'
import type { ProbeResult } from './thresholds.ts'
import { grpcStatusFor } from '../proxy/grpc.ts'

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

function probeHttp(request: ProbeRequest, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    if (signal.aborted) { resolve(ABORTED); return }
    let settled = false
    const settle = (result: ProbeResult): void => {
      if (settled) return
      settled = true
      resolve(result)
    }
    const options: https.RequestOptions = {
      host: request.host,
      port: request.port,
      path: request.path,
      method: 'GET',
      // A new connection per check, closed afterwards (UG: "the load balancer node closes the
      // connection that was established for the health check").
      agent: false,
      headers: {
        host: hostHeader(request.host, request.port),
        'user-agent': HEALTH_CHECK_USER_AGENT,
        connection: 'close',
      },
    }
    const https_ = request.protocol === 'HTTPS'
    // Targets' certificates are not validated: self-signed and expired are fine (spec §3.2).
    if (https_) options.rejectUnauthorized = false
    let req: http.ClientRequest
    try {
      req = (https_ ? https : http).request(options)
    } catch (err) {
      // Node refuses some paths the API accepts (ERR_UNESCAPED_CHARACTERS, e.g. a space) and bad
      // ports synchronously: the check cannot be sent, so it fails like a malformed exchange.
      settle(failed(err))
      return
    }

    // One deadline covers connect + response headers; after the headers it only bounds how long
    // we keep reading a body nobody needs.
    const deadline = setTimeout(() => {
      settle(TIMEOUT)
      req.destroy()
    }, request.timeoutMs)
    const finish = (): void => {
      clearTimeout(deadline)
      signal.removeEventListener('abort', onAbort)
    }
    const onAbort = (): void => {
      settle(ABORTED)
      finish()
      req.destroy()
    }
    signal.addEventListener('abort', onAbort, { once: true })

    req.on('response', (res) => {
      settle({ kind: 'response', code: res.statusCode ?? 0 })
      // Read and discard the body; the socket closes when it ends (Connection: close).
      res.on('end', () => { finish(); req.destroy() })
      res.on('error', () => { finish() })
      res.resume()
    })
    req.on('error', (err) => {
      // ECONNREFUSED, ECONNRESET, HPE_* (malformed response), TLS errors → Target.FailedHealthChecks.
      settle(failed(err))
      finish()
    })
    req.on('close', finish)
    req.end()
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
