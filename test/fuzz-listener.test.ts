/**
 * Fuzzing an HTTP listener (spec §6.3 desync mitigation, §7.4 ALB status codes, §7.6 limits):
 * a seeded PRNG builds a few hundred malformed or hostile HTTP/1.1 byte sequences and sends
 * each on its own raw connection to a live listener forwarding to a real target.
 *
 * For every case the answer must be one of the ALB's own statuses (with `Server: awselb/2.0`)
 * or a response proxied from the target (marked `X-Target`), each well-formed, or a clean
 * close; the connection must end within the idle timeout; a normal request on another
 * connection must still be served afterwards; and no request hidden in a body (`/smuggled`)
 * may ever reach the target (a desync).
 *
 * Deterministic input: the cases are a pure function of the seed (FUZZ_SEED overrides it);
 * a failure names the case index and its bytes.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { CreateLoadBalancerCommand, ModifyLoadBalancerAttributesCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { startTestOpenAlb, type TestOpenAlb } from './support/openalb.ts'
import { createSite, httpRequest, waitFor, type Site, type TestTarget } from './support/dataplane.ts'
import { defaultSubnets } from './support/network.ts'
import { seededRandom } from './support/random.ts'

const SEED = Number(process.env['FUZZ_SEED'] ?? 0x11573e4)
const CASES = Number(process.env['FUZZ_CASES'] ?? 360)
/** The load balancer's idle timeout: bounds every slow or stalled case. */
const IDLE_TIMEOUT_S = 1
/** How long past the idle timeout a connection may stay open before the case fails. */
const CLOSE_SLACK_MS = 2500
const CONCURRENCY = 8

/** Statuses the ALB itself may answer with for malformed input (spec §7.4). */
const ALB_STATUSES = new Set([400, 405, 408, 413, 414, 431, 501, 505])

// ------------------------------------------------------------------ PRNG

