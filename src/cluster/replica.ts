/**
 * @module cluster/replica
 * Replica: a worker's read-only copy of the primary's store image, kept in step by the change
 * sets the primary forwards (cluster/protocol.ts). It is a WatchedStore, so a worker runs the
 * same ConfigWatcher → compile → DataPlane path as a single process does; only records cross
 * the process boundary, never compiled snapshots.
 *
 * Order matters to the compiler ("all records of a kind in creation order"): the Store keeps
 * each kind in a Map whose insertion order is creation order, updates keep a record's place
 * and deletes remove it. Applying the same changes in the same order to Maps built from the
 * dump in the same order gives the same order here.
 */
import { KINDS, type Kind, type Records } from '../model/resources.ts'
import type { Change, LoadedRow } from '../store/store.ts'
import type { WatchedStore } from '../config/watch.ts'

export class Replica implements WatchedStore {
  readonly #image = new Map<Kind, Map<string, unknown>>()
  readonly #listeners = new Set<(revision: number) => void>()
  #revision: number

  /** `rows` in the primary's creation order (Store.list per kind). */
  constructor(revision: number, rows: readonly LoadedRow[]) {
    for (const kind of KINDS) this.#image.set(kind, new Map())
    for (const row of rows) this.#image.get(row.kind)?.set(row.id, row.data)
    this.#revision = revision
  }

  get revision(): number {
    return this.#revision
  }

  get<K extends Kind>(kind: K, id: string): Records[K] | undefined {
    return this.#image.get(kind)?.get(id) as Records[K] | undefined
  }

  list<K extends Kind>(kind: K): Records[K][] {
    const map = this.#image.get(kind)
    return map === undefined ? [] : [...map.values()] as Records[K][]
  }

  /**
   * apply takes in one committed transaction, as Store.tx applied it to its image. A change
   * set at or below the current revision is a duplicate and is ignored.
   */
  apply(revision: number, changes: readonly Change[]): void {
    if (revision <= this.#revision) return
    for (const change of changes) {
      const map = this.#image.get(change.kind)
      if (map === undefined) continue
      // JSON drops `data: undefined`, so a delete arrives without the member.
      if (change.data === undefined || change.data === null) map.delete(change.id)
      else map.set(change.id, change.data)
    }
    this.#revision = revision
    for (const listener of this.#listeners) listener(revision)
  }

  /** Every record with its id, kind by kind in creation order: the `init` dump for a new worker. */
  rows(): LoadedRow[] {
    const out: LoadedRow[] = []
    for (const [kind, map] of this.#image) for (const [id, data] of map) out.push({ kind, id, data })
    return out
  }

  onChange(listener: (revision: number) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
}
