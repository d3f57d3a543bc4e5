/**
 * @module dataplane/health/thresholds
 * The pure health state machine of one target (STYLE.md habit 6, Envoy's HealthTransition):
 * `step(counters, probeResult, config)` → next counters, whether the state changed, and the
 * health DescribeTargetHealth shows. No I/O, no clock: the checker feeds it probe results.
 *
 * AWS semantics (UG "Health checks for Application Load Balancer target groups", spec §4.3):
 *
 *   initial ──1 pass──────────────────────▶ healthy
 *      │                                     │  ▲
 *      └─UnhealthyThresholdCount fails─▶ unhealthy
 *                                            (healthy → unhealthy after UnhealthyThresholdCount
 *                                             consecutive failures; unhealthy → healthy after
 *                                             HealthyThresholdCount consecutive successes)
 *
 * "After your target is registered, it must pass one health check to be considered healthy."
 */
import type { HealthCheck } from '../../model/resources.ts'

/**
 * LiveHealth is what DescribeTargetHealth shows for a target the checker watches. It has the
 * shape of api/context.ts LiveHealth (structurally the same type), declared here because the
 * data plane never imports api/ (DESIGN.md boundaries).
 */
export interface LiveHealth {
  readonly state: 'initial' | 'healthy' | 'unhealthy' | 'unavailable'
  readonly reason?: string
  readonly description?: string
}

export type ActiveState = 'initial' | 'healthy' | 'unhealthy'

/** What one probe observed. The machine, not the probe, decides pass or fail (via the matcher). */
export type ProbeResult =
  /** A response arrived: the HTTP status code, or for gRPC checks the grpc-status. */
  | { readonly kind: 'response'; readonly code: number }
  /** No response (headers) within HealthCheckTimeoutSeconds, including a connect that never completed. */
  | { readonly kind: 'timeout' }
  /** Connection refused or reset, TLS failure, malformed response. `cause` is an error code for logs. */
  | { readonly kind: 'failed'; readonly cause?: string }

/** Why the last failing probe failed; kept so `unhealthy` carries AWS's reason code. */
export type ProbeFailure =
  | { readonly kind: 'mismatch'; readonly code: number }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'failed' }

export interface HealthCounters {
  readonly state: ActiveState
  /** Whether a probe has completed: `initial` shows RegistrationInProgress before, InitialHealthChecking after. */
  readonly started: boolean
  /** Consecutive passing probes (reset by a failure). */
  readonly successes: number
  /** Consecutive failing probes (reset by a pass). */
  readonly failures: number
  readonly lastFailure?: ProbeFailure
}

/**
 * How a step relates to the state (Envoy HealthTransition):
 * - `unchanged`: the probe agrees with the current state;
 * - `changed`: the state changed with this probe;
 * - `pending`: the probe disagrees, but the threshold has not been reached yet.
 */
export type HealthChange = 'unchanged' | 'changed' | 'pending'

export interface Step {
  readonly next: HealthCounters
  readonly change: HealthChange
  readonly health: LiveHealth
}

/** Success codes compiled from a Matcher string ("200", "200,202", "200-299", "200,301-302"). */
export interface CodeMatcher {
  /** The text it was compiled from, for logs. */
  readonly text: string
  matches(code: number): boolean
}

export interface StepConfig {
  readonly healthyThresholdCount: number
  readonly unhealthyThresholdCount: number
  readonly success: CodeMatcher
}

// Descriptions are the UG texts verbatim (spec §4.2).
export const REGISTRATION_IN_PROGRESS: LiveHealth = {
  state: 'initial', reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress',
}
export const INITIAL_HEALTH_CHECKING: LiveHealth = {
  state: 'initial', reason: 'Elb.InitialHealthChecking', description: 'Initial health checks in progress',
}
export const HEALTHY: LiveHealth = { state: 'healthy' }
export const TIMED_OUT: LiveHealth = { state: 'unhealthy', reason: 'Target.Timeout', description: 'Request timed out' }
export const FAILED_HEALTH_CHECKS: LiveHealth = {
  state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed',
}
export const HEALTH_CHECK_DISABLED: LiveHealth = {
  state: 'unavailable', reason: 'Target.HealthCheckDisabled', description: 'Health checks are disabled',
}

/** A newly registered target: `initial`, no probe sent yet. */
export const INITIAL_COUNTERS: HealthCounters = { state: 'initial', started: false, successes: 0, failures: 0 }

/** begin marks that the first probe went out (Elb.RegistrationInProgress → Elb.InitialHealthChecking). */
export function begin(counters: HealthCounters): HealthCounters {
  return counters.started ? counters : { ...counters, started: true }
}

/** healthOf is what DescribeTargetHealth shows for these counters. */
export function healthOf(counters: HealthCounters): LiveHealth {
  switch (counters.state) {
    case 'healthy':
      return HEALTHY
    case 'initial':
      return counters.started ? INITIAL_HEALTH_CHECKING : REGISTRATION_IN_PROGRESS
    case 'unhealthy':
      return failureHealth(counters.lastFailure ?? { kind: 'failed' })
  }
}

