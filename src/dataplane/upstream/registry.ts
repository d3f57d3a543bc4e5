/**
 * @module dataplane/upstream/registry
 * TargetRegistry: the runtime state of every target, keyed by `tgArn|id|port`, surviving
 * snapshot swaps (DESIGN.md habit 1, Caddy's `hosts` usage pool). Each entry owns the
 * target's connection pool and knows what is in flight on it, which draining needs.
 */
import type { Duplex } from 'node:stream'
import type { TargetState } from './target-state.ts'
import { TargetPool } from './pool.ts'
import { closeTargetSession } from './h2-session.ts'
import { SlotSet, type Slotted } from '../slot-set.ts'

/** Something in flight on a target that draining may have to cut short. */
export interface InFlight extends Slotted {
  abort(err: Error): void
}

/** An upgraded (WebSocket) socket pair in a target's `upgraded` set. */
export interface UpgradedPair extends Slotted {
  readonly client: Duplex
  readonly target: Duplex
}

export class TargetEntry {
  readonly state: TargetState
  /** Requests in flight (proxied HTTP exchanges). */
  readonly inflight = new SlotSet<InFlight>()
  /** Upgraded (WebSocket) socket pairs. */
  readonly upgraded = new SlotSet<UpgradedPair>()
  /** Health flags from the checker, kept apart from Draining/Unused which come from config. */
  healthFlags = 0
  configFlags = 0
  drainTimer: NodeJS.Timeout | undefined
  drainingUntil: number | undefined
  #pool: TargetPool | undefined
  #idleTimeoutMs = 60_000
  /** The target group's protocol: HTTPS targets get TLS connections (upstream/tls-pool.ts). */
  #tls = false
  #idleWaiters: Array<() => void> = []

  constructor(state: TargetState) {
    this.state = state
  }

  /** The keep-alive pool (HTTP/1.1, plain or TLS), created on first use (and again after a drain closed it). */
  pool(): TargetPool {
    if (this.#pool === undefined || this.#pool.closed) {
      this.#pool = new TargetPool({ host: this.state.host, port: this.state.port, tls: this.#tls, idleTimeoutMs: this.#idleTimeoutMs })
    }
    return this.#pool
  }

  /** Whether connections to the target use TLS (HTTPS target group); a change replaces the pool. */
  get tls(): boolean {
    return this.#tls
  }

  setTls(tls: boolean): void {
    if (tls === this.#tls) return
    this.#tls = tls
    this.closePool()
  }

  setIdleTimeout(ms: number): void {
    if (ms === this.#idleTimeoutMs) return
    this.#idleTimeoutMs = ms
    this.closePool()
  }

  /** Graceful: the pool finishes what it has, then its connections close. */
  closePool(): void {
    const pool = this.#pool
    this.#pool = undefined
    if (pool !== undefined && !pool.closed) pool.close()
    closeTargetSession(this, false)
  }

  /** Forced: every connection to the target is cut now. */
  destroyPool(): void {
    const pool = this.#pool
    this.#pool = undefined
    if (pool !== undefined && !pool.destroyed) pool.destroy()
    closeTargetSession(this, true)
  }

  /** The flags a pick sees: config (draining, unused) and health together. */
  syncFlags(): void {
    this.state.flags = this.configFlags | this.healthFlags
  }

  get busy(): boolean {
    return this.inflight.size > 0 || this.upgraded.size > 0
  }

  /** Resolves when nothing is in flight any more (now, if idle). */
  whenIdle(): Promise<void> {
    if (!this.busy) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  /** Call after removing from `inflight` or `upgraded`. */
  settle(): void {
    if (this.busy || this.#idleWaiters.length === 0) return
    const waiters = this.#idleWaiters
    this.#idleWaiters = []
    for (const w of waiters) w()
  }
}

export class TargetRegistry {
  readonly #entries = new Map<string, TargetEntry>()

  get(key: string): TargetEntry | undefined {
    return this.#entries.get(key)
  }

  /** The entry for `key`, created with fresh state if unknown. */
  ensure(key: string, targetGroupArn: string, targetId: string, host: string, port: number): TargetEntry {
    let entry = this.#entries.get(key)
    if (entry === undefined) {
      entry = new TargetEntry({
        key, targetGroupArn, targetId, host, port, flags: 0, outstanding: 0, upgraded: 0, healthySince: 0,
      })
      this.#entries.set(key, entry)
    }
    return entry
  }

  delete(key: string): void {
    this.#entries.delete(key)
  }

  entries(): IterableIterator<TargetEntry> {
    return this.#entries.values()
  }

  keys(): IterableIterator<string> {
    return this.#entries.keys()
  }
}
