/**
 * parseRequestHead (listener/h1-request.ts): what it accepts and how, and what it refuses with
 * which status and reason. The module comment is the contract: llhttp's acceptance (which the
 * listener fuzz and the desync tests pin end to end) plus the AWS choices — HTTP/2.0 and other
 * unknown versions 505 (spec §7.4), an `Expect` other than `100-continue` ignored.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { METHODS } from 'node:http'
import { parseRequestHead, type RequestHead } from './h1-request.ts'
import { BadRequestError } from '../proxy/errors.ts'

/** A head as the connection hands it over: latin1, lines joined with CRLF, without the final empty line. */
function head(...lines: string[]): string {
  return lines.join('\r\n')
}

function refusal(text: string): { status: number; reason: string } | undefined {
  try {
    parseRequestHead(text)
    return undefined
  } catch (err) {
    assert.ok(err instanceof BadRequestError, `not a BadRequestError: ${String(err)}`)
    return { status: err.status, reason: err.reason }
  }
}

describe('parseRequestHead: accepted heads', () => {
  it('accepts every method in node:http METHODS (what llhttp knew)', () => {
    for (const method of METHODS) {
      const target = method === 'CONNECT' ? 'example.com:443' : '/'
      const parsed = parseRequestHead(head(`${method} ${target} HTTP/1.1`, 'Host: a'))
      assert.equal(parsed.method, method)
      assert.equal(parsed.url, target)
    }
  })

  const cases: Array<[string, string, Partial<RequestHead>]> = [
    ['origin form', head('GET /a/b?c=d&e=%20 HTTP/1.1', 'Host: a'), { method: 'GET', url: '/a/b?c=d&e=%20', versionMajor: 1, versionMinor: 1 }],
    ['absolute form', head('GET http://example.com:8080/x?y=1 HTTP/1.1', 'Host: a'), { url: 'http://example.com:8080/x?y=1' }],
    ['asterisk form', head('OPTIONS * HTTP/1.1', 'Host: a'), { method: 'OPTIONS', url: '*' }],
    ['authority form (CONNECT leaves HTTP)', head('CONNECT example.com:443 HTTP/1.1', 'Host: example.com:443'), { url: 'example.com:443', upgrade: true }],
    ['visible ASCII in the target', head('GET /"{}|\\^`[]<>#frag HTTP/1.1', 'Host: a'), { url: '/"{}|\\^`[]<>#frag' }],
    ['request line alone', 'GET / HTTP/1.1', { rawHeaders: [], contentLength: -1, chunked: false }],
    ['leading CRLFs ignored (RFC 9112 §2.2)', `\r\n\r\n${head('GET /x HTTP/1.1', 'Host: a')}`, { method: 'GET', url: '/x', rawHeaders: ['Host', 'a'] }],
    // Versions and keep-alive (RFC 9112 §9.3).
    ['HTTP/1.1 keeps alive by default', head('GET / HTTP/1.1', 'Host: a'), { keepAlive: true }],
    ['HTTP/1.1 Connection: close', head('GET / HTTP/1.1', 'Connection: close'), { keepAlive: false }],
    ['HTTP/1.1 Connection: Close (case)', head('GET / HTTP/1.1', 'Connection: Close'), { keepAlive: false }],
    ['HTTP/1.1 close among tokens', head('GET / HTTP/1.1', 'Connection: keep-alive , CLOSE'), { keepAlive: false }],
    ['HTTP/1.1 close on a second Connection line', head('GET / HTTP/1.1', 'Connection: te', 'Connection: close'), { keepAlive: false }],
    ['HTTP/1.1 a token containing close is not close', head('GET / HTTP/1.1', 'Connection: closed, x-close'), { keepAlive: true }],
    ['HTTP/1.0 closes by default', head('GET / HTTP/1.0'), { versionMajor: 1, versionMinor: 0, keepAlive: false }],
    ['HTTP/1.0 Connection: keep-alive', head('GET / HTTP/1.0', 'Connection: keep-alive'), { keepAlive: true }],
    ['HTTP/1.0 Connection: Keep-Alive among tokens', head('GET / HTTP/1.0', 'Connection: foo,Keep-Alive'), { keepAlive: true }],
    ['HTTP/1.0 keep-alive and close', head('GET / HTTP/1.0', 'Connection: keep-alive, close'), { keepAlive: false }],
    ['HTTP/0.9 (the front end accepts it, spec §7.6)', head('GET / HTTP/0.9'), { versionMajor: 0, versionMinor: 9, keepAlive: false }],
    ['HTTP/0.9 with Connection: keep-alive: 0.9 has no persistent connections', head('GET / HTTP/0.9', 'Connection: keep-alive'), { keepAlive: false }],
    ['HTTP/1.0 with Connection: keep-alive', head('GET / HTTP/1.0', 'Connection: keep-alive'), { keepAlive: true }],
    // Field lines.
    ['OWS around values trimmed', head('GET / HTTP/1.1', 'Host:   a.example  ', 'X-Tab:\t\tb\t', 'X-Inner: c  d'), {
      rawHeaders: ['Host', 'a.example', 'X-Tab', 'b', 'X-Inner', 'c  d'],
    }],
    ['empty values', head('GET / HTTP/1.1', 'X-Empty:', 'X-Blank:   ', 'Host: a'), { rawHeaders: ['X-Empty', '', 'X-Blank', '', 'Host', 'a'] }],
    ['obs-text bytes in values kept (latin1)', head('GET / HTTP/1.1', 'X-Name: caf\u00e9 \u00ff\u0080', 'Host: a'), { rawHeaders: ['X-Name', 'caf\u00e9 \u00ff\u0080', 'Host', 'a'] }],
    ['names as sent, repeats kept in order', head('GET / HTTP/1.1', 'hOsT: a', 'X-A: 1', 'x-a: 2'), { rawHeaders: ['hOsT', 'a', 'X-A', '1', 'x-a', '2'] }],
    ['every tchar in a name', head('GET / HTTP/1.1', "!#$%&'*+-.^_`|~09AZaz: v"), { rawHeaders: ["!#$%&'*+-.^_`|~09AZaz", 'v'] }],
    ['colon inside a value', head('GET / HTTP/1.1', 'X-Time: 12:30:00'), { rawHeaders: ['X-Time', '12:30:00'] }],
    // Upgrade and CONNECT.
    ['WebSocket upgrade', head('GET /chat HTTP/1.1', 'Host: a', 'Upgrade: websocket', 'Connection: Upgrade'), { upgrade: true, keepAlive: true }],
    ['upgrade among Connection tokens', head('GET / HTTP/1.1', 'Connection: keep-alive, upgrade', 'Upgrade: websocket'), { upgrade: true }],
    ['Upgrade without Connection: upgrade', head('GET / HTTP/1.1', 'Upgrade: websocket'), { upgrade: false }],
    ['Connection: upgrade without Upgrade', head('GET / HTTP/1.1', 'Connection: upgrade'), { upgrade: false }],
    // Expect (RFC 9110 §10.1.1; another expectation is ignored, as nginx does).
    ['Expect: 100-continue', head('POST / HTTP/1.1', 'Expect: 100-continue', 'Content-Length: 3'), { expectContinue: true, contentLength: 3 }],
    ['Expect: 100-Continue (case)', head('POST / HTTP/1.1', 'EXPECT: 100-Continue', 'Content-Length: 3'), { expectContinue: true }],
    ['another Expect is ignored', head('POST / HTTP/1.1', 'Expect: something-else', 'Content-Length: 3'), { expectContinue: false, contentLength: 3 }],
    ['no 100 Continue for HTTP/1.0 (RFC 9110 §10.1.1)', head('POST / HTTP/1.0', 'Expect: 100-continue', 'Content-Length: 3'), { expectContinue: false }],
    ['no 100 Continue for HTTP/0.9 either', head('POST / HTTP/0.9', 'Expect: 100-continue', 'Content-Length: 3'), { expectContinue: false }],
    ['no Expect', head('POST / HTTP/1.1', 'Content-Length: 3'), { expectContinue: false }],
    // Body framing.
    ['no body', head('GET / HTTP/1.1', 'Host: a'), { contentLength: -1, chunked: false }],
    ['Content-Length: 0', head('POST / HTTP/1.1', 'Content-Length: 0'), { contentLength: 0, chunked: false }],
    ['Content-Length digits', head('POST / HTTP/1.1', 'content-length:  1234567 '), { contentLength: 1234567 }],
    ['Content-Length leading zeros', head('POST / HTTP/1.1', 'Content-Length: 0042'), { contentLength: 42 }],
    ['Content-Length of 15 digits', head('POST / HTTP/1.1', 'Content-Length: 999999999999999'), { contentLength: 999999999999999 }],
    ['chunked', head('POST / HTTP/1.1', 'Transfer-Encoding: chunked'), { chunked: true, contentLength: -1 }],
    ['Chunked (case), OWS', head('POST / HTTP/1.1', 'transfer-encoding:   CHUNKED '), { chunked: true }],
    ['chunked as the last coding', head('POST / HTTP/1.1', 'Transfer-Encoding: gzip,\tchunked'), { chunked: true }],
    ['chunked last across two lines', head('POST / HTTP/1.1', 'Transfer-Encoding: gzip', 'Transfer-Encoding: chunked'), { chunked: true }],
    // Ambiguous framings, left to the desync mitigation mode (spec §6.3).
    ['Content-Length repeated, same value', head('POST / HTTP/1.1', 'Content-Length: 2', 'Content-Length: 2'), { contentLength: 2, framingProblem: 'DuplicateContentLength' }],
    ['Content-Length repeated, same number', head('POST / HTTP/1.1', 'Content-Length: 2', 'content-length: 02'), { contentLength: 2, framingProblem: 'DuplicateContentLength' }],
    ['Transfer-Encoding then Content-Length: chunked wins', head('POST / HTTP/1.1', 'Transfer-Encoding: chunked', 'Content-Length: 5'), { chunked: true, contentLength: -1, framingProblem: 'BothTeClPresent' }],
    ['Content-Length then Transfer-Encoding: chunked wins', head('POST / HTTP/1.1', 'Content-Length: 5', 'Transfer-Encoding: chunked'), { chunked: true, contentLength: -1, framingProblem: 'BothTeClPresent' }],
    ['Content-Length: 0 with Transfer-Encoding', head('POST / HTTP/1.1', 'Content-Length: 0', 'Transfer-Encoding: chunked'), { chunked: true, framingProblem: 'BothTeClPresent' }],
    ['duplicate Content-Length and Transfer-Encoding', head('POST / HTTP/1.1', 'Content-Length: 5', 'Content-Length: 5', 'Transfer-Encoding: chunked'), { chunked: true, framingProblem: 'BothTeClPresent' }],
    ['no framing problem', head('POST / HTTP/1.1', 'Content-Length: 5'), { framingProblem: undefined }],
  ]
  for (const [name, text, expected] of cases) {
    it(name, () => {
      const parsed = parseRequestHead(text)
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(parsed[key as keyof RequestHead], value, `${name}: ${key}`)
    })
  }

  it('defaults: keep-alive 1.1, no upgrade, no expectation', () => {
    assert.deepEqual(parseRequestHead(head('GET /p HTTP/1.1', 'Host: h')), {
      method: 'GET', url: '/p', versionMajor: 1, versionMinor: 1, rawHeaders: ['Host', 'h'], contentLength: -1, chunked: false,
      keepAlive: true, upgrade: false, framingProblem: undefined, expectContinue: false,
    })
  })
})

