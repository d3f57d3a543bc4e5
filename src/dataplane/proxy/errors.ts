/**
 * @module dataplane/proxy/errors
 * Data-plane failures, classified where they happen (DESIGN.md habit 8) and mapped to the
 * ALB's own status codes in one place: statusFor(). Never match on `err.message`.
 *
 * Codes and causes follow spec §7.4; bodies and headers follow spec §7.5.
 */

/** Base of every classified data-plane failure; `code` is a stable `ALB_ERR_*`. */
export class AlbError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** The connection to a target could not be made (refused, unreachable, reset during connect). 502. */
export class ConnectError extends AlbError {
  constructor(cause?: unknown) { super('ALB_ERR_CONNECT', 'could not connect to the target', { cause }) }
}

/** The target closed or reset the connection before a complete response (502). */
export class TargetClosedError extends AlbError {
  /** True when no byte of the response arrived (a retry may be safe). */
  readonly beforeResponse: boolean
  constructor(beforeResponse: boolean, cause?: unknown) {
    super('ALB_ERR_TARGET_CLOSED', 'the target closed the connection', { cause })
    this.beforeResponse = beforeResponse
  }
}

/** The target answered something that is not valid HTTP (502). */
export class BadResponseError extends AlbError {
  constructor(cause?: unknown) { super('ALB_ERR_BAD_RESPONSE', 'the target sent a malformed response', { cause }) }
}

/** No connection within 10 s, or no response within the idle timeout (504). */
export class TargetTimeoutError extends AlbError {
  readonly phase: 'connect' | 'response'
  constructor(phase: 'connect' | 'response', cause?: unknown) {
    super('ALB_ERR_TARGET_TIMEOUT', `target ${phase} timed out`, { cause })
    this.phase = phase
  }
}

/** The deregistration delay ended with the request still in flight (502, spec §4.3). */
export class DeregistrationExpiredError extends AlbError {
  constructor() { super('ALB_ERR_DEREGISTERED', 'the deregistration delay expired with the request in flight') }
}

/** No registered (or routable) target in the chosen target group (503). */
export class NoTargetError extends AlbError {
  constructor() { super('ALB_ERR_NO_TARGET', 'no target available') }
}

/** The client went away while its request was outstanding (460, logged only). */
export class ClientAbortError extends AlbError {
  constructor(cause?: unknown) { super('ALB_ERR_CLIENT_ABORT', 'the client closed the connection', { cause }) }
}

/** The client sent nothing (or not a whole request) within the idle timeout (408). */
export class ClientTimeoutError extends AlbError {
  constructor() { super('ALB_ERR_CLIENT_TIMEOUT', 'the client sent no complete request before the idle timeout') }
}

export const BAD_REQUEST_STATUSES = [400, 405, 413, 414, 463, 464, 501, 505] as const
export type BadRequestStatus = (typeof BAD_REQUEST_STATUSES)[number]

/**
 * The request itself is unacceptable. `reason` is the desync classification reason or a
 * short cause (access-log `classification_reason` style: BadContentLength, BothTeClPresent…).
 */
export class BadRequestError extends AlbError {
  readonly status: BadRequestStatus
  readonly reason: string
  constructor(status: BadRequestStatus, reason: string, cause?: unknown) {
    super('ALB_ERR_BAD_REQUEST', `bad request: ${reason}`, { cause })
    this.status = status
    this.reason = reason
  }
}

/** A bug of ours; the client gets a 500 rather than a crash. */
export class InternalError extends AlbError {
  constructor(cause?: unknown) { super('ALB_ERR_INTERNAL', 'internal error', { cause }) }
}

/** statusFor maps any failure to the status the ALB sends (spec §7.4). Unknown errors are 502. */
export function statusFor(err: unknown): number {
  if (err instanceof BadRequestError) return err.status
  if (err instanceof NoTargetError) return 503
  if (err instanceof TargetTimeoutError) return 504
  if (err instanceof ClientAbortError) return 460
  if (err instanceof ClientTimeoutError) return 408
  if (err instanceof InternalError) return 500
  // ConnectError, TargetClosedError, BadResponseError, DeregistrationExpiredError, and anything unclassified.
  return 502
}

/**
 * Reason phrases of the ALB's pages. 502/503 are observed (spec §7.5); the others follow
 * nginx, which the ALB's pages resemble (UNVERIFIED per code). 460 and 463 are ALB-only codes;
 * their pages are UNVERIFIED, we keep the same shape with the bare code.
 */
const REASONS: Readonly<Record<number, string>> = {
  // Redirect bodies take the same nginx shape (UNVERIFIED: AWS's redirect body is not in the spec).
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  400: 'Bad Request',
  403: 'Forbidden',
  405: 'Not Allowed',
  408: 'Request Time-out',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Large',
  460: '',
  463: '',
  464: '',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
  505: 'HTTP Version Not Supported',
}

export interface ErrorPage {
  readonly status: number
  /** Reason phrase on the status line. */
  readonly statusText: string
  readonly body: Buffer
}

const pages = new Map<number, ErrorPage>()

/** errorPage: the ALB's HTML page for `status` (CRLF lines, no `<hr>`; spec §7.5), built once per code. */
export function errorPage(status: number): ErrorPage {
  let page = pages.get(status)
  if (page === undefined) {
    const reason = REASONS[status] ?? ''
    const title = reason === '' ? `${status}` : `${status} ${reason}`
    const body = Buffer.from(`<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`, 'latin1')
    page = { status, statusText: reason === '' ? 'Unknown' : reason, body }
    pages.set(status, page)
  }
  return page
}

/**
 * errorResponseBytes: a complete HTTP/1.1 error response for a raw socket (clientError,
 * failed upgrades), where no ServerResponse exists. The connection is closed after it.
 */
export function errorResponseBytes(status: number): Buffer {
  const page = errorPage(status)
  const head = `HTTP/1.1 ${status} ${page.statusText}\r\nServer: awselb/2.0\r\nDate: ${new Date().toUTCString()}\r\n`
    + `Content-Type: text/html\r\nContent-Length: ${page.body.length}\r\nConnection: close\r\n\r\n`
  return Buffer.concat([Buffer.from(head, 'latin1'), page.body])
}
