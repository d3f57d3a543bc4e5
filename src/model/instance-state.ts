/**
 * @module model/instance-state
 * The EC2 instance lifecycle, derived from time rather than driven by timers.
 *
 * A record stores the state its last transition entered and when (`state`,
 * `stateChangedAt`). The transitional states settle by themselves after
 * INSTANCE_TRANSITION_MS, as on AWS where `pending` turns `running` without another call:
 *
 * ```
 *   RunInstances ─► pending ──► running ──Stop──► stopping ──► stopped
 *                      ▲                                          │
 *                      └────────────────Start─────────────────────┘
 *   Terminate (from any state) ─► shutting-down ──► terminated
 * ```
 *
 * Deriving the state from a timestamp keeps the store free of background writers and
 * lets the API, the data plane and DescribeTargetHealth agree on it with no coordination.
 */
import type { Instance, InstanceStateName } from './resources.ts'
import { INSTANCE_STATE_CODES } from './resources.ts'

/** How long `pending`, `stopping` and `shutting-down` last. AWS takes tens of seconds; one machine needs no boot. */
export const INSTANCE_TRANSITION_MS = 300

/** Each transitional state and the state it settles into. */
export const SETTLES_INTO = {
  pending: 'running',
  stopping: 'stopped',
  'shutting-down': 'terminated',
} as const satisfies Partial<Record<InstanceStateName, InstanceStateName>>

type TransitionalState = keyof typeof SETTLES_INTO

function isTransitional(state: InstanceStateName): state is TransitionalState {
  return Object.hasOwn(SETTLES_INTO, state)
}

/** The state of `instance` at epoch ms `now`. Pure: same inputs, same answer. */
export function currentInstanceState(
  instance: Pick<Instance, 'state' | 'stateChangedAt' | 'launchTime'>,
  now: number,
  transitionMs: number = INSTANCE_TRANSITION_MS,
): InstanceStateName {
  const changedAt = instance.stateChangedAt ?? instance.launchTime
  if (isTransitional(instance.state) && now - changedAt >= transitionMs) return SETTLES_INTO[instance.state]
  return instance.state
}

/** Epoch ms at which the instance's current transitional state settles; undefined when it is settled. */
export function instanceSettlesAt(
  instance: Pick<Instance, 'state' | 'stateChangedAt' | 'launchTime'>,
  now: number,
  transitionMs: number = INSTANCE_TRANSITION_MS,
): number | undefined {
  if (!isTransitional(instance.state)) return undefined
  const at = (instance.stateChangedAt ?? instance.launchTime) + transitionMs
  return at > now ? at : undefined
}

/** The numeric code DescribeInstances prints beside a state name (16 = running, 80 = stopped …). */
export function instanceStateCode(state: InstanceStateName): number {
  return INSTANCE_STATE_CODES[state]
}
