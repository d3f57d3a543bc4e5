/**
 * @module store/store
 * The Store: an in-memory image of every record, kept in step with a durable Backend.
 *
 * Why an image: every API call and every snapshot compile reads whole collections
 * (all rules of a listener, all registrations of a group). Holding them in memory makes
 * those reads cheap and lets API handlers be plain synchronous functions over a Tx.
 * The only asynchronous step is the backend commit, so a PostgreSQL backend fits the
 * same interface. Transactions are serialised: one API call = one transaction = one
 * backend commit = one revision.
 */
import type { Kind, Records } from '../model/resources.ts'
import { KINDS } from '../model/resources.ts'

/** One change in a transaction's write set; `data` undefined means delete. */
export interface Change {
  readonly kind: Kind
  readonly id: string
  readonly data: unknown
}

export interface LoadedRow { readonly kind: Kind; readonly id: string; readonly data: unknown }

/** Durable storage under the Store. SQLite today; PostgreSQL must pass the same suite. */
export interface Backend {
  /** Every row, in creation order, and the last committed revision. */
  load(): Promise<{ revision: number; rows: LoadedRow[] }>
  /** Writes the changes and the new revision atomically. */
  commit(revision: number, changes: readonly Change[]): Promise<void>
  /** Deletes every row (test isolation: /_openalb/reset). */
  clear(revision: number): Promise<void>
  close(): Promise<void>
}

/** Read access to records. */
export interface View {
  get<K extends Kind>(kind: K, id: string): Records[K] | undefined
  /** All records of a kind in creation order. */
  list<K extends Kind>(kind: K): Records[K][]
}

/** A transaction: reads see its own writes; nothing is visible to others until commit. */
export interface Tx extends View {
  put<K extends Kind>(kind: K, id: string, record: Records[K]): void
  delete(kind: Kind, id: string): void
  /** Epoch ms fixed for the whole transaction. */
  readonly now: number
}

type Image = { [K in Kind]: Map<string, Records[K]> }

function emptyImage(): Image {
  const image = {} as Record<Kind, Map<string, unknown>>
  for (const kind of KINDS) image[kind] = new Map()
  return image as Image
}

class Transaction implements Tx {
  readonly #image: Image
  readonly #writes = new Map<string, Change>()
  readonly now: number

  constructor(image: Image, now: number) {
    this.#image = image
    this.now = now
  }

  get<K extends Kind>(kind: K, id: string): Records[K] | undefined {
    const change = this.#writes.get(`${kind}\0${id}`)
    if (change !== undefined) return change.data as Records[K] | undefined
    return this.#image[kind].get(id) as Records[K] | undefined
  }

  list<K extends Kind>(kind: K): Records[K][] {
    const out: Records[K][] = []
    const base = this.#image[kind] as Map<string, Records[K]>
    for (const [id, record] of base) {
      const change = this.#writes.get(`${kind}\0${id}`)
      if (change === undefined) out.push(record)
      else if (change.data !== undefined) out.push(change.data as Records[K])
    }
    for (const change of this.#writes.values()) {
      if (change.kind === kind && change.data !== undefined && !base.has(change.id)) out.push(change.data as Records[K])
    }
    return out
  }

  put<K extends Kind>(kind: K, id: string, record: Records[K]): void {
    const key = `${kind}\0${id}`
    this.#writes.delete(key) // re-insert so creation order follows the latest first put
    this.#writes.set(key, { kind, id, data: record })
  }

  delete(kind: Kind, id: string): void {
    this.#writes.set(`${kind}\0${id}`, { kind, id, data: undefined })
  }

  changes(): Change[] {
    return [...this.#writes.values()]
  }
}

export type ChangeListener = (revision: number, changes: readonly Change[]) => void

export class Store implements View {
  readonly #backend: Backend
  readonly #image: Image
  readonly #listeners = new Set<ChangeListener>()
  readonly #clock: () => number
  #revision: number
  #queue: Promise<unknown> = Promise.resolve()

  private constructor(backend: Backend, image: Image, revision: number, clock: () => number) {
    this.#backend = backend
    this.#image = image
    this.#revision = revision
    this.#clock = clock
  }

  static async open(backend: Backend, clock: () => number = Date.now): Promise<Store> {
    const { revision, rows } = await backend.load()
    const image = emptyImage()
    for (const row of rows) {
      const map = image[row.kind] as Map<string, unknown> | undefined
      if (map !== undefined) map.set(row.id, row.data)
    }
    return new Store(backend, image, revision, clock)
  }

  get revision(): number {
    return this.#revision
  }

  get<K extends Kind>(kind: K, id: string): Records[K] | undefined {
    return this.#image[kind].get(id) as Records[K] | undefined
  }

  list<K extends Kind>(kind: K): Records[K][] {
    return [...(this.#image[kind] as Map<string, Records[K]>).values()]
  }

  /**
   * Runs `fn` in a transaction. If it throws, nothing is written. Calls are serialised,
   * so `fn` sees every earlier transaction's result.
   */
  tx<T>(fn: (tx: Tx) => T): Promise<T> {
    const run = this.#queue.then(async () => {
      const tx = new Transaction(this.#image, this.#clock())
      const result = fn(tx)
      const changes = tx.changes()
      if (changes.length === 0) return result
      const revision = this.#revision + 1
      await this.#backend.commit(revision, changes)
      for (const change of changes) {
        const map = this.#image[change.kind] as Map<string, unknown>
        if (change.data === undefined) map.delete(change.id)
        else map.set(change.id, change.data)
      }
      this.#revision = revision
      for (const listener of this.#listeners) listener(revision, changes)
      return result
    })
    this.#queue = run.catch(() => undefined)
    return run
  }

  /** Deletes every record (one revision). */
  clear(): Promise<void> {
    const run = this.#queue.then(async () => {
      const changes: Change[] = []
      for (const kind of KINDS) for (const id of this.#image[kind].keys()) changes.push({ kind, id, data: undefined })
      const revision = this.#revision + 1
      await this.#backend.clear(revision)
      for (const kind of KINDS) this.#image[kind].clear()
      this.#revision = revision
      for (const listener of this.#listeners) listener(revision, changes)
    })
    this.#queue = run.catch(() => undefined)
    return run
  }

  /** Calls `listener` after every committed transaction; returns an unsubscribe function. */
  onChange(listener: ChangeListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async close(): Promise<void> {
    await this.#queue
    await this.#backend.close()
  }
}
