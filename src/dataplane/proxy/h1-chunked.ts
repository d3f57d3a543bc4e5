/**
 * @module dataplane/proxy/h1-chunked
 * The chunked transfer coding (RFC 9112 §7.1), decoded incrementally and strictly. One
 * decoder serves both directions of the proxy: request bodies from clients
 * (listener/h1-connection.ts) and response bodies from targets (proxy/h1-response.ts).
 *
 * Strict where leniency could desynchronise a connection: CRLF only, hex sizes of at most 12
 * digits (no sign, no whitespace), chunk extensions without control characters (ignored),
 * trailer fields that are well-formed (read and dropped), bounded chunk-size lines and trailers.
 */

/** A chunk-size line (with extensions) above this is malformed. */
const MAX_CHUNK_LINE_BYTES = 4096
/** Trailers are read and dropped; above this the message is malformed. */
const MAX_TRAILER_BYTES = 32 * 1024

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/
const HEX = /^[0-9A-Fa-f]{1,12}$/

const Phase = { size: 0, data: 1, dataEnd: 2, trailers: 3, done: 4 } as const
type State = (typeof Phase)[keyof typeof Phase]

export class ChunkedDecoder {
  readonly #onData: (piece: Buffer) => void
  readonly #malformed: (reason: string) => Error
  #state: State = Phase.size
  /** Bytes of the current chunk still to come (data), or of its CRLF (dataEnd). */
  #remaining = 0
  /** Bytes seen in the current chunk-size line or trailer section (bounds them). */
  #lineBytes = 0

  /** `onData` hears every piece of decoded body; `malformed` makes the error thrown for bad framing. */
  constructor(onData: (piece: Buffer) => void, malformed: (reason: string) => Error) {
    this.#onData = onData
    this.#malformed = malformed
  }

  /** Ready for a new body. */
  reset(): void {
    this.#state = Phase.size
    this.#remaining = 0
    this.#lineBytes = 0
  }

  /** The last chunk and the trailers have been read. */
  get done(): boolean {
    return this.#state === Phase.done
  }

  /**
   * Decodes from `buf[offset…]` and returns the offset where it stopped: the end of the body
   * (`done`), or the start of a line that is not complete yet — the caller keeps those bytes
   * and calls again with them in front of the next read.
   */
  decode(buf: Buffer, offset: number): number {
    while (offset < buf.length) {
      switch (this.#state) {
        case Phase.size: {
          const lf = buf.indexOf(10, offset)
          if (lf === -1) {
            if (buf.length - offset > MAX_CHUNK_LINE_BYTES) throw this.#malformed('chunk size line too long')
            return offset
          }
          if (lf === offset || buf[lf - 1] !== 13) throw this.#malformed('chunk size line without CRLF')
          if (lf - offset > MAX_CHUNK_LINE_BYTES) throw this.#malformed('chunk size line too long')
          const line = buf.toString('latin1', offset, lf - 1)
          offset = lf + 1
          const semi = line.indexOf(';')
          const size = semi === -1 ? line : line.slice(0, semi)
          if (!HEX.test(size)) throw this.#malformed('bad chunk size')
          // Chunk extensions are ignored (RFC 9112 §7.1.1); they must not carry line breaks.
          if (semi !== -1 && BAD_VALUE.test(line.slice(semi))) throw this.#malformed('bad chunk extension')
          this.#remaining = parseInt(size, 16)
          this.#lineBytes = 0
          this.#state = this.#remaining === 0 ? Phase.trailers : Phase.data
          break
        }
        case Phase.data: {
          const n = Math.min(this.#remaining, buf.length - offset)
          const piece = buf.subarray(offset, offset + n)
          offset += n
          this.#remaining -= n
          if (this.#remaining === 0) {
            this.#state = Phase.dataEnd
            this.#remaining = 2
          }
          this.#onData(piece)
          break
        }
        case Phase.dataEnd: {
          // The CRLF after chunk data, possibly split across reads.
          if (buf[offset] !== (this.#remaining === 2 ? 13 : 10)) throw this.#malformed('chunk data without CRLF')
          offset++
          if (--this.#remaining === 0) this.#state = Phase.size
          break
        }
        case Phase.trailers: {
          // Trailer fields end with an empty line; with none, that is the CRLF right after `0`.
          const lf = buf.indexOf(10, offset)
          if (lf === -1) {
            if (this.#lineBytes + buf.length - offset > MAX_TRAILER_BYTES) throw this.#malformed('trailers too large')
            return offset
          }
          if (lf === offset || buf[lf - 1] !== 13) throw this.#malformed('trailer line without CRLF')
          this.#lineBytes += lf + 1 - offset
          if (this.#lineBytes > MAX_TRAILER_BYTES) throw this.#malformed('trailers too large')
          const empty = lf === offset + 1
          if (!empty) {
            const line = buf.toString('latin1', offset, lf - 1)
            const colon = line.indexOf(':')
            if (colon <= 0 || !TOKEN.test(line.slice(0, colon)) || BAD_VALUE.test(line.slice(colon + 1))) throw this.#malformed('bad trailer field')
          }
          offset = lf + 1
          if (empty) {
            this.#state = Phase.done
            return offset
          }
          break
        }
        default:
          return offset
      }
    }
    return offset
  }
}
