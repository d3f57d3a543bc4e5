/**
 * @module api/errors
 * ApiError and the catalog of AWS error codes the API answers with (spec §2.3).
 * Every failure a handler reports is an ApiError; anything else is an InternalFailure.
 */

export type Fault = 'Sender' | 'Receiver'

export class ApiError extends Error {
  readonly code: string
  readonly status: number
  readonly fault: Fault

  constructor(code: string, message: string, status = 400, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ApiError'
    this.code = code
    this.status = status
    this.fault = status >= 500 ? 'Receiver' : 'Sender'
  }
}

/** ValidationError: constraint or enum violations, invalid combinations (unmodelled, HTTP 400). */
export function validation(message: string): ApiError {
  return new ApiError('ValidationError', message)
}

/** The AWS "1 validation error detected" form for a value outside a constraint. */
export function constraint(value: unknown, member: string, rule: string): ApiError {
  return validation(`1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${rule}`)
}

export function enumConstraint(value: unknown, member: string, allowed: readonly string[]): ApiError {
  return constraint(value, member, `Member must satisfy enum value set: [${allowed.join(', ')}]`)
}

export function missing(member: string): ApiError {
  return validation(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`)
}

export function invalidConfig(message: string): ApiError {
  return new ApiError('InvalidConfigurationRequest', message)
}

export function notFound(code: string, message: string): ApiError {
  return new ApiError(code, message)
}

export function internalFailure(cause: unknown): ApiError {
  return new ApiError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500, { cause })
}
