/**
 * @module dataplane/proxy/h2-forward
 * Forwarding to HTTP2 and GRPC target groups (spec §7.9): the request goes to the target as
 * an HTTP/2 stream on the target's multiplexed session (upstream/h2-session.ts), streamed
 * both ways, response trailers included (gRPC puts its status there). The request loop
 * (proxy.ts) has already routed it, checked the protocol version (464) and built the
 * forwarded headers; this file picks the target and runs the exchange.
 *
 * ```
 *  pick ─ session.request ─┬─ 'response' ─ data* ─ 'trailers'? ─ end ─► release ok
 *                          └─ error before 'response' ─┬─ refused/not connected, first try ─► another target
 *                                                      └─ otherwise ─► ALB error (gRPC-style for gRPC)
 * ```
 *
 * Streaming to targets: AWS documents it as unsupported for HTTP2 target groups; streaming
 * the body is what a proxy does anyway and what gRPC target groups need, so both stream.
 */
import { constants, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2'
import type { CompiledListener } from '../../config/snapshot.ts'
import type { TargetGroupRuntime } from '../upstream/group.ts'
import type { InFlight, TargetEntry } from '../upstream/registry.ts'
import type { TargetState } from '../upstream/target-state.ts'
import { targetSession } from '../upstream/h2-session.ts'
import { AlbError, ConnectError, NoTargetError, TargetClosedError, TargetTimeoutError } from './errors.ts'
import { isConnectionSpecific, type AlbHttp2Request, type AlbHttp2Response } from './h2.ts'
import type { ProxyRuntime } from './proxy.ts'

/** h2RequestHeaders: the flat forwarded header list as an HTTP/2 header block. */
export function h2RequestHeaders(method: string, path: string, scheme: 'http' | 'https', flat: readonly string[], teTrailers: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': method, ':path': path, ':scheme': scheme }
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase()
    const value = flat[i + 1]!
    if (name === 'host') { out[':authority'] = value; continue }
    if (isConnectionSpecific(name)) continue
    const existing = out[name]
    if (existing === undefined) out[name] = value
    else if (Array.isArray(existing)) existing.push(value)
    else out[name] = [String(existing), value]
  }
  // gRPC needs `te: trailers` end to end; it is the only TE value HTTP/2 allows (RFC 9113 §8.2.2).
  if (teTrailers) out.te = 'trailers'
  return out
}

/** Response headers for the client: no pseudo-headers, no connection-specific ones. */
function clientHeaders(headers: IncomingHttpHeaders, extra: ReadonlyArray<readonly [string, string]>, stripServer: boolean): string[] {
  const out: string[] = []
  for (const [name, value] of Object.entries(headers)) {
    if (name.charCodeAt(0) === 0x3a || value === undefined || isConnectionSpecific(name)) continue
    if (stripServer && name === 'server') continue
    if (Array.isArray(value)) for (const v of value) out.push(name, v)
    else out.push(name, String(value))
  }
  for (const [name, value] of extra) out.push(name, value)
  return out
}

export interface H2ForwardContext {
  readonly req: AlbHttp2Request
  readonly res: AlbHttp2Response
  readonly listener: CompiledListener
  readonly group: TargetGroupRuntime
  readonly runtime: ProxyRuntime
  readonly path: string
  readonly headers: readonly string[]
  readonly hasBody: boolean
  /** Reports a failure as the ALB's response (proxy.ts sendAlbError, gRPC-style for gRPC). */
  readonly fail: (err: AlbError) => void
}

/** forwardHttp2 sends the request to a target of an HTTP2/GRPC target group. */
export function forwardHttp2(ctx: H2ForwardContext, failed?: TargetState, previous?: AlbError): void {
  const { group, runtime } = ctx
  const state = group.balancer.pick(group.candidatesExcept(failed), { now: runtime.clock() })
  const entry = state === undefined ? undefined : runtime.entry(state.key)
  if (state === undefined || entry === undefined) {
    if (state !== undefined) group.balancer.release(state, 'ok')
    ctx.fail(previous ?? new NoTargetError())
    return
  }
  exchange(ctx, state, entry, failed === undefined)
}

