/**
 * @module dataplane/balancer/weighted-random
 * `weighted_random` (UG "Target groups for your Application Load Balancers" → Routing
 * algorithm): "an even, random choice" among routable targets. All targets carry the
 * same weight today; anomaly mitigation (which lowers an anomalous target's weight) is
 * not implemented. Randomness is injected (BalancerOptions.random) for reproducible tests.
 */
import type { Balancer, Outcome, PickContext } from './balancer.ts'
import type { TargetState } from '../upstream/target-state.ts'
import { releaseTarget } from './release.ts'

export class WeightedRandomBalancer implements Balancer {
  readonly algorithm = 'weighted_random' as const
  readonly #random: () => number

  constructor(random: () => number) {
    this.#random = random
  }

  pick(routable: readonly TargetState[], _ctx: PickContext): TargetState | undefined {
    const n = routable.length
    if (n === 0) return undefined
    // Clamp: a misbehaving source returning 1 (or more) must not index past the end.
    const i = Math.min(n - 1, Math.max(0, Math.floor(this.#random() * n)))
    const chosen = routable[i]!
    chosen.outstanding++
    return chosen
  }

  release(target: TargetState, _outcome: Outcome): void {
    releaseTarget(target)
  }
}
