/**
 * @module dataplane/proxy/h1-response
 * A minimal, strict, incremental HTTP/1.1 response parser (RFC 9112) for the proxy's fast
 * path (issue 5 §2). It replaces undici's generic request machinery (its wasm llhttp, Request
 * objects and handler chain), which the profile showed to be most of the proxy's user time.
 *
 * Why a hand-written parser is safe here:
 * - It only parses what a *target* answers to a request we wrote ourselves, one exchange per
 *   connection at a time (never pipelined, spec §7.6), so the framing cases are few: no body
 *   (HEAD, 1xx, 204, 304), Content-Length, chunked, or until close.
 * - It is strict where leniency could desynchronise a reused connection: CRLF line endings
 *   only, no obs-fold, header names must be tokens, no control characters in values, one
 *   Content-Length (digits only), Transfer-Encoding only `chunked` and never together with
 *   Content-Length, bytes after a complete response make the connection unusable. Anything
 *   else is a malformed response: 502 (spec §7.4), as llhttp in undici's strict mode gave.
 * - Response heads above 32 KiB are refused (502, spec §7.6), like undici's maxHeaderSize.
 */
import { asciiEqualsLower } from '../router/request.ts'
import { ChunkedDecoder } from './h1-chunked.ts'
import { hasControl, isContentLength, listsToken, parseFields } from './h1-syntax.ts'
import { BadResponseError } from './errors.ts'

/** Response heads above this → 502 (spec §7.6). */
export const MAX_RESPONSE_HEAD_BYTES = 32 * 1024

export interface ResponseHead {
  readonly status: number
  readonly reason: string
  /** Flat [name, value, …], names as the target spelled them, latin1 (bytes preserved). */
  readonly headers: string[]
  /** The target allows another request on the connection after this response. */
  readonly keepAlive: boolean
  /** `Keep-Alive: timeout=N` in ms, or undefined. */
  readonly keepAliveHintMs: number | undefined
}

export interface ResponseSink {
  /** A final (≥ 200) response head. 1xx heads are skipped. */
  onHead(head: ResponseHead): void
  onBody(chunk: Buffer): void
  /** The response is complete; `reusable`: the connection may carry another exchange. */
  onEnd(reusable: boolean): void
}

const CRLF_CRLF = Buffer.from('\r\n\r\n', 'latin1')

const Phase = { head: 0, length: 1, chunked: 2, untilClose: 3, done: 4 } as const
type State = (typeof Phase)[keyof typeof Phase]

/** `Keep-Alive: timeout=N[, max=M]` (RFC 2068 §19.7.1.1) → N s in ms; undefined without one. */
function keepAliveTimeoutMs(value: string): number | undefined {
  const at = value.toLowerCase().indexOf('timeout=')
  if (at === -1 || (at > 0 && !/[\s,;]/.test(value[at - 1]!))) return undefined
  let n = 0
  let digits = 0
  for (let i = at + 8; i < value.length && digits < 9; i++, digits++) {
    const d = value.charCodeAt(i) - 48
    if (d < 0 || d > 9) break
    n = n * 10 + d
  }
  return digits === 0 ? undefined : n * 1000
}

function bad(reason: string): BadResponseError {
  return new BadResponseError(new Error(reason))
}

/**
 * One response at a time: `start()` before each exchange, `execute()` with every chunk read
 * from the socket, `finish()` when the target half-closed the connection. Errors are thrown
 * as BadResponseError; the caller destroys the connection.
 */
export class ResponseParser {
  #sink: ResponseSink | undefined
  #state: State = Phase.done
  #noBody = false
  #pending: Buffer | undefined
  /** Bytes of body (length) or of the current chunk (chunkData) still to come. */
  #remaining = 0
  #keepAlive = false
  readonly #chunked = new ChunkedDecoder((piece) => this.#sink!.onBody(piece), bad)

  /** Prepares for the response to the next request; `head`: the request was HEAD (no body). */
  start(sink: ResponseSink, head: boolean): void {
    this.#sink = sink
    this.#state = Phase.head
    this.#noBody = head
    this.#pending = undefined
  }

  /** Whether a response is being parsed (a close now cuts it). */
  get active(): boolean {
    return this.#state !== Phase.done
  }

  /** Whether the final response head has been parsed. */
  get headReceived(): boolean {
    return this.#state !== Phase.head
  }

