/**
 * @module dataplane/proxy/headers
 * The request headers a target receives (spec §6.4, §7.2, §7.3) and the response headers a
 * client receives, computed from Node's `rawHeaders` in one pass: names keep the client's
 * case, repeated headers stay repeated, and only the headers the ALB changes are touched.
 */
import { randomFillSync } from 'node:crypto'
import type { LoadBalancerSettings } from '../../config/snapshot.ts'
import { asciiEqualsLower } from '../router/request.ts'
import { BadRequestError } from './errors.ts'

/** Request headers above this size get a trace header with only a Root field (spec §7.3). */
export const MAX_TRACED_HEADER_BYTES = 7 * 1024

/** More addresses than this in X-Forwarded-For → 463 (spec §7.4). */
export const MAX_XFF_ADDRESSES = 30

export interface ForwardContext {
  readonly loadBalancer: LoadBalancerSettings
  readonly listenerPort: number
  readonly protocol: 'http' | 'https'
  /** Client address without IPv4-mapped prefix. */
  readonly clientIp: string
  readonly clientPort: number
  /** Host taken from an absolute-form request line (`GET http://h/…`), which wins over the header. */
  readonly absoluteHost?: string | undefined
  /** Epoch ms (trace id time field). */
  readonly now: number
}

/** clientAddress strips the IPv4-mapped prefix Node reports on dual-stack sockets. */
export function clientAddress(remote: string | undefined): string {
  if (remote === undefined) return ''
  return remote.startsWith('::ffff:') && remote.includes('.') ? remote.slice(7) : remote
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) never forwarded; `expect` is answered by us (spec §7.2). */
function isHopByHop(name: string): boolean {
  switch (name.length) {
    case 2: return asciiEqualsLower(name, 'te')
    case 6: return asciiEqualsLower(name, 'expect')
    case 7: return asciiEqualsLower(name, 'trailer') || asciiEqualsLower(name, 'upgrade')
    case 10: return asciiEqualsLower(name, 'connection') || asciiEqualsLower(name, 'keep-alive')
    case 16: return asciiEqualsLower(name, 'proxy-connection')
    case 17: return asciiEqualsLower(name, 'transfer-encoding')
    default: return false
  }
}

/** `routing.http.drop_invalid_header_fields`: valid names match `[-A-Za-z0-9]+` (spec §6.2). */
export function isValidHeaderName(name: string): boolean {
  if (name.length === 0) return false
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45)) return false
  }
  return true
}

/** Header names listed in Connection are hop-by-hop too (RFC 9110 §7.6.1). Rare: allocate only then. */
function connectionNamed(raw: readonly string[]): Set<string> | undefined {
  let named: Set<string> | undefined
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length !== 10 || !asciiEqualsLower(raw[i]!, 'connection')) continue
    for (const token of raw[i + 1]!.split(',')) {
      const t = token.trim().toLowerCase()
      if (t !== '' && t !== 'close' && t !== 'keep-alive' && t !== 'upgrade') (named ??= new Set()).add(t)
    }
  }
  return named
}

// ---------------------------------------------------------------- trace id

/**
 * Random hex for trace ids, drawn 24 characters at a time from a string refilled every 512
 * ids: one substring per request instead of a hex encoding call (benchmarks/micro/proxy-load.ts).
 */
const RANDOM_BYTES = Buffer.alloc(12 * 512)
let randomHex = ''
let randomOffset = 0

function random24Hex(): string {
  if (randomOffset + 24 > randomHex.length) {
    randomFillSync(RANDOM_BYTES)
    randomHex = RANDOM_BYTES.toString('hex')
    randomOffset = 0
  }
  const hex = randomHex.slice(randomOffset, randomOffset + 24)
  randomOffset += 24
  return hex
}

let epochSecond = -1
let epochPrefix = ''

/** newTraceField: `1-<8 hex epoch seconds>-<24 hex>` (spec §7.3); the time part is formatted once a second. */
export function newTraceField(now: number): string {
  const second = Math.floor(now / 1000)
  if (second !== epochSecond) {
    epochSecond = second
    epochPrefix = `1-${second.toString(16).padStart(8, '0')}-`
  }
  return epochPrefix + random24Hex()
}

