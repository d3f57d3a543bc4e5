/**
 * @module dataplane/router/wildcard
 * The `*` / `?` pattern language of listener-rule condition values, compiled once per
 * value into an allocation-free predicate (no RegExp, no per-request lowercasing).
 *
 * AWS behaviour reproduced (UG "Condition types for listener rules", formerly the
 * "Rule conditions" section of "Listeners for your Application Load Balancers"):
 * - `*` matches 0 or more characters, `?` exactly 1 (host-header, path-pattern,
 *   http-header values, query-string keys/values).
 * - query-string only: `\*` and `\?` are a literal `*` / `?` (API reference
 *   QueryStringConditionConfig: "escape these characters in Values using a '\' character").
 *   We treat `\` followed by any character as that character, so `\\` is a backslash.
 * - "Rules are applied only to visible ASCII characters; control characters (0x00 to
 *   0x1f and 0x7f) are excluded." Our reading (UNVERIFIED): a wildcard never consumes a
 *   character outside 0x20..0x7e, so `/a/*` does not match `/a/\x01` nor `/a/é`. A literal
 *   pattern character still has to equal the request character exactly.
 *
 * Case-insensitive matching folds ASCII letters only (A-Z ↔ a-z); the pattern is folded
 * at compile time, the subject char by char, so nothing is allocated per request.
 */
import { planRegexValue } from '../../model/conditions.ts'
import { RegexVm } from './regex-vm.ts'

export type StringPredicate = (subject: string) => boolean

export interface WildcardOptions {
  /** Fold ASCII letters (host-header, http-header, query-string). Path patterns are case-sensitive. */
  readonly caseInsensitive: boolean
  /** `\x` is the literal `x` (query-string only). */
  readonly backslashEscapes: boolean
}

/** Pattern code for `*` (0+ visible chars) and `?` (exactly one visible char). */
const STAR = -1
const ONE = -2

function isVisibleAscii(code: number): boolean {
  return code >= 0x20 && code <= 0x7e
}

/** ASCII-only case folding (A-Z → a-z), as every case-insensitive match of rules does. */
export function fold(code: number): number {
  return code >= 65 && code <= 90 ? code | 0x20 : code
}

/** Tokenises a pattern into char codes with STAR / ONE for unescaped wildcards. */
export function tokenize(pattern: string, options: WildcardOptions): Int32Array {
  const out: number[] = []
  for (let i = 0; i < pattern.length; i++) {
    let code = pattern.charCodeAt(i)
    if (options.backslashEscapes && code === 0x5c /* \ */ && i + 1 < pattern.length) {
      i++
      code = pattern.charCodeAt(i)
      out.push(options.caseInsensitive ? fold(code) : code)
      continue
    }
    if (code === 0x2a /* * */) {
      // `**` is the same as `*`; collapsing keeps backtracking linear in practice.
      if (out[out.length - 1] !== STAR) out.push(STAR)
    } else if (code === 0x3f /* ? */) {
      out.push(ONE)
    } else {
      out.push(options.caseInsensitive ? fold(code) : code)
    }
  }
  return Int32Array.from(out)
}

/** Compares subject[from, from+literal.length) to literal codes (already folded when ci). */
function literalAt(subject: string, from: number, literal: Int32Array, ci: boolean): boolean {
  for (let i = 0; i < literal.length; i++) {
    const c = subject.charCodeAt(from + i)
    if ((ci ? fold(c) : c) !== literal[i]) return false
  }
  return true
}

/** Every char of subject[from, to) is visible ASCII. */
function allVisible(subject: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isVisibleAscii(subject.charCodeAt(i))) return false
  return true
}

/**
 * compileWildcard turns one condition value into a predicate. Common shapes get a
 * direct test (exact, `prefix*`, `*suffix`); anything else runs the classic
 * greedy-star-with-backtracking matcher, O(subject × pattern) worst case with patterns
 * capped at 128 characters by the API.
 */
