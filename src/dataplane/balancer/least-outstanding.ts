/**
 * @module dataplane/balancer/least-outstanding
 * `least_outstanding_requests` (UG "Target groups for your Application Load Balancers"
 * → Routing algorithm): the routable target with the fewest requests in flight
 * (`outstanding`, incremented by pick and decremented by release). Ties are broken
 * round-robin: the scan starts one position later on every pick, so equal targets take
 * turns instead of the first one in the list taking every tie. O(n) per pick.
 */
import type { Balancer, Outcome, PickContext } from './balancer.ts'
import type { TargetState } from '../upstream/target-state.ts'
import { releaseTarget } from './release.ts'

export class LeastOutstandingBalancer implements Balancer {
  readonly algorithm = 'least_outstanding_requests' as const
  #cursor = 0

  pick(routable: readonly TargetState[], _ctx: PickContext): TargetState | undefined {
    const n = routable.length
    if (n === 0) return undefined
    const start = this.#cursor % n
    this.#cursor = start + 1
    let best = routable[start]!
    for (let k = 1; k < n; k++) {
      const t = routable[(start + k) % n]!
      if (t.outstanding < best.outstanding) best = t
    }
    best.outstanding++
    return best
  }

  release(target: TargetState, _outcome: Outcome): void {
    releaseTarget(target)
  }
}
