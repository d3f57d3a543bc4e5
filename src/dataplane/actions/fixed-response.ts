/**
 * @module dataplane/actions/fixed-response
 * The `fixed-response` action (UG "Listener rules" → Fixed-response actions; API
 * reference FixedResponseActionConfig): StatusCode 2XX/4XX/5XX, ContentType one of
 * text/plain, text/css, text/html, application/javascript, application/json, and a
 * MessageBody of up to 1024 characters.
 *
 * Content-Type: AWS answers `<ContentType>; charset=utf-8` (observed on text/plain;
 * assumed for the other types). With no ContentType we send text/plain (the console's
 * default; what AWS sends then is UNVERIFIED). Content-Length is the UTF-8 byte length.
 * The Server (`awselb/2.0`) and Date headers are the proxy's business, not this module's.
 *
 * The response is built once per config object and reused: callers must not mutate it.
 */
import type { FixedResponseConfig } from '../../model/resources.ts'

export interface FixedResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
}

export const DEFAULT_FIXED_RESPONSE_CONTENT_TYPE = 'text/plain'

const cache = new WeakMap<FixedResponseConfig, FixedResponse>()

export function fixedResponse(config: FixedResponseConfig): FixedResponse {
  const cached = cache.get(config)
  if (cached !== undefined) return cached
  const status = /^[245]\d\d$/.test(config.statusCode) ? Number(config.statusCode) : 500
  const body = Buffer.from(config.messageBody ?? '', 'utf8')
  const contentType = config.contentType || DEFAULT_FIXED_RESPONSE_CONTENT_TYPE
  const response: FixedResponse = Object.freeze({
    status,
    headers: Object.freeze({
      'content-type': `${contentType}; charset=utf-8`,
      'content-length': String(body.length),
    }),
    body,
  })
  cache.set(config, response)
  return response
}
