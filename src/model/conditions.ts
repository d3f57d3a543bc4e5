/**
 * @module model/conditions
 * Rule Conditions (spec §5.4): reading them from the request tree, validating them as AWS
 * does, and turning the stored records back into wire members.
 *
 * Output normalisation (spec §5.4, [obs]): a condition given with the legacy top-level `Values`
 * (host-header, path-pattern) is echoed with both `Values` and `*Config.Values`; one given with
 * a config is echoed with the config only. We store both forms as they will be echoed.
 */
import { setFlagsFromString } from 'node:v8'
import type { Condition, ConditionField, QueryStringKeyValue } from './resources.ts'
import { compileRegexProgram, type RegexProgram } from './regex-program.ts'
import {
  InvalidInput, constraintError, memberPath, missingError, readObj, readObjList, readStr, readStrList, validationError,
  type WireObject,
} from './actions.ts'

/** Condition fields as moto lists them in its error (spec §2.3: practical reference for texts). */
export const CONDITION_FIELDS = ['path-pattern', 'host-header', 'http-header', 'http-request-method', 'query-string', 'source-ip'] as const
/** Fields a rule may have at most once (UG "Condition types"); http-header and query-string may repeat. */
export const SINGLE_CONDITION_FIELDS = ['host-header', 'http-request-method', 'path-pattern', 'source-ip'] as const

/** Quotas condition-values-per-alb-rule and condition-wildcards-per-alb-rule (spec §9). */
export const MAX_CONDITION_VALUES = 5
export const MAX_CONDITION_WILDCARDS = 5
export const MAX_VALUE_LENGTH = 128
export const MAX_HEADER_NAME_LENGTH = 40
export const MAX_METHOD_LENGTH = 40

/** The config member each field takes (RuleCondition in the model). */
const CONFIG_MEMBER: Record<ConditionField, string> = {
  'host-header': 'HostHeaderConfig',
  'path-pattern': 'PathPatternConfig',
  'http-header': 'HttpHeaderConfig',
  'http-request-method': 'HttpRequestMethodConfig',
  'query-string': 'QueryStringConfig',
  'source-ip': 'SourceIpConfig',
}

