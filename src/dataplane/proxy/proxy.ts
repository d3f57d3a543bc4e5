/**
 * @module dataplane/proxy/proxy
 * The request loop (spec §7.1): facts → LoadBalancer by Host → Rule → Action. Forward picks
 * a target group (weights), then a target (Balancer over the routable targets, fail-open
 * applied), and streams the exchange through the target's keep-alive pool.
 *
 * Retry (issue 3 §7, STYLE.md habit 11, like nginx's `proxy_next_upstream error`): a request
 * whose connection to a target fails before any response byte came back is sent once more to
 * another target when nothing of it reached the first (the dial failed), or when its method is
 * idempotent and it has no body. A keep-alive connection the target closed while idle is the
 * same case. The failure is reported as passive health so the next request avoids the target.
 *
 * Fast path (issue 5 §2). The profile (`--cpu-prof` and `perf` under wrk -c50, 100-byte
 * responses) showed the proxy at 4 syscalls per request already (read client, write target,
 * read target, writev client — nothing left to merge), so the cost was user time, spread over
 * undici's generic machinery (Request objects, wasm llhttp callbacks, handler wrappers, its
 * timers, megamorphic property loads). HTTP/1.1 to targets now goes through
 * upstream/pool.ts (one head string, one write) and proxy/h1-response.ts (a strict parser
 * writing straight into this Exchange, which is itself the handler: no closures per request,
 * one 'close' listener instead of two, a 'drain' listener only under backpressure).
 * Measured with benchmarks/micro/proxy-load.ts, A/B interleaved on the shared 2-core machine
 * (3 rounds of 5 s): 55–62 → 42–52 µs CPU per request (user 36–43 → 25–32 µs, system time
 * unchanged at ~19 µs), 17–18k → 19–21k req/s. Behaviour kept: retries (ConnectError before a
 * byte was written; TargetClosedError before the response for idempotent bodiless requests),
 * 502/504 mapping, streaming with backpressure both ways, draining aborts.
 */
import { channel } from 'node:diagnostics_channel'
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http'
import type { Socket } from 'node:net'
import type { Readable } from 'node:stream'
import type { CompiledAction, CompiledListener, PortBinding } from '../../config/snapshot.ts'
import type { RequestFacts } from '../router/request.ts'
import { asciiEqualsLower, stripPort } from '../router/request.ts'
import { fixedResponse } from '../actions/fixed-response.ts'
import { redirectLocation, redirectStatus } from '../actions/redirect.ts'
import type { Outcome } from '../balancer/balancer.ts'
import type { TargetGroupRuntime } from '../upstream/group.ts'
import type { InFlight, TargetEntry } from '../upstream/registry.ts'
import type { ExchangeHandler, OutgoingRequest, TargetConnection } from '../upstream/pool.ts'
import type { ResponseHead } from './h1-response.ts'
import type { TargetState } from '../upstream/target-state.ts'
import {
  appStickyCookies, decodeSticky, isChromium80Plus, lbStickyCookies, pickTargetGroup, readAppStickyValue, readLbStickyValue,
  readTgStickyValue, responseSetsCookie, tgStickyCookies,
} from '../upstream/sticky.ts'
import {
  AlbError, BadRequestError, ClientAbortError, ConnectError, DeregistrationExpiredError, InternalError, NoTargetError, TargetClosedError,
  errorPage, statusFor,
} from './errors.ts'
import { clientAddress, forwardedHeaders, responseHeaders, type ForwardContext } from './headers.ts'
import { classifyRequest, desyncVerdict, transferEncodingProblem } from './desync.ts'
import { isGrpcResponse, protocolMismatch, sendGrpcError } from './grpc.ts'
import { AlbHttp2Request, AlbHttp2Response, http2Stream } from './h2.ts'
import { appendTlsHeaders } from './tls-headers.ts'
import { forwardHttp2 } from './h2-forward.ts'

/** What the proxy needs from the data plane around it. */
export interface ProxyRuntime {
  group(targetGroupArn: string): TargetGroupRuntime | undefined
  entry(key: string): TargetEntry | undefined
  /** A connection to the target was refused or reset: take it out at once (passive health). */
  targetFailed(entry: TargetEntry, err: unknown): void
  readonly clock: () => number
  readonly random: () => number
  /** AES-256-GCM key sealing AWSALB / AWSALBAPP / AWSALBTG values (upstream/sticky.ts). */
  readonly stickyKey: Buffer
}

