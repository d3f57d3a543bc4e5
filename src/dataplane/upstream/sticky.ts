/**
 * @module dataplane/upstream/sticky
 * Sticky-session cookies, pure functions (UG "Sticky sessions for your Application Load
 * Balancer"; forward actions with TargetGroupStickinessConfig in UG "Listener rules").
 *
 * - Duration-based (`stickiness.type = lb_cookie`): the ALB issues `AWSALB`, plus
 *   `AWSALBCORS` with the same value and `SameSite=None; Secure` for CORS requests;
 *   `AWSALB` is one name shared by all target groups.
 * - Application-based (`app_cookie`): once the target's response sets the configured
 *   cookie, the ALB adds its own `AWSALBAPP-0` (… `-3`, shards of at most 4K); the
 *   application cookie itself passes through untouched. `SameSite=None; Secure` is added
 *   only for Chromium 80+ user agents (the caller decides; see `isChromium80Plus`).
 * - Target-group stickiness (weighted forward): `AWSALBTG` / `AWSALBTGCORS` carry the
 *   chosen target group.
 * - "Application Load Balancers use the Expires attribute in the cookie header instead of
 *   the Max-Age attribute": every cookie gets `Expires` = now + 7 days (not configurable),
 *   re-issued on every response, and `Path=/`.
 * - The stickiness validity (`stickiness.*.duration_seconds`, TargetGroupStickinessConfig
 *   DurationSeconds) is not the cookie lifetime: it is sealed INSIDE the value, so an old
 *   cookie the browser still sends is ignored once it runs out.
 * - Values are opaque: AES-256-GCM (random 96-bit IV, 128-bit tag) under a key the caller
 *   passes (and may rotate), base64 like AWS's. A missing, tampered, foreign-key or expired
 *   value decodes to undefined, and the caller picks a new target and re-issues the cookie.
 * - "Application Load Balancers do not support cookie values that are URL encoded": cookie
 *   values are read verbatim, never percent-decoded.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { ForwardConfig } from '../../model/resources.ts'
import { asciiEqualsLower } from '../router/request.ts'

export const LB_COOKIE = 'AWSALB'
export const LB_COOKIE_CORS = 'AWSALBCORS'
export const TG_COOKIE = 'AWSALBTG'
export const TG_COOKIE_CORS = 'AWSALBTGCORS'
export const APP_COOKIE_PREFIX = 'AWSALBAPP-'
/** At most four AWSALBAPP shards (AWSALBAPP-0 … -3) of at most 4K each. */
export const APP_COOKIE_SHARDS = 4
export const APP_COOKIE_SHARD_SIZE = 4096
/** The cookies' own lifetime: 7 days, fixed by AWS. */
export const STICKY_COOKIE_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000
export const STICKY_KEY_BYTES = 32

const IV_BYTES = 12
const TAG_BYTES = 16
const HEADER_BYTES = 8 // stickyUntil, float64 big-endian

/**
 * encodeSticky seals `payload` (a target key or a target group ARN) and the epoch-ms
 * instant until which it is valid. `iv` is injectable for reproducible tests only; in
 * production leave it random (an IV must never repeat under one key).
 */
