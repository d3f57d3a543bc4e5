/**
 * @module dataplane/upstream/tls-pool
 * Connections to targets of HTTPS target groups (spec §3.2): TLS, with the target's
 * certificate **not validated** — self-signed and expired certificates are fine, as on AWS —
 * and the ALB's back-end policy. AWS uses ELBSecurityPolicy-2016-08 towards targets, or
 * ELBSecurityPolicy-TLS13-1-0-2021-06 when the listener has a TLS 1.3 policy; we always offer
 * the latter, its superset (TLS 1.0–1.3, the same TLS ≤ 1.2 ciphers), so every target either
 * policy would reach is reached (UNVERIFIED: whether AWS offers TLS 1.3 to targets otherwise).
 * The connections themselves are pool.ts's (HTTP/1.1, ALPN http/1.1), h2-session.ts's and
 * upgrade.ts's; this module only says how TLS to targets is negotiated.
 */
import { tlsOptionsFor } from '../../model/ssl-policies.ts'

export const TARGET_SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-0-2021-06'

/** TLS options for connections to targets (also WebSocket and HTTP/2 ones). */
export function targetTlsOptions(): { rejectUnauthorized: false; minVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; maxVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; ciphers: string } {
  const policy = tlsOptionsFor(TARGET_SSL_POLICY)!
  return { rejectUnauthorized: false, minVersion: policy.minVersion, maxVersion: policy.maxVersion, ciphers: policy.ciphers }
}
