/**
 * @module api/server
 * The API endpoint: Query protocol over POST form bodies or GET query strings, routed to
 * the ELBv2 or EC2 handlers by the SigV4 credential scope's service, falling back on
 * `Version` (spec §2.1). One API call runs in one store transaction.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { randomUUID } from 'node:crypto'
import { ApiError, internalFailure } from './errors.ts'
import { parseQuery, type QueryObject } from './query.ts'
import { hasNonXmlChar, renderEc2Error, renderEc2Result, renderQueryError, renderQueryResult } from './xml.ts'
import { parseAuthorization, verifySignature } from './sigv4.ts'
import type { ApiOptions, Handlers, HealthView } from './context.ts'
import type { Store } from '../store/store.ts'
import { elbv2Handlers } from './elbv2/index.ts'
import { ec2Handlers } from './ec2/index.ts'
import { ensureDefaultNetwork } from './ec2/default-vpc.ts'
import { acmHandlers, acmPrepare, type JsonInput } from './acm/index.ts'
import type { LocalCa } from '../tls/local-ca.ts'

export const ELBV2_NAMESPACE = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/'
export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/'

/** Bodies above this are refused before parsing; the largest real ELBv2 call is far smaller. */
const MAX_BODY_BYTES = 1 << 20

interface Service {
  readonly name: 'elbv2' | 'ec2'
  readonly handlers: Handlers
  readonly ok: (op: string, result: unknown, requestId: string) => string
  readonly error: (err: ApiError, requestId: string) => string
}

const SERVICES: Record<string, Service> = {
  elbv2: {
    name: 'elbv2', handlers: elbv2Handlers,
    ok: (op, result, id) => renderQueryResult(ELBV2_NAMESPACE, op, result, id),
    error: (err, id) => renderQueryError(ELBV2_NAMESPACE, err, id),
  },
  ec2: {
    name: 'ec2', handlers: ec2Handlers,
    ok: (op, result, id) => renderEc2Result(EC2_NAMESPACE, op, result, id),
    error: (err, id) => renderEc2Error(err, id),
  },
}

const SERVICE_BY_SIGNING_NAME: Record<string, string> = { elasticloadbalancing: 'elbv2', ec2: 'ec2' }
const SERVICE_BY_VERSION: Record<string, string> = { '2015-12-01': 'elbv2', '2016-11-15': 'ec2' }

export interface ApiServerOptions {
  readonly store: Store
  readonly options: ApiOptions
  readonly health: HealthView
  /** Access key id → secret. Empty: any well-formed request is accepted (local-endpoint default). */
  readonly credentials: ReadonlyMap<string, string>
  /** Called for POST /_openalb/reset when enabled; must resolve once everything is gone. */
  readonly reset?: () => Promise<void>
  readonly log?: (line: string) => void
  /** The local CA that issues RequestCertificate certificates (opened lazily). */
  readonly localCa?: () => Promise<LocalCa>
}

