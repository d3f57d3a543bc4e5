/**
 * @module dataplane/upstream/h2-session
 * HTTP/2 connections to targets of HTTP2 and GRPC target groups (spec §7.9): one multiplexed
 * session per target, opened on first use and again once closed. Cleartext targets (HTTP
 * target group) get h2 with prior knowledge; HTTPS ones get h2 over TLS (ALPN h2), the
 * certificate not validated (spec §3.2). A session idle for the load balancer's idle timeout
 * is closed (spec §7.6).
 */
import { connect, type ClientHttp2Session } from 'node:http2'
import type { TargetEntry } from './registry.ts'
import { targetTlsOptions } from './tls-pool.ts'
import { TARGET_CONNECT_TIMEOUT_MS } from './pool.ts'
import { untangleStreamTables } from '../h2-stream-tables.ts'

const sessions = new WeakMap<TargetEntry, ClientHttp2Session>()

/** targetSession: the open HTTP/2 session to the entry's target, created if needed. */
export function targetSession(entry: TargetEntry, idleTimeoutMs: number): ClientHttp2Session {
  const existing = sessions.get(entry)
  if (existing !== undefined && !existing.closed && !existing.destroyed) return existing
  const { host, port } = entry.state
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
  const session = entry.tls
    ? connect(`https://${authority}`, { ...targetTlsOptions(), ALPNProtocols: ['h2'] })
    : connect(`http://${authority}`)
  untangleStreamTables(session)
  session.on('error', () => {}) // surfaces on the streams
  session.setTimeout(idleTimeoutMs, () => session.close())
  // No connection within 10 s → 504 (spec §7.4), reported by the streams waiting on it.
  const dial = setTimeout(() => { if (!session.connecting) return; session.destroy(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' })) }, TARGET_CONNECT_TIMEOUT_MS)
  dial.unref()
  session.once('connect', () => clearTimeout(dial))
  session.once('close', () => {
    clearTimeout(dial)
    if (sessions.get(entry) === session) sessions.delete(entry)
  })
  sessions.set(entry, session)
  return session
}

/** closeTargetSession: graceful (GOAWAY, streams in flight finish) or forced. */
export function closeTargetSession(entry: TargetEntry, force: boolean): void {
  const session = sessions.get(entry)
  if (session === undefined) return
  sessions.delete(entry)
  if (force) session.destroy()
  else session.close()
}
