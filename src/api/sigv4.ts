/**
 * @module api/sigv4
 * AWS Signature Version 4: reads the credential scope (service and region route the call)
 * and, when OpenALB is given credentials, verifies the signature as AWS does.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { ApiError } from './errors.ts'

export interface Authorization {
  readonly accessKeyId: string
  readonly date: string
  readonly region: string
  readonly service: string
  readonly signedHeaders: readonly string[]
  readonly signature: string
}

/** Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`; undefined when absent. */
export function parseAuthorization(header: string | undefined): Authorization | undefined {
  if (header === undefined || header === '') return undefined
  const match = /^AWS4-HMAC-SHA256\s+(.*)$/.exec(header.trim())
  if (match === null) {
    throw new ApiError('IncompleteSignature', `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${header.slice(0, 64)}`, 403)
  }
  const fields = new Map<string, string>()
  for (const part of match[1]!.split(',')) {
    const eq = part.indexOf('=')
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim())
  }
  const credential = fields.get('Credential')
  const signedHeaders = fields.get('SignedHeaders')
  const signature = fields.get('Signature')
  const missing = [
    credential === undefined ? 'Credential' : undefined,
    signedHeaders === undefined ? 'SignedHeaders' : undefined,
    signature === undefined ? 'Signature' : undefined,
  ].filter((m) => m !== undefined)
  if (missing.length > 0) {
    throw new ApiError('IncompleteSignature', `Authorization header requires '${missing.join("', '")}' parameter. Authorization=${header.slice(0, 64)}`, 403)
  }
  const scope = credential!.split('/')
  if (scope.length !== 5 || scope[4] !== 'aws4_request') {
    throw new ApiError('IncompleteSignature', `Credential should be scoped to a valid region, not '${scope[2] ?? ''}'. `, 403)
  }
  return {
    accessKeyId: scope[0]!, date: scope[1]!, region: scope[2]!, service: scope[3]!,
    signedHeaders: signedHeaders!.split(';'), signature: signature!,
  }
}

function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/**
 * Percent-decoding that never throws: a malformed escape (`%zz`, a lone `%E0`) is kept as
 * written, so the canonical request simply differs from the client's and the answer is
 * SignatureDoesNotMatch (403) instead of an InternalFailure.
 */
function decode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest()
}

/**
 * Verifies the request signature with the secret of `auth.accessKeyId`.
 * Throws InvalidClientTokenId for an unknown key, SignatureDoesNotMatch otherwise (both 403).
 */
export function verifySignature(
  auth: Authorization,
  request: { method: string; path: string; query: string; headers: IncomingHttpHeaders; body: Buffer },
  secrets: ReadonlyMap<string, string>,
  now: number,
): void {
  const secret = secrets.get(auth.accessKeyId)
  if (secret === undefined) throw new ApiError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403)
  const amzDate = headerValue(request.headers, 'x-amz-date') ?? ''
  if (!/^\d{8}T\d{6}Z$/.test(amzDate)) {
    throw new ApiError('IncompleteSignature', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.", 403)
  }
  const signedAt = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15))
  if (Math.abs(now - signedAt) > 15 * 60_000) {
    throw new ApiError('SignatureDoesNotMatch', `Signature expired: ${amzDate} is now earlier than ${new Date(now - 15 * 60_000).toISOString().replace(/[-:]|\.\d+/g, '')} (${new Date(now).toISOString().replace(/[-:]|\.\d+/g, '')} - 15 min.)`, 403)
  }
  const canonicalQuery = request.query === '' ? '' : request.query.split('&')
    .map((pair) => {
      const eq = pair.indexOf('=')
      const k = eq < 0 ? pair : pair.slice(0, eq)
      const v = eq < 0 ? '' : pair.slice(eq + 1)
      return [encode(decode(k.replace(/\+/g, ' '))), encode(decode(v.replace(/\+/g, ' ')))] as const
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join('&')
  const canonicalHeaders = auth.signedHeaders
    .map((name) => `${name}:${(headerValue(request.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('')
  const payloadHash = headerValue(request.headers, 'x-amz-content-sha256') ?? createHash('sha256').update(request.body).digest('hex')
  const canonicalPath = request.path.split('/').map((seg) => encode(decode(seg))).join('/') || '/'
  const canonicalRequest = [request.method, canonicalPath, canonicalQuery, canonicalHeaders, auth.signedHeaders.join(';'), payloadHash].join('\n')
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n')
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, auth.date), auth.region), auth.service), 'aws4_request')
  const expected = createHmac('sha256', key).update(stringToSign).digest()
  const given = Buffer.from(auth.signature, 'hex')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ApiError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.', 403)
  }
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v.join(',') : v
}
