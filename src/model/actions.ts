/**
 * @module model/actions
 * Rule and listener Actions (spec §5.5): reading them from the request tree, validating them
 * as AWS does, and turning the stored camelCase records back into wire members.
 *
 * Pure: the caller resolves target groups against the store (existence, type, association);
 * everything that can be decided from the request alone is decided here.
 *
 * Normalisation on the way in (so the data plane reads one shape):
 * - forward: always has `forwardConfig` with a weight on every tuple (default 1) and a
 *   stickiness config (default `{enabled: false}`); `targetGroupArn` is set exactly when the
 *   action forwards to one target group. That is how AWS echoes a single-target-group forward
 *   (seed 000's create-listener output: both `TargetGroupArn` and `ForwardConfig` with Weight 1).
 * - redirect: omitted components are stored as their keywords (`#{protocol}`, `#{port}`,
 *   `#{host}`, `/#{path}`, `#{query}`), which is what Describe* echoes (spec §5.5 table).
 * - authenticate-*: stored in wire shape with the documented defaults filled in.
 */
import type { Action, ActionType, FixedResponseConfig, ForwardConfig, RedirectConfig } from './resources.ts'

// ------------------------------------------------------------------ request tree

/** The shape of a parsed Query request (structurally the API's QueryValue). */
export type WireValue = string | readonly WireValue[] | { readonly [key: string]: WireValue }
export type WireObject = { readonly [key: string]: WireValue }

/**
 * InvalidInput: a request the model rejects, with the AWS error code to answer with.
 * The API turns it into its ApiError; the model stays free of API imports.
 */
export class InvalidInput extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.name = 'InvalidInput'
    this.code = code
  }
}

export function validationError(message: string): InvalidInput {
  return new InvalidInput('ValidationError', message)
}

/** AWS's "1 validation error detected" form (the same text the API uses for constraints). */
export function constraintError(value: unknown, member: string, rule: string): InvalidInput {
  return validationError(`1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${rule}`)
}

