/**
 * @module dataplane/balancer/release
 * The `release()` every Balancer shares: one in-flight request fewer, never below zero
 * (a double release must not make a target look less loaded than idle).
 */
import type { TargetState } from '../upstream/target-state.ts'

export function releaseTarget(target: TargetState): void {
  if (target.outstanding > 0) target.outstanding--
}