// Character sets from the RuleCondition / *ConditionConfig documentation (spec §5.4).
const HOST_CHARS = /^[A-Za-z0-9\-.*?]+$/
/** "A hostname must contain at least one '.'; only alphabetical characters are allowed after the final '.'" (UG). */
const HOST_TAIL = /\.[A-Za-z]+$/
const PATH_CHARS = /^[A-Za-z0-9_\-.$/~"'@:+&*?]+$/
/** RFC 7230 token, without the wildcards the header name may not use. */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'+\-.^_`|~]+$/
const METHOD_CHARS = /^[A-Z_-]+$/
/** Matching applies to visible ASCII (and space) only (spec §5.4). */
const VISIBLE_ASCII = /^[\x20-\x7e]*$/

function isOneOf<T extends string>(values: readonly T[], v: string): v is T {
  return (values as readonly string[]).includes(v)
}

function emptyValue(): InvalidInput {
  // moto's (and, per spec §2.3, AWS's) text for an empty condition value.
  return validationError('A condition value must be specified')
}

function checkLength(value: string, max: number, what: string): void {
  if (value.length === 0) throw emptyValue()
  if (value.length > max) throw validationError(`The ${what} '${value}' exceeds the maximum length of ${max} characters`) // UNVERIFIED text
}

// ------------------------------------------------------------------ RegexValues

/**
 * RegexValues run on client-chosen strings (path, Host, header values), so matching must be
 * linear in the subject: one `^/(a+)+$` against `/aaaa…a!` would otherwise backtrack
 * exponentially and stall the event loop for every client. V8 (Node 20) ships a linear-time
 * engine behind flags that `v8.setFlagsFromString` can set at run time; V8 reads them when it
 * compiles a RegExp, so they are set when this module loads, before any RegexValue exists.
 * It lives here, not in the data plane, because both sides import the model (DESIGN.md
 * boundaries): the API process that validates, and each `--workers` worker, which loads it
 * through the router (test/regex-routing.test.ts checks both).
 * - `--enable-experimental-regexp-engine` makes the `l` flag available; we only use it to ask
 *   V8 whether a pattern CAN run in linear time (`new RegExp(source, 'l')` throws otherwise).
 * - `--enable-experimental-regexp-engine-on-excessive-backtracks` lets every such pattern,
 *   compiled normally, run on the fast backtracking engine and switch to the linear engine
 *   after `--regexp-backtracks-before-fallback` backtracks in one execution. The switch gives
 *   the same answer, so the flags change nothing but the cost of pathological regexes, in this
 *   process's other code too.
 * Measured on Node 20.20 (2 cores), per `test()`: ordinary RegexValues such as
 * `^/api/v[0-9]+/users$` cost 14-24 ns, unchanged by the flags; the same patterns compiled
 * with `l` cost 370-3,700 ns, hence the fallback rather than `l` everywhere. `^/(a+)+$` against
 * `/` + 40×`a` + `!` costs 8 µs with the limit below (150 µs at V8's default of 50,000; hours
 * without the fallback), 100 µs for 1,000 `a`s: linear. A listener of 100 rules with host
 * and path RegexValues, last one matching: 4.9 µs per request with the flags, 5.1 µs without.
 */
const BACKTRACKS_BEFORE_LINEAR_ENGINE = 1000

function enableLinearRegexEngine(): boolean {
  setFlagsFromString('--enable-experimental-regexp-engine')
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks')
  setFlagsFromString(`--regexp-backtracks-before-fallback=${BACKTRACKS_BEFORE_LINEAR_ENGINE}`)
  try {
    new RegExp('', 'l')
    return true
  } catch {
    return false // a Node that refuses the flags: every RegexValue runs on the Pike VM (planRegexValue)
  }
}

/** Whether V8's linear-time engine is available here; without it every RegexValue runs on the Pike VM. */
export const LINEAR_REGEX_ENGINE = enableLinearRegexEngine()

/**
 * unsupportedRegexConstruct names the first construct the UG ("Condition basics") excludes
 * from rule regexes: lookaheads, lookbehinds, backreferences, atomic groups, possessive
 * quantifiers, subroutines, recursion and Unicode character classes such as `\p{L}`; walking
 * the pattern so escaped characters and character classes are not mistaken for syntax.
 * Several of these are already JS syntax errors; naming them gives a clearer message, and
 * `\p`, `\g`, `\k`, `\8` are literal letters/digits to a non-Unicode JS RegExp yet mean
 * something else to the PCRE-style syntax AWS documents, so they are refused outright.
 */
export function unsupportedRegexConstruct(source: string): string | undefined {
  let inClass = false
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!
    if (c === '\\') {
      const next = source[i + 1] ?? ''
      if (next === 'p' || next === 'P') return 'a Unicode property escape (\\p{..})'
      if (!inClass && ((next >= '1' && next <= '9') || next === 'k' || next === 'g')) return 'a backreference'
      i++
      continue
    }
    if (inClass) {
      if (c === ']') inClass = false
      continue
    }
    if (c === '[') {
      inClass = true
    } else if (c === '(' && source[i + 1] === '?') {
      const rest = source.slice(i + 2)
      if (rest.startsWith('=') || rest.startsWith('!')) return 'a lookahead assertion'
      if (rest.startsWith('<=') || rest.startsWith('<!')) return 'a lookbehind assertion'
      if (rest.startsWith('>')) return 'an atomic group'
      if (/^(?:R\)|[+-]?\d|&|P>|P=)/.test(rest)) return 'recursion or a subroutine call'
      i++ // the `?` opens the group; it is not a quantifier
    } else if ((c === '*' || c === '+' || c === '?') && source[i + 1] === '+') {
      return 'a possessive quantifier'
    } else if (c === '{' && /^\{\d+(?:,\d*)?\}\+/.test(source.slice(i))) {
      return 'a possessive quantifier'
    }
  }
  return undefined
}

