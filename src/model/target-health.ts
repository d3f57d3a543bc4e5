/**
 * @module model/target-health
 * The state DescribeTargetHealth reports for one registration (spec §4), as a pure decision
 * over everything that can override the health checker's view, plus the draining clock.
 * No I/O: the API gathers the inputs, the data plane supplies `observed`.
 */
import type { InstanceStateName, Registration } from './resources.ts'

export type TargetHealthState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable'

/** `TargetHealth` of the ELBv2 model: `healthy` carries neither reason nor description (spec §4.1). */
export interface TargetHealth {
  readonly state: TargetHealthState
  readonly reason?: string
  readonly description?: string
}

/** What the health checker last saw for a registration (the shape of api/context LiveHealth). */
export interface ObservedHealth {
  readonly state: 'initial' | 'healthy' | 'unhealthy' | 'unavailable'
  readonly reason?: string
  readonly description?: string
}

export interface TargetHealthInput {
  readonly registration: Registration
  readonly healthCheckEnabled: boolean
  /** Whether any rule of any listener forwards to the target group. */
  readonly inUse: boolean
  /**
   * For `instance` targets: the instance's current state, or 'missing' when the record is
   * gone (terminated instances disappear from EC2). Undefined for ip and lambda targets.
   */
  readonly instanceState?: InstanceStateName | 'missing'
  readonly observed?: ObservedHealth
}

// Descriptions are the UG texts (spec §4.2).
export const NOT_REGISTERED: TargetHealth = {
  state: 'unused', reason: 'Target.NotRegistered', description: 'Target is not registered to the target group',
}
const DRAINING: TargetHealth = {
  state: 'draining', reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress',
}
const NOT_IN_USE: TargetHealth = {
  state: 'unused', reason: 'Target.NotInUse', description: 'Target group is not configured to receive traffic from the load balancer',
}
const HEALTH_CHECK_DISABLED: TargetHealth = {
  state: 'unavailable', reason: 'Target.HealthCheckDisabled', description: 'Health checks are disabled',
}
const REGISTRATION_IN_PROGRESS: TargetHealth = {
  state: 'initial', reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress',
}

/** `Target is in the stopped state` / `… terminated state` (spec §4.2), undefined while the instance can serve. */
function invalidInstanceState(state: InstanceStateName | 'missing' | undefined): TargetHealth | undefined {
  switch (state) {
    case 'stopping':
    case 'stopped':
      return { state: 'unused', reason: 'Target.InvalidState', description: 'Target is in the stopped state' }
    case 'shutting-down':
    case 'terminated':
    case 'missing':
      return { state: 'unused', reason: 'Target.InvalidState', description: 'Target is in the terminated state' }
    default:
      return undefined
  }
}

/**
 * targetHealth decides what DescribeTargetHealth shows for a current registration. Earlier
 * causes win: a draining target is draining whatever its instance does; a stopped instance
 * is unusable even in a group nobody routes to; a group no rule forwards to is never checked
 * (UG: "no health checks are sent"); disabled checks mean `unavailable`; only then does the
 * checker's observation count, and before its first verdict the target is `initial`.
 */
export function targetHealth(input: TargetHealthInput): TargetHealth {
  if (input.registration.deregisteredAt !== undefined) return DRAINING
  const invalid = invalidInstanceState(input.instanceState)
  if (invalid !== undefined) return invalid
  if (!input.inUse) return NOT_IN_USE
  if (!input.healthCheckEnabled) return HEALTH_CHECK_DISABLED
  if (input.observed !== undefined) {
    if (input.observed.state === 'healthy') return { state: 'healthy' }
    return {
      state: input.observed.state,
      ...(input.observed.reason !== undefined ? { reason: input.observed.reason } : {}),
      ...(input.observed.description !== undefined ? { description: input.observed.description } : {}),
    }
  }
  return REGISTRATION_IN_PROGRESS
}

/**
 * registrationExpired: a deregistered target drains for `deregistration_delay.timeout_seconds`
 * and is then gone (spec §4.3) — absent from DescribeTargetHealth and free to register anew.
 */
export function registrationExpired(registration: Registration, delaySeconds: number, now: number): boolean {
  return registration.deregisteredAt !== undefined && now >= registration.deregisteredAt + delaySeconds * 1000
}

/** The stable identity of a registration, `tgArn|id|port` (DESIGN.md: runtime state is keyed by it). */
export function registrationKey(targetGroupArn: string, targetId: string, port: number): string {
  return `${targetGroupArn}|${targetId}|${port}`
}