/**
 * ClientRequest / ClientResponse: what the request loop reads of a client's request and
 * writes of its response. HTTP/1.1 listeners pass listener/h1-connection.ts's Http1Request /
 * Http1Response, HTTPS listeners with HTTP/2 node:http2's compatibility objects (proxy/h2.ts);
 * node:http's IncomingMessage / ServerResponse fit too.
 */
export interface ClientRequest extends Readable {
  readonly method?: string | undefined
  readonly url?: string | undefined
  readonly rawHeaders: string[]
  /** Lower-cased names (may be built on first use: the hot path reads rawHeaders). */
  readonly headers: IncomingHttpHeaders
  readonly httpVersionMajor: number
  readonly httpVersionMinor: number
  readonly socket: Socket
  /** HTTP/1.x: the client's address and port, kept per connection (else the socket's are read). */
  readonly remoteAddress?: string | undefined
  readonly remotePort?: number | undefined
  /** HTTP/1.x: how the listener's parser framed the body (no need to read the headers again). */
  readonly bodyFraming?: 'none' | 'length' | 'chunked'
  /** HTTP/1.x: an Ambiguous framing the listener's parser accepted (spec §6.3), for the desync mode. */
  readonly framingProblem?: 'BothTeClPresent' | 'DuplicateContentLength' | undefined
}

export interface ClientResponse {
  statusCode: number
  statusMessage: string
  readonly headersSent: boolean
  readonly destroyed: boolean
  readonly writableFinished: boolean
  setHeader(name: string, value: string | number | readonly string[]): unknown
  /**
   * `headers`: flat [name, value, …]. `callerFlushes` (HTTP/1.x): the head may be held until
   * flushHead() so that it leaves with the body; HTTP/2 responses ignore it.
   */
  writeHead(status: number, reason: string, headers: string[], callerFlushes?: boolean): unknown
  /** Sends a head held by writeHead(…, true) (HTTP/1.x only). */
  flushHead?(): void
  /** False: wait for 'drain' before writing more. */
  write(chunk: Buffer): boolean
  /** HTTP/1.x: write() of a chunk valid during the call only (copied only if it must be kept). */
  writeView?(chunk: Buffer): boolean
  end(): unknown
  end(body: Buffer | string): unknown
  destroy(): unknown
  /** 'close' before the response is complete: the client is gone. */
  once(event: 'close' | 'drain', listener: () => void): unknown
  /** HTTP/1.x: `watcher.clientGone()` instead of a 'close' listener. */
  watch?(watcher: ClientWatcher): void
}

/** Who hears that the client went away before its response was complete. */
export interface ClientWatcher {
  clientGone(): void
}

/** Request line (URL) above this → 414; a single header above this → 400 (spec §7.6). */
export const MAX_URL_BYTES = 16 * 1024
export const MAX_HEADER_BYTES = 16 * 1024

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'])

export interface RequestTarget {
  readonly path: string
  readonly rawQuery: string
  /** Authority of an absolute-form request line, if any. */
  readonly absoluteHost?: string
  /** What goes on the target's request line: origin-form. */
  readonly originForm: string
}

/** parseRequestTarget splits the request-target (RFC 9112 §3.2); undefined when malformed. */
export function parseRequestTarget(url: string): RequestTarget | undefined {
  if (url.charCodeAt(0) === 0x2f /* / */) {
    const q = url.indexOf('?')
    return q === -1
      ? { path: url, rawQuery: '', originForm: url }
      : { path: url.slice(0, q), rawQuery: url.slice(q + 1), originForm: url }
  }
  if (url === '*') return { path: '*', rawQuery: '', originForm: '*' }
  const m = /^https?:\/\/([^/?#]+)([^#]*)/i.exec(url)
  if (m === null) return undefined
  const rest = m[2] === '' ? '/' : m[2]!
  const normalized = rest.charCodeAt(0) === 0x3f /* ? */ ? `/${rest}` : rest
  if (normalized.charCodeAt(0) !== 0x2f) return undefined
  const q = normalized.indexOf('?')
  return {
    path: q === -1 ? normalized : normalized.slice(0, q),
    rawQuery: q === -1 ? '' : normalized.slice(q + 1),
    absoluteHost: m[1]!,
    originForm: normalized,
  }
}

/** firstHost: the first Host header (rules and load-balancer dispatch use the first one). */
export function firstHost(raw: readonly string[]): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    if (name.length === 4 && (name === 'Host' || name.toLowerCase() === 'host')) return raw[i + 1]
  }
  return undefined
}