/**
 * How a RegexValue runs, decided once per value (the API and every data-plane process decide
 * alike): `v8` — a plain RegExp, V8's backtracking engine with the linear-engine fallback set
 * up above; `program` — the Pike VM (model/regex-program.ts, dataplane/router/regex-vm.ts) for
 * the patterns V8's linear engine refuses: bounded repeats whose counts, nested, exceed 16
 * (`[a-z]{2,20}`, `a{17}`, `\d{1,32}`), which AWS accepts; `refused` — the problem text.
 * Measured on Node 20.20 (benchmarks/micro/regex.ts, 2 loaded cores), per `test()` on paths
 * and hosts of 10-40 characters: V8 20-90 ns, the Pike VM 75-500 ns, so V8 stays first. On
 * pathological input the order flips: V8's linear engine costs 1,000-2,200 ns per character
 * for 16-fold repeats (`[0-9]{1,16}x$`), the Pike VM about 10 ns per live thread, 220-350 ns per
 * character for `[0-9]{1,20}x$`.
 */
export type RegexValuePlan =
  | { readonly kind: 'v8' }
  | { readonly kind: 'program'; readonly program: RegexProgram }
  | { readonly kind: 'refused'; readonly problem: string }

export function planRegexValue(source: string): RegexValuePlan {
  const construct = unsupportedRegexConstruct(source)
  if (construct !== undefined) return { kind: 'refused', problem: `The regular expression '${source}' uses ${construct}, which is not supported` }
  try {
    new RegExp(source)
  } catch {
    return { kind: 'refused', problem: `The regular expression '${source}' is not valid` }
  }
  if (LINEAR_REGEX_ENGINE && v8RunsInLinearTime(source)) return { kind: 'v8' }
  // The Pike VM runs every valid pattern without the constructs above, up to its size bound
  // (an OpenALB limit: AWS documents none; UNVERIFIED text).
  const compiled = compileRegexProgram(source)
  if (compiled.program === undefined) return { kind: 'refused', problem: `The regular expression '${source}' ${compiled.problem}` }
  return { kind: 'program', program: compiled.program }
}

function v8RunsInLinearTime(source: string): boolean {
  try {
    new RegExp(source, 'l')
    return true
  } catch {
    return false
  }
}

/**
 * regexValueProblem: why `source` cannot be a RegexValue, or undefined when it can. Used by
 * the API (as the ValidationError text) and by the data plane (a stored value that fails
 * never matches), so both always agree. The texts are ours: AWS's are UNVERIFIED.
 */
export function regexValueProblem(source: string): string | undefined {
  const plan = planRegexValue(source)
  return plan.kind === 'refused' ? plan.problem : undefined
}

function checkRegex(value: string): void {
  checkLength(value, MAX_VALUE_LENGTH, 'regular expression')
  const problem = regexValueProblem(value)
  if (problem !== undefined) throw validationError(problem) // UNVERIFIED text
}

function checkHost(value: string): void {
  checkLength(value, MAX_VALUE_LENGTH, 'host header value')
  if (!HOST_CHARS.test(value)) throw validationError(`The host header value '${value}' contains characters that are not valid`) // UNVERIFIED text
  if (!HOST_TAIL.test(value)) throw validationError(`The host header value '${value}' must contain a '.' followed only by letters`) // UNVERIFIED text
}

function checkPath(value: string): void {
  checkLength(value, MAX_VALUE_LENGTH, 'path pattern')
  if (!PATH_CHARS.test(value)) throw validationError(`The path pattern '${value}' contains characters that are not valid`) // UNVERIFIED text
}

function checkHeaderValue(value: string): void {
  checkLength(value, MAX_VALUE_LENGTH, 'HTTP header value')
  if (!VISIBLE_ASCII.test(value)) throw validationError(`The HTTP header value '${value}' contains characters that are not valid`)
}

function checkMethod(value: string): void {
  checkLength(value, MAX_METHOD_LENGTH, 'HTTP request method')
  if (!METHOD_CHARS.test(value)) throw validationError(`The HTTP request method '${value}' can contain only A-Z, '-' and '_'`) // UNVERIFIED text
}

function checkQueryPart(value: string, what: string): void {
  checkLength(value, MAX_VALUE_LENGTH, what)
  if (!VISIBLE_ASCII.test(value)) throw validationError(`The ${what} '${value}' contains characters that are not valid`)
}

// ------------------------------------------------------------------ source-ip

function parseIpv4(s: string): number[] | undefined {
  const parts = s.split('.')
  if (parts.length !== 4) return undefined
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN))
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : undefined
}

