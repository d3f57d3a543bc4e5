/**
 * @module dataplane/upstream/tls-pool
 * Connections to targets of HTTPS target groups (spec §3.2): TLS, with the target's
 * certificate **not validated** — self-signed and expired certificates are fine, as on AWS —
 * and the ALB's back-end policy. AWS uses ELBSecurityPolicy-2016-08 towards targets, or
 * ELBSecurityPolicy-TLS13-1-0-2021-06 when the listener has a TLS 1.3 policy; we always offer
 * the latter, its superset (TLS 1.0–1.3, the same TLS ≤ 1.2 ciphers), so every target either
 * policy would reach is reached (UNVERIFIED: whether AWS offers TLS 1.3 to targets otherwise).
 * Same keep-alive and timeout rules as pool.ts; HTTP/1.1 only (ALPN http/1.1).
 */
import { Client, Pool } from 'undici'
import { tlsOptionsFor } from '../../model/ssl-policies.ts'
import { TARGET_CONNECT_TIMEOUT_MS } from './pool.ts'

export const TARGET_SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-0-2021-06'

/** TLS options for connections to targets (also WebSocket and HTTP/2 ones). */
export function targetTlsOptions(): { rejectUnauthorized: false; minVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; maxVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; ciphers: string } {
  const policy = tlsOptionsFor(TARGET_SSL_POLICY)!
  return { rejectUnauthorized: false, minVersion: policy.minVersion, maxVersion: policy.maxVersion, ciphers: policy.ciphers }
}

function origin(host: string, port: number): string {
  return host.includes(':') ? `https://[${host}]:${port}` : `https://${host}:${port}`
}

export function createTlsTargetPool(host: string, port: number, idleTimeoutMs: number): Pool {
  return new Pool(origin(host, port), {
    connect: { timeout: TARGET_CONNECT_TIMEOUT_MS, ...targetTlsOptions() },
    pipelining: 1,
    keepAliveMaxTimeout: idleTimeoutMs,
    headersTimeout: idleTimeoutMs,
    bodyTimeout: idleTimeoutMs,
    maxHeaderSize: 32 * 1024,
  })
}

export function createTlsTargetClient(host: string, port: number, idleTimeoutMs: number): Client {
  return new Client(origin(host, port), {
    connect: { timeout: TARGET_CONNECT_TIMEOUT_MS, ...targetTlsOptions() },
    pipelining: 1,
    headersTimeout: idleTimeoutMs,
    bodyTimeout: idleTimeoutMs,
    maxHeaderSize: 32 * 1024,
  })
}
