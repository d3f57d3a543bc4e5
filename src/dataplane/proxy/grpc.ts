/**
 * @module dataplane/proxy/grpc
 * gRPC and target-group protocol versions on the front end (spec §7.5, §7.9):
 *
 * | Request \ TG ProtocolVersion | HTTP1 | HTTP2 | GRPC |
 * |---|---|---|---|
 * | HTTP/1.1 | ok | 464 | 464 |
 * | HTTP/2 | ok (translated to HTTP/1.1) | ok | ok only if POST, else 464 |
 * | gRPC | 464 | ok | ok |
 *
 * and the shape of the ALB's own errors on gRPC requests: a trailers-only response carrying
 * `grpc-status` / `grpc-message` (observed: a 502 with `grpc-status: 14`, `grpc-message:
 * unavailable`), so gRPC clients see a status rather than an HTML page.
 */
import type { ClientRequest, ClientResponse } from './proxy.ts'
import { http2Stream, AlbHttp2Response } from './h2.ts'
import type { CompiledListener } from '../../config/snapshot.ts'

/** gRPC requests carry `content-type: application/grpc` or `application/grpc+<codec>` (gRPC over HTTP/2 spec). */
export function isGrpcRequest(contentType: string | string[] | undefined): boolean {
  const value = Array.isArray(contentType) ? contentType[0] : contentType
  if (value === undefined || value.length < 16) return false
  if (value.slice(0, 16).toLowerCase() !== 'application/grpc') return false
  const next = value.charCodeAt(16)
  return Number.isNaN(next) || next === 0x2b /* + */ || next === 0x3b /* ; */
}

/** protocolMismatch: true when the request cannot go to a target group of this ProtocolVersion (→ 464). */
export function protocolMismatch(req: ClientRequest, protocolVersion: string): boolean {
  // An HTTP/1.x request from the listener carries its framing: not HTTP/2 (no prototype walk).
  const h2 = req.bodyFraming === undefined && http2Stream(req) !== undefined
  const grpc = h2 && isGrpcRequest(req.headers['content-type'])
  switch (protocolVersion) {
    case 'HTTP2': return !h2
    case 'GRPC': return !h2 || req.method !== 'POST'
    default: return grpc
  }
}

/**
 * grpcStatusFor maps the ALB's HTTP status to a gRPC status code as gRPC clients map HTTP
 * statuses (grpc/grpc doc/http-grpc-status-mapping.md). 502 → 14 UNAVAILABLE is observed on
 * AWS; the rest follow the gRPC mapping (UNVERIFIED for AWS).
 */
export function grpcStatusFor(status: number): number {
  switch (status) {
    case 400: return 13 // INTERNAL
    case 401: return 16 // UNAUTHENTICATED
    case 403: return 7 // PERMISSION_DENIED
    case 404: return 12 // UNIMPLEMENTED
    case 429: case 502: case 503: case 504: return 14 // UNAVAILABLE
    case 464: return 12 // UNIMPLEMENTED: this endpoint does not speak the request's protocol (UNVERIFIED)
    default: return 2 // UNKNOWN
  }
}

const GRPC_MESSAGES: Readonly<Record<number, string>> = {
  2: 'unknown', 4: 'deadline exceeded', 7: 'permission denied', 12: 'unimplemented', 13: 'internal', 14: 'unavailable', 16: 'unauthenticated',
}

/** isGrpcResponse: the response belongs to a gRPC request (set by the HTTPS listener). */
export function isGrpcResponse(res: ClientResponse): boolean {
  return res instanceof AlbHttp2Response && res.grpc
}

/** sendGrpcError answers a gRPC request with the ALB's status as a trailers-only gRPC response. */
export function sendGrpcError(res: ClientResponse, status: number, listener: CompiledListener | undefined): void {
  const code = grpcStatusFor(status)
  res.statusCode = status
  if (listener?.serverHeader !== false) res.setHeader('Server', 'awselb/2.0')
  res.setHeader('Content-Type', 'application/grpc')
  res.setHeader('grpc-status', String(code))
  res.setHeader('grpc-message', GRPC_MESSAGES[code] ?? 'unknown')
  res.end()
}
