/**
 * ChunkedDecoder (proxy/h1-chunked.ts): decoding is the same however the bytes are split
 * across reads (every split position, one byte at a time), the end of the body is found
 * exactly (what follows belongs to the next message), and malformed framing is refused
 * whatever the split — a lenient reading is where a desync starts (spec §6.3).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ChunkedDecoder } from './h1-chunked.ts'

class Malformed extends Error {
  readonly reason: string
  constructor(reason: string) {
    super(reason)
    this.reason = reason
  }
}

interface Outcome {
  /** The decoded body. */
  body: string
  done: boolean
  /** Bytes after the end of the body (the next message), or what is still held when not done. */
  rest: string
  /** The malformed() reason, when the decoder refused the input. */
  error?: string
}

/**
 * Feeds `parts` as successive reads, the way the listener and the response parser do: what
 * decode() leaves unconsumed is kept and put in front of the next read.
 */
function feed(parts: readonly Buffer[]): Outcome {
  let body = ''
  const decoder = new ChunkedDecoder((piece) => { body += piece.toString('latin1') }, (reason) => new Malformed(reason))
  let held: Buffer | undefined
  try {
    for (const part of parts) {
      const buf = held === undefined ? part : Buffer.concat([held, part])
      const offset = decoder.decode(buf, 0)
      held = offset < buf.length ? buf.subarray(offset) : undefined
      if (decoder.done) {
        // Once done, nothing more is consumed: the rest of this read and every later read is the next message.
        const after = Buffer.concat([held ?? Buffer.alloc(0), ...parts.slice(parts.indexOf(part) + 1)])
        return { body, done: true, rest: after.toString('latin1') }
      }
    }
  } catch (err) {
    assert.ok(err instanceof Malformed, `unexpected error ${String(err)}`)
    return { body, done: false, rest: '', error: err.reason }
  }
  return { body, done: false, rest: held?.toString('latin1') ?? '' }
}

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1')

function whole(text: string): Outcome {
  return feed([bytes(text)])
}

function byteByByte(text: string): Outcome {
  const buf = bytes(text)
  return feed(Array.from({ length: buf.length }, (_, i) => buf.subarray(i, i + 1)))
}

/** Every 2-way split of `text`, plus one byte at a time, must give `expected` (the error reason included). */
function assertEverySplit(text: string, expected: Outcome): void {
  assert.deepEqual(whole(text), expected, `whole: ${JSON.stringify(text)}`)
  const buf = bytes(text)
  for (let i = 1; i < buf.length; i++) {
    assert.deepEqual(feed([buf.subarray(0, i), buf.subarray(i)]), expected, `split at ${i}: ${JSON.stringify(text)}`)
  }
  assert.deepEqual(byteByByte(text), expected, `byte by byte: ${JSON.stringify(text)}`)
}

