/**
 * @module dataplane/health/passive
 * Passive health: failures the proxy sees on real traffic (Envoy's outlier detector, Caddy's
 * passive checks). Issue 3 §7: "a target that refuses or resets connections is taken out at
 * once". AWS's ALB has no documented passive checks, so this never changes what
 * DescribeTargetHealth shows: it is a separate flag (HealthFlag.FailedPassive) the proxy ORs
 * into routability, and it clears as soon as an active check sent *after* the failure passes.
 *
 *   proxy: ECONNREFUSED / ECONNRESET ──▶ isPassiveFailure(err) ──▶ checker.reportPassiveFailure(key)
 *                                                                   ├─ passiveFailed(key) = true
 *                                                                   └─ one immediate active re-check
 *   active check started after the failure passes ──────────────────▶ passiveFailed(key) = false
 */

/**
 * Error codes that mean the target itself refused or dropped the connection. Timeouts are not
 * here on purpose: a slow target is the active checker's business (Target.Timeout), and
 * ejecting on slowness would cascade under load.
 */
const PASSIVE_FAILURE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', // nothing listens
  'ECONNRESET', // RST mid-exchange
  'EPIPE', // wrote to a connection the target closed
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET', // undici: "other side closed" before the response completed
])

/**
 * isPassiveFailure tells whether an error from a proxied request is a refused or reset
 * connection, by its `code` (never its message), following `cause` chains (undici wraps
 * socket errors).
 */
export function isPassiveFailure(err: unknown): boolean {
  let current: unknown = err
  for (let depth = 0; depth < 8 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && PASSIVE_FAILURE_CODES.has(code)) return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}

/**
 * PassiveFailures records, per target key, the probe sequence number current when the proxy
 * reported a failure. A passing probe clears the flag only if it was *started* after that, so
 * a check that was already in flight cannot vouch for a connection that failed later.
 */
export class PassiveFailures {
  readonly #failedAt = new Map<string, number>()

  /** fail marks the key failed as of probe sequence `seq`; returns true when newly failed. */
  fail(key: string, seq: number): boolean {
    const wasFailed = this.#failedAt.has(key)
    this.#failedAt.set(key, seq)
    return !wasFailed
  }

  /** passed clears the flag if the passing probe (`probeSeq`) started after the failure; true when cleared. */
  passed(key: string, probeSeq: number): boolean {
    const failedAt = this.#failedAt.get(key)
    if (failedAt === undefined || probeSeq <= failedAt) return false
    this.#failedAt.delete(key)
    return true
  }

  failed(key: string): boolean {
    return this.#failedAt.has(key)
  }

  forget(key: string): void {
    this.#failedAt.delete(key)
  }

  clear(): void {
    this.#failedAt.clear()
  }
}