/** selectListener: the load balancer whose DNS name the Host names, else the port's first opener (DESIGN.md). */
export function selectListener(binding: PortBinding, host: string | undefined): CompiledListener {
  const first = binding.listeners[0]!
  if (binding.listeners.length === 1 || host === undefined) return first
  return binding.byHost.get(stripPort(host).toLowerCase()) ?? first
}

/** sendAlbError answers with the ALB's own page (spec §7.5); 460 has no response (client gone). */
export function sendAlbError(res: ClientResponse, err: unknown, listener: CompiledListener | undefined, close = false): void {
  const status = statusFor(err)
  if (status === 460 || res.destroyed) return
  if (res.headersSent) {
    res.destroy()
    return
  }
  if (isGrpcResponse(res)) return sendGrpcError(res, status, listener) // spec §7.5
  const page = errorPage(status)
  res.statusCode = status
  res.statusMessage = page.statusText
  if (listener?.serverHeader !== false) res.setHeader('Server', 'awselb/2.0')
  res.setHeader('Content-Type', 'text/html')
  res.setHeader('Content-Length', page.body.length)
  if (close) res.setHeader('Connection', 'close')
  res.end(page.body)
}

/** The client's address: kept per connection for HTTP/1.x, read from the socket otherwise. */
function peerAddress(req: ClientRequest): string | undefined {
  return req.remoteAddress ?? req.socket.remoteAddress
}

function peerPort(req: ClientRequest): number | undefined {
  return req.remoteAddress !== undefined ? req.remotePort : req.socket.remotePort
}

function headersTooLarge(raw: readonly string[]): boolean {
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.length + raw[i + 1]!.length + 2 > MAX_HEADER_BYTES) return true
  return false
}

interface RequestFraming { readonly body: boolean; readonly length: boolean }
const NO_BODY: RequestFraming = { body: false, length: false }
const LENGTH_BODY: RequestFraming = { body: true, length: true }
const CHUNKED_BODY: RequestFraming = { body: true, length: false }

/**
 * requestFraming: whether the request has a body, and whether its length is known
 * (Content-Length, forwarded as is) rather than chunked (sent chunked to the target).
 * HTTP/1.x requests carry what the listener's parser decided; HTTP/2 ones are read here.
 */
function requestFraming(req: ClientRequest): RequestFraming {
  switch (req.bodyFraming) {
    case 'none': return NO_BODY
    case 'length': return LENGTH_BODY
    case 'chunked': return CHUNKED_BODY
  }
  // HTTP/2: a body follows unless the HEADERS frame ended the stream (gRPC sends no Content-Length).
  const h2 = http2Stream(req)
  const raw = req.rawHeaders
  let length: string | undefined
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.length === 14 && asciiEqualsLower(raw[i]!, 'content-length')) length = raw[i + 1]!
  }
  if (h2 !== undefined) return { body: !h2.endAfterHeaders, length: length !== undefined }
  // node:http's IncomingMessage (not used by the listeners; the shape allows it).
  if (req.headers['transfer-encoding'] !== undefined) return CHUNKED_BODY
  return length !== undefined && length !== '0' ? LENGTH_BODY : NO_BODY
}

export interface ConnectionInfo {
  /** The client connection outlived `client_keep_alive.seconds`, or the port is closing: close after this response. */
  readonly closeAfter: boolean
}

/**
 * Published for every request a listener hands to the proxy (HTTP/1.x and HTTP/2), for
 * counters such as the `--workers` per-worker request count (cluster/worker.ts); free when
 * nobody subscribes.
 */
export const requestStartChannel = channel('openalb.dataplane.request.start')

/**
 * handleRequest serves one request on `binding`'s port. Never throws: every failure becomes
 * the ALB's status for it.
 */
