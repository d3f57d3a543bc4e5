/**
 * @module dataplane/listener/h1-request
 * The request head parser of the HTTP/1.1 listener (RFC 9112 §2-§6), replacing node:http's
 * server-side parser on the hot path (issue 5 §2, see listener/h1-connection.ts for why).
 *
 * It accepts what Node's llhttp accepted and refuses what it refused, which the listener fuzz
 * (test/fuzz-listener.test.ts) and the desync tests pin down, with two exceptions chosen
 * for AWS: `HTTP/2.0` on an HTTP/1 listener is 505 (spec §7.4, "unexpected HTTP version";
 * llhttp let it through), and an `Expect` other than `100-continue` is ignored as nginx
 * does (llhttp's server answered 417; AWS's behaviour is UNVERIFIED).
 *
 * Refusals (each 400 unless said; the ALB answers with its own page and closes, spec §6.3
 * "block"): a method outside the HTTP method registry Node knows (BadMethod), a request-target
 * with whitespace, control or non-ASCII bytes (BadUri), a malformed version (BadVersion), a
 * malformed field line (BadHeader: obs-fold, whitespace before the colon, a bare CR or LF,
 * control characters in a value), a Content-Length that is not digits (BadContentLength) or
 * repeated with another value (MultipleContentLength), and Transfer-Encoding whose last coding
 * is not `chunked` (501, BadTransferEncoding; 400 BothTeClPresent with a Content-Length).
 * AWS forwards those Severe requests in `monitor` mode; we cannot frame them safely, so they
 * are refused in every mode.
 *
 * Two Ambiguous framings are parsed and reported as `framingProblem`, for the load balancer's
 * desync mitigation mode to decide (proxy.ts, spec §6.3): Content-Length repeated with the
 * same value (DuplicateContentLength: that length frames the body), and Transfer-Encoding
 * with Content-Length (BothTeClPresent: chunked frames the body and Content-Length is ignored,
 * RFC 9112 §6.3 item 3).
 */
import { METHODS } from 'node:http'
import { asciiEqualsLower } from '../router/request.ts'
import { BadRequestError } from '../proxy/errors.ts'
import { isContentLength, listsToken, parseFields } from '../proxy/h1-syntax.ts'

const KNOWN_METHODS = new Set(METHODS)

export type FramingProblem = 'BothTeClPresent' | 'DuplicateContentLength'

export interface RequestHead {
  readonly method: string
  /** The request-target as sent (origin, absolute, authority or asterisk form). */
  readonly url: string
  readonly versionMajor: number
  readonly versionMinor: number
  /** Flat [name, value, …], names as sent, latin1 (bytes preserved). */
  readonly rawHeaders: string[]
  /** Content-Length, or -1 without one. */
  readonly contentLength: number
  /** The body is chunked (Transfer-Encoding ends with `chunked`). */
  readonly chunked: boolean
  /** The client allows another request on the connection after this one. */
  readonly keepAlive: boolean
  /** `Connection: upgrade` with an `Upgrade` header, or CONNECT: the connection leaves HTTP. */
  readonly upgrade: boolean
  /** An Ambiguous framing the desync mitigation mode decides on (spec §6.3), else undefined. */
  readonly framingProblem: FramingProblem | undefined
  /** `Expect: 100-continue` from an HTTP/1.1 client: it waits for `100 Continue` before sending the body. */
  readonly expectContinue: boolean
}

/**
 * parseRequestHead parses one request head: `text` is its bytes as latin1, without the empty
 * line that ends it. Throws BadRequestError with the ALB's status.
 */