describe('ChunkedDecoder: well-formed bodies at every split', () => {
  const cases: Array<[string, string, string]> = [
    ['one chunk', '5\r\nhello\r\n0\r\n\r\n', 'hello'],
    ['empty body', '0\r\n\r\n', ''],
    ['several chunks', '3\r\nabc\r\n1\r\nd\r\n0a\r\n0123456789\r\n0\r\n\r\n', 'abcd0123456789'],
    ['hex digits, both cases', `A\r\n${'x'.repeat(10)}\r\nb\r\n${'y'.repeat(11)}\r\n0\r\n\r\n`, `${'x'.repeat(10)}${'y'.repeat(11)}`],
    ['leading zeros (12 digits)', '000000000003\r\nabc\r\n000000000000\r\n\r\n', 'abc'],
    ['CRLF and binary bytes inside chunk data', '6\r\n\r\n\u0000\u00ff\r\n\r\n0\r\n\r\n', '\r\n\u0000\u00ff\r\n'],
    ['data that looks like a chunk line', '9\r\n0\r\n\r\nGET \r\n0\r\n\r\n', '0\r\n\r\nGET '],
    ['extensions ignored', '5;name=value\r\nhello\r\n3;a;b="q r";c\r\nabc\r\n0;last\r\n\r\n', 'helloabc'],
    ['extension with tab and obs-text', '2;x=\t\u00e9\r\nhi\r\n0\r\n\r\n', 'hi'],
    ['trailers read and dropped', '5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Empty:\r\nX-Other:  v w \r\n\r\n', 'hello'],
    ['trailer with obs-text', '0\r\nX-T: caf\u00e9\r\n\r\n', ''],
  ]
  for (const [name, text, body] of cases) {
    it(name, () => assertEverySplit(text, { body, done: true, rest: '' }))
  }

  it('stops exactly at the end of the body: the next message is left for the caller', () => {
    const next = 'GET /next HTTP/1.1\r\nHost: a\r\n\r\n'
    assertEverySplit(`4\r\nbody\r\n0\r\nX-T: 1\r\n\r\n${next}`, { body: 'body', done: true, rest: next })
    assertEverySplit(`0\r\n\r\n\r\n${next}`, { body: '', done: true, rest: `\r\n${next}` })
  })

  it('returns the offset where it stopped, from a non-zero start', () => {
    const decoder = new ChunkedDecoder(() => {}, (reason) => new Malformed(reason))
    const buf = bytes('XXXX3\r\nabc\r\n0\r\n\r\nNEXT')
    assert.equal(decoder.decode(buf, 4), buf.length - 4)
    assert.equal(decoder.done, true)
    // Done: further calls consume nothing.
    assert.equal(decoder.decode(buf, buf.length - 4), buf.length - 4)
  })

  it('holds an incomplete line and reports not done', () => {
    assert.deepEqual(whole('5\r\nhel'), { body: 'hel', done: false, rest: '' })
    assert.deepEqual(whole('5\r\nhello\r\n1'), { body: 'hello', done: false, rest: '1' })
    assert.deepEqual(whole('5;ext=1'), { body: '', done: false, rest: '5;ext=1' })
    assert.deepEqual(whole('0\r\nX-T: 1'), { body: '', done: false, rest: 'X-T: 1' })
    assert.deepEqual(whole('0\r\nX-T: 1\r\n'), { body: '', done: false, rest: '' })
  })

  it('decodes the next body after reset()', () => {
    let body = ''
    const decoder = new ChunkedDecoder((piece) => { body += piece.toString('latin1') }, (reason) => new Malformed(reason))
    decoder.decode(bytes('2\r\nab\r\n0\r\n\r\n'), 0)
    assert.equal(decoder.done, true)
    decoder.reset()
    assert.equal(decoder.done, false)
    decoder.decode(bytes('3\r\ncde\r\n0\r\n\r\n'), 0)
    assert.equal(decoder.done, true)
    assert.equal(body, 'abcde')
  })

  it('decodes a large body streamed in uneven reads', () => {
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(1 + i * 997, i + 1))
    const wire = Buffer.concat([...chunks.flatMap((c) => [bytes(`${c.length.toString(16)}\r\n`), c, bytes('\r\n')]), bytes('0\r\n\r\n')])
    const parts: Buffer[] = []
    for (let at = 0, step = 1; at < wire.length; at += step, step = (step * 7 + 3) % 4099 + 1) parts.push(wire.subarray(at, at + step))
    const outcome = feed(parts)
    assert.equal(outcome.done, true)
    assert.equal(outcome.rest, '')
    assert.ok(bytes(outcome.body).equals(Buffer.concat(chunks)))
  })
})

describe('ChunkedDecoder: limits', () => {
  it('accepts a chunk-size line of 4096 bytes (CR included) and refuses a longer one', () => {
    const line = (total: number): string => `1;${'e'.repeat(total - 3)}\r`
    assert.equal(line(4096).length, 4096)
    assertEverySplit(`${line(4096)}\nx\r\n0\r\n\r\n`, { body: 'x', done: true, rest: '' })
    assert.deepEqual(whole(`${line(4097)}\nx\r\n0\r\n\r\n`), { body: '', done: false, rest: '', error: 'chunk size line too long' })
    assert.deepEqual(byteByByte(`${line(4097)}\nx\r\n0\r\n\r\n`), { body: '', done: false, rest: '', error: 'chunk size line too long' })
  })

  it('refuses an endless chunk-size line before its end arrives', () => {
    assert.deepEqual(whole(`1;${'e'.repeat(5000)}`), { body: '', done: false, rest: '', error: 'chunk size line too long' })
    assert.deepEqual(whole('f'.repeat(4097)), { body: '', done: false, rest: '', error: 'chunk size line too long' })
  })

  it('accepts trailers of 32 KiB (line ends included) and refuses more', () => {
    const field = `X-T: ${'v'.repeat(1000)}\r\n` // 1007 bytes
    const trailers = (size: number): string => {
      const count = Math.floor((size - 2) / field.length)
      const pad = size - 2 - count * field.length
      return field.repeat(count) + (pad > 0 ? `X-P:${'p'.repeat(pad - 6)}\r\n` : '') + '\r\n'
    }
    assert.equal(trailers(32 * 1024).length, 32 * 1024)
    assert.deepEqual(whole(`0\r\n${trailers(32 * 1024)}`), { body: '', done: true, rest: '' })
    assert.deepEqual(byteByByte(`0\r\n${trailers(32 * 1024)}`), { body: '', done: true, rest: '' })
    assert.deepEqual(whole(`0\r\n${trailers(32 * 1024 + 1)}`), { body: '', done: false, rest: '', error: 'trailers too large' })
    assert.deepEqual(byteByByte(`0\r\n${trailers(32 * 1024 + 1)}`), { body: '', done: false, rest: '', error: 'trailers too large' })
    // Without an end: refused once the held bytes pass the limit.
    assert.deepEqual(whole(`0\r\nX-T: ${'v'.repeat(40_000)}`), { body: '', done: false, rest: '', error: 'trailers too large' })
  })

  it('accepts 12 hex digits of size and refuses 13', () => {
    let delivered = 0
    const decoder = new ChunkedDecoder((piece) => { delivered += piece.length }, (reason) => new Malformed(reason))
    // ffffffffffff: 281 TB announced, 3 bytes delivered so far, not done.
    assert.equal(decoder.decode(bytes('ffffffffffff\r\nabc'), 0), 17)
    assert.equal(delivered, 3)
    assert.equal(decoder.done, false)
    assert.deepEqual(whole('0000000000001\r\na\r\n0\r\n\r\n'), { body: '', done: false, rest: '', error: 'bad chunk size' })
  })
})

