/**
 * @module dataplane/drain/draining
 * Connection draining (spec §4.3): a deregistered target gets no new requests at once; what
 * is in flight — requests, WebSocket connections, keep-alive connections to the target — may
 * finish until `deregistration_delay.timeout_seconds` ends. Then whatever is left is cut:
 * requests still in flight get a 502 ("deregistration delay expired with a request in
 * flight", UG troubleshooting), upgraded connections are closed.
 *
 * ```
 *  DeregisterTargets ─► Draining flag (no new picks) ─┬─ in flight reaches 0 ─► pool closed gracefully
 *                                                     └─ delay ends ─► expireDrain: abort, destroy
 * ```
 */
import type { TargetEntry } from '../upstream/registry.ts'
import { HealthFlag } from '../upstream/target-state.ts'
import { DeregistrationExpiredError } from '../proxy/errors.ts'

/**
 * startDraining marks the target Draining and arms the expiry at `until` (epoch ms).
 * Idempotent: an entry already draining until the same time is left alone.
 */
export function startDraining(entry: TargetEntry, until: number, now: number): void {
  entry.configFlags |= HealthFlag.Draining
  if (entry.drainingUntil === until && entry.drainTimer !== undefined) return
  if (entry.drainTimer !== undefined) clearTimeout(entry.drainTimer)
  entry.drainingUntil = until
  // Idle already: let the target's keep-alive connections go now rather than at the deadline.
  entry.whenIdle().then(() => { if (entry.drainingUntil === until) entry.closePool() }, () => {})
  entry.drainTimer = setTimeout(() => expireDrain(entry), Math.max(0, until - now))
  entry.drainTimer.unref()
}

/** stopDraining: the target was registered again before its delay ended. */
export function stopDraining(entry: TargetEntry): void {
  entry.configFlags &= ~HealthFlag.Draining
  entry.drainingUntil = undefined
  if (entry.drainTimer !== undefined) clearTimeout(entry.drainTimer)
  entry.drainTimer = undefined
}

/** expireDrain: the delay is over; everything still open on the target is cut. */
export function expireDrain(entry: TargetEntry): void {
  if (entry.drainTimer !== undefined) clearTimeout(entry.drainTimer)
  entry.drainTimer = undefined
  for (const request of entry.inflight.values()) request.abort(new DeregistrationExpiredError())
  for (const { client, target } of entry.upgraded.values()) {
    client.destroy()
    target.destroy()
  }
  entry.destroyPool()
}