function isIpv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s)) return false
  const halves = s.split('::')
  if (halves.length > 2) return false
  const groupsOf = (part: string): string[] | undefined => {
    if (part === '') return []
    const groups = part.split(':')
    return groups.every((g) => g !== '') ? groups : undefined
  }
  const head = groupsOf(halves[0]!)
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : []
  if (head === undefined || tail === undefined) return false
  const groups = [...head, ...tail]
  let max = 8
  // An embedded IPv4 address may end the address (::ffff:10.0.0.1) and takes two groups.
  if (groups.length > 0 && groups.at(-1)!.includes('.')) {
    if (parseIpv4(groups.pop()!) === undefined) return false
    max = 6
  }
  if (!groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false
  return halves.length === 2 ? groups.length < max : groups.length === max
}

/** isCidr: an IPv4 (`/0`-`/32`) or IPv6 (`/0`-`/128`) CIDR block. */
export function isCidr(value: string): boolean {
  const slash = value.indexOf('/')
  if (slash < 0) return false
  const address = value.slice(0, slash)
  const prefix = value.slice(slash + 1)
  if (!/^\d{1,3}$/.test(prefix)) return false
  if (parseIpv4(address) !== undefined) return Number(prefix) <= 32
  return isIpv6(address) && Number(prefix) <= 128
}

function checkSourceIp(value: string): void {
  if (value.length === 0) throw emptyValue()
  if (!isCidr(value)) throw validationError(`The source IP '${value}' is not a valid CIDR block`) // UNVERIFIED text
  // The broadcast host route is refused (SourceIpConditionConfig documentation).
  if (value === '255.255.255.255/32') throw validationError(`The source IP '${value}' is not allowed`) // UNVERIFIED text
}

// ------------------------------------------------------------------ parsing

/**
 * parseConditions reads `Conditions.member.N` and validates the list as AWS does: field names,
 * which config each field takes, value rules, and the per-rule quotas.
 */
export function parseConditions(items: readonly WireObject[]): Condition[] {
  const conditions = items.map((item, i) => parseCondition(item, `conditions.${i + 1}.member`))
  checkConditionList(conditions)
  return conditions
}