export function parseRequestHead(text: string): RequestHead {
  // Empty lines before the request line are ignored (RFC 9112 §2.2).
  let start = 0
  while (text.charCodeAt(start) === 13 && text.charCodeAt(start + 1) === 10) start += 2
  let eol = text.indexOf('\r\n', start)
  if (eol === -1) eol = text.length
  const sp1 = text.indexOf(' ', start)
  if (sp1 <= start || sp1 >= eol) throw new BadRequestError(400, 'BadMethod')
  const method = text.slice(start, sp1)
  // `PRI * HTTP/2.0`: the HTTP/2 connection preface, on an HTTP/1 listener (spec §7.4: 505).
  // Only that exact line: PRI is no method, so anything else on it is a bad method.
  if (method === 'PRI') throw eol === sp1 + 11 && text.startsWith(' * HTTP/2.0', sp1) ? new BadRequestError(505, 'UnsupportedVersion') : new BadRequestError(400, 'BadMethod')
  if (!KNOWN_METHODS.has(method)) throw new BadRequestError(400, 'BadMethod')
  const sp2 = text.indexOf(' ', sp1 + 1)
  if (sp2 === -1 || sp2 >= eol || sp2 === sp1 + 1) throw new BadRequestError(400, 'BadUri')
  for (let i = sp1 + 1; i < sp2; i++) {
    const c = text.charCodeAt(i)
    if (c <= 32 || c >= 127) throw new BadRequestError(400, 'BadUri')
  }
  const url = text.slice(sp1 + 1, sp2)
  const [versionMajor, versionMinor] = parseVersion(text, sp2 + 1, eol)
  const rawHeaders: string[] = []
  if (eol < text.length && !parseFields(text, eol + 2, rawHeaders)) throw new BadRequestError(400, 'BadHeader')

  let contentLength = -1
  let transferEncoding: string | undefined
  let connection: string | undefined
  let upgradeHeader = false
  let expectContinue = false
  let framingProblem: FramingProblem | undefined
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    switch (name.length) {
      case 6:
        if (asciiEqualsLower(name, 'expect')) expectContinue = asciiEqualsLower(rawHeaders[i + 1]!, '100-continue')
        break
      case 7:
        if (asciiEqualsLower(name, 'upgrade')) upgradeHeader = true
        break
      case 10:
        if (asciiEqualsLower(name, 'connection')) connection = connection === undefined ? rawHeaders[i + 1]! : `${connection}, ${rawHeaders[i + 1]!}`
        break
      case 14:
        if (asciiEqualsLower(name, 'content-length')) {
          const value = rawHeaders[i + 1]!
          if (!isContentLength(value)) throw new BadRequestError(400, 'BadContentLength')
          if (contentLength !== -1) {
            if (Number(value) !== contentLength) throw new BadRequestError(400, 'MultipleContentLength')
            framingProblem = 'DuplicateContentLength'
          }
          contentLength = Number(value)
        }
        break
      case 17:
        if (asciiEqualsLower(name, 'transfer-encoding')) {
          transferEncoding = transferEncoding === undefined ? rawHeaders[i + 1]! : `${transferEncoding}, ${rawHeaders[i + 1]!}`
        }
        break
    }
  }
  let chunked = false
  if (transferEncoding !== undefined) {
    // Only a final `chunked` frames the body (RFC 9112 §6.3); the proxy answers other codings 501.
    const codings = transferEncoding.split(',')
    if (codings[codings.length - 1]!.trim().toLowerCase() !== 'chunked') {
      throw contentLength !== -1 ? new BadRequestError(400, 'BothTeClPresent') : new BadRequestError(501, 'BadTransferEncoding')
    }
    chunked = true
    if (contentLength !== -1) {
      framingProblem = 'BothTeClPresent'
      contentLength = -1
    }
  }
  const close = connection !== undefined && listsToken(connection, 'close')
  // HTTP/1.1 persists unless told not to; 1.0 only when asked (RFC 9112 §9.3); 0.9 never had
  // persistent connections, whatever its (non-standard) header lines say.
  const keepAlive = versionMajor === 1 && (versionMinor >= 1 ? !close : !close && connection !== undefined && listsToken(connection, 'keep-alive'))
  const upgrade = method === 'CONNECT' || (upgradeHeader && connection !== undefined && listsToken(connection, 'upgrade'))
  // A server must not send 100 Continue to an HTTP/1.0 (or 0.9) client (RFC 9110 §10.1.1).
  if (versionMajor !== 1 || versionMinor < 1) expectContinue = false
  return { method, url, versionMajor, versionMinor, rawHeaders, contentLength, chunked, keepAlive, upgrade, framingProblem, expectContinue }
}

/**
 * parseVersion reads `HTTP/1.1` / `HTTP/1.0` (and `HTTP/0.9`, which llhttp let through and the
 * ALB's front end accepts, spec §7.6). Another well-formed version → 505 (spec §7.4); anything
 * else → 400 (BadVersion).
 */
function parseVersion(text: string, start: number, end: number): [number, number] {
  if (end - start !== 8 || !text.startsWith('HTTP/', start) || text.charCodeAt(start + 6) !== 46 /* . */) throw new BadRequestError(400, 'BadVersion')
  const major = text.charCodeAt(start + 5) - 48
  const minor = text.charCodeAt(start + 7) - 48
  if (major < 0 || major > 9 || minor < 0 || minor > 9) throw new BadRequestError(400, 'BadVersion')
  if ((major === 1 && minor <= 1) || (major === 0 && minor === 9)) return [major, minor]
  throw new BadRequestError(505, 'UnsupportedVersion')
}
