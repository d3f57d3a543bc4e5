/**
 * @module dataplane/proxy/h1-syntax
 * HTTP/1.1 field syntax (RFC 9110 §5, RFC 9112 §5) shared by the proxy's two hand-written
 * parsers: requests from clients (listener/h1-request.ts) and responses from targets
 * (proxy/h1-response.ts). Strict on purpose: a lenient reading is where two HTTP parsers
 * disagree, which is how requests get smuggled (spec §6.3).
 *
 * Hand-rolled char loops rather than split/RegExp: 2.2 → 0.9 µs for the benchmark target's
 * response head (benchmarks/micro/proxy-path.ts).
 */
import { asciiEqualsLower } from '../router/request.ts'

/** tchar (RFC 9110 §5.6.2), indexed by char code. */
const TOKEN_CHARS = new Uint8Array(128)
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHARS[c.charCodeAt(0)] = 1

export function isTokenChar(c: number): boolean {
  return c < 128 && TOKEN_CHARS[c] === 1
}

function isWhitespace(c: number): boolean {
  return c === 32 || c === 9
}

/** Control characters other than HTAB (and DEL) are not allowed in field values (RFC 9110 §5.5). */
export function hasControl(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i)
    if ((c < 32 && c !== 9) || c === 127) return true
  }
  return false
}

/** A Content-Length value: digits only, at most 15 (below 2^53; RFC 9110 §8.6, no sign, no list). */
export function isContentLength(value: string): boolean {
  const n = value.length
  if (n === 0 || n > 15) return false
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

/** CR, LF or NUL: what would let a header value end its line on the wire. */
export function breaksLine(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 13 || c === 10 || c === 0) return true
  }
  return false
}

/** Whether a comma-separated header value (Connection, Transfer-Encoding …) lists `token`, case-insensitively. */
export function listsToken(value: string, token: string): boolean {
  if (asciiEqualsLower(value, token)) return true
  if (!value.includes(',')) return false
  for (const part of value.toLowerCase().split(',')) if (part.trim() === token) return true
  return false
}

/**
 * parseFields reads the field lines of a head (`text` from `pos` to its end, lines separated
 * by CRLF, the final empty line already cut off) into `out` as flat [name, value, …]: names
 * as sent, values without surrounding whitespace, bytes kept as latin1. False when a line is
 * malformed: no colon, a name that is not a token (which covers whitespace before the colon
 * and obs-fold, a line starting with whitespace), or a control character in the value
 * (which covers a bare CR or LF).
 */
export function parseFields(text: string, pos: number, out: string[]): boolean {
  // One pass per line: the name's chars are checked as tokens, the value's for control
  // characters while its end (CR LF) and its last non-blank char are found.
  const length = text.length
  while (pos < length) {
    let colon = pos
    while (colon < length && isTokenChar(text.charCodeAt(colon))) colon++
    if (colon === pos || colon === length || text.charCodeAt(colon) !== 58 /* : */) return false
    let i = colon + 1
    while (i < length && isWhitespace(text.charCodeAt(i))) i++
    const start = i
    let stop = i
    for (; i < length; i++) {
      const c = text.charCodeAt(i)
      if (c === 13 /* CR */) break
      if ((c < 32 && c !== 9) || c === 127) return false
      if (c !== 32 && c !== 9) stop = i + 1
    }
    // A CR ends the line only with its LF; the head's last line ends with the text.
    if (i < length && text.charCodeAt(i + 1) !== 10 /* LF */) return false
    out.push(text.slice(pos, colon), text.slice(start, stop))
    pos = i + 2
  }
  return true
}
