/**
 * @module config/watch
 * ConfigWatcher: store revision → compile → publish. Bursts of changes coalesce into one
 * compile of the latest state (Traefik keeps only the latest pending configuration), an
 * unchanged revision is not compiled again, and a timer recompiles when a time-derived fact
 * changes (an instance settles into `stopped`, a drain ends) although no record changed.
 */
import type { View } from '../store/store.ts'
import { compileSnapshot } from './compile.ts'
import { EMPTY_SNAPSHOT, type ConfigSnapshot, type SnapshotSource } from './snapshot.ts'

/** The part of the Store the watcher needs. */
export interface WatchedStore extends View {
  readonly revision: number
  onChange(listener: (revision: number) => void): () => void
}

export interface ConfigWatcherOptions {
  readonly clock?: () => number
  /** Reports a compile failure; the last good snapshot keeps serving (static stability). */
  readonly onError?: (err: unknown) => void
}

export class ConfigWatcher implements SnapshotSource {
  readonly #store: WatchedStore
  readonly #clock: () => number
  readonly #onError: (err: unknown) => void
  readonly #subscribers = new Set<(snapshot: ConfigSnapshot) => void>()
  #current: ConfigSnapshot = EMPTY_SNAPSHOT
  #scheduled = false
  #timeTimer: NodeJS.Timeout | undefined
  #unsubscribe: (() => void) | undefined
  #closed = false

  constructor(store: WatchedStore, options: ConfigWatcherOptions = {}) {
    this.#store = store
    this.#clock = options.clock ?? Date.now
    this.#onError = options.onError ?? (() => {})
  }

  /** Compiles the current records synchronously and starts following changes. */
  start(): ConfigSnapshot {
    this.#unsubscribe ??= this.#store.onChange(() => this.#schedule())
    this.#compile(true)
    return this.#current
  }

  current(): ConfigSnapshot {
    return this.#current
  }

  subscribe(cb: (snapshot: ConfigSnapshot) => void): () => void {
    this.#subscribers.add(cb)
    return () => this.#subscribers.delete(cb)
  }

  /** Compiles now (skipping the coalescing delay); tests and reset use it to await a change. */
  refresh(): ConfigSnapshot {
    this.#compile(true)
    return this.#current
  }

  close(): void {
    this.#closed = true
    this.#unsubscribe?.()
    if (this.#timeTimer !== undefined) clearTimeout(this.#timeTimer)
    this.#subscribers.clear()
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return
    this.#scheduled = true
    // setImmediate lets a burst of commits in the same turn land before one compile.
    setImmediate(() => {
      this.#scheduled = false
      this.#compile(false)
    })
  }

  /** `force` compiles even at an unchanged revision (time-derived facts moved on). */
  #compile(force: boolean): void {
    if (this.#closed) return
    const revision = this.#store.revision
    if (!force && revision === this.#current.revision) return
    let snapshot: ConfigSnapshot
    try {
      snapshot = compileSnapshot(this.#store, revision, this.#clock())
    } catch (err) {
      this.#onError(err)
      return
    }
    this.#current = snapshot
    this.#armTimeTimer(snapshot)
    for (const cb of this.#subscribers) {
      try { cb(snapshot) } catch (err) { this.#onError(err) }
    }
  }

  #armTimeTimer(snapshot: ConfigSnapshot): void {
    if (this.#timeTimer !== undefined) clearTimeout(this.#timeTimer)
    this.#timeTimer = undefined
    if (snapshot.nextTimeChangeAt === undefined) return
    const delay = Math.max(0, snapshot.nextTimeChangeAt - this.#clock()) + 1
    this.#timeTimer = setTimeout(() => {
      this.#timeTimer = undefined
      this.#compile(true)
    }, delay)
    this.#timeTimer.unref()
  }
}