  /** Parses what was read; `chunk` may be reused by the caller afterwards (what must outlive the call is copied). */
  execute(chunk: Buffer): void {
    if (this.#state === Phase.done) throw bad('data without a request')
    let buf = chunk
    if (this.#pending !== undefined) {
      buf = Buffer.concat([this.#pending, chunk])
      this.#pending = undefined
    }
    let offset = 0
    while (offset < buf.length) {
      switch (this.#state) {
        case Phase.head: {
          const end = buf.indexOf(CRLF_CRLF, offset)
          if (end === -1) {
            if (buf.length - offset > MAX_RESPONSE_HEAD_BYTES) throw bad('response head too large')
            this.#pending = Buffer.from(buf.subarray(offset)) // a copy: the caller may reuse its buffer
            return
          }
          if (end - offset > MAX_RESPONSE_HEAD_BYTES) throw bad('response head too large')
          const text = buf.toString('latin1', offset, end)
          offset = end + 4
          // A head without a body completes here; bytes after it make the connection unusable.
          if (this.#parseHead(text)) this.#complete(offset < buf.length)
          break
        }
        case Phase.length: {
          const n = Math.min(this.#remaining, buf.length - offset)
          const piece = offset === 0 && n === buf.length ? buf : buf.subarray(offset, offset + n)
          offset += n
          this.#remaining -= n
          this.#sink!.onBody(piece)
          if (this.#remaining === 0) this.#complete(offset < buf.length)
          break
        }
        case Phase.chunked: {
          // Trailers are read and dropped (undici handed them to a handler that ignored them).
          const next = this.#chunked.decode(buf, offset)
          if (this.#chunked.done) {
            offset = next
            this.#complete(offset < buf.length)
          } else if (next < buf.length) {
            this.#pending = Buffer.from(buf.subarray(next)) // a chunk-size or trailer line continues in the next read (copied)
            return
          } else {
            offset = next
          }
          break
        }
        case Phase.untilClose: {
          const piece = offset === 0 ? buf : buf.subarray(offset)
          offset = buf.length
          this.#sink!.onBody(piece)
          break
        }
        default: // Phase.done
          // Bytes after a complete response (never legitimate: we do not pipeline): #complete
          // already reported the connection as not reusable; the caller destroys it.
          return
      }
    }
  }

  /** The target ended the connection: completes an until-close body, else the response was cut. */
  finish(): void {
    if (this.#state === Phase.untilClose) {
      this.#state = Phase.done
      const sink = this.#sink!
      this.#sink = undefined
      sink.onEnd(false)
      return
    }
    if (this.#state !== Phase.done) throw bad('connection closed mid-response')
  }

  /** Parses a head; true when it is a final response without a body (complete now). */
  #parseHead(text: string): boolean {
    // Status line: `HTTP/1.x SSS[ reason]` (RFC 9112 §4).
    let eol = text.indexOf('\r\n')
    if (eol === -1) eol = text.length
    if (eol < 12 || !text.startsWith('HTTP/1.') || text.charCodeAt(8) !== 32 || (eol > 12 && text.charCodeAt(12) !== 32)) throw bad('bad status line')
    const minorCode = text.charCodeAt(7)
    if (minorCode !== 48 && minorCode !== 49) throw bad('bad status line')
    const d0 = text.charCodeAt(9) - 48
    const d1 = text.charCodeAt(10) - 48
    const d2 = text.charCodeAt(11) - 48
    if (d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) throw bad('bad status line')
    const status = d0 * 100 + d1 * 10 + d2
    const reason = eol > 13 ? text.slice(13, eol) : ''
    if (reason !== '' && hasControl(reason, 0, reason.length)) throw bad('bad reason phrase')
    const headers: string[] = []
    let contentLength = -1
    let chunked = false
    let connectionClose = false
    let connectionKeepAlive = false
    let keepAliveHintMs: number | undefined
    if (!parseFields(text, eol + 2, headers)) throw bad('bad header line')
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!
      const value = headers[i + 1]!
      switch (name.length) {
        case 10:
          if (asciiEqualsLower(name, 'connection')) {
            if (listsToken(value, 'close')) connectionClose = true
            if (listsToken(value, 'keep-alive')) connectionKeepAlive = true
          } else if (asciiEqualsLower(name, 'keep-alive')) {
            keepAliveHintMs = keepAliveTimeoutMs(value)
          }
          break
        case 14:
          if (asciiEqualsLower(name, 'content-length')) {
            if (contentLength !== -1 || !isContentLength(value)) throw bad('bad or repeated Content-Length')
            contentLength = Number(value)
          }
          break
        case 17:
          if (asciiEqualsLower(name, 'transfer-encoding')) {
            if (chunked || !asciiEqualsLower(value, 'chunked')) throw bad('unsupported Transfer-Encoding')
            chunked = true
          }
          break
      }
    }
    if (chunked && contentLength !== -1) throw bad('both Content-Length and Transfer-Encoding')
    if (status < 200) {
      // 101 answers an upgrade we never asked for here (upgrades go through upgrade.ts).
      if (status === 101) throw bad('unexpected 101')
      return false // 100 Continue, 103 Early Hints …: the final response follows on the same connection
    }
    this.#keepAlive = minorCode === 49 ? !connectionClose : connectionKeepAlive && !connectionClose
    this.#sink!.onHead({ status, reason, headers, keepAlive: this.#keepAlive, keepAliveHintMs })
    if (this.#noBody || status === 204 || status === 304 || contentLength === 0) return true
    if (chunked) {
      this.#chunked.reset()
      this.#state = Phase.chunked
    } else if (contentLength > 0) {
      this.#state = Phase.length
      this.#remaining = contentLength
    } else {
      // No framing: the body ends when the target closes (RFC 9112 §6.3 item 8).
      this.#state = Phase.untilClose
      this.#keepAlive = false
    }
    return false
  }

  /** `trailing`: bytes followed the response (the connection's framing can no longer be trusted). */
  #complete(trailing: boolean): void {
    this.#state = Phase.done
    const sink = this.#sink!
    this.#sink = undefined
    sink.onEnd(this.#keepAlive && !trailing)
  }
}
