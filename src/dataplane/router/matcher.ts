/**
 * @module dataplane/router/matcher
 * compileRules turns a listener's rules into a RuleMatcher once per configuration
 * snapshot; match() then runs per request with no RegExp construction and no parsing
 * of the rules.
 *
 * AWS behaviour reproduced (UG "Listener rules for your Application Load Balancer" and
 * "Condition types for listener rules"): rules are evaluated in priority order, lowest
 * number first; the default rule (Priority "default", no conditions) is evaluated last
 * and always matches. Within a rule the conditions are AND'd; within one condition the
 * values are OR'd.
 */
import type { Condition, Rule } from '../../model/resources.ts'
import { RequestView, conditionValues, type ConditionPredicate, type RequestFacts } from './request.ts'
import { compileHostCondition } from './conditions/host.ts'
import { compilePathCondition } from './conditions/path.ts'
import { compileHeaderCondition } from './conditions/header.ts'
import { compileMethodCondition } from './conditions/method.ts'
import { compileQueryCondition } from './conditions/query.ts'
import { compileSourceIpCondition } from './conditions/source-ip.ts'
import { fold } from './wildcard.ts'

export type { RequestFacts } from './request.ts'

export interface RuleMatcher {
  /** The first rule (by priority) whose conditions all hold; the default rule otherwise. */
  match(request: RequestFacts): Rule
  /** Condition values that could not be compiled (they never match); the API should have refused them. */
  readonly problems: readonly string[]
}

export class NoDefaultRuleError extends Error {
  override readonly name = 'NoDefaultRuleError'
}

const COMPILERS: Record<Condition['field'], (c: Condition, problems: string[]) => ConditionPredicate> = {
  'host-header': compileHostCondition,
  'path-pattern': compilePathCondition,
  'http-header': compileHeaderCondition,
  'http-request-method': compileMethodCondition,
  'query-string': compileQueryCondition,
  'source-ip': compileSourceIpCondition,
}

/** compileCondition compiles one condition; an unknown field never matches. */
export function compileCondition(condition: Condition, problems: string[]): ConditionPredicate {
  const compile = COMPILERS[condition.field] as ((c: Condition, p: string[]) => ConditionPredicate) | undefined
  if (compile === undefined) {
    problems.push(`unknown condition field ${JSON.stringify(condition.field)} never matches`)
    return () => false
  }
  return compile(condition, problems)
}

interface CompiledRule {
  readonly rule: Rule
  readonly conditions: readonly ConditionPredicate[]
  /**
   * A literal start every path the rule matches has ('' when none is known), checked inline
   * before the conditions: a listener's rules mostly route by path prefix, and a rule whose
   * prefix the path lacks is then passed over without calling its predicates
   * (benchmarks/micro/router.ts: 100 host+path+header rules, 4.0 → 0.8 µs when the last matches).
   */
  readonly pathPrefix: string
  /**
   * Likewise the literal ends of the rule's host values (ASCII lower case; empty when none is
   * known): a host name matched by the rule ends with one of them, so host-based routing
   * passes over the rules of other hosts the same way (benchmarks/micro/router.ts: 100 host
   * rules, the last matching, 4.0 → 1.6 µs).
   */
  readonly hostSuffixes: readonly string[]
}

/** ASCII-only lower case, as host matching folds (router/wildcard.ts fold). */
function foldAscii(text: string): string {
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    out += String.fromCharCode(fold(c))
  }
  return out
}

/** The literal part of a host pattern after its last wildcard. */
function literalEnd(pattern: string): string {
  for (let i = pattern.length - 1; i >= 0; i--) {
    const c = pattern.charCodeAt(i)
    if (c === 0x2a /* * */ || c === 0x3f /* ? */) return pattern.slice(i + 1)
  }
  return pattern
}

/**
 * hostSuffixes: literal ends, folded to lower case, one of which every host name matched by
 * `conditions` ends with. A host-header condition's Values are OR'd and compared with the
 * host name, so each value's literal end is one; a value ending in a wildcard, or RegexValues
 * (they see the whole header), leave nothing known. Of several conditions (AND'd), the one
 * whose shortest end is longest is kept.
 */
export function hostSuffixes(conditions: readonly Condition[]): string[] {
  let best: string[] = []
  let bestShortest = 0
  for (const condition of conditions) {
    if (condition.field !== 'host-header' || (condition.hostHeaderConfig?.regexValues ?? []).length > 0) continue
    const values = conditionValues(condition.values, condition.hostHeaderConfig?.values)
    if (values.length === 0) continue
    const ends = [...new Set(values.map((value) => foldAscii(literalEnd(value))))]
    const shortest = Math.min(...ends.map((end) => end.length))
    if (shortest > bestShortest) {
      best = ends
      bestShortest = shortest
    }
  }
  return best
}