export function handleRequest(
  req: ClientRequest, res: ClientResponse, binding: PortBinding, runtime: ProxyRuntime, conn: ConnectionInfo,
): void {
  let listener: CompiledListener | undefined
  if (requestStartChannel.hasSubscribers) requestStartChannel.publish(req)
  try {
    const raw = req.rawHeaders
    const host = firstHost(raw)
    listener = selectListener(binding, host)
    // HTTP/1.1 requires Host (RFC 9112 §3.2); HTTP/1.0 without one gets the DNS name (spec §6.4).
    if (host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) throw new BadRequestError(400, 'MissingHost')
    const url = req.url ?? '/'
    if (url.length > MAX_URL_BYTES) throw new BadRequestError(414, 'UriTooLong')
    if (headersTooLarge(raw)) throw new BadRequestError(400, 'HeaderTooLarge')
    const target = parseRequestTarget(url)
    if (target === undefined) throw new BadRequestError(400, 'BadUri')
    // The ALB refuses TRACE itself (spec §7.4: 405).
    if (req.method === 'TRACE') throw new BadRequestError(405, 'TraceMethod')
    const te = transferEncodingProblem(raw)
    if (te === 'BadTransferEncoding') throw new BadRequestError(501, te)
    const lb = listener.loadBalancer
    let close = conn.closeAfter
    if (te === 'MultipleTransferEncodingChunked' && lb.desyncMitigationMode !== 'monitor') throw new BadRequestError(400, te)
    const verdict = desyncVerdict(lb.desyncMitigationMode, classifyRequest(req.method ?? 'GET', raw, req.framingProblem))
    if (verdict === 'block') throw new BadRequestError(400, 'DesyncMitigation')
    // With both Transfer-Encoding and Content-Length the connection closes after the answer in
    // every mode (RFC 9112 §6.1: a server MUST), so nothing after this body is ever parsed.
    if (verdict === 'allow-then-close' || req.framingProblem === 'BothTeClPresent') close = true

    const facts: RequestFacts = {
      method: req.method ?? 'GET', path: target.path, rawQuery: target.rawQuery, rawHeaders: raw, sourceIp: peerAddress(req) ?? '',
    }
    const rule = listener.matcher.match(facts)
    const action = listener.actions.get(rule)
    if (action === undefined) throw new InternalError(new Error(`rule ${rule.arn} has no terminal action`))
    switch (action.type) {
      case 'fixed-response': return sendFixedResponse(res, listener, action, close)
      case 'redirect': return sendRedirect(req, res, listener, action, target, close)
      case 'forward': return forward(req, res, listener, action, target, runtime, close)
    }
  } catch (err) {
    const close = err instanceof BadRequestError
    sendAlbError(res, err instanceof AlbError ? err : new InternalError(err), listener, close)
  }
}

function writeListenerHeaders(res: ClientResponse, listener: CompiledListener, close: boolean): void {
  if (listener.serverHeader) res.setHeader('Server', 'awselb/2.0')
  for (const [name, value] of listener.responseHeaders) res.setHeader(name, value)
  if (close) res.setHeader('Connection', 'close')
}

function sendFixedResponse(res: ClientResponse, listener: CompiledListener, action: Extract<CompiledAction, { type: 'fixed-response' }>, close: boolean): void {
  const fixed = fixedResponse(action.fixedResponseConfig)
  res.statusCode = fixed.status
  writeListenerHeaders(res, listener, close)
  for (const [name, value] of Object.entries(fixed.headers)) res.setHeader(name, value)
  res.end(fixed.body)
}

function sendRedirect(
  req: ClientRequest, res: ClientResponse, listener: CompiledListener, action: Extract<CompiledAction, { type: 'redirect' }>,
  target: RequestTarget, close: boolean,
): void {
  const host = target.absoluteHost ?? firstHost(req.rawHeaders) ?? listener.loadBalancer.dnsName
  const location = redirectLocation(action.redirectConfig, {
    protocol: listener.protocol === 'HTTPS' ? 'https' : 'http',
    host: stripPort(host),
    port: listener.port,
    path: target.path,
    rawQuery: target.rawQuery,
  })
  res.statusCode = redirectStatus(action.redirectConfig)
  writeListenerHeaders(res, listener, close)
  res.setHeader('Location', location)
  res.setHeader('Content-Type', 'text/html')
  const page = errorPage(res.statusCode)
  res.setHeader('Content-Length', page.body.length)
  res.end(page.body)
}