function parseCondition(item: WireObject, base: string): Condition {
  const field = readStr(item, 'Field', base)
  if (field === undefined || field === '') throw validationError('A condition field must be specified') // UNVERIFIED text
  if (field.length > 64) throw constraintError(field, memberPath(base, 'Field'), 'Member must have length less than or equal to 64')
  if (!isOneOf(CONDITION_FIELDS, field)) throw validationError(`Condition field '${field}' must be one of '[${CONDITION_FIELDS.join(',')}]'`)
  const legacyValues = readStrList(item, 'Values', base)
  if (readStrList(item, 'RegexValues', base) !== undefined) {
    // The newest model also has a top-level RegexValues; we accept regexes only inside the field's config (UNVERIFIED).
    throw validationError(`The 'RegexValues' field is not compatible with '${field}' at the condition level; use '${CONFIG_MEMBER[field]}'`)
  }
  for (const [other, member] of Object.entries(CONFIG_MEMBER)) {
    if (other !== field && item[member] !== undefined && item[member] !== '') {
      throw validationError(`The '${member}' field is not compatible with '${field}'`)
    }
  }
  if (legacyValues !== undefined && field !== 'host-header' && field !== 'path-pattern') {
    // moto's text, listed in spec §2.3.
    throw validationError(`The 'Values' field is not compatible with '${field}'`)
  }
  const config = readObj(item, CONFIG_MEMBER[field], base)
  const configBase = memberPath(base, CONFIG_MEMBER[field])
  if (legacyValues !== undefined && config !== undefined) {
    throw validationError(`You cannot specify both 'Values' and '${CONFIG_MEMBER[field]}' for '${field}'`) // UNVERIFIED text
  }
  switch (field) {
    case 'host-header':
    case 'path-pattern': {
      const check = field === 'host-header' ? checkHost : checkPath
      let values: string[] | undefined
      let regexValues: string[] | undefined
      if (legacyValues !== undefined) {
        // The legacy form takes a single value (RuleCondition.Values documentation).
        if (legacyValues.length === 0) throw emptyValue()
        if (legacyValues.length > 1) throw validationError(`Only one value can be specified in 'Values' for '${field}'; use '${CONFIG_MEMBER[field]}' for more`) // UNVERIFIED text
        values = legacyValues
      } else {
        if (config === undefined) throw emptyValue()
        values = readStrList(config, 'Values', configBase)
        regexValues = readStrList(config, 'RegexValues', configBase)
        if (values !== undefined && regexValues !== undefined) throw validationError("You cannot specify both 'Values' and 'RegexValues'") // UNVERIFIED text
        if ((values ?? regexValues ?? []).length === 0) throw emptyValue()
      }
      for (const v of values ?? []) check(v)
      for (const v of regexValues ?? []) checkRegex(v)
      const pattern = regexValues !== undefined ? { regexValues } : { values: values! }
      const condition: Condition = field === 'host-header' ? { field, hostHeaderConfig: pattern } : { field, pathPatternConfig: pattern }
      return legacyValues !== undefined ? { ...condition, values: legacyValues } : condition
    }
    case 'http-header': {
      if (config === undefined) throw emptyValue()
      const name = readStr(config, 'HttpHeaderName', configBase)
      if (name === undefined || name === '') throw missingError(memberPath(configBase, 'HttpHeaderName'))
      if (name.length > MAX_HEADER_NAME_LENGTH) throw validationError(`The HTTP header name '${name}' exceeds the maximum length of ${MAX_HEADER_NAME_LENGTH} characters`) // UNVERIFIED text
      if (!HEADER_NAME.test(name)) throw validationError(`The HTTP header name '${name}' is not valid`) // UNVERIFIED text
      // "You can't use an HTTP header condition to specify the host header." (HttpHeaderConditionConfig documentation)
      if (name.toLowerCase() === 'host') throw validationError("You cannot use an 'http-header' condition for the Host header; use a 'host-header' condition") // UNVERIFIED text
      const values = readStrList(config, 'Values', configBase)
      const regexValues = readStrList(config, 'RegexValues', configBase)
      if (values !== undefined && regexValues !== undefined) throw validationError("You cannot specify both 'Values' and 'RegexValues'") // UNVERIFIED text
      if ((values ?? regexValues ?? []).length === 0) throw emptyValue()
      for (const v of values ?? []) checkHeaderValue(v)
      for (const v of regexValues ?? []) checkRegex(v)
      return { field, httpHeaderConfig: regexValues !== undefined ? { httpHeaderName: name, regexValues } : { httpHeaderName: name, values: values! } }
    }
    case 'http-request-method': {
      const values = config === undefined ? undefined : readStrList(config, 'Values', configBase)
      if (values === undefined || values.length === 0) throw emptyValue()
      for (const v of values) checkMethod(v)
      return { field, httpRequestMethodConfig: { values } }
    }
    case 'query-string': {
      const pairs = config === undefined ? undefined : readObjList(config, 'Values', configBase)
      if (pairs === undefined || pairs.length === 0) throw emptyValue()
      const values: QueryStringKeyValue[] = pairs.map((pair, i) => {
        const pairBase = `${memberPath(configBase, 'Values')}.${i + 1}.member`
        const key = readStr(pair, 'Key', pairBase)
        const value = readStr(pair, 'Value', pairBase)
        if (value === undefined) throw emptyValue()
        checkQueryPart(value, 'query string value')
        if (key === undefined) return { value } // Key is optional: any key with a matching value (spec §5.4)
        checkQueryPart(key, 'query string key')
        return { key, value }
      })
      return { field, queryStringConfig: { values } }
    }
    case 'source-ip': {
      const values = config === undefined ? undefined : readStrList(config, 'Values', configBase)
      if (values === undefined || values.length === 0) throw emptyValue()
      for (const v of values) checkSourceIp(v)
      return { field, sourceIpConfig: { values } }
    }
  }
}

