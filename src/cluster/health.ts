/**
 * @module cluster/health
 * Target health under `--workers N`. One HealthChecker runs, in the primary: N workers probing
 * every target would multiply the health-check traffic a target sees by N and let workers
 * disagree about a target. Its verdicts reach the workers as HealthUpdates; workers report
 * passive failures back.
 *
 * ```
 *  primary: HealthChecker ─▶ PublishedHealth ── health [{key, flags, live}] ──▶ every worker
 *                 ▲                                                         RemoteHealth
 *                 └──────── reportPassiveFailure ◀── passive {key} ──────────────┘
 * ```
 */
import { HealthChecker, type HealthCheckTarget } from '../dataplane/health/checker.ts'
import type { LiveHealth } from '../dataplane/health/thresholds.ts'
import type { HealthSource } from '../dataplane/dataplane.ts'
import { HealthFlag } from '../dataplane/upstream/target-state.ts'
import type { HealthUpdate } from './protocol.ts'

function sameLive(a: LiveHealth | null, b: LiveHealth | null): boolean {
  if (a === null || b === null) return a === b
  return a.state === b.state && a.reason === b.reason && a.description === b.description
}

/**
 * PublishedHealth: the primary's HealthSource. It is the HealthChecker, plus a table of what it
 * last published per key, so every change of a key's flags or live health (a transition, a
 * passive flag flip, a key starting or stopping to be watched, checks switched on or off) is
 * sent once, and a starting worker gets the whole table.
 */
export class PublishedHealth implements HealthSource {
  readonly #checker: HealthChecker
  readonly #publish: (updates: HealthUpdate[]) => void
  readonly #published = new Map<string, HealthUpdate>()

  constructor(options: {
    readonly onChange: (key: string) => void
    readonly publish: (updates: HealthUpdate[]) => void
    readonly clock?: () => number
    readonly random?: () => number
  }) {
    this.#publish = options.publish
    const changed = (key: string): void => {
      options.onChange(key)
      this.#publishKeys([key])
    }
    this.#checker = new HealthChecker({
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      ...(options.random !== undefined ? { random: options.random } : {}),
      onTransition: (t) => changed(t.key),
      onPassiveChange: changed,
    })
  }

  update(targets: ReadonlyArray<HealthCheckTarget>): void {
    this.#checker.update(targets)
    // New keys (initial, or unavailable when checks are disabled) and removed keys emit no
    // transition; compare every key against what was published.
    const keys = new Set(this.#published.keys())
    for (const target of targets) keys.add(target.key)
    this.#publishKeys(keys)
  }

  flags(key: string): number {
    return this.#checker.flags(key)
  }

  live(key: string): LiveHealth | undefined {
    return this.#checker.live(key)
  }

  reportPassiveFailure(key: string): void {
    this.#checker.reportPassiveFailure(key)
  }

  /** The current verdict of `key` (sent to a worker whose local passive mark may be stale). */
  current(key: string): HealthUpdate {
    return { key, flags: this.#checker.flags(key), live: this.#checker.live(key) ?? null }
  }

  /** Every watched key's verdict, for a worker that starts. */
  snapshot(): HealthUpdate[] {
    return [...this.#published.values()]
  }

  close(): Promise<void> {
    return this.#checker.close()
  }

  #publishKeys(keys: Iterable<string>): void {
    const updates: HealthUpdate[] = []
    for (const key of keys) {
      const next = this.current(key)
      const last = this.#published.get(key)
      if (last !== undefined && last.flags === next.flags && sameLive(last.live, next.live)) continue
      if (last === undefined && next.live === null) continue
      if (next.live === null) this.#published.delete(key)
      else this.#published.set(key, next)
      updates.push(next)
    }
    if (updates.length > 0) this.#publish(updates)
  }
}

/**
 * RemoteHealth: a worker's HealthSource, the primary's verdicts as last received. It checks
 * nothing itself (update() is a no-op: the primary decides what is checked from its own
 * snapshot of the same records).
 */
export class RemoteHealth implements HealthSource {
  readonly #onChange: (key: string) => void
  readonly #sendPassive: (key: string) => void
  readonly #table = new Map<string, { flags: number; live: LiveHealth }>()

  constructor(onChange: (key: string) => void, sendPassive: (key: string) => void) {
    this.#onChange = onChange
    this.#sendPassive = sendPassive
  }

  /** Takes in the primary's updates; the data plane re-reads each key. */
  receive(updates: readonly HealthUpdate[]): void {
    for (const update of updates) {
      if (update.live === null) this.#table.delete(update.key)
      else this.#table.set(update.key, { flags: update.flags, live: update.live })
    }
    for (const update of updates) this.#onChange(update.key)
  }

  update(): void {}

  flags(key: string): number {
    return this.#table.get(key)?.flags ?? 0
  }

  live(key: string): LiveHealth | undefined {
    return this.#table.get(key)?.live
  }

  /**
   * reportPassiveFailure takes the target out in this worker at once (as the single-process
   * checker does) and tells the primary, whose checker re-checks it and publishes the verdict
   * to every worker. The primary answers the reporter with the key's verdict either way, so a
   * local mark the primary did not take (checks just disabled, key just removed) does not stick.
   * Like HealthChecker, it ignores keys not watched and targets with checks disabled.
   */
  reportPassiveFailure(key: string): void {
    const entry = this.#table.get(key)
    // `unavailable` is HealthChecker's Target.HealthCheckDisabled: nothing would bring the target back.
    if (entry === undefined || entry.live.state === 'unavailable') return
    if ((entry.flags & HealthFlag.FailedPassive) === 0) {
      entry.flags |= HealthFlag.FailedPassive
      this.#onChange(key)
    }
    this.#sendPassive(key)
  }

  async close(): Promise<void> {
    this.#table.clear()
  }
}
