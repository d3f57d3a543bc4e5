/**
 * @module dataplane/proxy/h2
 * HTTP/2 from clients (spec §7.6, §7.9): the request loop of proxy.ts is written against
 * its ClientRequest/ClientResponse (the shape of node:http's IncomingMessage/ServerResponse);
 * node:http2's compatibility objects fit it once three HTTP/2 facts are translated:
 *
 * - Pseudo-headers: `:authority` becomes the Host a target on HTTP/1.1 sees; `:method`,
 *   `:path`, `:scheme` are the request line. Cookies split over several `cookie` fields are
 *   joined with "; " (RFC 9113 §8.2.3) before they reach an HTTP/1.1 target.
 * - Connection-specific headers (Connection, Keep-Alive, Transfer-Encoding, Upgrade,
 *   Proxy-Connection) do not exist in HTTP/2 (RFC 9113 §8.2.2): the response drops them
 *   instead of failing the stream (the proxy adds `Connection: close` on some paths).
 * - HTTP/2 has no reason phrase; setting one is a no-op.
 *
 * Names arrive lowercase over HTTP/2; the headers the ALB itself writes (Host, X-Forwarded-*,
 * X-Amzn-Trace-Id) are mixed case on the HTTP/1.1 side (spec §7.2), which headers.ts does.
 */
import type { OutgoingHttpHeader, OutgoingHttpHeaders } from 'node:http'
import { Http2ServerRequest, Http2ServerResponse, type ServerStreamResponseOptions } from 'node:http2'
import { asciiEqualsLower } from '../router/request.ts'

/** Response header names HTTP/2 forbids (RFC 9113 §8.2.2). */
export function isConnectionSpecific(name: string): boolean {
  switch (name.length) {
    case 2: return asciiEqualsLower(name, 'te')
    case 7: return asciiEqualsLower(name, 'upgrade')
    case 10: return asciiEqualsLower(name, 'connection') || asciiEqualsLower(name, 'keep-alive')
    case 16: return asciiEqualsLower(name, 'proxy-connection')
    case 17: return asciiEqualsLower(name, 'transfer-encoding')
    default: return false
  }
}

/**
 * http1RawHeaders turns an HTTP/2 request's raw header list into what an HTTP/1.1 request
 * would carry: Host from `:authority` (first, as routing uses the first Host), no other
 * pseudo-headers, one joined Cookie.
 */
export function http1RawHeaders(raw: readonly string[]): string[] {
  let authority: string | undefined
  let host: string | undefined
  let cookies: string[] | undefined
  const rest: string[] = []
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    const value = raw[i + 1]!
    if (name.charCodeAt(0) === 0x3a /* : */) {
      if (name === ':authority') authority = value
      continue
    }
    if (name === 'host') { host ??= value; continue }
    if (name === 'cookie') { (cookies ??= []).push(value); continue }
    rest.push(name, value)
  }
  const out: string[] = []
  const effectiveHost = authority ?? host
  if (effectiveHost !== undefined) out.push('host', effectiveHost)
  if (cookies !== undefined) out.push('cookie', cookies.join('; '))
  for (const v of rest) out.push(v)
  return out
}

/**
 * AlbHttp2Request: rawHeaders in HTTP/1.1 form (computed once). Node's compat request builds
 * rawHeaders from the stream's header list; we replace it with the translated list.
 */
export class AlbHttp2Request extends Http2ServerRequest {
  /** rawHeaders, translated on first use (a field, not a WeakMap: one less table per request for the GC). */
  translatedRawHeaders: string[] | undefined
}
const baseRawHeaders = Object.getOwnPropertyDescriptor(Http2ServerRequest.prototype, 'rawHeaders')!.get!
Object.defineProperty(AlbHttp2Request.prototype, 'rawHeaders', {
  configurable: true,
  get(this: AlbHttp2Request): string[] {
    return (this.translatedRawHeaders ??= http1RawHeaders(baseRawHeaders.call(this) as string[]))
  },
})

/** AlbHttp2Response: tolerant of the HTTP/1-only parts of the ServerResponse API the proxy uses. */
export class AlbHttp2Response extends Http2ServerResponse<AlbHttp2Request> {
  /** Set for gRPC requests: ALB-generated errors become gRPC statuses (proxy/grpc.ts). */
  grpc = false
  /** Trailers may follow the body (an HTTP/2 or gRPC target's, proxy/h2-forward.ts): see beginSend below. */
  mayHaveTrailers = false