/** Every value a condition matches on, for the per-rule quotas. */
export function conditionValues(condition: Condition): string[] {
  switch (condition.field) {
    case 'host-header': return [...(condition.hostHeaderConfig?.values ?? []), ...(condition.hostHeaderConfig?.regexValues ?? [])]
    case 'path-pattern': return [...(condition.pathPatternConfig?.values ?? []), ...(condition.pathPatternConfig?.regexValues ?? [])]
    case 'http-header': return [...(condition.httpHeaderConfig?.values ?? []), ...(condition.httpHeaderConfig?.regexValues ?? [])]
    case 'http-request-method': return [...(condition.httpRequestMethodConfig?.values ?? [])]
    case 'query-string': return (condition.queryStringConfig?.values ?? []).map((p) => `${p.key ?? ''}=${p.value}`)
    case 'source-ip': return [...(condition.sourceIpConfig?.values ?? [])]
  }
}

/** Wildcards (`*`, `?`) a condition uses; query-string wildcards escaped with `\` are literal (spec §5.4). */
export function conditionWildcards(condition: Condition): number {
  const count = (s: string, escapable: boolean) => {
    let n = 0
    for (let i = 0; i < s.length; i++) {
      if (escapable && s[i] === '\\') { i++; continue }
      if (s[i] === '*' || s[i] === '?') n++
    }
    return n
  }
  switch (condition.field) {
    case 'host-header': return (condition.hostHeaderConfig?.values ?? []).reduce((n, v) => n + count(v, false), 0)
    case 'path-pattern': return (condition.pathPatternConfig?.values ?? []).reduce((n, v) => n + count(v, false), 0)
    case 'http-header': return (condition.httpHeaderConfig?.values ?? []).reduce((n, v) => n + count(v, false), 0)
    case 'query-string': return (condition.queryStringConfig?.values ?? []).reduce((n, p) => n + count(p.key ?? '', true) + count(p.value, true), 0)
    case 'http-request-method':
    case 'source-ip': return 0
  }
}

/**
 * checkConditionList: at most one host-header, http-request-method, path-pattern and
 * source-ip condition per rule; at most 5 condition values and 5 wildcards per rule (spec §5.4,
 * §9). The quota errors' code is UNVERIFIED (no quota error is modelled for conditions).
 */
export function checkConditionList(conditions: readonly Condition[]): void {
  for (const field of SINGLE_CONDITION_FIELDS) {
    if (conditions.filter((c) => c.field === field).length > 1) {
      throw validationError(`A rule can have only one '${field}' condition`) // UNVERIFIED text
    }
  }
  const values = conditions.reduce((n, c) => n + conditionValues(c).length, 0)
  if (values > MAX_CONDITION_VALUES) throw validationError(`A rule can have at most '${MAX_CONDITION_VALUES}' condition values`)
  const wildcards = conditions.reduce((n, c) => n + conditionWildcards(c), 0)
  if (wildcards > MAX_CONDITION_WILDCARDS) throw validationError(`A rule can have at most '${MAX_CONDITION_WILDCARDS}' wildcards`)
}

// ------------------------------------------------------------------ output

function patternConfig(config: { readonly values?: readonly string[]; readonly regexValues?: readonly string[] } | undefined): Record<string, unknown> | undefined {
  if (config === undefined) return undefined
  return { Values: config.values, RegexValues: config.regexValues }
}

/** The RuleCondition shape in model member order. */
export function wireCondition(condition: Condition): Record<string, unknown> {
  return {
    Field: condition.field,
    Values: condition.values,
    HostHeaderConfig: patternConfig(condition.hostHeaderConfig),
    PathPatternConfig: patternConfig(condition.pathPatternConfig),
    HttpHeaderConfig: condition.httpHeaderConfig === undefined ? undefined : {
      HttpHeaderName: condition.httpHeaderConfig.httpHeaderName,
      Values: condition.httpHeaderConfig.values,
      RegexValues: condition.httpHeaderConfig.regexValues,
    },
    QueryStringConfig: condition.queryStringConfig === undefined ? undefined : {
      Values: condition.queryStringConfig.values.map((p) => ({ Key: p.key, Value: p.value })),
    },
    HttpRequestMethodConfig: condition.httpRequestMethodConfig === undefined ? undefined : { Values: condition.httpRequestMethodConfig.values },
    SourceIpConfig: condition.sourceIpConfig === undefined ? undefined : { Values: condition.sourceIpConfig.values },
  }
}

export function wireConditions(conditions: readonly Condition[]): Array<Record<string, unknown>> {
  return conditions.map(wireCondition)
}
