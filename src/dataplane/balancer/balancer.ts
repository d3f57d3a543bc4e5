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
