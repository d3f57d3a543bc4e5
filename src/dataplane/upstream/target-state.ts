/**
 * @module dataplane/upstream/target-state
 * Runtime state of one target, keyed by its stable identity `tgArn|id|port`. It outlives
 * configuration snapshots (DESIGN.md habit 1: config is separate from live state), so
 * health, in-flight counts and slow start survive every API change.
 */

/** Independent reasons a target is not routable, ORed (Envoy's Host::HealthFlag). */
export const HealthFlag = {
  /** Registered, no health check passed yet. */
  Initial: 1,
  /** Active health checks say unhealthy. */
  FailedActive: 2,
  /** Connection refused/reset seen by the proxy (passive health, issue 3 §7). */
  FailedPassive: 4,
  /** Deregistered, draining. */
  Draining: 8,
  /** Not in use: stopped/terminated instance, group not used by any rule. */
  Unused: 16,
} as const

export interface TargetState {
  /** `${targetGroupArn}|${targetId}|${port}` */
  readonly key: string
  readonly targetGroupArn: string
  readonly targetId: string
  /** The address traffic goes to: the ip target itself, or the instance's private IP. */
  host: string
  port: number
  /** HealthFlag bits; routable ⇔ flags === 0. */
  flags: number
  /** Requests in flight (least_outstanding_requests, draining). */
  outstanding: number
  /** Open upgraded (WebSocket) connections, counted for draining. */
  upgraded: number
  /** Epoch ms when the target last became healthy; slow start ramps from here. */
  healthySince: number
}

export function isRoutable(target: TargetState): boolean {
  return target.flags === 0
}