describe('parseRequestHead: refused heads', () => {
  const cases: Array<[string, string, number, string]> = [
    // Methods.
    ['garbage', 'GARBAGE', 400, 'BadMethod'],
    ['empty head', '', 400, 'BadMethod'],
    ['method alone', 'GET', 400, 'BadMethod'],
    ['lower-case method', head('get / HTTP/1.1', 'Host: a'), 400, 'BadMethod'],
    ['unknown method', head('FOO / HTTP/1.1', 'Host: a'), 400, 'BadMethod'],
    ['non-ASCII method', head('G\u00c9T / HTTP/1.1', 'Host: a'), 400, 'BadMethod'],
    ['leading space', head(' GET / HTTP/1.1', 'Host: a'), 400, 'BadMethod'],
    ['tabs for spaces', head('GET\t/\tHTTP/1.1', 'Host: a'), 400, 'BadMethod'],
    ['a space only after the line', head('GET', 'Host: a b'), 400, 'BadMethod'],
    ['PRI with another target', head('PRI / HTTP/1.1', 'Host: a'), 400, 'BadMethod'],
    ['leading NUL', '\u0000GET / HTTP/1.1', 400, 'BadMethod'],
    // HTTP/2 on an HTTP/1 listener (spec §7.4).
    ['HTTP/2 connection preface', 'PRI * HTTP/2.0', 505, 'UnsupportedVersion'],
    ['HTTP/2.0 request line', head('GET / HTTP/2.0', 'Host: a'), 505, 'UnsupportedVersion'],
    ['HTTP/1.2', head('GET / HTTP/1.2', 'Host: a'), 505, 'UnsupportedVersion'],
    ['HTTP/3.0', head('GET / HTTP/3.0', 'Host: a'), 505, 'UnsupportedVersion'],
    ['HTTP/9.9', head('GET / HTTP/9.9', 'Host: a'), 505, 'UnsupportedVersion'],
    ['HTTP/0.0', head('GET / HTTP/0.0', 'Host: a'), 505, 'UnsupportedVersion'],
    // Request targets.
    ['two spaces', head('GET  / HTTP/1.1', 'Host: a'), 400, 'BadUri'],
    ['no target', 'GET HTTP/1.1', 400, 'BadUri'],
    ['no version', 'GET /', 400, 'BadUri'],
    ['NUL in target', head('GET /\u0000 HTTP/1.1', 'Host: a'), 400, 'BadUri'],
    ['tab in target', head('GET /a\tb HTTP/1.1', 'Host: a'), 400, 'BadUri'],
    ['CR in target', head('GET /a\rb HTTP/1.1', 'Host: a'), 400, 'BadUri'],
    ['DEL in target', head('GET /\u007f HTTP/1.1', 'Host: a'), 400, 'BadUri'],
    ['non-ASCII in target', head('GET /\u00ff\u00fe HTTP/1.1', 'Host: a'), 400, 'BadUri'],
    // Versions (the third space-separated part).
    ['space inside the target', head('GET /a b HTTP/1.1', 'Host: a'), 400, 'BadVersion'],
    ['empty version', 'GET / ', 400, 'BadVersion'],
    ['lower-case protocol', head('GET / http/1.1', 'Host: a'), 400, 'BadVersion'],
    ['HTTP/1', head('GET / HTTP/1', 'Host: a'), 400, 'BadVersion'],
    ['HTTP/10.1', head('GET / HTTP/10.1', 'Host: a'), 400, 'BadVersion'],
    ['HTTP/1.01', head('GET / HTTP/1.01', 'Host: a'), 400, 'BadVersion'],
    ['HTTP/1.1.1', head('GET / HTTP/1.1.1', 'Host: a'), 400, 'BadVersion'],
    ['HTTPS/1.1', head('GET / HTTPS/1.1', 'Host: a'), 400, 'BadVersion'],
    ['HTTP/-1.1', head('GET / HTTP/-1.1', 'Host: a'), 400, 'BadVersion'],
    ['HTTP/1,1', head('GET / HTTP/1,1', 'Host: a'), 400, 'BadVersion'],
    ['HTTP/1.x', head('GET / HTTP/1.x', 'Host: a'), 400, 'BadVersion'],
    ['trailing space', head('GET / HTTP/1.1 ', 'Host: a'), 400, 'BadVersion'],
    ['extra token', head('GET / HTTP/1.1 extra', 'Host: a'), 400, 'BadVersion'],
    ['bare LF after the request line', 'GET / HTTP/1.1\nHost: a', 400, 'BadVersion'],
    ['bare CR after the request line', 'GET / HTTP/1.1\rHost: a', 400, 'BadVersion'],
    ['PRI preface with trailing bytes on its line', 'PRI * HTTP/2.0x', 400, 'BadMethod'],
    ['PRI preface with another version', 'PRI * HTTP/1.1', 400, 'BadMethod'],
    // Field lines.
    ['space in a name', head('GET / HTTP/1.1', 'Bad Header: x'), 400, 'BadHeader'],
    ['whitespace before the colon', head('GET / HTTP/1.1', 'Host : a'), 400, 'BadHeader'],
    ['tab before the colon', head('GET / HTTP/1.1', 'Host\t: a'), 400, 'BadHeader'],
    ['obs-fold', head('GET / HTTP/1.1', 'X-Folded: first', ' continued'), 400, 'BadHeader'],
    ['obs-fold with a tab', head('GET / HTTP/1.1', 'X-Folded: first', '\tcontinued'), 400, 'BadHeader'],
    ['line starting with whitespace', head('GET / HTTP/1.1', ' Host: a'), 400, 'BadHeader'],
    ['no colon', head('GET / HTTP/1.1', 'NoColon'), 400, 'BadHeader'],
    ['empty name', head('GET / HTTP/1.1', ': value'), 400, 'BadHeader'],
    ['separator in a name', head('GET / HTTP/1.1', 'Bad(Header): x'), 400, 'BadHeader'],
    ['non-ASCII name', head('GET / HTTP/1.1', 'X-\u00e9: x'), 400, 'BadHeader'],
    ['NUL in a value', head('GET / HTTP/1.1', 'X-A: a\u0000b'), 400, 'BadHeader'],
    ['bare CR in a value', head('GET / HTTP/1.1', 'X-A: a\rb'), 400, 'BadHeader'],
    ['bare LF in a value', head('GET / HTTP/1.1', 'X-A: a\nX-B: b'), 400, 'BadHeader'],
    ['CR ending a value', head('GET / HTTP/1.1', 'X-A: a\r'), 400, 'BadHeader'],
    ['DEL in a value', head('GET / HTTP/1.1', 'X-A: a\u007fb'), 400, 'BadHeader'],
    ['control characters in a value', head('GET / HTTP/1.1', 'X-A: \u0001\u0002'), 400, 'BadHeader'],
    ['an empty line inside the head', head('GET / HTTP/1.1', 'Host: a', '', 'X-A: b'), 400, 'BadHeader'],
    // Content-Length.
    ['Content-Length not digits', head('POST / HTTP/1.1', 'Content-Length: 1x'), 400, 'BadContentLength'],
    ['Content-Length empty', head('POST / HTTP/1.1', 'Content-Length:'), 400, 'BadContentLength'],
    ['Content-Length negative', head('POST / HTTP/1.1', 'Content-Length: -1'), 400, 'BadContentLength'],
    ['Content-Length with a sign', head('POST / HTTP/1.1', 'Content-Length: +1'), 400, 'BadContentLength'],
    ['Content-Length hex', head('POST / HTTP/1.1', 'Content-Length: 0x10'), 400, 'BadContentLength'],
    ['Content-Length list', head('POST / HTTP/1.1', 'Content-Length: 5, 5'), 400, 'BadContentLength'],
    ['Content-Length with inner space', head('POST / HTTP/1.1', 'Content-Length: 1 2'), 400, 'BadContentLength'],
    ['Content-Length of 16 digits', head('POST / HTTP/1.1', 'Content-Length: 1000000000000000'), 400, 'BadContentLength'],
    ['Content-Length full-width digits', head('POST / HTTP/1.1', 'Content-Length: \u00b2'), 400, 'BadContentLength'],
    ['Content-Length repeated, different values', head('POST / HTTP/1.1', 'Content-Length: 2', 'Content-Length: 3'), 400, 'MultipleContentLength'],
    // Transfer-Encoding.
    ['gzip only', head('POST / HTTP/1.1', 'Transfer-Encoding: gzip'), 501, 'BadTransferEncoding'],
    ['chunked not last', head('POST / HTTP/1.1', 'Transfer-Encoding: chunked, gzip'), 501, 'BadTransferEncoding'],
    ['chunked not last across lines', head('POST / HTTP/1.1', 'Transfer-Encoding: chunked', 'Transfer-Encoding: identity'), 501, 'BadTransferEncoding'],
    ['empty Transfer-Encoding', head('POST / HTTP/1.1', 'Transfer-Encoding:'), 501, 'BadTransferEncoding'],
    ['trailing comma', head('POST / HTTP/1.1', 'Transfer-Encoding: chunked,'), 501, 'BadTransferEncoding'],
    ['chunked with a parameter', head('POST / HTTP/1.1', 'Transfer-Encoding: chunked;q=1'), 501, 'BadTransferEncoding'],
    ['near-miss spelling', head('POST / HTTP/1.1', 'Transfer-Encoding: chunkedx'), 501, 'BadTransferEncoding'],
    ['unknown coding with Content-Length', head('POST / HTTP/1.1', 'Content-Length: 5', 'Transfer-Encoding: gzip'), 400, 'BothTeClPresent'],
  ]
  for (const [name, text, status, reason] of cases) {
    it(`${name} → ${status} ${reason}`, () => {
      assert.deepEqual(refusal(text), { status, reason }, JSON.stringify(text))
    })
  }
})
