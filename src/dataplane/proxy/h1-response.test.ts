import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ResponseParser, MAX_RESPONSE_HEAD_BYTES, type ResponseHead, type ResponseSink } from './h1-response.ts'
import { BadResponseError } from './errors.ts'

interface Recorded {
  heads: ResponseHead[]
  body: string
  ends: boolean[]
}

function recorder(): { sink: ResponseSink; seen: Recorded } {
  const seen: Recorded = { heads: [], body: '', ends: [] }
  return {
    seen,
    sink: {
      onHead: (head) => { seen.heads.push(head) },
      onBody: (chunk) => { seen.body += chunk.toString('latin1') },
      onEnd: (reusable) => { seen.ends.push(reusable) },
    },
  }
}

/** Feeds `text` split at every position in `splits` (byte offsets), as reads from a socket would. */
function parse(text: string, options: { head?: boolean; splits?: number[]; finish?: boolean } = {}): Recorded {
  const parser = new ResponseParser()
  const { sink, seen } = recorder()
  parser.start(sink, options.head ?? false)
  const bytes = Buffer.from(text, 'latin1')
  let from = 0
  for (const at of [...(options.splits ?? []), bytes.length]) {
    if (at > from) parser.execute(bytes.subarray(from, at))
    from = at
  }
  if (options.finish === true) parser.finish()
  return seen
}

function everySplit(text: string, check: (seen: Recorded) => void): void {
  for (let i = 1; i < text.length; i++) check(parse(text, { splits: [i] }))
  check(parse(text, { splits: Array.from({ length: text.length }, (_, i) => i) }))
}

describe('HTTP/1.1 response parser (proxy fast path)', () => {
  it('parses a Content-Length response in one read or split anywhere, keeping header case and order', () => {
    const text = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A: 1\r\nx-a:  2 \r\nContent-Length: 5\r\n\r\nhello'
    everySplit(text, (seen) => {
      assert.equal(seen.heads.length, 1)
      assert.equal(seen.heads[0]!.status, 200)
      assert.equal(seen.heads[0]!.reason, 'OK')
      assert.deepEqual(seen.heads[0]!.headers, ['Content-Type', 'text/plain', 'X-A', '1', 'x-a', '2', 'Content-Length', '5'])
      assert.equal(seen.body, 'hello')
      assert.deepEqual(seen.ends, [true])
    })
  })

  it('decodes chunked bodies split anywhere, ignores extensions and drops trailers', () => {
    const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: t\r\n\r\n'
    everySplit(text, (seen) => {
      assert.equal(seen.body, 'hello, world!!!')
      assert.deepEqual(seen.ends, [true])
      assert.deepEqual(seen.heads[0]!.headers, ['Transfer-Encoding', 'chunked'])
    })
  })

  it('ends without a body for HEAD, 204, 304 and Content-Length 0', () => {
    assert.deepEqual(parse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', { head: true }).ends, [true])
    assert.deepEqual(parse('HTTP/1.1 204 No Content\r\n\r\n').ends, [true])
    assert.deepEqual(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n').ends, [true])
    assert.deepEqual(parse('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n').ends, [true])
  })

  it('reads an unframed body until the target closes, and never reuses that connection', () => {
    const seen = parse('HTTP/1.1 200 OK\r\n\r\nsome bytes', { finish: true })
    assert.equal(seen.body, 'some bytes')
    assert.deepEqual(seen.ends, [false])
  })

  it('skips 1xx heads and reports the final one', () => {
    everySplit('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok', (seen) => {
      assert.deepEqual(seen.heads.map((h) => h.status), [201])
      assert.equal(seen.body, 'ok')
    })
  })

  it('honours Connection: close, HTTP/1.0 keep-alive and the Keep-Alive timeout hint', () => {
    assert.deepEqual(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').ends, [false])
    assert.deepEqual(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').ends, [false])
    assert.deepEqual(parse('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n').ends, [true])
    assert.equal(parse('HTTP/1.1 200 OK\r\nKeep-Alive: max=5, timeout=60\r\nContent-Length: 0\r\n\r\n').heads[0]!.keepAliveHintMs, 60_000)
    assert.equal(parse('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n').heads[0]!.keepAliveHintMs, undefined)
  })

  it('marks the connection unusable when bytes follow a complete response', () => {
    assert.deepEqual(parse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n').ends, [false])
    assert.deepEqual(parse('HTTP/1.1 204 No Content\r\n\r\nextra').ends, [false])
  })

  it('refuses malformed responses (502) rather than guessing their framing', () => {
    const bad = [
      'HTTP/2 200 OK\r\n\r\n',
      'HTTP/1.1 20 OK\r\n\r\n',
      'ICY 200 OK\r\n\r\n',
      'HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n',
      'HTTP/1.1 200 OK\r\n folded: x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\nok\r\n',
      'HTTP/1.1 101 Switching Protocols\r\n\r\n',
    ]
    for (const text of bad) assert.throws(() => parse(text), BadResponseError, JSON.stringify(text))
  })

  it('refuses a response head above 32 KiB, even before its end arrives', () => {
    const big = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_RESPONSE_HEAD_BYTES)}\r\n`
    assert.throws(() => parse(big), BadResponseError)
    assert.throws(() => parse(`${big}\r\n`), BadResponseError)
  })

  it('reports a response cut by the target as an error, and data without a request too', () => {
    assert.throws(() => parse('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel', { finish: true }), BadResponseError)
    assert.throws(() => parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', { finish: true }), BadResponseError)
    const parser = new ResponseParser()
    assert.throws(() => parser.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\n')), BadResponseError)
  })
})