export function encodeSticky(key: Buffer, payload: string, stickyUntil: number, iv: Buffer = randomBytes(IV_BYTES)): string {
  if (key.length !== STICKY_KEY_BYTES) throw new RangeError(`sticky key must be ${STICKY_KEY_BYTES} bytes, got ${key.length}`)
  if (iv.length !== IV_BYTES) throw new RangeError(`sticky IV must be ${IV_BYTES} bytes`)
  const plain = Buffer.allocUnsafe(HEADER_BYTES + Buffer.byteLength(payload, 'utf8'))
  plain.writeDoubleBE(stickyUntil, 0)
  plain.write(payload, HEADER_BYTES, 'utf8')
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()])
  return sealed.toString('base64')
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/** decodeSticky: the payload, or undefined when missing, undecodable, tampered or expired (stickyUntil <= now). */
export function decodeSticky(key: Buffer, value: string | undefined, now: number): string | undefined {
  if (value === undefined || value.length < 48 || value.length > 4 * APP_COOKIE_SHARDS * APP_COOKIE_SHARD_SIZE) return undefined
  if (key.length !== STICKY_KEY_BYTES || !BASE64.test(value)) return undefined
  const sealed = Buffer.from(value, 'base64')
  if (sealed.length < IV_BYTES + HEADER_BYTES + TAG_BYTES) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES))
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
    const plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()])
    const stickyUntil = plain.readDoubleBE(0)
    if (!(stickyUntil > now)) return undefined
    return plain.toString('utf8', HEADER_BYTES)
  } catch {
    return undefined
  }
}

/** The `Expires` attribute value, e.g. `Tue, 18 Jun 2019 10:09:43 GMT`. */
export function cookieExpires(now: number): string {
  return new Date(now + STICKY_COOKIE_LIFETIME_MS).toUTCString()
}

function setCookie(name: string, value: string, now: number, crossSite: boolean): string {
  const base = `${name}=${value}; Expires=${cookieExpires(now)}; Path=/`
  return crossSite ? `${base}; SameSite=None; Secure` : base
}

/** lbStickyCookies: the two Set-Cookie values (`AWSALB`, `AWSALBCORS`) binding the client to `targetKey`. */
export function lbStickyCookies(key: Buffer, targetKey: string, now: number, durationSeconds: number): [string, string] {
  const value = encodeSticky(key, targetKey, now + durationSeconds * 1000)
  return [setCookie(LB_COOKIE, value, now, false), setCookie(LB_COOKIE_CORS, value, now, true)]
}

/** tgStickyCookies: `AWSALBTG` / `AWSALBTGCORS` binding the client to a target group of a weighted forward. */
export function tgStickyCookies(key: Buffer, targetGroupArn: string, now: number, durationSeconds: number): [string, string] {
  const value = encodeSticky(key, targetGroupArn, now + durationSeconds * 1000)
  return [setCookie(TG_COOKIE, value, now, false), setCookie(TG_COOKIE_CORS, value, now, true)]
}

/**
 * appStickyCookies: `AWSALBAPP-0` (… `-3` only when the value exceeds 4K) for the
 * target that set the application cookie. `crossSite` adds `SameSite=None; Secure`
 * (AWS: only for Chromium 80+ user agents). Empty if the value cannot fit in four shards.
 */
export function appStickyCookies(key: Buffer, targetKey: string, now: number, durationSeconds: number, crossSite: boolean): string[] {
  const value = encodeSticky(key, targetKey, now + durationSeconds * 1000)
  const shards = Math.ceil(value.length / APP_COOKIE_SHARD_SIZE)
  if (shards > APP_COOKIE_SHARDS) return []
  const out: string[] = []
  for (let i = 0; i < shards; i++) {
    out.push(setCookie(`${APP_COOKIE_PREFIX}${i}`, value.slice(i * APP_COOKIE_SHARD_SIZE, (i + 1) * APP_COOKIE_SHARD_SIZE), now, crossSite))
  }
  return out
}

/**
 * readCookie: the value of the first cookie called `name` (case-sensitive, RFC 6265) in the
 * request's Cookie header(s); HTTP/2 clients may split cookies over several headers.
 */
