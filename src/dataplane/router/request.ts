/**
 * @module dataplane/router/request
 * What rule matching reads from a request (RequestFacts, filled in by the listener), and
 * RequestView: the per-request scratch that derives each fact at most once, lazily, so
 * 100 rules with host conditions look the Host header up once, not 100 times.
 *
 * A RuleMatcher owns one RequestView and resets it on every match(); match() is
 * synchronous, so a single view per matcher is safe and nothing is allocated per request
 * beyond the derived strings themselves.
 */
import { parseIp, type ParsedIp } from './ip.ts'

export interface RequestFacts {
  readonly method: string
  /** The path as received (no query, not percent-decoded). */
  readonly path: string
  /** Everything after the first '?', '' if none. */
  readonly rawQuery: string
  /** Node's req.rawHeaders: [name, value, name, value…]. */
  readonly rawHeaders: readonly string[]
  /** TCP peer address, IPv4 or IPv6 (may be ::ffff:1.2.3.4). */
  readonly sourceIp: string
}

/** asciiEqualsLower compares a header name to an already-lowercased name without allocating. */
export function asciiEqualsLower(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false
  for (let i = 0; i < lower.length; i++) {
    let c = name.charCodeAt(i)
    if (c >= 65 && c <= 90) c |= 0x20
    if (c !== lower.charCodeAt(i)) return false
  }
  return true
}

const NOT_YET = 0
const DONE = 1

export class RequestView {
  facts!: RequestFacts
  #hostState = NOT_YET
  #hostHeader: string | undefined
  #hostName: string | undefined
  #queryState = NOT_YET
  /** Decoded query keys / values, index-aligned. Reused across requests. */
  readonly queryKeys: string[] = []
  readonly queryValues: string[] = []
  #ipState = NOT_YET
  readonly #ip: ParsedIp = { kind: 0, v4: 0, v6: new Uint32Array(4) }

  reset(facts: RequestFacts): void {
    this.facts = facts
    this.#hostState = NOT_YET
    this.#queryState = NOT_YET
    this.#ipState = NOT_YET
  }

  /**
   * The first Host header as received (rules use the first one when several are sent,
   * UG "Host header"). An HTTP/2 request carries `:authority` instead; we fall back to it.
   */
  hostHeader(): string | undefined {
    this.#computeHost()
    return this.#hostHeader
  }

  /** The first Host header without its `:port` (and without IPv6 brackets' port). */
  hostName(): string | undefined {
    this.#computeHost()
    return this.#hostName
  }

  #computeHost(): void {
    if (this.#hostState === DONE) return
    this.#hostState = DONE
    const raw = this.facts.rawHeaders
    let host: string | undefined
    let authority: string | undefined
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!
      if (asciiEqualsLower(name, 'host')) { host = raw[i + 1]!; break }
      if (authority === undefined && name === ':authority') authority = raw[i + 1]!
    }
    const header = host ?? authority
    this.#hostHeader = header
    this.#hostName = header === undefined ? undefined : stripPort(header)
  }

  /** Parses rawQuery once into decoded key/value arrays (see conditions/query.ts for the rules). */
  query(): void {
    if (this.#queryState === DONE) return
    this.#queryState = DONE
    const keys = this.queryKeys
    const values = this.queryValues
    keys.length = 0
    values.length = 0
    const q = this.facts.rawQuery
    let start = 0
    while (start <= q.length) {
      let end = q.indexOf('&', start)
      if (end === -1) end = q.length
      if (end > start) {
        const eq = q.indexOf('=', start)
        if (eq === -1 || eq >= end) {
          keys.push(percentDecode(q, start, end))
          values.push('')
        } else {
          keys.push(percentDecode(q, start, eq))
          values.push(percentDecode(q, eq + 1, end))
        }
      }
      start = end + 1
    }
  }

  /** The peer address, parsed once; kind 0 when it is not an IP literal. */
  sourceIp(): ParsedIp {
    if (this.#ipState !== DONE) {
      this.#ipState = DONE
      parseIp(this.facts.sourceIp, this.#ip)
    }
    return this.#ip
  }
}

/** stripPort: `example.com:8080` → `example.com`; `[::1]:80` → `[::1]`; a bare IPv6 literal is kept. */
export function stripPort(host: string): string {
  if (host.charCodeAt(0) === 0x5b /* [ */) {
    const close = host.indexOf(']')
    return close === -1 ? host : host.slice(0, close + 1)
  }
  const colon = host.indexOf(':')
  if (colon === -1) return host
  // More than one ':' without brackets is not a valid Host; leave it untouched.
  if (host.indexOf(':', colon + 1) !== -1) return host
  return host.slice(0, colon)
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  const l = c | 0x20
  if (l >= 97 && l <= 102) return l - 87
  return -1
}

/**
 * percentDecode decodes `%XX` escapes of q[from, to) byte by byte (one char per byte, so
 * it never throws on invalid UTF-8); a `%` not followed by two hex digits stays literal.
 * `+` is NOT turned into a space: RFC 3986 gives it no meaning and AWS speaks only of
 * percent-encoding (UNVERIFIED). Returns a slice (no decoding work) when there is no `%`.
 */
export function percentDecode(q: string, from: number, to: number): string {
  const pct = q.indexOf('%', from)
  if (pct === -1 || pct >= to) return q.slice(from, to)
  let out = q.slice(from, pct)
  let i = pct
  while (i < to) {
    const c = q.charCodeAt(i)
    if (c === 0x25 /* % */) {
      const hi = i + 1 < to ? hexValue(q.charCodeAt(i + 1)) : -1
      const lo = i + 2 < to ? hexValue(q.charCodeAt(i + 2)) : -1
      if (hi >= 0 && lo >= 0) {
        out += String.fromCharCode(hi * 16 + lo)
        i += 3
        continue
      }
    }
    out += q[i]
    i++
  }
  return out
}

/** A compiled condition: true when the request satisfies it. */
export type ConditionPredicate = (view: RequestView) => boolean

/**
 * conditionValues: the config values, plus legacy top-level `Values` (the API echoes a
 * legacy rule with both; they are the same list, so the union is deduplicated).
 */
export function conditionValues(legacy: readonly string[] | undefined, config: readonly string[] | undefined): string[] {
  return [...new Set([...(config ?? []), ...(legacy ?? [])])]
}