export function missingError(member: string): InvalidInput {
  return validationError(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`)
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1)
}

/** `defaultActions.1.member` + `RedirectConfig` → `defaultActions.1.member.redirectConfig`. */
export function memberPath(base: string, name: string): string {
  return `${base}.${lowerFirst(name)}`
}

export function readStr(node: WireObject, name: string, base: string): string | undefined {
  const v = node[name]
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw constraintError('[object]', memberPath(base, name), 'Member must be a string')
  return v
}

export function readInt(node: WireObject, name: string, base: string): number | undefined {
  const v = readStr(node, name, base)
  if (v === undefined) return undefined
  if (!/^-?\d+$/.test(v.trim())) throw validationError(`Invalid value for parameter ${name}: '${v}' is not a valid integer`)
  return Number(v.trim())
}

export function readBool(node: WireObject, name: string, base: string): boolean | undefined {
  const v = readStr(node, name, base)
  if (v === undefined) return undefined
  const lower = v.trim().toLowerCase()
  if (lower === 'true') return true
  if (lower === 'false') return false
  throw validationError(`Invalid value for parameter ${name}: '${v}' is not a valid boolean`)
}

export function readObj(node: WireObject, name: string, base: string): WireObject | undefined {
  const v = node[name]
  if (v === undefined || v === '') return undefined
  if (typeof v === 'string' || Array.isArray(v)) throw constraintError(String(v), memberPath(base, name), 'Member must be a structure')
  return v as WireObject
}

/** A list member: undefined when absent, [] for `Name=` (spec §2.1). */
export function readList(node: WireObject, name: string, base: string): readonly WireValue[] | undefined {
  const v = node[name]
  if (v === undefined) return undefined
  if (v === '') return []
  if (!Array.isArray(v)) throw constraintError(typeof v === 'string' ? v : '[object]', memberPath(base, name), 'Member must be a list')
  return v as readonly WireValue[]
}

export function readStrList(node: WireObject, name: string, base: string): string[] | undefined {
  const items = readList(node, name, base)
  if (items === undefined) return undefined
  return items.map((item) => {
    if (typeof item !== 'string') throw constraintError('[object]', memberPath(base, name), 'Member must be a list of strings')
    return item
  })
}

export function readObjList(node: WireObject, name: string, base: string): WireObject[] | undefined {
  const items = readList(node, name, base)
  if (items === undefined) return undefined
  return items.map((item) => {
    if (typeof item === 'string' || Array.isArray(item)) throw constraintError(String(item), memberPath(base, name), 'Member must be a list of structures')
    return item as WireObject
  })
}

// ------------------------------------------------------------------ constants

/** ActionTypeEnum in model order (the enum-violation message lists it). */
export const ACTION_TYPES = ['forward', 'authenticate-oidc', 'authenticate-cognito', 'redirect', 'fixed-response', 'jwt-validation'] as const
/** An action that ends the rule: exactly one per rule, performed last (spec §5.5). */
export const TERMINAL_ACTION_TYPES = ['forward', 'redirect', 'fixed-response'] as const
/** Actions that may precede the terminal action, on HTTPS listeners only. */
export const AUTH_ACTION_TYPES = ['authenticate-oidc', 'authenticate-cognito', 'jwt-validation'] as const

export const MAX_ACTION_ORDER = 50_000
/** Quota target-groups-per-action-on-application-load-balancer (spec §9). */
export const MAX_TARGET_GROUPS_PER_ACTION = 5
export const MAX_TARGET_GROUP_WEIGHT = 999
export const MAX_STICKINESS_SECONDS = 604_800

const REDIRECT_PROTOCOL = /^(HTTPS?|#\{protocol\})$/
export const FIXED_RESPONSE_STATUS = /^(2|4|5)\d\d$/
export const FIXED_RESPONSE_CONTENT_TYPES = ['text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json'] as const
export const MAX_FIXED_RESPONSE_BODY = 1024

/** Redirect defaults: a component not given keeps the request's value (spec §5.5 table). */
export const REDIRECT_DEFAULTS = { protocol: '#{protocol}', port: '#{port}', host: '#{host}', path: '/#{path}', query: '#{query}' } as const

const OIDC_REQUIRED = ['Issuer', 'AuthorizationEndpoint', 'TokenEndpoint', 'UserInfoEndpoint', 'ClientId'] as const
const COGNITO_REQUIRED = ['UserPoolArn', 'UserPoolClientId', 'UserPoolDomain'] as const
const UNAUTHENTICATED_BEHAVIOURS = ['deny', 'allow', 'authenticate'] as const
const JWT_CLAIM_FORMATS = ['single-string', 'string-array', 'space-separated-values'] as const
/** Session defaults the API documents for both authenticate actions (spec §5.5). */
const AUTH_SESSION_DEFAULTS = { SessionCookieName: 'AWSELBAuthSessionCookie', Scope: 'openid', SessionTimeout: 604_800, OnUnauthenticatedRequest: 'authenticate' } as const

function isOneOf<T extends string>(values: readonly T[], v: string): v is T {
  return (values as readonly string[]).includes(v)
}

function missingConfig(type: string, fields: string): InvalidInput {
  // Observed AWS text (spec §2.3): "For actions of type 'redirect', you must specify the following fields: 'RedirectConfig'".
  return new InvalidInput('InvalidLoadBalancerAction', `For actions of type '${type}', you must specify the following fields: ${fields}`)
}

function invalidAction(message: string): InvalidInput {
  return new InvalidInput('InvalidLoadBalancerAction', message)
}

// ------------------------------------------------------------------ parsing

/** Options for reading auth configs: on ModifyRule/ModifyListener `UseExistingClientSecret` may reuse a stored secret. */
export interface ParseActionsOptions {
  /** The actions being replaced (to resolve `UseExistingClientSecret`). */
  readonly previous?: readonly Action[]
}

/**
 * parseActions reads `DefaultActions.member.N` / `Actions.member.N` and validates each action
 * on its own (types, configs, ranges). `member` is the request member name for messages
 * (`defaultActions` or `actions`). Checks that span the list are in checkActionList.
 */
export function parseActions(items: readonly WireObject[], member: string, options: ParseActionsOptions = {}): Action[] {
  const actions = items.map((item, i) => parseAction(item, `${member}.${i + 1}.member`, options))
  checkActionList(actions)
  return actions
}

function parseAction(item: WireObject, base: string, options: ParseActionsOptions): Action {
  const type = readStr(item, 'Type', base)
  if (type === undefined) throw missingError(memberPath(base, 'Type'))
  if (!isOneOf(ACTION_TYPES, type)) {
    throw constraintError(type, memberPath(base, 'Type'), `Member must satisfy enum value set: [${ACTION_TYPES.join(', ')}]`)
  }
  const order = readInt(item, 'Order', base)
  if (order !== undefined && (order < 1 || order > MAX_ACTION_ORDER)) {
    throw constraintError(order, memberPath(base, 'Order'), order < 1 ? 'Member must have value greater than or equal to 1' : `Member must have value less than or equal to ${MAX_ACTION_ORDER}`)
  }
  const withOrder = (action: Omit<Action, 'order'>): Action => (order === undefined ? action : { ...action, order })
  // A config for another action type is refused rather than silently dropped (UNVERIFIED text).
  const configs = { forward: ['TargetGroupArn', 'ForwardConfig'], redirect: ['RedirectConfig'], 'fixed-response': ['FixedResponseConfig'],
    'authenticate-oidc': ['AuthenticateOidcConfig'], 'authenticate-cognito': ['AuthenticateCognitoConfig'], 'jwt-validation': ['JwtValidationConfig'] } as const
  for (const [other, names] of Object.entries(configs)) {
    if (other === type) continue
    for (const name of names) {
      if (item[name] !== undefined && item[name] !== '') {
        throw invalidAction(`The '${name}' field is not compatible with actions of type '${type}'`)
      }
    }
  }
  switch (type) {
    case 'forward': return withOrder(parseForward(item, base))
    case 'redirect': return withOrder({ type, redirectConfig: parseRedirect(item, base) })
    case 'fixed-response': return withOrder({ type, fixedResponseConfig: parseFixedResponse(item, base) })
    case 'authenticate-oidc': return withOrder({ type, authenticateOidcConfig: parseOidc(item, base, options) })
    case 'authenticate-cognito': return withOrder({ type, authenticateCognitoConfig: parseCognito(item, base) })
    case 'jwt-validation': return withOrder({ type, jwtValidationConfig: parseJwtValidation(item, base) })
  }
}

function parseForward(item: WireObject, base: string): Omit<Action, 'order'> {
  const targetGroupArn = readStr(item, 'TargetGroupArn', base)
  const config = readObj(item, 'ForwardConfig', base)
  const configBase = memberPath(base, 'ForwardConfig')
  const tuples = config === undefined ? undefined : readObjList(config, 'TargetGroups', configBase)
  if ((targetGroupArn === undefined || targetGroupArn === '') && (tuples === undefined || tuples.length === 0)) {
    throw missingConfig('forward', "'TargetGroupArn' or 'ForwardConfig'")
  }
  const targetGroups: Array<{ targetGroupArn: string; weight: number }> = []
  for (const [i, tuple] of (tuples ?? []).entries()) {
    const tupleBase = `${memberPath(configBase, 'TargetGroups')}.${i + 1}.member`
    const arn = readStr(tuple, 'TargetGroupArn', tupleBase)
    if (arn === undefined || arn === '') throw missingError(memberPath(tupleBase, 'TargetGroupArn'))
    // Weight 0-999 (model documentation; not a model constraint, so the server checks it).
    // An omitted weight counts as 1, like the weight AWS echoes for a TargetGroupArn forward (UNVERIFIED for ForwardConfig).
    const weight = readInt(tuple, 'Weight', tupleBase) ?? 1
    if (weight < 0 || weight > MAX_TARGET_GROUP_WEIGHT) {
      throw constraintError(weight, memberPath(tupleBase, 'Weight'), weight < 0 ? 'Member must have value greater than or equal to 0' : `Member must have value less than or equal to ${MAX_TARGET_GROUP_WEIGHT}`)
    }
    if (targetGroups.some((t) => t.targetGroupArn === arn)) {
      throw invalidAction(`Target group '${arn}' is specified more than once in the forward action`) // UNVERIFIED text
    }
    targetGroups.push({ targetGroupArn: arn, weight })
  }
  if (targetGroupArn !== undefined && targetGroupArn !== '') {
    if (targetGroups.length === 0) targetGroups.push({ targetGroupArn, weight: 1 })
    else if (targetGroups.length !== 1 || targetGroups[0]!.targetGroupArn !== targetGroupArn) {
      // API reference (ForwardActionConfig): "If you specify both ForwardConfig and TargetGroupArn, you can specify
      // only one target group using ForwardConfig and it must be the same target group specified in TargetGroupArn."
      throw invalidAction('You cannot specify both a target group ARN and a forward config with different target groups') // UNVERIFIED text
    }
  }
  if (targetGroups.length > MAX_TARGET_GROUPS_PER_ACTION) {
    // Quota target-groups-per-action-on-application-load-balancer; the code AWS answers with is UNVERIFIED
    // (the modelled TooManyTargetGroups is the per-account quota), so the generic action error is used.
    throw invalidAction(`You cannot specify more than '${MAX_TARGET_GROUPS_PER_ACTION}' target groups in a forward action`)
  }
  let stickiness: { enabled: boolean; durationSeconds?: number } = { enabled: false }
  const stickinessNode = config === undefined ? undefined : readObj(config, 'TargetGroupStickinessConfig', configBase)
  if (stickinessNode !== undefined) {
    const stickinessBase = memberPath(configBase, 'TargetGroupStickinessConfig')
    const enabled = readBool(stickinessNode, 'Enabled', stickinessBase) ?? false
    const durationSeconds = readInt(stickinessNode, 'DurationSeconds', stickinessBase)
    if (durationSeconds !== undefined && (durationSeconds < 1 || durationSeconds > MAX_STICKINESS_SECONDS)) {
      throw constraintError(durationSeconds, memberPath(stickinessBase, 'DurationSeconds'), durationSeconds < 1 ? 'Member must have value greater than or equal to 1' : `Member must have value less than or equal to ${MAX_STICKINESS_SECONDS}`)
    }
    // "You must specify this value when enabling target group stickiness." (model documentation)
    if (enabled && durationSeconds === undefined) throw validationError('You must specify a target group stickiness duration when stickiness is enabled')
    stickiness = durationSeconds === undefined ? { enabled } : { enabled, durationSeconds }
  }
  const forwardConfig: ForwardConfig = { targetGroups, targetGroupStickinessConfig: stickiness }
  return targetGroups.length === 1
    ? { type: 'forward', targetGroupArn: targetGroups[0]!.targetGroupArn, forwardConfig }
    : { type: 'forward', forwardConfig }
}

function parseRedirect(item: WireObject, base: string): RedirectConfig {
  const node = readObj(item, 'RedirectConfig', base)
  if (node === undefined) throw missingConfig('redirect', "'RedirectConfig'")
  const b = memberPath(base, 'RedirectConfig')
  const protocol = readStr(node, 'Protocol', b) ?? REDIRECT_DEFAULTS.protocol
  if (!REDIRECT_PROTOCOL.test(protocol)) throw constraintError(protocol, memberPath(b, 'Protocol'), 'Member must satisfy regular expression pattern: ^(HTTPS?|#\\{protocol\\})$')
  const port = readStr(node, 'Port', b) ?? REDIRECT_DEFAULTS.port
  if (port !== '#{port}' && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    throw validationError(`The redirect port '${port}' must be a number between 1 and 65535 or '#{port}'`) // UNVERIFIED text
  }
  const host = readStr(node, 'Host', b) ?? REDIRECT_DEFAULTS.host
  if (host.length < 1 || host.length > 128) throw constraintError(host, memberPath(b, 'Host'), host.length < 1 ? 'Member must have length greater than or equal to 1' : 'Member must have length less than or equal to 128')
  const path = readStr(node, 'Path', b) ?? REDIRECT_DEFAULTS.path
  if (path.length < 1 || path.length > 128) throw constraintError(path, memberPath(b, 'Path'), path.length < 1 ? 'Member must have length greater than or equal to 1' : 'Member must have length less than or equal to 128')
  if (!path.startsWith('/')) throw validationError(`The redirect path '${path}' must start with a '/'`) // UNVERIFIED text
  const query = readStr(node, 'Query', b) ?? REDIRECT_DEFAULTS.query
  if (query.length > 128) throw constraintError(query, memberPath(b, 'Query'), 'Member must have length less than or equal to 128')
  if (query.startsWith('?')) throw validationError(`The redirect query '${query}' must not start with a '?'`) // UNVERIFIED text
  const statusCode = readStr(node, 'StatusCode', b)
  if (statusCode === undefined) throw missingError(memberPath(b, 'StatusCode'))
  if (statusCode !== 'HTTP_301' && statusCode !== 'HTTP_302') {
    throw constraintError(statusCode, memberPath(b, 'StatusCode'), 'Member must satisfy enum value set: [HTTP_301, HTTP_302]')
  }
  // "You must modify at least one of the following components to avoid a redirect loop: protocol,
  // hostname, port, or path." (RedirectActionConfig documentation). Checked on the keywords as given:
  // AWS cannot know the request at configuration time. Error code UNVERIFIED.
  if (protocol === REDIRECT_DEFAULTS.protocol && port === REDIRECT_DEFAULTS.port && host === REDIRECT_DEFAULTS.host && path === REDIRECT_DEFAULTS.path) {
    throw invalidAction('The redirect configuration is not valid: you must modify at least one of protocol, host, port or path to avoid a redirect loop')
  }
  return { protocol, port, host, path, query, statusCode }
}

function parseFixedResponse(item: WireObject, base: string): FixedResponseConfig {
  const node = readObj(item, 'FixedResponseConfig', base)
  if (node === undefined) throw missingConfig('fixed-response', "'FixedResponseConfig'")
  const b = memberPath(base, 'FixedResponseConfig')
  const statusCode = readStr(node, 'StatusCode', b)
  if (statusCode === undefined) throw missingError(memberPath(b, 'StatusCode'))
  if (!FIXED_RESPONSE_STATUS.test(statusCode)) {
    throw constraintError(statusCode, memberPath(b, 'StatusCode'), 'Member must satisfy regular expression pattern: ^(2|4|5)\\d\\d$')
  }
  const contentType = readStr(node, 'ContentType', b)
  if (contentType !== undefined) {
    if (contentType.length > 32) throw constraintError(contentType, memberPath(b, 'ContentType'), 'Member must have length less than or equal to 32')
    if (!isOneOf(FIXED_RESPONSE_CONTENT_TYPES, contentType)) {
      // moto's text (spec §2.3: practical reference for ValidationError texts); AWS's is UNVERIFIED.
      throw invalidAction("The ContentType must be one of:'text/html', 'application/json', 'application/javascript', 'text/css', 'text/plain'")
    }
  }
  const messageBody = readStr(node, 'MessageBody', b)
  if (messageBody !== undefined && messageBody.length > MAX_FIXED_RESPONSE_BODY) {
    throw constraintError(messageBody, memberPath(b, 'MessageBody'), `Member must have length less than or equal to ${MAX_FIXED_RESPONSE_BODY}`)
  }
  const config: { statusCode: string; contentType?: string; messageBody?: string } = { statusCode }
  if (contentType !== undefined) config.contentType = contentType
  if (messageBody !== undefined) config.messageBody = messageBody
  return config
}

/** `AuthenticationRequestExtraParams.entry.N.key/value` (up to 10) as a plain record. */
function readExtraParams(node: WireObject, base: string): Record<string, string> | undefined {
  const raw = node['AuthenticationRequestExtraParams']
  if (raw === undefined || raw === '') return undefined
  const entries: Array<[string, string]> = []
  if (Array.isArray(raw)) {
    for (const entry of raw as readonly WireValue[]) {
      if (typeof entry === 'string' || Array.isArray(entry)) throw constraintError(String(entry), memberPath(base, 'AuthenticationRequestExtraParams'), 'Member must be a map')
      const e = entry as WireObject
      const key = readStr(e, 'key', base)
      if (key === undefined) throw missingError(`${memberPath(base, 'AuthenticationRequestExtraParams')}.key`)
      entries.push([key, readStr(e, 'value', base) ?? ''])
    }
  } else if (typeof raw === 'object') {
    for (const [key, value] of Object.entries(raw as WireObject)) {
      if (typeof value !== 'string') throw constraintError('[object]', memberPath(base, 'AuthenticationRequestExtraParams'), 'Member must be a map of strings')
      entries.push([key, value])
    }
  }
  if (entries.length > 10) throw validationError('You can specify up to 10 authentication request extra parameters')
  return Object.fromEntries(entries)
}

function readSessionOptions(node: WireObject, base: string): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  out['SessionCookieName'] = readStr(node, 'SessionCookieName', base) ?? AUTH_SESSION_DEFAULTS.SessionCookieName
  out['Scope'] = readStr(node, 'Scope', base) ?? AUTH_SESSION_DEFAULTS.Scope
  const timeout = readInt(node, 'SessionTimeout', base) ?? AUTH_SESSION_DEFAULTS.SessionTimeout
  if (timeout < 1 || timeout > 604_800) {
    throw constraintError(timeout, memberPath(base, 'SessionTimeout'), 'Member must have value between 1 and 604800') // UNVERIFIED range text
  }
  out['SessionTimeout'] = timeout
  const extra = readExtraParams(node, base)
  if (extra !== undefined) out['AuthenticationRequestExtraParams'] = extra
  const behaviour = readStr(node, 'OnUnauthenticatedRequest', base) ?? AUTH_SESSION_DEFAULTS.OnUnauthenticatedRequest
  if (!isOneOf(UNAUTHENTICATED_BEHAVIOURS, behaviour)) {
    throw constraintError(behaviour, memberPath(base, 'OnUnauthenticatedRequest'), `Member must satisfy enum value set: [${UNAUTHENTICATED_BEHAVIOURS.join(', ')}]`)
  }
  out['OnUnauthenticatedRequest'] = behaviour
  return out
}

function parseOidc(item: WireObject, base: string, options: ParseActionsOptions): Record<string, unknown> {
  const node = readObj(item, 'AuthenticateOidcConfig', base)
  if (node === undefined) throw missingConfig('authenticate-oidc', "'AuthenticateOidcConfig'")
  const b = memberPath(base, 'AuthenticateOidcConfig')
  const out: Record<string, unknown> = {}
  for (const name of OIDC_REQUIRED) {
    const v = readStr(node, name, b)
    if (v === undefined || v === '') throw missingError(memberPath(b, name))
    out[name] = v
  }
  const useExisting = readBool(node, 'UseExistingClientSecret', b) ?? false
  let secret = readStr(node, 'ClientSecret', b)
  if (useExisting) {
    // UseExistingClientSecret (Modify*): reuse the secret of the OIDC action being replaced.
    const previous = options.previous?.find((a) => a.type === 'authenticate-oidc')?.authenticateOidcConfig?.['ClientSecret']
    if (typeof previous !== 'string') throw invalidAction('There is no existing client secret to use for the authenticate-oidc action') // UNVERIFIED text
    secret = previous
  }
  // "ClientSecret … must be specified when you create a rule" (model documentation).
  if (secret === undefined || secret === '') throw missingConfig('authenticate-oidc', "'ClientSecret'")
  out['ClientSecret'] = secret
  Object.assign(out, readSessionOptions(node, b))
  return out
}

function parseCognito(item: WireObject, base: string): Record<string, unknown> {
  const node = readObj(item, 'AuthenticateCognitoConfig', base)
  if (node === undefined) throw missingConfig('authenticate-cognito', "'AuthenticateCognitoConfig'")
  const b = memberPath(base, 'AuthenticateCognitoConfig')
  const out: Record<string, unknown> = {}
  for (const name of COGNITO_REQUIRED) {
    const v = readStr(node, name, b)
    if (v === undefined || v === '') throw missingError(memberPath(b, name))
    out[name] = v
  }
  Object.assign(out, readSessionOptions(node, b))
  return out
}

function parseJwtValidation(item: WireObject, base: string): Record<string, unknown> {
  const node = readObj(item, 'JwtValidationConfig', base)
  if (node === undefined) throw missingConfig('jwt-validation', "'JwtValidationConfig'")
  const b = memberPath(base, 'JwtValidationConfig')
  const jwksEndpoint = readStr(node, 'JwksEndpoint', b)
  if (jwksEndpoint === undefined || jwksEndpoint === '') throw missingError(memberPath(b, 'JwksEndpoint'))
  if (jwksEndpoint.length > 256 || !jwksEndpoint.startsWith('https://')) throw validationError(`The JWKS endpoint '${jwksEndpoint}' must be an HTTPS URL of at most 256 characters`)
  const issuer = readStr(node, 'Issuer', b)
  if (issuer === undefined || issuer === '') throw missingError(memberPath(b, 'Issuer'))
  if (issuer.length > 256) throw constraintError(issuer, memberPath(b, 'Issuer'), 'Member must have length less than or equal to 256')
  const out: Record<string, unknown> = { JwksEndpoint: jwksEndpoint, Issuer: issuer }
  const claims = readObjList(node, 'AdditionalClaims', b)
  if (claims !== undefined) {
    if (claims.length > 10) throw validationError('You can specify up to 10 additional claims')
    out['AdditionalClaims'] = claims.map((claim, i) => {
      const cb = `${memberPath(b, 'AdditionalClaims')}.${i + 1}.member`
      const format = readStr(claim, 'Format', cb)
      if (format === undefined) throw missingError(memberPath(cb, 'Format'))
      if (!isOneOf(JWT_CLAIM_FORMATS, format)) throw constraintError(format, memberPath(cb, 'Format'), `Member must satisfy enum value set: [${JWT_CLAIM_FORMATS.join(', ')}]`)
      const name = readStr(claim, 'Name', cb)
      if (name === undefined || name === '') throw missingError(memberPath(cb, 'Name'))
      const values = readStrList(claim, 'Values', cb)
      if (values === undefined) throw missingError(memberPath(cb, 'Values'))
      if (values.length > 10) throw validationError(`Claim '${name}' can have up to 10 values`)
      for (const v of values) if (v.length > 256) throw validationError(`Claim '${name}' values can be up to 256 characters`)
      return { Format: format, Name: name, Values: values }
    })
  }
  return out
}

// ------------------------------------------------------------------ checks across actions

/**
 * checkActionList: the rules that span a rule's actions (spec §5.5). Exactly one terminal
 * action (forward | redirect | fixed-response) and it is performed last; Order is required
 * when there is more than one action and must be unique; at most one authentication action.
 * The texts are UNVERIFIED; the codes follow the model's InvalidLoadBalancerAction.
 */
export function checkActionList(actions: readonly Action[]): void {
  if (actions.length === 0) throw invalidAction('You must specify exactly one forward, redirect or fixed-response action')
  if (actions.length > 1) {
    for (const action of actions) {
      if (action.order === undefined) throw validationError('You must specify an order for each action when there are multiple actions')
    }
    const orders = actions.map((a) => a.order!)
    if (new Set(orders).size !== orders.length) throw validationError('Each action must have a unique order')
  }
  const terminal = actions.filter((a) => isOneOf(TERMINAL_ACTION_TYPES, a.type))
  if (terminal.length !== 1) throw invalidAction('You must specify exactly one forward, redirect or fixed-response action')
  const auth = actions.filter((a) => isOneOf(AUTH_ACTION_TYPES, a.type))
  if (auth.length > 1) throw new InvalidInput('TooManyActions', 'You can specify at most one authentication action per rule')
  const last = orderedActions(actions).at(-1)!
  if (last !== terminal[0]) throw invalidAction(`The '${terminal[0]!.type}' action must be the last action to be performed`)
}

/**
 * checkActionsForListener: what depends on the listener's protocol. Authentication actions
 * need an HTTPS listener (UG: "[HTTPS listeners]"), and a redirect from HTTPS to HTTP is not
 * allowed (UG listener-update-rules: "You can't redirect HTTPS to HTTP"). AWS's docs do not say
 * whether the latter is refused at configuration time; we refuse it then (UNVERIFIED), because a
 * rule that can never work is better reported than silently served.
 */
export function checkActionsForListener(actions: readonly Action[], listenerProtocol: string): void {
  for (const action of actions) {
    if (isOneOf(AUTH_ACTION_TYPES, action.type) && listenerProtocol !== 'HTTPS') {
      throw invalidAction(`Actions of type '${action.type}' are supported only on HTTPS listeners`)
    }
    if (action.type === 'redirect' && listenerProtocol === 'HTTPS' && action.redirectConfig?.protocol === 'HTTP') {
      throw invalidAction('You cannot redirect HTTPS to HTTP')
    }
  }
}

/** Actions in the order they are performed: by Order, lowest first (stable for equal/missing orders). */
export function orderedActions(actions: readonly Action[]): Action[] {
  return [...actions].sort((a, b) => (a.order ?? 0) - (b.order ?? 0))
}

/** Every target group the actions forward to, first-seen order. */
export function actionTargetGroupArns(actions: readonly Action[]): string[] {
  const arns: string[] = []
  for (const action of actions) {
    if (action.type !== 'forward') continue
    for (const t of action.forwardConfig?.targetGroups ?? []) if (!arns.includes(t.targetGroupArn)) arns.push(t.targetGroupArn)
    if (action.targetGroupArn !== undefined && !arns.includes(action.targetGroupArn)) arns.push(action.targetGroupArn)
  }
  return arns
}

// ------------------------------------------------------------------ output

/** The Action shape in model member order. */
export function wireAction(action: Action): Record<string, unknown> {
  return {
    Type: action.type,
    TargetGroupArn: action.targetGroupArn,
    AuthenticateOidcConfig: action.authenticateOidcConfig === undefined ? undefined : wireAuthConfig(action.authenticateOidcConfig, [
      ...OIDC_REQUIRED, 'SessionCookieName', 'Scope', 'SessionTimeout', 'AuthenticationRequestExtraParams', 'OnUnauthenticatedRequest',
    ]),
    AuthenticateCognitoConfig: action.authenticateCognitoConfig === undefined ? undefined : wireAuthConfig(action.authenticateCognitoConfig, [
      ...COGNITO_REQUIRED, 'SessionCookieName', 'Scope', 'SessionTimeout', 'AuthenticationRequestExtraParams', 'OnUnauthenticatedRequest',
    ]),
    Order: action.order,
    RedirectConfig: action.redirectConfig === undefined ? undefined : {
      Protocol: action.redirectConfig.protocol,
      Port: action.redirectConfig.port,
      Host: action.redirectConfig.host,
      Path: action.redirectConfig.path,
      Query: action.redirectConfig.query,
      StatusCode: action.redirectConfig.statusCode,
    },
    FixedResponseConfig: action.fixedResponseConfig === undefined ? undefined : {
      MessageBody: action.fixedResponseConfig.messageBody,
      StatusCode: action.fixedResponseConfig.statusCode,
      ContentType: action.fixedResponseConfig.contentType,
    },
    ForwardConfig: action.forwardConfig === undefined ? undefined : {
      TargetGroups: action.forwardConfig.targetGroups.map((t) => ({ TargetGroupArn: t.targetGroupArn, Weight: t.weight })),
      TargetGroupStickinessConfig: action.forwardConfig.targetGroupStickinessConfig === undefined ? undefined : {
        Enabled: action.forwardConfig.targetGroupStickinessConfig.enabled,
        DurationSeconds: action.forwardConfig.targetGroupStickinessConfig.durationSeconds,
      },
    },
    JwtValidationConfig: action.jwtValidationConfig === undefined ? undefined : {
      JwksEndpoint: action.jwtValidationConfig['JwksEndpoint'],
      Issuer: action.jwtValidationConfig['Issuer'],
      AdditionalClaims: action.jwtValidationConfig['AdditionalClaims'],
    },
  }
}

/**
 * The stored auth config in model member order. The client secret is write-only: Describe*
 * never returns it (that is why the API has UseExistingClientSecret; UNVERIFIED that it is omitted).
 * AuthenticationRequestExtraParams stays a plain string record here (the SDK's shape); the API
 * wraps it as a map member for the XML (api/elbv2/common.ts wireActionsXml).
 */
function wireAuthConfig(config: Readonly<Record<string, unknown>>, members: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of members) {
    const v = config[name]
    if (v === undefined) continue
    out[name] = name === 'AuthenticationRequestExtraParams' ? { ...(v as Record<string, string>) } : v
  }
  return out
}

/** Actions in wire form, in the order they were given (AWS echoes the request order). */
export function wireActions(actions: readonly Action[]): Array<Record<string, unknown>> {
  return actions.map(wireAction)
}

/** Narrowing helper for callers that switch on action types. */
export function isTerminal(type: ActionType): boolean {
  return isOneOf(TERMINAL_ACTION_TYPES, type)
}
