/**
 * @module dataplane/upstream/pool
 * One undici Pool (keep-alive HTTP/1.1 connections) per target. The ALB's target-side
 * connections: 10 s to connect (a slower connect is a 504, spec §7.4), kept alive between
 * requests, never pipelined ("pipelining accepted on the front end, not used to targets",
 * spec §7.6).
 */
import { Client, Pool } from 'undici'

/** No connection to the target within this → 504 (spec §7.4). */
export const TARGET_CONNECT_TIMEOUT_MS = 10_000

export function createTargetPool(host: string, port: number, idleTimeoutMs: number): Pool {
  const origin = host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`
  return new Pool(origin, {
    connect: { timeout: TARGET_CONNECT_TIMEOUT_MS },
    pipelining: 1,
    // undici honours the target's Keep-Alive hint (minus a safety margin) up to this, so it
    // lets go of a connection before the target closes it; the ALB's own cap is its idle timeout.
    keepAliveMaxTimeout: idleTimeoutMs,
    headersTimeout: idleTimeoutMs,
    bodyTimeout: idleTimeoutMs,
    maxHeaderSize: 32 * 1024, // response headers above 32K → 502 (spec §7.6)
  })
}

/** createTargetClient: one connection, for a retry that must not reuse a pooled (possibly stale) one. */
export function createTargetClient(host: string, port: number, idleTimeoutMs: number): Client {
  const origin = host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`
  return new Client(origin, {
    connect: { timeout: TARGET_CONNECT_TIMEOUT_MS },
    pipelining: 1,
    headersTimeout: idleTimeoutMs,
    bodyTimeout: idleTimeoutMs,
    maxHeaderSize: 32 * 1024,
  })
}