/**
 * chooseTargetGroup: the group a valid `AWSALBTG` cookie names when the action has target
 * group stickiness and still forwards there; else a weighted choice (spec §5.5, §7.8).
 * Returns the group and whether the client was already stuck to it.
 */
export function chooseTargetGroup(
  action: Extract<CompiledAction, { type: 'forward' }>, rawHeaders: readonly string[], runtime: Pick<ProxyRuntime, 'random' | 'stickyKey'>, now: number,
): { arn: string | undefined; sticky: boolean } {
  if (action.groupStickinessMs > 0) {
    const arn = decodeSticky(runtime.stickyKey, readTgStickyValue(rawHeaders), now)
    // An invalid cookie is AWSALBTGCookieInvalid in the access log; the request is balanced anew.
    if (arn !== undefined && action.weighted.some((tg) => tg.targetGroupArn === arn)) return { arn, sticky: true }
  }
  return { arn: pickTargetGroup(action.forwardConfig, runtime.random), sticky: false }
}

function forward(
  req: ClientRequest, res: ClientResponse, listener: CompiledListener, action: Extract<CompiledAction, { type: 'forward' }>,
  target: RequestTarget, runtime: ProxyRuntime, close: boolean,
): void {
  const now = runtime.clock()
  const choice = chooseTargetGroup(action, req.rawHeaders, runtime, now)
  const group = choice.arn === undefined ? undefined : runtime.group(choice.arn)
  if (group !== undefined && protocolMismatch(req, group.compiled.protocolVersion)) throw new BadRequestError(464, 'ProtocolVersionMismatch') // spec §7.9
  if (group === undefined || !group.hasTargets) throw new NoTargetError()
  const cookies: string[] = []
  if (action.groupStickinessMs > 0) cookies.push(...tgStickyCookies(runtime.stickyKey, group.compiled.arn, now, action.groupStickinessMs / 1000))
  const socket = req.socket
  const headers = forwardedHeaders(req.rawHeaders, {
    loadBalancer: listener.loadBalancer,
    listenerPort: listener.port,
    protocol: listener.protocol === 'HTTPS' ? 'https' : 'http',
    clientIp: clientAddress(peerAddress(req)),
    clientPort: peerPort(req) ?? 0,
    absoluteHost: target.absoluteHost,
    now,
  } satisfies ForwardContext).headers
  appendTlsHeaders(headers, listener.tls, socket)
  if (group.compiled.protocolVersion !== 'HTTP1') {
    // HTTP2 / GRPC target groups: HTTP/2 to the target (spec §7.9); protocolMismatch let
    // only HTTP/2 clients through.
    if (!(req instanceof AlbHttp2Request && res instanceof AlbHttp2Response)) throw new BadRequestError(464, 'ProtocolVersionMismatch')
    forwardHttp2({
      req, res, listener, group, runtime, path: target.originForm, headers, hasBody: requestFraming(req).body, fail: (err) => sendAlbError(res, err, listener),
    })
    return
  }
  const exchange = new Exchange(req, res, listener, group, runtime, target.originForm, headers, close, cookies)
  exchange.attempt(undefined)
}

/**
 * One client request and its (at most two) attempts on targets. It is the ExchangeHandler of
 * the target connection itself (no closures per request: issue 5 §2).
 *
 * ```
 *  attempt ─ pick ─ send ─┬─ onHead ─ onBody* ─ onEnd ─► release ok
 *                         └─ onError ─┬─ before response, retry allowed ─► attempt (other target)
 *                                     └─ otherwise ─► ALB error page (or cut the response)
 * ```
 */
class Exchange implements ExchangeHandler, InFlight {
  /** Its index in the target's in-flight set (upstream/registry.ts). */
  slot = -1
  readonly #req: ClientRequest
  readonly #res: ClientResponse
  readonly #listener: CompiledListener
  readonly #group: TargetGroupRuntime
  readonly #runtime: ProxyRuntime
  readonly #request: OutgoingRequest
  readonly #close: boolean
  /** Set-Cookie values the ALB adds to the response (stickiness). */
  readonly #cookies: string[]
  #attempts = 0
  #clientGone = false
  #finished = false
  #stuck = false
  // The attempt in flight.
  #state: TargetState | undefined
  #entry: TargetEntry | undefined
  #conn: TargetConnection | undefined
  #connected = false
  #responseStarted = false
  #waitingForDrain = false