describe('ChunkedDecoder: malformed framing at every split', () => {
  const cases: Array<[string, string, string, string]> = [
    // [name, bytes, body decoded before the error, reason]
    ['bare LF after the size', '5\nhello\r\n0\r\n\r\n', '', 'chunk size line without CRLF'],
    ['LF alone as the size line', '\n', '', 'chunk size line without CRLF'],
    ['empty size line', '\r\n5\r\nhello\r\n0\r\n\r\n', '', 'bad chunk size'],
    ['negative size', '-5\r\nhello\r\n0\r\n\r\n', '', 'bad chunk size'],
    ['signed size', '+5\r\nhello\r\n0\r\n\r\n', '', 'bad chunk size'],
    ['0x prefix', '0x5\r\nhello\r\n0\r\n\r\n', '', 'bad chunk size'],
    ['space before the size', ' 5\r\nhello\r\n0\r\n\r\n', '', 'bad chunk size'],
    ['space after the size', '5 \r\nhello\r\n0\r\n\r\n', '', 'bad chunk size'],
    ['whitespace before an extension', '5 ;x\r\nhello\r\n0\r\n\r\n', '', 'bad chunk size'],
    ['not hex', 'g\r\nhello\r\n0\r\n\r\n', '', 'bad chunk size'],
    ['size only an extension', ';x\r\nhello\r\n0\r\n\r\n', '', 'bad chunk size'],
    ['bare CR in the size line', '5\rx\r\nhello\r\n0\r\n\r\n', '', 'bad chunk size'],
    ['NUL in an extension', '5;a\u0000b\r\nhello\r\n0\r\n\r\n', '', 'bad chunk extension'],
    ['bare CR in an extension', '5;a\rb\r\nhello\r\n0\r\n\r\n', '', 'bad chunk extension'],
    ['DEL in an extension', '5;a\u007f\r\nhello\r\n0\r\n\r\n', '', 'bad chunk extension'],
    ['data longer than its size', '5\r\nhelloX\r\n0\r\n\r\n', 'hello', 'chunk data without CRLF'],
    ['data shorter than its size', '5\r\nhell\r\n0\r\n\r\n', 'hell\r', 'chunk data without CRLF'],
    ['LF only after data', '5\r\nhello\n0\r\n\r\n', 'hello', 'chunk data without CRLF'],
    ['CR CR after data', '5\r\nhello\r\r0\r\n\r\n', 'hello', 'chunk data without CRLF'],
    ['bare LF ending the last chunk', '0\n\r\n', '', 'chunk size line without CRLF'],
    ['bare LF ending the trailers', '0\r\n\n', '', 'trailer line without CRLF'],
    ['bare LF ending a trailer field', '0\r\nX-T: 1\n\r\n', '', 'trailer line without CRLF'],
    ['trailer without a colon', '0\r\nbad trailer\r\n\r\n', '', 'bad trailer field'],
    ['trailer with an empty name', '0\r\n: v\r\n\r\n', '', 'bad trailer field'],
    ['trailer name with a space', '0\r\nX T: v\r\n\r\n', '', 'bad trailer field'],
    ['trailer folded', '0\r\nX-T: v\r\n folded\r\n\r\n', '', 'bad trailer field'],
    ['NUL in a trailer value', '0\r\nX-T: a\u0000b\r\n\r\n', '', 'bad trailer field'],
    ['bare CR in a trailer value', '0\r\nX-T: a\rb\r\n\r\n', '', 'bad trailer field'],
  ]
  for (const [name, text, body, reason] of cases) {
    it(`${name} → ${reason}`, () => assertEverySplit(text, { body, done: false, rest: '', error: reason }))
  }
})