class Rng {
  readonly #next: () => number
  constructor(seed: number) { this.#next = seededRandom(seed) }
  int(n: number): number { return Math.floor(this.#next() * n) }
  chance(p: number): boolean { return this.#next() < p }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]! }
  bytes(n: number): Buffer { return Buffer.from(Array.from({ length: n }, () => this.int(256))) }
}

// ------------------------------------------------------------------ cases

/**
 * How the client ends its side: `sentinel` appends a valid `Connection: close` request (so a
 * kept-alive connection ends as soon as everything is answered), `end` half-closes (a
 * premature close), `destroy` resets, `hold` waits silently (slowloris).
 */
type Ending = 'sentinel' | 'end' | 'destroy' | 'hold'

interface Case {
  readonly name: string
  /** Written in order; a gap of `gapMs` separates parts (a trickle). */
  readonly parts: Buffer[]
  readonly gapMs: number
  readonly ending: Ending
  /** The exact first status the spec prescribes, where it does (§6.3, §7.4). */
  readonly expect?: number
}

const SENTINEL = 'GET /__end HTTP/1.1\r\nHost: fuzz.example.com\r\nConnection: close\r\n\r\n'
/** A request hidden in a body; `0000` becomes the case index (same length), naming the case that leaked it. */
const SMUGGLED = 'GET /smuggled-0000 HTTP/1.1\r\nHost: fuzz.example.com\r\n\r\n'

const b = (s: string): Buffer => Buffer.from(s, 'latin1')

function oneCase(name: string, bytes: string | Buffer, ending: Ending = 'sentinel', expect?: number): Case {
  return { name, parts: [typeof bytes === 'string' ? b(bytes) : bytes], gapMs: 0, ending, ...(expect !== undefined ? { expect } : {}) }
}

function validRequest(rng: Rng, extraHeaders = ''): string {
  const method = rng.pick(['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'])
  const body = method === 'GET' || method === 'DELETE' || method === 'OPTIONS' ? '' : 'x'.repeat(rng.int(40))
  const length = body === '' ? '' : `Content-Length: ${body.length}\r\n`
  return `${method} /p/${rng.int(1000)}?q=${rng.int(10)} HTTP/1.1\r\nHost: fuzz.example.com\r\nUser-Agent: fuzz\r\n${extraHeaders}${length}\r\n${body}`
}

const BAD_HEADER_LINES = [
  'Bad Header: x', 'Bad(Header): x', 'Bad@Header: x', ': novalue', 'NoColon', 'X-\u00e9: x', 'X-A\u0000: x', 'X-A: a\u0000b', 'X-A: a\rb',
  'X-A: a\u007fb', 'X-A: \u00ff\u00fe', 'X-Empty:', 'X-Empty: ', 'X-A : spaced', 'X-A:\tx', 'X-A: x\t', ' X-Lead: x', '\tX-Lead: x',
  'Host: second.example.com', 'Host:', `X-A: ${'\u0001'.repeat(5)}`, 'Content-Type: text/plain; charset=\u0000',
]

const GENERATORS: ReadonlyArray<(rng: Rng) => Case> = [
  // Broken request lines (BadUri, BadMethod, BadVersion are Severe → 400).
  (rng) => oneCase('broken request line', rng.pick([
    'GARBAGE\r\n\r\n', 'GET\r\n\r\n', 'GET /\r\n\r\n', 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n', 'GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n',
    'GET\t/\tHTTP/1.1\r\nHost: a\r\n\r\n', ' GET / HTTP/1.1\r\nHost: a\r\n\r\n', 'GET / http/1.1\r\nHost: a\r\n\r\n',
    'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n', 'GET /\u0000 HTTP/1.1\r\nHost: a\r\n\r\n', 'GET /\u00ff\u00fe HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET /\u007f HTTP/1.1\r\nHost: a\r\n\r\n', '\r\n\r\n\r\n', 'get / HTTP/1.1\r\nHost: a\r\n\r\n', 'G\u00c9T / HTTP/1.1\r\nHost: a\r\n\r\n',
    `${'A'.repeat(100)} / HTTP/1.1\r\nHost: a\r\n\r\n`, 'FOO / HTTP/1.1\r\nHost: a\r\n\r\n', 'GET * HTTP/1.1\r\nHost: a\r\n\r\n',
    'CONNECT fuzz.example.com:443 HTTP/1.1\r\nHost: fuzz.example.com:443\r\n\r\n', 'GET ftp://x/ HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET http://fuzz.example.com/abs HTTP/1.1\r\nHost: other.example.com\r\n\r\n', 'GET //double HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET /#frag HTTP/1.1\r\nHost: a\r\n\r\n', 'GET /%zz%00%ff HTTP/1.1\r\nHost: a\r\n\r\n', 'GET /../../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n',
  ])),
  // Versions: HTTP/2 on an HTTP/1 connection → 505 (§7.4); others BadVersion / NonCompliantVersion.
  (rng) => {
    const version = rng.pick(['HTTP/1.2', 'HTTP/2.0', 'HTTP/3.0', 'HTTP/1', 'HTTP/10.1', 'HTTP/1.1.1', 'HTTP/1.01', 'HTTPS/1.1', 'HTTP/0.9', 'HTTP/1.0', 'HTTP/9.9', 'HTTP/-1.1', ''])
    return oneCase(`version ${JSON.stringify(version)}`, `GET /v ${version}\r\nHost: fuzz.example.com\r\n\r\n`)
  },
  (rng) => oneCase('HTTP/2 preface', `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n${rng.bytes(rng.int(30)).toString('latin1')}`, 'end', 505),
  // Header names and values.
  (rng) => oneCase('invalid header', `GET /h HTTP/1.1\r\nHost: fuzz.example.com\r\n${rng.pick(BAD_HEADER_LINES)}\r\n\r\n`),
  // NUL/CR/LF injection and bare line endings.
  (rng) => oneCase('CR/LF injection', rng.pick([
    'GET /crlf HTTP/1.1\nHost: fuzz.example.com\n\n', 'GET /crlf HTTP/1.1\rHost: fuzz.example.com\r\r', 'GET /crlf HTTP/1.1\r\nHost: fuzz.example.com\r\nX-A: a\rX-B: b\r\n\r\n',
    'GET /crlf HTTP/1.1\r\nHost: fuzz.example.com\r\nX-A: a\nX-B: b\r\n\r\n', 'GET /crlf\r\nX-Injected: 1 HTTP/1.1\r\nHost: a\r\n\r\n',
    'GET /crlf HTTP/1.1\r\nHost: fuzz.example.com\r\n\n\r\n', 'GET /crlf HTTP/1.1\r\n\r\nHost: fuzz.example.com\r\n\r\n',
    'GET /crlf HTTP/1.1\r\nHost: fuzz.example.com\u0000\r\n\r\n', '\u0000\u0000\u0000GET / HTTP/1.1\r\nHost: a\r\n\r\n',
  ])),
  // obs-fold (§7.2: folded headers unsupported).
  (rng) => oneCase('obs-fold', `GET /fold HTTP/1.1\r\nHost: fuzz.example.com\r\nX-Folded: first\r\n${rng.pick([' ', '\t', '  \t'])}continued\r\n\r\n`),
  (rng) => oneCase('obs-fold of Content-Length', `POST /fold HTTP/1.1\r\nHost: fuzz.example.com\r\nContent-Length:${rng.pick(['', ' 0'])}\r\n ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`),
  // Huge and many headers (§7.6: one header 16K, all 64K → 400).
  (rng) => {
    const kind = rng.int(5)
    if (kind === 0) return oneCase('one header over 16K', `GET /big HTTP/1.1\r\nHost: fuzz.example.com\r\nX-Big: ${'a'.repeat(16_400 + rng.int(2000))}\r\n\r\n`, 'sentinel', 400)
    if (kind === 1) return oneCase('headers over 64K', `GET /big HTTP/1.1\r\nHost: fuzz.example.com\r\n${Array.from({ length: 9 }, (_, i) => `X-Big-${i}: ${'a'.repeat(8000)}\r\n`).join('')}\r\n`, 'sentinel', 400)
    if (kind === 2) return oneCase('URL over 16K', `GET /${'u'.repeat(16_500 + rng.int(3000))} HTTP/1.1\r\nHost: fuzz.example.com\r\n\r\n`, 'sentinel', 414)
    if (kind === 3) return oneCase('many small headers', `GET /many HTTP/1.1\r\nHost: fuzz.example.com\r\n${Array.from({ length: 100 + rng.int(2500) }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`)
    // Node keeps only the first 2000 headers in rawHeaders; the framing header comes after them.
    return oneCase('Content-Length after 2000 headers', `POST /many HTTP/1.1\r\nHost: fuzz.example.com\r\n${Array.from({ length: 2001 }, (_, i) => `X-${i}: v\r\n`).join('')}Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`)
  },
  // Content-Length variants (§6.3: MultipleContentLength/BadContentLength Severe, DuplicateContentLength Ambiguous).
  // The body is exactly SMUGGLED: read correctly it is a body (or the request is refused); only a
  // parser that takes a wrong length would see it as a second request.
  (rng) => {
    const n = SMUGGLED.length
    const [label, headers] = rng.pick<[string, string]>([
      ['conflicting', `Content-Length: 0\r\nContent-Length: ${n}`], ['conflicting, reversed', `Content-Length: ${n}\r\nContent-Length: 0`],
      ['duplicate', `Content-Length: ${n}\r\nContent-Length: ${n}`], ['list', `Content-Length: ${n}, ${n}`], ['conflicting list', `Content-Length: 0, ${n}`],
      ['negative', `Content-Length: -${n}`], ['hex', `Content-Length: 0x${n.toString(16)}`], ['plus', `Content-Length: +${n}`], ['spaces', `Content-Length:  ${n}  `],
      ['huge', 'Content-Length: 99999999999999999999999'], ['empty', 'Content-Length: '], ['letters', 'Content-Length: five'], ['decimal', `Content-Length: ${n}.0`],
      ['leading zeros', `Content-Length: 000${n}`], ['unicode digits', 'Content-Length: \u00b5'], ['tab', `Content-Length:\t${n}`], ['comma', 'Content-Length: ,'],
    ])
    return oneCase(`Content-Length ${label}`, `POST /cl HTTP/1.1\r\nHost: fuzz.example.com\r\n${headers}\r\n\r\n${SMUGGLED}`)
  },
  (rng) => oneCase('GET with a body', `GET /cl HTTP/1.1\r\nHost: fuzz.example.com\r\nContent-Length: ${rng.pick([0, 5])}\r\n\r\n${rng.chance(0.5) ? 'hello' : ''}`),
  // Transfer-Encoding variants (§7.4: a coding other than chunked → 501; §6.3 BothTeClPresent …).
  (rng) => {
    const te = rng.pick(['gzip', 'gzip, chunked', 'chunked, gzip', 'identity', 'Chunked', 'CHUNKED', ' chunked', 'chunked ', 'chunked\t', 'xchunked', 'chunked, chunked',
      'chunked;q=1', '"chunked"', 'chunk', '', 'compress', 'deflate'])
    const twice = rng.chance(0.15) ? `Transfer-Encoding: ${te}\r\n` : ''
    return oneCase(`Transfer-Encoding ${JSON.stringify(te)}${twice === '' ? '' : ' twice'}`,
      `POST /te HTTP/1.1\r\nHost: fuzz.example.com\r\nTransfer-Encoding: ${te}\r\n${twice}\r\n5\r\nhello\r\n0\r\n\r\n`,
      'sentinel', te === 'gzip' && twice === '' ? 501 : undefined)
  },
  // BothTeClPresent is Ambiguous (§6.3): forwarded in the default (defensive) mode with chunked
  // framing, then the connection closes, so what follows the chunked body is never a request.
  (rng) => oneCase('TE and CL together', `POST /tecl HTTP/1.1\r\nHost: fuzz.example.com\r\n${rng.chance(0.5)
    ? `Content-Length: 4\r\nTransfer-Encoding: chunked` : `Transfer-Encoding: chunked\r\nContent-Length: ${SMUGGLED.length + 5}`}\r\n\r\n0\r\n\r\n${SMUGGLED}`),
  (rng) => {
    const chunk = rng.pick(['zz\r\nhello\r\n0\r\n\r\n', '-1\r\nhello\r\n0\r\n\r\n', 'fffffffffffffffffff\r\nhello\r\n0\r\n\r\n', '0x5\r\nhello\r\n0\r\n\r\n',
      '5;ext=1\r\nhello\r\n0\r\n\r\n', '5;ext="a b"\r\nhello\r\n0\r\n\r\n', '5 ;ext\r\nhello\r\n0\r\n\r\n', '5\r\nhelloXX\r\n0\r\n\r\n', '5\r\nhel\r\n0\r\n\r\n',
      '5\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n', '5\r\nhello\r\n0\r\nContent-Length: 99\r\n\r\n', '5\r\nhello\r\n0\r\n\r\n', '5\nhello\n0\n\n',
      '5\r\nhello\r\n0\r\nX-T: a\r\n b\r\n\r\n', '\r\n5\r\nhello\r\n0\r\n\r\n', '5\r\nhello', '5\r\nhello\r\n', `${'0'.repeat(100)}5\r\nhello\r\n0\r\n\r\n`,
      '5\u0000\r\nhello\r\n0\r\n\r\n', '05\r\nhello\r\n00\r\n\r\n'])
    return oneCase(`chunked body ${JSON.stringify(chunk.slice(0, 24))}`, `POST /chunked HTTP/1.1\r\nHost: fuzz.example.com\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}`)
  },
  (rng) => oneCase('TE: gzip', `POST /gzip HTTP/1.1\r\nHost: fuzz.example.com\r\nTransfer-Encoding: gzip\r\n\r\n${rng.bytes(20).toString('latin1')}`, 'sentinel', 501),
  // Pipelining mixed with garbage (§7.6: pipelining accepted on the front end).
  (rng) => oneCase('pipelined valid requests', Array.from({ length: 2 + rng.int(5) }, () => validRequest(rng)).join('')),
  (rng) => oneCase('pipelined with garbage', `${validRequest(rng)}${rng.pick(['GARBAGE\r\n\r\n', rng.bytes(30).toString('latin1'), 'GET / HTTP/9\r\n\r\n', '\r\n'])}${validRequest(rng)}`),
  (rng) => oneCase('TRACE', `TRACE /t HTTP/1.1\r\nHost: fuzz.example.com\r\n${rng.chance(0.5) ? 'Max-Forwards: 0\r\n' : ''}\r\n`, 'sentinel', 405),
  (rng) => oneCase('HTTP/1.1 without Host', `GET /nohost HTTP/1.1\r\n${rng.chance(0.5) ? 'X-A: b\r\n' : ''}\r\n`, 'sentinel', 400),
  (rng) => oneCase('odd but valid', validRequest(rng, rng.pick([
    'Expect: 100-continue\r\n', 'Connection: keep-alive, Upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n', 'Connection: close\r\n',
    'X-Forwarded-For: 1.2.3.4\r\n', 'Host: second.example.com\r\n', 'Cookie: AWSALB=garbage; AWSALBTG=%%%\r\n', 'X-Amzn-Trace-Id: Root=garbage\r\n',
    'Connection: x-secret\r\nX-Secret: s\r\n', 'Te: trailers\r\n', 'Range: bytes=0-\r\n', `X-Long: ${'l'.repeat(8000)}\r\n`, 'Keep-Alive: timeout=1\r\n',
  ]))),
  // Premature closes mid-head and mid-body (§7.4: client closed before the full body → 400).
  (rng) => {
    const full = b(`POST /cut HTTP/1.1\r\nHost: fuzz.example.com\r\nContent-Length: 50\r\n\r\n${'x'.repeat(50)}`)
    const cut = 1 + rng.int(full.length - 2)
    const ending = rng.pick<Ending>(['end', 'end', 'destroy'])
    // A half-close after the head, before the whole body: "client closed before sending the full body" → 400 (§7.4).
    const midBody = ending === 'end' && cut > full.indexOf('\r\n\r\n') + 4
    return oneCase(midBody ? 'premature close mid-body' : 'premature close', full.subarray(0, cut), ending, midBody ? 400 : undefined)
  },
  (rng) => {
    const full = b('POST /cut HTTP/1.1\r\nHost: fuzz.example.com\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n')
    return oneCase('premature close in a chunked body', full.subarray(0, 60 + rng.int(full.length - 61)), rng.pick<Ending>(['end', 'destroy']))
  },
  // Byte-level mutations of a valid request.
  (rng) => {
    const bytes = b(validRequest(rng))
    for (let n = 1 + rng.int(3); n > 0; n--) {
      const at = rng.int(bytes.length)
      bytes[at] = rng.pick([0, 10, 13, 32, 58, 9, 127, 255, rng.int(256)])
    }
    return oneCase('mutated bytes', bytes)
  },
  (rng) => {
    const text = validRequest(rng)
    const lines = text.split('\r\n')
    const i = rng.int(Math.max(lines.length - 2, 1))
    const mutated = rng.pick([
      () => [...lines.slice(0, i), lines[i]!, ...lines.slice(i)].join('\r\n'),
      () => [...lines.slice(0, i), ...lines.slice(i + 1)].join('\r\n'),
      () => text.slice(0, rng.int(text.length)),
      () => text.replace(/\r\n/g, () => rng.pick(['\r\n', '\n', '\r\n ', '\r\r\n'])),
    ])()
    return oneCase('mutated lines', mutated)
  },
  (rng) => oneCase('random bytes', rng.bytes(1 + rng.int(400)), rng.pick<Ending>(['sentinel', 'end'])),
]

/** Slowloris, bounded: a partial head held open must be answered 408 or closed within the idle timeout. */
function slowCases(rng: Rng): Case[] {
  const heads = ['GET / HTTP/1.1\r\nHost: fuzz.example.com\r\n', 'GET / HTT', 'POST /slow HTTP/1.1\r\nHost: fuzz.example.com\r\nContent-Length: 100\r\n\r\nabc', 'G']
  // "The client did not send data before the idle timeout" → 408 (spec §7.4), mid-body as mid-head.
  const cases: Case[] = heads.map((head) => oneCase(`slowloris ${JSON.stringify(head.slice(0, 20))}`, head, 'hold', 408))
  // A complete request trickled in small parts well inside the idle timeout is served.
  const trickled = b(validRequest(rng, 'Connection: close\r\n'))
  const parts: Buffer[] = []
  for (let at = 0; at < trickled.length; at += 16) parts.push(trickled.subarray(at, at + 16))
  cases.push({ name: 'trickled valid request', parts, gapMs: 20, ending: 'hold' })
  return cases
}

function buildCases(seed: number, count: number): Case[] {
  const rng = new Rng(seed)
  const cases = [...Array.from({ length: count }, () => rng.pick(GENERATORS)(rng)), ...slowCases(rng)]
  return cases.map((c, i) => ({
    ...c, parts: c.parts.map((part) => b(part.toString('latin1').replaceAll('/smuggled-0000', `/smuggled-${String(i).padStart(4, '0')}`))),
  }))
}

// ------------------------------------------------------------------ responses

interface ParsedResponse {
  readonly status: number
  readonly headers: ReadonlyMap<string, string>
  readonly statusLine: string
}

/** Splits what the listener sent into HTTP/1.1 responses; a problem is a malformed answer. */
function parseResponses(data: string): { responses: ParsedResponse[]; problem?: string } {
  const responses: ParsedResponse[] = []
  let rest = data
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n')
    if (end < 0) return { responses, problem: `incomplete response head ${JSON.stringify(rest.slice(0, 120))}` }
    const lines = rest.slice(0, end).split('\r\n')
    const statusLine = lines[0]!
    const m = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*$/.exec(statusLine)
    if (m === null) return { responses, problem: `bad status line ${JSON.stringify(statusLine.slice(0, 120))}` }
    const headers = new Map<string, string>()
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      if (colon <= 0) return { responses, problem: `bad response header ${JSON.stringify(line.slice(0, 120))}` }
      const name = line.slice(0, colon).toLowerCase()
      headers.set(name, headers.has(name) ? `${headers.get(name)!}, ${line.slice(colon + 1).trim()}` : line.slice(colon + 1).trim())
    }
    const status = Number(m[1])
    responses.push({ status, headers, statusLine })
    rest = rest.slice(end + 4)
    if (status < 200 || status === 204 || status === 304) continue
    if (/chunked/i.test(headers.get('transfer-encoding') ?? '')) {
      for (;;) {
        const lineEnd = rest.indexOf('\r\n')
        if (lineEnd < 0) return { responses, problem: 'incomplete chunked response' }
        const size = Number.parseInt(rest.slice(0, lineEnd), 16)
        if (Number.isNaN(size)) return { responses, problem: `bad chunk size in response ${JSON.stringify(rest.slice(0, 40))}` }
        rest = rest.slice(lineEnd + 2 + size + 2)
        if (size === 0) break
      }
    } else if (headers.has('content-length')) {
      const length = Number(headers.get('content-length'))
      if (rest.length < length) return { responses, problem: `response body shorter than Content-Length ${length}` }
      rest = rest.slice(length)
    } else {
      rest = '' // delimited by the close
    }
  }
  return { responses }
}

interface Outcome { readonly data: string; readonly closed: boolean; readonly ms: number }

/** Runs one case on a fresh connection; resolves when the listener closes it or the deadline passes. */
function runCase(port: number, c: Case): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = Date.now()
    const chunks: Buffer[] = []
    let settled = false
    const socket = connect(port, '127.0.0.1')
    const finish = (closed: boolean): void => {
      if (settled) return
      settled = true
      clearTimeout(deadline)
      socket.destroy()
      resolve({ data: Buffer.concat(chunks).toString('latin1'), closed, ms: Date.now() - started })
    }
    const deadline = setTimeout(() => finish(false), IDLE_TIMEOUT_S * 1000 + CLOSE_SLACK_MS + c.parts.length * c.gapMs)
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', () => {})
    socket.on('close', () => finish(true))
    socket.on('connect', () => {
      void (async () => {
        for (const [i, part] of c.parts.entries()) {
          if (i > 0 && c.gapMs > 0) await new Promise((r) => setTimeout(r, c.gapMs))
          if (socket.destroyed) return
          socket.write(part)
        }
        if (c.ending === 'sentinel') socket.write(SENTINEL)
        else if (c.ending === 'end') socket.end()
        else if (c.ending === 'destroy') finish(true)
      })()
    })
  })
}