/**
 * traceIdHeader: no header (or one without a Root) → `Root=…`; with Root → `Self=…;` in
 * front, replacing an existing Self; other fields are kept (spec §7.3).
 */
export function traceIdHeader(existing: string | undefined, now: number): string {
  if (existing === undefined || !/(^|;)\s*Root=/.test(existing)) return `Root=${newTraceField(now)}`
  const fields = existing.split(';').filter((f) => !/^\s*Self=/.test(f))
  return `Self=${newTraceField(now)};${fields.join(';')}`
}

// ---------------------------------------------------------------- host

function isDefaultPort(protocol: 'http' | 'https', port: number): boolean {
  return (protocol === 'http' && port === 80) || (protocol === 'https' && port === 443)
}

/** splitHostPort: `h:8080` → ['h', '8080']; `[::1]:80` → ['[::1]', '80']; no port → [h, '']. */
function splitHostPort(host: string): [string, string] {
  if (host.startsWith('[')) {
    const close = host.indexOf(']')
    if (close !== -1 && host.charCodeAt(close + 1) === 58) return [host.slice(0, close + 1), host.slice(close + 2)]
    return [host, '']
  }
  const colon = host.lastIndexOf(':')
  if (colon === -1 || host.indexOf(':') !== colon) return [host, '']
  return [host.slice(0, colon), host.slice(colon + 1)]
}

/**
 * targetHost: the Host the target sees with preserve_host_header off (spec §6.4): on a
 * non-default listener port the port is appended when missing; on 80/443 a port is stripped.
 */
export function targetHost(host: string, ctx: ForwardContext): string {
  const [name, port] = splitHostPort(host)
  if (isDefaultPort(ctx.protocol, ctx.listenerPort)) return name
  return port === '' ? `${name}:${ctx.listenerPort}` : host
}

function formatClient(ctx: ForwardContext): string {
  if (!ctx.loadBalancer.xffClientPort) return ctx.clientIp
  return ctx.clientIp.includes(':') ? `[${ctx.clientIp}]:${ctx.clientPort}` : `${ctx.clientIp}:${ctx.clientPort}`
}

function countAddresses(xff: string): number {
  let n = 1
  for (let i = 0; i < xff.length; i++) if (xff.charCodeAt(i) === 44) n++
  return n
}

export interface ForwardedHeaders {
  /** Flat [name, value, …], as upstream/pool.ts writes them. */
  readonly headers: string[]
  /** Names dropped by drop_invalid_header_fields (for metrics), 0 when none. */
  readonly droppedInvalid: number
}

/**
 * forwardedHeaders builds the target's request headers. Throws BadRequestError(463) when
 * X-Forwarded-For carries more than 30 addresses.
 */
