/**
 * @module dataplane/balancer/balancer
 * One Balancer per target group per snapshot; one implementation per
 * `load_balancing.algorithm.type` value (spec §7.7).
 */
import type { TargetState } from '../upstream/target-state.ts'

export type Algorithm = 'round_robin' | 'least_outstanding_requests' | 'weighted_random'
export type Outcome = 'ok' | 'connect_error' | 'timeout' | 'bad_response' | 'client_abort'

export interface PickContext {
  /** Epoch ms, injected for deterministic tests. */
  readonly now: number
}

export interface Balancer {
  readonly algorithm: Algorithm
  /** Picks from `routable` (pre-filtered; fail-open already applied by the caller); undefined only if empty. Never throws. */
  pick(routable: readonly TargetState[], ctx: PickContext): TargetState | undefined
  /** Called exactly once per successful pick, when the request ends. */
  release(target: TargetState, outcome: Outcome): void
}

export interface BalancerOptions {
  readonly algorithm: Algorithm
  /** `slow_start.duration_seconds` × 1000; 0 = off. */
  readonly slowStartMs: number
  /** Uniform [0, 1) source, injected for deterministic tests. */
  readonly random: () => number
}

// ---------------------------------------------------------------- factory (additive)

import { RoundRobinBalancer } from './round-robin.ts'
import { LeastOutstandingBalancer } from './least-outstanding.ts'
import { WeightedRandomBalancer } from './weighted-random.ts'
export { releaseTarget } from './release.ts'

/**
 * createBalancer: one Balancer per `load_balancing.algorithm.type` (spec §7.7, UG
 * "Edit target group attributes" → Routing algorithm). Slow start applies to
 * round_robin only: AWS refuses slow start together with least_outstanding_requests or
 * weighted_random, so the other two ignore `slowStartMs`.
 */
export function createBalancer(options: BalancerOptions): Balancer {
  switch (options.algorithm) {
    case 'least_outstanding_requests': return new LeastOutstandingBalancer()
    case 'weighted_random': return new WeightedRandomBalancer(options.random)
    case 'round_robin':
    default: return new RoundRobinBalancer(options.slowStartMs)
  }
}
