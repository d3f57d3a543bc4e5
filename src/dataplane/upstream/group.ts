/**
 * @module dataplane/upstream/group
 * TargetGroupRuntime: one target group's live view — its compiled config, its Balancer, and
 * the lists a pick chooses from, rebuilt when a flag changes rather than filtered per request
 * (Envoy's HostSet: `hosts` vs `healthyHosts`, rebuilt on change).
 */
import type { CompiledTargetGroup } from '../../config/snapshot.ts'
import { createBalancer, type Balancer } from '../balancer/balancer.ts'
import type { TargetEntry } from './registry.ts'
import { HealthFlag, type TargetState } from './target-state.ts'

/** Targets that may take traffic when the group fails open: not draining, not unused. */
const FAIL_OPEN_BLOCKERS = HealthFlag.Draining | HealthFlag.Unused

export class TargetGroupRuntime {
  compiled: CompiledTargetGroup
  balancer: Balancer
  entries: readonly TargetEntry[] = []
  #routable: readonly TargetState[] = []
  #failOpen: readonly TargetState[] = []
  /** A target's flags changed since the lists were built. */
  #stale = false
  readonly #random: () => number

  constructor(compiled: CompiledTargetGroup, random: () => number) {
    this.compiled = compiled
    this.#random = random
    this.balancer = createBalancer({ algorithm: compiled.algorithm, slowStartMs: compiled.slowStartMs, random })
  }

  /** Takes a new compiled config; the Balancer (and its rotation) survives unless its settings changed. */
  update(compiled: CompiledTargetGroup, entries: readonly TargetEntry[]): void {
    if (compiled.algorithm !== this.compiled.algorithm || compiled.slowStartMs !== this.compiled.slowStartMs) {
      this.balancer = createBalancer({ algorithm: compiled.algorithm, slowStartMs: compiled.slowStartMs, random: this.#random })
    }
    this.compiled = compiled
    this.entries = entries
    this.refresh()
  }

  /** flags === 0. */
  get routable(): readonly TargetState[] {
    if (this.#stale) this.refresh()
    return this.#routable
  }

  /** Not draining and not unused (fail-open candidates, spec §4.5). */
  get failOpen(): readonly TargetState[] {
    if (this.#stale) this.refresh()
    return this.#failOpen
  }

  /**
   * One target's health changed: its flags now, the lists when next read. A burst of health
   * transitions (1,000 targets passing their first check within one interval) costs one
   * rebuild, when the next request picks a target, not one per transition.
   */
  invalidate(entry: TargetEntry): void {
    entry.syncFlags()
    this.#stale = true
  }

  /** Rebuilds the pick lists after any flag change. */
  refresh(): void {
    this.#stale = false
    const routable: TargetState[] = []
    const failOpen: TargetState[] = []
    for (const entry of this.entries) {
      entry.syncFlags()
      const state = entry.state
      if (state.flags === 0) routable.push(state)
      if ((state.flags & FAIL_OPEN_BLOCKERS) === 0) failOpen.push(state)
    }
    this.#routable = routable
    this.#failOpen = failOpen
  }

  /** Whether any target is registered and not drained away (else the ALB answers 503). */
  get hasTargets(): boolean {
    return this.failOpen.length > 0
  }

  /**
   * candidates: the healthy targets, or — when fewer are healthy than
   * `unhealthy_state_routing.minimum_healthy_targets.count` / `.percentage` — every target
   * that is not draining or unused ("fail open", spec §4.5). Targets in `initial` take
   * fail-open traffic too (UNVERIFIED on AWS), so a group whose targets were all just
   * registered serves at once instead of answering 503 until the first check passes.
   */
  candidates(): readonly TargetState[] {
    const healthy = this.routable.length
    const total = this.failOpen.length
    const { minHealthyCount, minHealthyPercent } = this.compiled
    const belowCount = healthy < minHealthyCount
    const belowPercent = minHealthyPercent > 0 && total > 0 && (healthy * 100) / total < minHealthyPercent
    return belowCount || belowPercent ? this.failOpen : this.routable
  }

  /** candidates without `failed`: where a retry after a failed connection may go. */
  candidatesExcept(failed: TargetState | undefined): readonly TargetState[] {
    const candidates = this.candidates()
    return failed === undefined ? candidates : candidates.filter((t) => t.key !== failed.key)
  }
}