/** Why the listener's answer to `c` breaks the rules; undefined when it is fine. */
function judge(c: Case, outcome: Outcome): string | undefined {
  if (!outcome.closed) return `connection still open ${outcome.ms} ms later (idle timeout ${IDLE_TIMEOUT_S} s)`
  if (c.ending === 'destroy') return undefined
  const { responses, problem } = parseResponses(outcome.data)
  if (problem !== undefined) return problem
  for (const r of responses) {
    if (r.headers.get('server') === 'awselb/2.0') {
      if (!ALB_STATUSES.has(r.status)) return `ALB answered ${r.statusLine}`
      if (!(r.headers.get('content-type') ?? '').startsWith('text/html')) return `ALB error without text/html: ${r.statusLine}`
    } else if (r.headers.get('x-target') !== 't' && r.status !== 100) {
      return `an answer neither from the ALB nor from the target: ${r.statusLine} ${JSON.stringify([...r.headers])}`
    }
  }
  if (c.expect !== undefined && responses[0]?.status !== c.expect) return `expected ${c.expect}, got ${responses[0]?.statusLine ?? 'a close without an answer'}`
  return undefined
}

// ------------------------------------------------------------------ the suite

/**
 * The target reads every body, then answers with a marker the ALB's own pages never carry.
 * It accepts whatever the ALB may forward (64K of headers, spec §7.6), so a refusal by the
 * target's own parser never hides what the ALB did.
 */