function exchange(ctx: H2ForwardContext, state: TargetState, entry: TargetEntry, mayRetry: boolean): void {
  const { req, res, listener, group, runtime } = ctx
  // The target's trailers (gRPC's status) are passed on: the client stream must wait for them.
  res.mayHaveTrailers = true
  const idleMs = listener.loadBalancer.idleTimeoutMs
  const session = targetSession(entry, idleMs)
  const teTrailers = /\btrailers\b/i.test(String(req.headers.te ?? '')) || group.compiled.protocolVersion === 'GRPC'
  let stream: ClientHttp2Stream
  let responded = false
  let released = false
  const inflight: InFlight = { abort: (err) => stream.destroy(err), slot: -1 }
  const release = (outcome: 'ok' | 'connect_error' | 'timeout' | 'bad_response' | 'client_abort'): void => {
    if (released) return
    released = true
    group.balancer.release(state, outcome)
    entry.inflight.delete(inflight)
    entry.settle()
  }
  const onClientGone = (): void => {
    if (!res.writableFinished && !stream.destroyed) stream.close(constants.NGHTTP2_CANCEL)
  }
  try {
    stream = session.request(h2RequestHeaders(req.method ?? 'GET', ctx.path, entry.tls ? 'https' : 'http', ctx.headers, teTrailers), {
      endStream: !ctx.hasBody,
    })
  } catch (err) {
    group.balancer.release(state, 'connect_error')
    ctx.fail(new ConnectError(err))
    return
  }
  entry.inflight.add(inflight)
  res.once('close', onClientGone)
  stream.setTimeout(idleMs, () => stream.destroy(new TargetTimeoutError('response')))
  if (ctx.hasBody) req.pipe(stream)

  stream.on('response', (headers) => {
    responded = true
    if (res.destroyed) return
    const status = Number(headers[':status'])
    res.writeHead(status, clientHeaders(headers, listener.responseHeaders, !listener.serverHeader) as unknown as Record<string, string>)
  })
  stream.on('trailers', (trailers) => {
    const kept: Record<string, string | string[]> = {}
    for (const [name, value] of Object.entries(trailers)) if (value !== undefined && name.charCodeAt(0) !== 0x3a) kept[name] = Array.isArray(value) ? value : String(value)
    res.addTrailers(kept)
  })
  stream.on('data', (chunk: Buffer) => {
    if (!res.write(chunk)) stream.pause()
  })
  res.on('drain', () => stream.resume())
  stream.on('end', () => {
    res.off('close', onClientGone)
    release('ok')
    res.end()
  })
  stream.on('error', (err: NodeJS.ErrnoException) => {
    res.off('close', onClientGone)
    if (res.destroyed || (res.writableEnded && !responded)) {
      release('client_abort')
      return
    }
    const connected = !session.connecting && session.socket !== undefined && session.socket !== null
    const classified: AlbError = err instanceof AlbError ? err
      : err.code === 'UND_ERR_CONNECT_TIMEOUT' ? new TargetTimeoutError('connect', err)
        : !connected || err.code === 'ECONNREFUSED' ? new ConnectError(err)
          : new TargetClosedError(!responded, err)
    release(classified instanceof ConnectError ? 'connect_error' : classified instanceof TargetTimeoutError ? 'timeout' : 'bad_response')
    if (classified instanceof ConnectError) runtime.targetFailed(entry, err)
    if (responded) {
      res.destroy()
      return
    }
    // Nothing reached the target: another one may take it (issue 3 §7, as the HTTP/1.1 proxy).
    if (mayRetry && classified instanceof ConnectError && !ctx.hasBody) {
      forwardHttp2(ctx, state, classified)
      return
    }
    ctx.fail(classified)
  })
  stream.on('close', () => {
    if (released) return
    // Reset by the target without an error event (RST_STREAM NO_ERROR before the end).
    res.off('close', onClientGone)
    if (res.writableFinished || res.destroyed) { release(res.destroyed ? 'client_abort' : 'ok'); return }
    release('bad_response')
    if (responded) res.destroy()
    else ctx.fail(new TargetClosedError(true))
  })
}
