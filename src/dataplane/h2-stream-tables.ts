/**
 * @module dataplane/h2-stream-tables
 * node:http2 keeps each session's open streams in a `Map` (id → stream) and, on the client
 * side, streams waiting for an id in a `Set`, both in the session's private state. A session
 * lives long (it is in the old generation), and one stream comes and goes per request: the
 * same V8 hash-table chain dataplane/slot-set.ts explains — every replaced table keeps its
 * entries and points to its successor — keeps each request's stream objects alive through
 * scavenges until a full mark-compact. Measured on a bare node:http2 server under h2load:
 * 33 mark-compacts in 8 s, none of them needed with the tables below (4), −10% CPU.
 *
 * untangleStreamTables swaps in tables with the same methods node:http2 calls (get, set,
 * has, delete, add, size, forEach) that never chain: an object keyed by stream id (V8
 * rehashes a dictionary without linking the old table to the new) and a small array. It
 * only does so when the state looks exactly as expected — a fresh session on this Node's
 * http2 — and leaves the session alone otherwise: a Node without that layout just keeps its
 * own (slower, correct) tables.
 */
import type { Http2Session } from 'node:http2'
import { types } from 'node:util'

/** Open streams by id (node:http2's `state.streams`). */
class StreamsById<S> {
  #byId: Record<number, S> = Object.create(null) as Record<number, S>
  #size = 0

  get size(): number {
    return this.#size
  }

  get(id: number): S | undefined {
    return this.#byId[id]
  }

  has(id: number): boolean {
    return this.#byId[id] !== undefined
  }

  set(id: number, stream: S): this {
    if (this.#byId[id] === undefined) this.#size++
    this.#byId[id] = stream
    return this
  }

  delete(id: number): boolean {
    if (this.#byId[id] === undefined) return false
    delete this.#byId[id]
    this.#size--
    return true
  }

  /** Over a copy: node:http2 destroys streams (which deletes them) while going through them. */
  forEach(fn: (stream: S, id: number, table: this) => void): void {
    for (const key of Object.keys(this.#byId)) {
      const stream = this.#byId[Number(key)]
      if (stream !== undefined) fn(stream, Number(key), this)
    }
  }
}

/** Client streams waiting for their id (node:http2's `state.pendingStreams`): a handful at most. */
class PendingStreams<S> {
  readonly #items: S[] = []

  get size(): number {
    return this.#items.length
  }

  has(stream: S): boolean {
    return this.#items.includes(stream)
  }

  add(stream: S): this {
    if (!this.#items.includes(stream)) this.#items.push(stream)
    return this
  }

  delete(stream: S): boolean {
    const i = this.#items.indexOf(stream)
    if (i === -1) return false
    const last = this.#items.pop()!
    if (i < this.#items.length) this.#items[i] = last
    return true
  }

  forEach(fn: (stream: S, same: S, table: this) => void): void {
    for (const stream of [...this.#items]) fn(stream, stream, this)
  }
}

interface SessionState {
  streams: unknown
  pendingStreams: unknown
}

/** Replaces a fresh session's stream tables (see the module comment); true when it did. */
export function untangleStreamTables(session: Http2Session): boolean {
  const key = Object.getOwnPropertySymbols(session).find((s) => s.description === 'state')
  if (key === undefined) return false
  const state = (session as unknown as Record<symbol, SessionState | undefined>)[key]
  if (state === undefined || state === null || typeof state !== 'object') return false
  const { streams, pendingStreams } = state
  // Node's own tables are primordials' SafeMap/SafeSet: Maps and Sets by their internal slot.
  if (!types.isMap(streams) || streams.size !== 0 || !types.isSet(pendingStreams) || pendingStreams.size !== 0) return false
  state.streams = new StreamsById()
  state.pendingStreams = new PendingStreams()
  return true
}