export function forwardedHeaders(raw: readonly string[], ctx: ForwardContext): ForwardedHeaders {
  const lb = ctx.loadBalancer
  const named = connectionNamed(raw)
  const out: string[] = []
  let host: string | undefined
  let xff: string | undefined
  let trace: string | undefined
  let droppedInvalid = 0
  let headerBytes = 0
  let length = false
  let chunked = false
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    const value = raw[i + 1]!
    headerBytes += name.length + value.length + 4
    if (isHopByHop(name)) {
      if (name.length === 17) chunked = true // transfer-encoding, the only hop-by-hop name of that length
      continue
    }
    switch (name.length) {
      case 4:
        if (asciiEqualsLower(name, 'host')) {
          // Rules use the first Host; with preservation every Host is kept (spec §6.4).
          if (host === undefined) host = value
          else if (lb.preserveHostHeader) out.push(name, value)
          continue
        }
        break
      case 14:
        if (asciiEqualsLower(name, 'content-length')) {
          // Repeated with one value (DuplicateContentLength, spec §6.3): the target gets it once.
          if (length) continue
          length = true
        }
        break
      case 15:
        if (asciiEqualsLower(name, 'x-forwarded-for')) {
          xff = xff === undefined ? value : `${xff}, ${value}`
          continue
        }
        if (asciiEqualsLower(name, 'x-amzn-trace-id')) { trace = value; continue }
        break
      case 16:
        // The ALB sets these itself from the listener (spec §7.2).
        if (asciiEqualsLower(name, 'x-forwarded-port')) continue
        break
      case 17:
        if (asciiEqualsLower(name, 'x-forwarded-proto')) continue
        break
    }
    if (named !== undefined && named.has(name.toLowerCase())) continue
    if (lb.dropInvalidHeaderFields && !isValidHeaderName(name)) { droppedInvalid++; continue }
    out.push(name, value)
  }

  if (xff !== undefined && countAddresses(xff) > MAX_XFF_ADDRESSES) throw new BadRequestError(463, 'XForwardedForTooManyAddresses')
  // Transfer-Encoding with Content-Length (BothTeClPresent): the body is chunked and goes to the
  // target chunked, so its Content-Length would lie (RFC 9112 §6.3 item 3: a proxy removes it).
  if (chunked && length) {
    for (let i = 0; i < out.length; i += 2) {
      if (out[i]!.length === 14 && asciiEqualsLower(out[i]!, 'content-length')) {
        out.splice(i, 2)
        break
      }
    }
  }

  let forwardedHost: string
  if (ctx.absoluteHost !== undefined) forwardedHost = lb.preserveHostHeader ? ctx.absoluteHost : targetHost(ctx.absoluteHost, ctx)
  else if (host !== undefined) forwardedHost = lb.preserveHostHeader ? host : targetHost(host, ctx)
  // HTTP/1.0 without Host: the ALB sends its DNS name (spec §6.4).
  else forwardedHost = targetHost(lb.dnsName, ctx)
  out.push('Host', forwardedHost)

  switch (lb.xffMode) {
    case 'append':
      out.push('X-Forwarded-For', xff === undefined ? formatClient(ctx) : `${xff}, ${formatClient(ctx)}`)
      break
    case 'preserve':
      if (xff !== undefined) out.push('X-Forwarded-For', xff)
      break
    case 'remove':
      break
  }
  out.push('X-Forwarded-Proto', ctx.protocol, 'X-Forwarded-Port', String(ctx.listenerPort))
  // Above 7 KB of headers the ALB rewrites the trace header with just a Root field (spec §7.3).
  out.push('X-Amzn-Trace-Id', headerBytes > MAX_TRACED_HEADER_BYTES ? `Root=${newTraceField(ctx.now)}` : traceIdHeader(trace, ctx.now))
  return { headers: out, droppedInvalid }
}

/** Response headers never passed back to the client (the listener frames the response itself). */
function isResponseHopByHop(name: string): boolean {
  switch (name.length) {
    case 2: return asciiEqualsLower(name, 'te')
    case 7: return asciiEqualsLower(name, 'trailer') || asciiEqualsLower(name, 'upgrade')
    case 10: return asciiEqualsLower(name, 'connection') || asciiEqualsLower(name, 'keep-alive')
    case 16: return asciiEqualsLower(name, 'proxy-connection')
    case 17: return asciiEqualsLower(name, 'transfer-encoding')
    default: return false
  }
}

/**
 * responseHeaders turns the target's response headers (flat [name, value, …], latin1, from
 * proxy/h1-response.ts) into the client's, without hop-by-hop headers; `stripServer` removes
 * Server (listener attribute `routing.http.response.server.enabled=false`); `extra` are the
 * listener's response headers. Filters in place: the parser's array is this response's own.
 */
export function responseHeaders(raw: string[], stripServer: boolean, extra: ReadonlyArray<readonly [string, string]>): string[] {
  let kept = 0
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    if (isResponseHopByHop(name)) continue
    if (stripServer && name.length === 6 && asciiEqualsLower(name, 'server')) continue
    if (kept !== i) {
      raw[kept] = name
      raw[kept + 1] = raw[i + 1]!
    }
    kept += 2
  }
  raw.length = kept
  for (const [name, value] of extra) raw.push(name, value)
  return raw
}