  constructor(
    req: ClientRequest, res: ClientResponse, listener: CompiledListener, group: TargetGroupRuntime, runtime: ProxyRuntime,
    path: string, headers: string[], close: boolean, cookies: string[],
  ) {
    this.#cookies = cookies
    this.#req = req
    this.#res = res
    this.#listener = listener
    this.#group = group
    this.#runtime = runtime
    this.#close = close
    const framing = requestFraming(req)
    this.#request = {
      method: req.method ?? 'GET', path, headers, body: framing.body ? req : null,
      // The listener has framed the body already: with Content-Length it is exactly that many
      // bytes (forwarded with the header); otherwise (chunked) it is sent chunked.
      bodyLength: framing.body && framing.length,
    }
    // HTTP/1.x responses call the exchange back directly: no listener and closures per request.
    if (res.watch !== undefined) res.watch(this)
    else res.once('close', () => this.clientGone())
  }

  /** The client went away before its response was complete (ClientWatcher). */
  clientGone(): void {
    if (this.#res.writableFinished) return
    this.#clientGone = true
    this.#conn?.abort(new ClientAbortError())
  }

  /** `failed`/`previous`: the target and error of the first attempt when this is the retry. */
  attempt(failed: TargetState | undefined, previous?: AlbError): void {
    this.#attempts++
    const group = this.#group
    let candidates = group.candidates()
    if (failed !== undefined) {
      const others = candidates.filter((t) => t.key !== failed.key)
      // A connection the target closed (typically a keep-alive connection it let go while idle)
      // says nothing about a new one: with no other target, retry there on a fresh connection.
      candidates = others.length === 0 && previous instanceof TargetClosedError && candidates.includes(failed) ? [failed] : others
    }
    const now = this.#runtime.clock()
    const state = this.#stickyTarget(candidates, now) ?? group.balancer.pick(candidates, { now })
    const entry = state === undefined ? undefined : this.#runtime.entry(state.key)
    if (state === undefined || entry === undefined) {
      if (state !== undefined) group.balancer.release(state, 'ok')
      // No other target to retry on: the client gets the first attempt's failure.
      this.#fail(previous ?? new NoTargetError())
      return
    }
    this.#state = state
    this.#entry = entry
    this.#connected = false
    this.#responseStarted = false
    entry.inflight.add(this)
    // A retry takes a new connection: another pooled one may be just as stale as the first.
    const pool = entry.pool()
    const conn = failed !== undefined ? pool.fresh() : pool.acquire()
    this.#conn = conn
    conn.send(this.#request, this)
  }

  /**
   * #stickyTarget: the target a valid AWSALB / AWSALBAPP cookie names, if it is still a
   * candidate (a cookie naming a deregistered or unhealthy target picks anew, spec §7.8).
   * Counted as outstanding like a Balancer pick, so release() stays exactly-once.
   */
  #stickyTarget(candidates: readonly TargetState[], now: number): TargetState | undefined {
    const stickiness = this.#group.compiled.stickiness
    if (!stickiness.enabled) return undefined
    const raw = this.#req.rawHeaders
    const value = stickiness.type === 'app_cookie' ? readAppStickyValue(raw) : readLbStickyValue(raw)
    const key = decodeSticky(this.#runtime.stickyKey, value, now)
    if (key === undefined) return undefined
    for (const t of candidates) {
      if (t.key === key) {
        t.outstanding++
        this.#stuck = true
        return t
      }
    }
    return undefined
  }

  /** Set-Cookie values for this response: TG stickiness, then target stickiness (re-issued on every response). */
  #setCookies(state: TargetState, targetSetCookies: readonly string[]): string[] {
    const stickiness = this.#group.compiled.stickiness
    if (!stickiness.enabled) return this.#cookies
    const now = this.#runtime.clock()
    const key = this.#runtime.stickyKey
    if (stickiness.type === 'lb_cookie') return [...this.#cookies, ...lbStickyCookies(key, state.key, now, stickiness.lbCookieDurationMs / 1000)]
    // app_cookie: stickiness starts when the target sets the application cookie (spec §7.8).
    if (!this.#stuck && !responseSetsCookie(targetSetCookies, stickiness.appCookieName)) return this.#cookies
    const crossSite = isChromium80Plus(this.#req.headers['user-agent'])
    return [...this.#cookies, ...appStickyCookies(key, state.key, now, stickiness.appCookieDurationMs / 1000, crossSite)]
  }

  /** The attempt is over: the balancer and the entry's in-flight set hear it exactly once. */
  #release(outcome: Outcome): void {
    const state = this.#state
    const entry = this.#entry
    if (state === undefined || entry === undefined) return
    this.#state = undefined
    this.#entry = undefined
    this.#conn = undefined
    this.#group.balancer.release(state, outcome)
    entry.inflight.delete(this)
    entry.settle()
  }

  // ---------------------------------------------------------------- InFlight

  /** Draining cut the request short (deregistration delay over). */
  abort(err: Error): void {
    this.#conn?.abort(err instanceof AlbError ? err : new TargetClosedError(!this.#responseStarted, err))
  }

  // ---------------------------------------------------------------- ExchangeHandler

  onConnect(): void {
    this.#connected = true
  }

  onHead(head: ResponseHead): void {
    this.#responseStarted = true
    const res = this.#res
    if (res.destroyed) return
    const listener = this.#listener
    const out = responseHeaders(head.headers, !listener.serverHeader, listener.responseHeaders)
    if (this.#group.compiled.stickiness.enabled || this.#cookies.length > 0) {
      const targetSetCookies: string[] = []
      for (let i = 0; i + 1 < out.length; i += 2) if (out[i]!.toLowerCase() === 'set-cookie') targetSetCookies.push(out[i + 1]!)
      for (const cookie of this.#setCookies(this.#state!, targetSetCookies)) out.push('Set-Cookie', cookie)
    }
    if (this.#close) out.push('Connection', 'close')
    const status = head.status
    // Held to leave with the body in one write; onReadEnd flushes it when the body is not in this read.
    res.writeHead(status, head.reason !== '' ? head.reason : (STATUS_CODES[status] ?? 'Unknown'), out, true)
  }

  onReadEnd(): void {
    this.#res.flushHead?.()
  }

  onBody(chunk: Buffer, borrowed: boolean): boolean {
    const res = this.#res
    if (res.destroyed) return true
    const ok = !borrowed ? res.write(chunk) : res.writeView !== undefined ? res.writeView(chunk) : res.write(Buffer.from(chunk))
    if (ok) return true
    // Backpressure: the target connection stops reading until the client drains.
    if (!this.#waitingForDrain) {
      this.#waitingForDrain = true
      res.once('drain', () => {
        this.#waitingForDrain = false
        this.#conn?.resume()
      })
    }
    return false
  }

  onEnd(): void {
    this.#release('ok')
    this.#finished = true
    this.#res.end()
  }

  onError(err: AlbError): void {
    // Once the client is gone, what the target connection did next is a consequence (460),
    // except the deregistration delay's own verdict.
    const classified = this.#clientGone && !(err instanceof DeregistrationExpiredError)
      ? (err instanceof ClientAbortError ? err : new ClientAbortError(err))
      : err
    const state = this.#state
    const entry = this.#entry
    this.#release(classified instanceof ClientAbortError ? 'client_abort' : classified instanceof ConnectError ? 'connect_error'
      : statusFor(classified) === 504 ? 'timeout' : 'bad_response')
    if (entry !== undefined && (classified instanceof ConnectError || classified instanceof TargetClosedError)) this.#runtime.targetFailed(entry, classified)
    if (!this.#responseStarted && this.#retryable(classified, this.#connected)) {
      this.attempt(state, classified)
      return
    }
    this.#fail(classified)
  }

  #retryable(err: AlbError, connected: boolean): boolean {
    if (this.#attempts >= 2 || this.#clientGone || this.#finished) return false
    if (!(err instanceof ConnectError || (err instanceof TargetClosedError && err.beforeResponse))) return false
    if (!connected) return !this.#req.destroyed // nothing reached the target; the body is untouched
    return IDEMPOTENT.has(this.#req.method ?? 'GET') && this.#request.body === null
  }

  #fail(err: AlbError): void {
    this.#finished = true
    sendAlbError(this.#res, err, this.#listener)
  }
}
