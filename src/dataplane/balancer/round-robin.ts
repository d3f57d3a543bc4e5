/**
 * @module dataplane/balancer/round-robin
 * `round_robin` (the default `load_balancing.algorithm.type`; UG "Target groups for your
 * Application Load Balancers" → Routing algorithm): routable targets in sequence.
 *
 * The rotation remembers the last target picked (index and key). When the routable list
 * changes between picks (a snapshot swap, a target turning unhealthy) it continues after
 * that target's new position, or — if that target left — with whatever now occupies its
 * old slot (its successor), so the rotation neither restarts at the first target nor
 * skips anyone. The unchanged-list case stays O(1).
 *
 * Slow start (`slow_start.duration_seconds`; UG "Slow start mode"): a target that became
 * healthy less than `slowStartMs` ago gets a linearly increasing share of requests,
 * weight = elapsed / duration of a full target's weight. While any target ramps we pick
 * with smooth weighted round-robin (nginx's SWRR: add each weight to a running score,
 * take the highest, subtract the total), which spreads a target's share evenly rather
 * than in bursts and recomputes weights on every pick, as the ramp needs. A target enters
 * slow start only if at least one routable target is not itself in slow start, so a
 * group whose targets all became healthy together is served normally (AWS: "not applied
 * to targets registered into an empty target group").
 */
import type { Balancer, Outcome, PickContext } from './balancer.ts'
import type { TargetState } from '../upstream/target-state.ts'
import { releaseTarget } from './release.ts'

/** Weight of a target out of slow start; ramping targets get 1..FULL_WEIGHT. */
export const FULL_WEIGHT = 1000

export function slowStartWeight(target: TargetState, now: number, slowStartMs: number): number {
  if (slowStartMs <= 0) return FULL_WEIGHT
  const elapsed = now - target.healthySince
  if (elapsed >= slowStartMs) return FULL_WEIGHT
  if (elapsed <= 0) return 1
  return Math.max(1, Math.floor((FULL_WEIGHT * elapsed) / slowStartMs))
}

export class RoundRobinBalancer implements Balancer {
  readonly algorithm = 'round_robin' as const
  readonly #slowStartMs: number
  #lastIndex = -1
  #lastKey = ''
  /** SWRR running scores by target key; only used (and kept) while some target ramps. */
  readonly #scores = new Map<string, number>()

  constructor(slowStartMs: number) {
    this.#slowStartMs = slowStartMs
  }

  pick(routable: readonly TargetState[], ctx: PickContext): TargetState | undefined {
    const n = routable.length
    if (n === 0) return undefined
    const target = this.#slowStartMs > 0 && n > 1 ? this.#pickSlowStart(routable, ctx.now) : undefined
    const chosen = target ?? this.#next(routable)
    chosen.outstanding++
    return chosen
  }

  release(target: TargetState, _outcome: Outcome): void {
    releaseTarget(target)
  }

  #next(routable: readonly TargetState[]): TargetState {
    const n = routable.length
    let i: number
    const last = this.#lastIndex
    if (last >= 0 && last < n && routable[last]!.key === this.#lastKey) {
      i = last + 1
    } else {
      const moved = this.#lastKey === '' ? -1 : routable.findIndex((t) => t.key === this.#lastKey)
      i = moved >= 0 ? moved + 1 : Math.max(0, last)
    }
    i %= n
    const chosen = routable[i]!
    this.#lastIndex = i
    this.#lastKey = chosen.key
    return chosen
  }

  /** SWRR over slow-start weights; undefined when nobody ramps (plain rotation is then exact). */
  #pickSlowStart(routable: readonly TargetState[], now: number): TargetState | undefined {
    let ramping = 0
    for (const t of routable) if (slowStartWeight(t, now, this.#slowStartMs) < FULL_WEIGHT) ramping++
    if (ramping === 0 || ramping === routable.length) {
      if (this.#scores.size > 0) this.#scores.clear()
      return undefined
    }
    if (this.#scores.size > 2 * routable.length) this.#scores.clear()
    let total = 0
    let best: TargetState | undefined
    let bestScore = -Infinity
    for (const t of routable) {
      const w = slowStartWeight(t, now, this.#slowStartMs)
      const score = (this.#scores.get(t.key) ?? 0) + w
      this.#scores.set(t.key, score)
      total += w
      if (score > bestScore) { best = t; bestScore = score }
    }
    this.#scores.set(best!.key, bestScore - total)
    return best
  }
}
