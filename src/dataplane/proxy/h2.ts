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
import type { OutgoingHttpHeader } from 'node:http'
import { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
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

/** The HTTP/2 request of a compat object, or undefined for HTTP/1.x. */
export function http2Stream(req: object): { readonly endAfterHeaders: boolean } | undefined {
  return req instanceof Http2ServerRequest ? req.stream : undefined
}