export function readCookie(rawHeaders: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (!asciiEqualsLower(rawHeaders[i]!, 'cookie')) continue
    const header = rawHeaders[i + 1]!
    let start = 0
    while (start < header.length) {
      while (start < header.length && (header.charCodeAt(start) === 0x20 || header.charCodeAt(start) === 0x09)) start++
      let end = header.indexOf(';', start)
      if (end === -1) end = header.length
      if (end - start > name.length && header.charCodeAt(start + name.length) === 0x3d /* = */ && header.startsWith(name, start)) {
        let valueEnd = end
        while (valueEnd > start && (header.charCodeAt(valueEnd - 1) === 0x20 || header.charCodeAt(valueEnd - 1) === 0x09)) valueEnd--
        let value = header.slice(start + name.length + 1, valueEnd)
        // RFC 6265 allows a DQUOTE-wrapped value.
        if (value.length >= 2 && value.charCodeAt(0) === 0x22 && value.charCodeAt(value.length - 1) === 0x22) value = value.slice(1, -1)
        return value
      }
      start = end + 1
    }
  }
  return undefined
}

/** readLbSticky: the AWSALB value, or AWSALBCORS when only that one came back. */
export function readLbStickyValue(rawHeaders: readonly string[]): string | undefined {
  return readCookie(rawHeaders, LB_COOKIE) ?? readCookie(rawHeaders, LB_COOKIE_CORS)
}

/** readTgStickyValue: the AWSALBTG value, or AWSALBTGCORS. */
export function readTgStickyValue(rawHeaders: readonly string[]): string | undefined {
  return readCookie(rawHeaders, TG_COOKIE) ?? readCookie(rawHeaders, TG_COOKIE_CORS)
}

/** readAppStickyValue: AWSALBAPP-0 … -3 joined in order (stops at the first missing shard). */
export function readAppStickyValue(rawHeaders: readonly string[]): string | undefined {
  let value: string | undefined
  for (let i = 0; i < APP_COOKIE_SHARDS; i++) {
    const shard = readCookie(rawHeaders, `${APP_COOKIE_PREFIX}${i}`)
    if (shard === undefined || shard === '') break
    value = value === undefined ? shard : value + shard
  }
  return value
}

/**
 * responseSetsCookie: whether the target's response sets the application cookie `name`
 * (app_cookie stickiness starts then). Takes the response's Set-Cookie header value(s).
 */
export function responseSetsCookie(setCookies: string | readonly string[] | undefined, name: string): boolean {
  if (setCookies === undefined) return false
  const list = typeof setCookies === 'string' ? [setCookies] : setCookies
  for (const line of list) {
    let start = 0
    while (start < line.length && (line.charCodeAt(start) === 0x20 || line.charCodeAt(start) === 0x09)) start++
    if (line.startsWith(name, start) && line.charCodeAt(start + name.length) === 0x3d) return true
  }
  return false
}

/**
 * isChromium80Plus: AWS adds `SameSite=None; Secure` to AWSALBAPP only for Chromium 80+
 * user agents (UG sticky sessions); Chrome/Chromium/Edge/Opera all carry `Chrome/NN`.
 */
export function isChromium80Plus(userAgent: string | undefined): boolean {
  if (userAgent === undefined) return false
  const m = /(?:Chrome|Chromium|CriOS)\/(\d+)/.exec(userAgent)
  return m !== null && Number(m[1]) >= 80
}

/**
 * pickTargetGroup: weighted choice among a forward action's target groups (weights
 * 0-999; traffic split proportionally; weight 0 never chosen). A tuple without a weight
 * counts 1 (a single-TG forward is echoed with Weight 1). All weights zero → undefined.
 */
export function pickTargetGroup(forward: ForwardConfig, random: () => number): string | undefined {
  const groups = forward.targetGroups
  if (groups.length === 1) return (groups[0]!.weight ?? 1) > 0 ? groups[0]!.targetGroupArn : undefined
  let total = 0
  for (const g of groups) total += Math.max(0, g.weight ?? 1)
  if (total === 0) return undefined
  let r = random() * total
  let lastPositive: string | undefined
  for (const g of groups) {
    const w = Math.max(0, g.weight ?? 1)
    if (w === 0) continue
    lastPositive = g.targetGroupArn
    if (r < w) return g.targetGroupArn
    r -= w
  }
  // Only reachable when random() returns >= 1 (or rounding); stay inside the positive weights.
  return lastPositive
}