export function compileWildcard(pattern: string, options: WildcardOptions): StringPredicate {
  const tokens = tokenize(pattern, options)
  const ci = options.caseInsensitive
  let stars = 0
  let ones = 0
  for (const t of tokens) {
    if (t === STAR) stars++
    else if (t === ONE) ones++
  }
  if (ones === 0 && stars === 0) {
    const literal = tokens
    return (s) => s.length === literal.length && literalAt(s, 0, literal, ci)
  }
  if (ones === 0 && stars === 1 && tokens[tokens.length - 1] === STAR) {
    const prefix = tokens.subarray(0, tokens.length - 1)
    return (s) => s.length >= prefix.length && literalAt(s, 0, prefix, ci) && allVisible(s, prefix.length, s.length)
  }
  if (ones === 0 && stars === 1 && tokens[0] === STAR) {
    const suffix = tokens.subarray(1)
    return (s) => {
      const from = s.length - suffix.length
      return from >= 0 && literalAt(s, from, suffix, ci) && allVisible(s, 0, from)
    }
  }
  // Measured (benchmarks/micro/router.ts): V8's regex engine beats the hand-written
  // backtracking loop ~2x on general patterns, while the shapes above beat a RegExp.
  const re = tokensToRegExp(tokens, ci)
  return (s) => re.test(s)
}

const VISIBLE = '[\\x20-\\x7e]'

/**
 * tokensToRegExp: an anchored RegExp equivalent to the tokens. Without the `u` flag, `i`
 * never folds a non-ASCII character onto an ASCII one (ECMA-262 Canonicalize), so case
 * folding stays ASCII-only as with the hand-written paths.
 */
function tokensToRegExp(tokens: Int32Array, ci: boolean): RegExp {
  let source = '^'
  for (const t of tokens) {
    if (t === STAR) source += `${VISIBLE}*`
    else if (t === ONE) source += VISIBLE
    else source += `\\u${t.toString(16).padStart(4, '0')}`
  }
  return new RegExp(`${source}$`, ci ? 'i' : '')
}

/** globMatch: the same semantics without RegExp; kept as the reference the tests compare against. */
export function globMatch(tokens: Int32Array, s: string, ci: boolean): boolean {
  const n = s.length
  const m = tokens.length
  let p = 0
  let i = 0
  let starP = -1
  let starI = 0
  while (i < n) {
    const c = s.charCodeAt(i)
    const t = p < m ? tokens[p]! : 0
    if (p < m && t === STAR) {
      starP = p++
      starI = i
      continue
    }
    if (p < m && (t === ONE ? isVisibleAscii(c) : t === (ci ? fold(c) : c))) {
      p++
      i++
      continue
    }
    if (starP >= 0 && isVisibleAscii(s.charCodeAt(starI))) {
      // Let the last star swallow one more character and retry from there.
      starI++
      i = starI
      p = starP + 1
      continue
    }
    return false
  }
  while (p < m && tokens[p] === STAR) p++
  return p === m
}

/** compileAnyWildcard ORs several values (values within one condition are OR'd). */
export function compileAnyWildcard(patterns: readonly string[], options: WildcardOptions): StringPredicate {
  const predicates = patterns.map((pattern) => compileWildcard(pattern, options))
  if (predicates.length === 1) return predicates[0]!
  return (s) => {
    for (let i = 0; i < predicates.length; i++) if (predicates[i]!(s)) return true
    return false
  }
}

/** A compiled RegexValue: a RegExp or a RegexVm, both answering JS `test` without flags. */
export interface RegexValueMatcher {
  test(subject: string): boolean
}

/**
 * compileRegexValues compiles RegexValues once. A RegexValue matches when it matches anywhere
 * in the subject (JS `test`, like PCRE/RE2 partial matching): `^`/`$` anchor it, and it is
 * case-sensitive even for host-header and http-header (UNVERIFIED whether AWS anchors or folds
 * case; the docs only say the regexes are "compared against" the value).
 *
 * Matching is linear in the subject (model/conditions.ts planRegexValue): a pattern V8's
 * linear-time engine can run is a RegExp, which V8 switches to that engine after 1,000
 * backtracks; any other admitted pattern (bounded repeats past 16, `[0-9]{1,20}`) runs on the
 * Pike VM (regex-vm.ts). A stored value the API would refuse — written before a check existed,
 * or not through the API — is reported in `problems` and never matches rather than risk
 * backtracking on a client-chosen string.
 */
export function compileRegexValues(sources: readonly string[], problems: string[]): RegexValueMatcher[] {
  const out: RegexValueMatcher[] = []
  for (const source of sources) {
    const plan = planRegexValue(source)
    if (plan.kind === 'v8') out.push(new RegExp(source))
    else if (plan.kind === 'program') out.push(new RegexVm(plan.program))
    else problems.push(`regex ${JSON.stringify(source)} never matches: ${plan.problem}`)
  }
  return out
}