  override setHeader(name: string, value: number | string | readonly string[]): void {
    if (!isConnectionSpecific(name)) super.setHeader(name, value)
  }

  override writeHead(statusCode: number, headers?: unknown): this
  override writeHead(statusCode: number, statusMessage: string, headers?: unknown): this
  override writeHead(statusCode: number, second?: unknown, third?: unknown): this {
    const headers = typeof second === 'string' ? third : second
    if (Array.isArray(headers)) {
      const kept: string[] = []
      for (let i = 0; i + 1 < headers.length; i += 2) {
        const name = String(headers[i])
        if (!isConnectionSpecific(name)) kept.push(name, headers[i + 1] as string)
      }
      return super.writeHead(statusCode, kept as unknown as Record<string, OutgoingHttpHeader>)
    }
    if (headers !== undefined && headers !== null && typeof headers === 'object') {
      const kept: Record<string, OutgoingHttpHeader> = {}
      for (const [name, value] of Object.entries(headers as Record<string, OutgoingHttpHeader>)) if (!isConnectionSpecific(name)) kept[name] = value
      return super.writeHead(statusCode, kept)
    }
    return super.writeHead(statusCode)
  }
}
// HTTP/2 has no reason phrase: ignore it silently (Node warns on every set otherwise).
Object.defineProperty(AlbHttp2Response.prototype, 'statusMessage', { configurable: true, get: () => '', set: () => {} })
// ServerResponse.destroyed, which the proxy reads, is the stream's.
Object.defineProperty(AlbHttp2Response.prototype, 'destroyed', {
  configurable: true,
  get(this: Http2ServerResponse): boolean { return this.stream.destroyed },
})

/*
 * Node's compatibility response always starts the stream with `waitForTrailers: true`, so
 * that addTrailers() can be called until the end: after the body, every stream then waits for
 * a 'wantTrailers' event and sends an empty trailer block (an extra frame). Only responses
 * from HTTP/2 and gRPC targets can have trailers; the others start without waiting. Measured
 * on a bare node:http2 server answering through these classes under h2load: 33.5 → 28.1 µs
 * CPU per request (three runs each). The override reads the compat object's private headers (found once by the symbol's name) and
 * falls back to Node's own method when this Node's layout differs.
 */
const kBeginSend = Object.getOwnPropertySymbols(Http2ServerResponse.prototype).find((s) => s.description === 'begin-send')
let kHeaders: symbol | null | undefined

function pendingHeaders(res: AlbHttp2Response): Record<string, unknown> | undefined {
  kHeaders ??= Object.getOwnPropertySymbols(res).find((s) => s.description === 'headers') ?? null
  if (kHeaders === null) return undefined
  const headers = (res as unknown as Record<symbol, unknown>)[kHeaders]
  return headers !== null && typeof headers === 'object' ? headers as Record<string, unknown> : undefined
}

if (kBeginSend !== undefined) {
  const prototype = Http2ServerResponse.prototype as unknown as Record<symbol, ((this: AlbHttp2Response) => void) | undefined>
  const base = prototype[kBeginSend]
  if (typeof base === 'function') {
    (AlbHttp2Response.prototype as unknown as Record<symbol, (this: AlbHttp2Response) => void>)[kBeginSend] = function beginSend(this: AlbHttp2Response): void {
      const headers = this.mayHaveTrailers ? undefined : pendingHeaders(this)
      if (headers === undefined) {
        base.call(this)
        return
      }
      headers[':status'] = this.statusCode
      // sendDate: an option node:http2 reads that its type declarations leave out.
      const options = { endStream: this.writableEnded, waitForTrailers: false, sendDate: this.sendDate }
      this.stream.respond(headers as OutgoingHttpHeaders, options as ServerStreamResponseOptions)
    }
  }
}

/** The HTTP/2 request of a compat object, or undefined for HTTP/1.x. */
export function http2Stream(req: object): { readonly endAfterHeaders: boolean } | undefined {
  return req instanceof Http2ServerRequest ? req.stream : undefined
}