function failureHealth(failure: ProbeFailure): LiveHealth {
  switch (failure.kind) {
    case 'mismatch':
      // UG: "Health checks failed with these codes: [code]". For gRPC checks the code is the
      // grpc-status; that AWS formats it the same way is UNVERIFIED.
      return {
        state: 'unhealthy', reason: 'Target.ResponseCodeMismatch',
        description: `Health checks failed with these codes: [${failure.code}]`,
      }
    case 'timeout':
      return TIMED_OUT
    case 'failed':
      return FAILED_HEALTH_CHECKS
  }
}

/** classify turns a probe result into pass (undefined) or the failure it is. */
export function classify(result: ProbeResult, success: CodeMatcher): ProbeFailure | undefined {
  switch (result.kind) {
    case 'response':
      return success.matches(result.code) ? undefined : { kind: 'mismatch', code: result.code }
    case 'timeout':
      return { kind: 'timeout' }
    case 'failed':
      return { kind: 'failed' }
  }
}

/**
 * step applies one probe result. Thresholds below 1 (never valid from the API) count as 1 so
 * a bad config cannot wedge a target.
 */
export function step(counters: HealthCounters, result: ProbeResult, config: StepConfig): Step {
  const failure = classify(result, config.success)
  const healthyThreshold = Math.max(1, config.healthyThresholdCount)
  const unhealthyThreshold = Math.max(1, config.unhealthyThresholdCount)
  let next: HealthCounters
  let change: HealthChange
  if (failure === undefined) {
    const successes = counters.successes + 1
    // One pass suffices from `initial`; from `unhealthy` it takes HealthyThresholdCount (UG).
    const needed = counters.state === 'initial' ? 1 : healthyThreshold
    if (counters.state === 'healthy') {
      next = { state: 'healthy', started: true, successes, failures: 0 }
      change = 'unchanged'
    } else if (successes >= needed) {
      next = { state: 'healthy', started: true, successes, failures: 0 }
      change = 'changed'
    } else {
      next = withFailure({ state: counters.state, started: true, successes, failures: 0 }, counters.lastFailure)
      change = 'pending'
    }
  } else {
    const failures = counters.failures + 1
    if (counters.state === 'unhealthy') {
      next = { state: 'unhealthy', started: true, successes: 0, failures, lastFailure: failure }
      change = 'unchanged'
    } else if (failures >= unhealthyThreshold) {
      next = { state: 'unhealthy', started: true, successes: 0, failures, lastFailure: failure }
      change = 'changed'
    } else {
      next = { state: counters.state, started: true, successes: 0, failures, lastFailure: failure }
      change = 'pending'
    }
  }
  return { next, change, health: healthOf(next) }
}

function withFailure(counters: HealthCounters, lastFailure: ProbeFailure | undefined): HealthCounters {
  return lastFailure === undefined ? counters : { ...counters, lastFailure }
}

/**
 * parseCodes compiles a Matcher code list: single values, comma lists and ranges, mixable
 * ("200,301-302"), each within [min, max] (HttpCode 200-499, GrpcCode 0-99; spec §3.1).
 * Returns undefined for anything else; the API already rejected such input.
 */
export function parseCodes(text: string, min: number, max: number): CodeMatcher | undefined {
  const ranges: Array<readonly [number, number]> = []
  for (const part of text.split(',')) {
    const m = /^\s*(\d{1,3})\s*(?:-\s*(\d{1,3})\s*)?$/.exec(part)
    if (m === null) return undefined
    const low = Number(m[1])
    const high = m[2] === undefined ? low : Number(m[2])
    if (low < min || high > max || low > high) return undefined
    ranges.push([low, high])
  }
  return {
    text,
    matches: (code) => ranges.some(([low, high]) => code >= low && code <= high),
  }
}

export const HTTP_CODE_RANGE = { min: 200, max: 499 } as const
export const GRPC_CODE_RANGE = { min: 0, max: 99 } as const
/** Defaults when the Matcher is absent: HttpCode "200"; GrpcCode "12" (UNIMPLEMENTED) for GRPC groups (spec §3.1). */
export const DEFAULT_HTTP_CODES = '200'
export const DEFAULT_GRPC_CODES = '12'

/**
 * stepConfig compiles the parts of a health check the machine needs. GRPC target groups
 * match the grpc-status against GrpcCode, all others the HTTP status against HttpCode. An
 * unparsable matcher (only possible if the store was edited by hand) falls back to the default
 * rather than taking the data plane down.
 */
export function stepConfig(healthCheck: HealthCheck, protocolVersion?: string): StepConfig {
  const grpc = protocolVersion === 'GRPC'
  const success = grpc
    ? parseCodes(healthCheck.matcher?.grpcCode ?? DEFAULT_GRPC_CODES, GRPC_CODE_RANGE.min, GRPC_CODE_RANGE.max)
      ?? parseCodes(DEFAULT_GRPC_CODES, GRPC_CODE_RANGE.min, GRPC_CODE_RANGE.max)
    : parseCodes(healthCheck.matcher?.httpCode ?? DEFAULT_HTTP_CODES, HTTP_CODE_RANGE.min, HTTP_CODE_RANGE.max)
      ?? parseCodes(DEFAULT_HTTP_CODES, HTTP_CODE_RANGE.min, HTTP_CODE_RANGE.max)
  return {
    healthyThresholdCount: healthCheck.healthyThresholdCount,
    unhealthyThresholdCount: healthCheck.unhealthyThresholdCount,
    success: success!,
  }
}
