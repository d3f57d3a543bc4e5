/**
 * @module dataplane/router/conditions/path
 * `path-pattern` condition (UG "Condition types for listener rules" → Path conditions):
 * case-SENSITIVE, `*` / `?` wildcards, applied to the path only, never the query string,
 * and to the path as received (not percent-decoded; ALB does not rewrite it).
 * `RegexValues` are JS RegExps compiled once, tested against the same path.
 */
import type { Condition } from '../../../model/resources.ts'
import { compileAnyWildcard, compileRegexValues } from '../wildcard.ts'
import { conditionValues, type ConditionPredicate } from '../request.ts'

export function compilePathCondition(condition: Condition, problems: string[]): ConditionPredicate {
  const values = conditionValues(condition.values, condition.pathPatternConfig?.values)
  const regexes = compileRegexValues(condition.pathPatternConfig?.regexValues ?? [], problems)
  const wildcard = values.length > 0 ? compileAnyWildcard(values, { caseInsensitive: false, backslashEscapes: false }) : undefined
  if (regexes.length === 0 && wildcard !== undefined) return (view) => wildcard(view.facts.path)
  return (view) => {
    const path = view.facts.path
    if (wildcard !== undefined && wildcard(path)) return true
    for (const re of regexes) if (re.test(path)) return true
    return false
  }
}