/**
 * Whether `host` ends with `suffix` (folded to lower case), ASCII letters compared without
 * case. Compared from the suffix's start: the hosts of one listener mostly share their
 * domain and differ in the leftmost label.
 */
function endsWithFolded(host: string, suffix: string): boolean {
  const offset = host.length - suffix.length
  if (offset < 0) return false
  for (let j = 0; j < suffix.length; j++) {
    if (fold(host.charCodeAt(offset + j)) !== suffix.charCodeAt(j)) return false
  }
  return true
}

/** The literal part of a path pattern before its first wildcard (path patterns have no escapes). */
function literalStart(pattern: string): string {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i)
    if (c === 0x2a /* * */ || c === 0x3f /* ? */) return pattern.slice(0, i)
  }
  return pattern
}

/**
 * pathPrefix: what every path matched by `conditions` starts with. A path-pattern condition's
 * values are OR'd, so its prefix is what their literal starts share; a condition with
 * RegexValues (they match anywhere) knows none; conditions are AND'd, so the longest wins.
 */
export function pathPrefix(conditions: readonly Condition[]): string {
  let best = ''
  for (const condition of conditions) {
    if (condition.field !== 'path-pattern' || (condition.pathPatternConfig?.regexValues ?? []).length > 0) continue
    const values = conditionValues(condition.values, condition.pathPatternConfig?.values)
    if (values.length === 0) continue
    let shared = literalStart(values[0]!)
    for (const value of values) {
      const start = literalStart(value)
      let n = 0
      while (n < shared.length && n < start.length && shared.charCodeAt(n) === start.charCodeAt(n)) n++
      shared = shared.slice(0, n)
    }
    if (shared.length > best.length) best = shared
  }
  return best
}

class CompiledRuleMatcher implements RuleMatcher {
  readonly problems: readonly string[]
  readonly #rules: readonly CompiledRule[]
  readonly #default: Rule
  /** Some rule has a host suffix: the request's host name is looked up before the rules. */
  readonly #hostSuffixes: boolean
  /** One scratch view per matcher: match() is synchronous, so it is never shared mid-use. */
  readonly #view = new RequestView()

  constructor(rules: readonly CompiledRule[], defaultRule: Rule, problems: readonly string[]) {
    this.#rules = rules
    this.#hostSuffixes = rules.some((r) => r.hostSuffixes.length > 0)
    this.#default = defaultRule
    this.problems = problems
  }

  match(request: RequestFacts): Rule {
    const view = this.#view
    view.reset(request)
    const rules = this.#rules
    const path = request.path
    const host = this.#hostSuffixes ? view.hostName() : undefined
    outer: for (let r = 0; r < rules.length; r++) {
      const compiled = rules[r]!
      const prefix = compiled.pathPrefix
      if (prefix.length > path.length) continue
      // Compared from its end: prefixes of one listener mostly share their start (`/api/v1/`,
      // `/api/v2/` …) and differ at the end; inline char codes beat a startsWith call here.
      let k = prefix.length - 1
      while (k >= 0 && prefix.charCodeAt(k) === path.charCodeAt(k)) k--
      if (k >= 0) continue
      const suffixes = compiled.hostSuffixes
      if (suffixes.length > 0) {
        // No host, or one that ends in none of them: the rule's host condition cannot hold.
        if (host === undefined) continue
        let s = 0
        while (s < suffixes.length && !endsWithFolded(host, suffixes[s]!)) s++
        if (s === suffixes.length) continue
      }
      const conditions = compiled.conditions
      for (let c = 0; c < conditions.length; c++) if (!conditions[c]!(view)) continue outer
      return compiled.rule
    }
    return this.#default
  }
}

/**
 * compileRules: throws NoDefaultRuleError when no rule has priority 'default' (every
 * listener has exactly one). Rules with equal priority keep their input order.
 */
export function compileRules(rules: readonly Rule[]): RuleMatcher {
  const problems: string[] = []
  let defaultRule: Rule | undefined
  const numbered: Rule[] = []
  for (const rule of rules) {
    if (rule.priority === 'default') {
      if (defaultRule === undefined) defaultRule = rule
      else problems.push(`second default rule ${rule.arn} ignored`)
    } else {
      numbered.push(rule)
    }
  }
  if (defaultRule === undefined) throw new NoDefaultRuleError('a listener needs a default rule (priority "default")')
  numbered.sort((a, b) => (a.priority as number) - (b.priority as number))
  const compiled = numbered.map((rule) => ({
    rule,
    conditions: rule.conditions.map((condition) => compileCondition(condition, problems)),
    pathPrefix: pathPrefix(rule.conditions),
    hostSuffixes: hostSuffixes(rule.conditions),
  }))
  return new CompiledRuleMatcher(compiled, defaultRule, problems)
}