export function createApiServer(config: ApiServerOptions): Server {
  const initialisedRegions = new Set<string>()

  async function ensureRegion(region: string): Promise<void> {
    if (initialisedRegions.has(region)) return
    await config.store.tx((tx) => ensureDefaultNetwork(tx, region))
    initialisedRegions.add(region)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID()
    let body: Buffer
    let url: URL
    try {
      body = await readBody(req)
      url = requestUrl(req.url)
    } catch (err) {
      // A client that went away mid-body gets no answer; there is nobody to read it.
      if (!(err instanceof ApiError)) return void res.destroy()
      // An oversized body or an unreadable URL is the client's fault, not a crash of the API:
      // answer it in the Query error format, like any other refused request.
      return send(res, err.status, 'text/xml', renderQueryError(ELBV2_NAMESPACE, err, requestId), requestId)
    }

    if (url.pathname === '/_openalb/health') return send(res, 200, 'application/json', '{"status":"ok"}', requestId)
    if (url.pathname === '/_openalb/reset') {
      if (config.reset === undefined || req.method !== 'POST') return send(res, 404, 'application/json', '{"error":"reset is disabled; start with --allow-reset"}', requestId)
      await config.reset()
      initialisedRegions.clear()
      return send(res, 200, 'application/json', '{"reset":true}', requestId)
    }

    let service: Service = SERVICES.elbv2!
    try {
      const auth = parseAuthorization(header(req, 'authorization'))
      const params = new URLSearchParams(url.search)
      const contentType = header(req, 'content-type') ?? ''
      if (req.method === 'POST' && (contentType === '' || contentType.startsWith('application/x-www-form-urlencoded'))) {
        for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v)
      }
      const version = params.get('Version') ?? ''
      const serviceName = (auth !== undefined ? SERVICE_BY_SIGNING_NAME[auth.service] : undefined) ?? SERVICE_BY_VERSION[version] ?? 'elbv2'
      service = SERVICES[serviceName]!
      if (config.credentials.size > 0) {
        if (auth === undefined) throw new ApiError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403)
        verifySignature(auth, { method: req.method ?? 'GET', path: url.pathname, query: url.search.slice(1), headers: req.headers, body }, config.credentials, Date.now())
      }
      const region = auth?.region || config.options.defaultRegion
      const target = header(req, 'x-amz-target')
      if (target !== undefined && target.startsWith('CertificateManager.')) {
        return await handleAcm(res, target.slice('CertificateManager.'.length), body, region, requestId)
      }
      const action = params.get('Action')
      if (action === null || action === '') throw new ApiError('MissingAction', 'Missing Action', 400)
      const handler = Object.hasOwn(service.handlers, action) ? service.handlers[action] : undefined
      if (handler === undefined) throw new ApiError('InvalidAction', `The action ${action} is not valid for this web service.`, 400)
      refuseNonXmlCharacters(service, params)
      const input: QueryObject = parseQuery(params)
      await ensureRegion(region)
      const result = await config.store.tx((tx) => handler(input, { tx, region, requestId, options: config.options, health: config.health }))
      send(res, 200, 'text/xml', service.ok(action, result, requestId), requestId)
    } catch (err) {
      const apiError = err instanceof ApiError ? err : internalFailure(err)
      if (!(err instanceof ApiError)) config.log?.(`internal failure ${requestId}: ${err instanceof Error ? err.stack : String(err)}`)
      send(res, apiError.status, 'text/xml', service.error(apiError, requestId), requestId)
    }
  }

  /** ACM speaks JSON 1.1: errors are `{"__type", "message"}` with the code also in `x-amzn-ErrorType`. */
  async function handleAcm(res: ServerResponse, operation: string, body: Buffer, region: string, requestId: string): Promise<void> {
    try {
      const handler = Object.hasOwn(acmHandlers, operation) ? acmHandlers[operation] : undefined
      if (handler === undefined) throw new ApiError('UnknownOperationException', `Unknown operation ${operation}`)
      let input: JsonInput
      try {
        const parsed: unknown = body.length === 0 ? {} : JSON.parse(body.toString('utf8'))
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object')
        input = parsed as JsonInput
      } catch {
        throw new ApiError('SerializationException', 'Start of structure or map found where not expected.')
      }
      await ensureRegion(region)
      const prepare = Object.hasOwn(acmPrepare, operation) ? acmPrepare[operation] : undefined
      let prepared: unknown
      if (prepare !== undefined) {
        const localCa = config.localCa
        if (localCa === undefined) throw new ApiError('InvalidRequestException', 'This OpenALB has no local certificate authority')
        prepared = await prepare(input, { localCa })
      }
      const result = await config.store.tx((tx) => handler(input, { tx, region, requestId, options: config.options, health: config.health }, prepared))
      send(res, 200, 'application/x-amz-json-1.1', JSON.stringify(result ?? {}), requestId)
    } catch (err) {
      const apiError = err instanceof ApiError ? err : internalFailure(err)
      if (!(err instanceof ApiError)) config.log?.(`internal failure ${requestId}: ${err instanceof Error ? err.stack : String(err)}`)
      const code = apiError.code === 'InternalFailure' ? 'InternalFailureException' : apiError.code
      if (!res.headersSent) res.setHeader('x-amzn-ErrorType', code)
      send(res, apiError.status, 'application/x-amz-json-1.1', JSON.stringify({ __type: code, message: apiError.message }), requestId)
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      config.log?.(`api: ${err instanceof Error ? err.stack : String(err)}`)
      if (!res.headersSent) send(res, err instanceof ApiError ? err.status : 500, 'text/xml', renderQueryError(ELBV2_NAMESPACE, err instanceof ApiError ? err : internalFailure(err), 'unknown'), 'unknown')
      else res.destroy()
    })
  })
  server.on('clientError', answerClientError)
  server.keepAliveTimeout = 65_000
  return server
}

/**
 * A value the answer could not carry is refused before any handler stores it: a NUL or other
 * control character in a tag value would come back in every later Describe as XML that
 * botocore and the SDKs cannot parse. The code follows each service's habit for a bad value
 * (ELBv2 ValidationError, EC2 InvalidParameterValue); the exact text is UNVERIFIED.
 */
function refuseNonXmlCharacters(service: Service, params: URLSearchParams): void {
  for (const [key, value] of params) {
    if (!hasNonXmlChar(key) && !hasNonXmlChar(value)) continue
    const message = `Value for parameter ${key} contains characters that are not valid`
    throw new ApiError(service.name === 'ec2' ? 'InvalidParameterValue' : 'ValidationError', message)
  }
}

/**
 * The request target as a URL. An absolute-form target (`GET http://host:port/?…`) is legal
 * HTTP/1.1, but one whose authority does not parse (`http://[zz]/`) cannot name a query:
 * AWS's common MalformedQueryString (HTTP 404, spec §2.3) rather than an InternalFailure.
 */
function requestUrl(raw: string | undefined): URL {
  try {
    return new URL(raw ?? '/', 'http://localhost')
  } catch {
    throw new ApiError('MalformedQueryString', 'The request URL could not be parsed.', 404)
  }
}

/**
 * Node's HTTP parser refuses some requests before any handler sees them (bad header syntax,
 * a request line or headers over the 16 KiB limit, a head that never completes) and would
 * answer a bare status with no body. Answer in the Query error format instead, so every
 * client, SDK or not, reads an AWS error code. The codes are UNVERIFIED: AWS's front end is
 * not observable here; InvalidRequest is EC2's documented "the request received was invalid",
 * RequestHeaderSectionTooLarge and RequestTimeout are the codes AWS uses for the same
 * conditions on its other endpoints.
 */
function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const refusal = err.code === 'HPE_HEADER_OVERFLOW'
    ? new ApiError('RequestHeaderSectionTooLarge', 'Your request header section exceeds the maximum allowed size.', 400)
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new ApiError('RequestTimeout', 'Your socket connection to the server was not read from or written to within the timeout period.', 408)
      : new ApiError('InvalidRequest', 'The request received was invalid.', 400)
  const requestId = randomUUID()
  const body = renderQueryError(ELBV2_NAMESPACE, refusal, requestId)
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}\r\nContent-Type: text/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `x-amzn-RequestId: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  )
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError('RequestEntityTooLarge', 'Request body is too large', 413))
        req.resume()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function send(res: ServerResponse, status: number, contentType: string, body: string, requestId: string): void {
  if (res.headersSent) return
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-RequestId': requestId,
  })
  res.end(body)
}