async function startFuzzTarget(): Promise<TestTarget> {
  const seen: TestTarget['seen'] = []
  const server = createServer({ maxHeaderSize: 256 * 1024 }, (req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders })
    let bytes = 0
    req.on('data', (chunk: Buffer) => { bytes += chunk.length })
    req.on('error', () => {})
    req.on('end', () => {
      res.setHeader('X-Target', 't')
      res.setHeader('Content-Type', 'application/json')
      res.end(JSON.stringify({ method: req.method, url: req.url, bytes }))
    })
  })
  server.maxHeadersCount = 0
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    name: 't', port: (server.address() as AddressInfo).port, server, seen,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}

describe(`listener fuzz (seed 0x${SEED.toString(16)}, ${CASES} cases + slowloris)`, () => {
  let alb: TestOpenAlb
  let target: TestTarget
  let site: Site

  before(async () => {
    alb = await startTestOpenAlb()
    target = await startFuzzTarget()
    const subnets = await defaultSubnets(alb)
    const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'fuzz-listener', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
    await alb.elbv2.send(new ModifyLoadBalancerAttributesCommand({
      LoadBalancerArn: lb.LoadBalancerArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: String(IDLE_TIMEOUT_S) }],
    }))
    site = await createSite(alb, { targets: [target], loadBalancerArn: lb.LoadBalancerArn! })
    await waitFor(async () => (await httpRequest(site.port, '/hostname')).status === 200 || undefined, 5000, 'listener')
  })

  after(async () => {
    await alb.close()
    await target.close()
  })

  it('answers every hostile byte sequence with an ALB status, a proxied response or a clean close, and keeps serving', async (t) => {
    const cases = buildCases(SEED, CASES)
    const failures: string[] = []
    const statuses = new Map<string, number>()
    const started = Date.now()
    let next = 0
    const worker = async (): Promise<void> => {
      for (let i = next++; i < cases.length; i = next++) {
        const c = cases[i]!
        const outcome = await runCase(site.port, c)
        const problem = judge(c, outcome)
        const bytes = JSON.stringify(Buffer.concat(c.parts).toString('latin1').slice(0, 160))
        if (problem !== undefined) failures.push(`#${i} ${c.name} ${bytes} (${c.ending}): ${problem}`)
        for (const r of parseResponses(outcome.data).responses) {
          const key = `${r.status}${r.headers.get('server') === 'awselb/2.0' ? ' alb' : ''}`
          statuses.set(key, (statuses.get(key) ?? 0) + 1)
        }
        // The process never dies and other clients are unaffected.
        const normal = await httpRequest(site.port, '/hostname').catch((err: Error) => ({ status: 0, headers: {} as Record<string, string>, body: err.message }))
        if (normal.status !== 200 || normal.headers['x-target'] !== 't') failures.push(`#${i} ${c.name}: the next normal request got ${normal.status} ${normal.body.slice(0, 80)}`)
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    t.diagnostic(`${cases.length} cases in ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`)
    const smuggled = target.seen.filter((r) => r.url.includes('smuggled'))
    assert.deepEqual(smuggled.map((r) => `${r.method} ${r.url}`), [], 'a request hidden in a body reached the target (desync)')
    assert.deepEqual(failures.sort((a, z) => Number(a.slice(1, a.indexOf(' '))) - Number(z.slice(1, z.indexOf(' ')))), [])
  })
})
