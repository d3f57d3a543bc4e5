/**
 * @module dataplane/router/conditions/header
 * `http-header` condition (UG "Condition types for listener rules" → HTTP header
 * conditions): the header name is case-insensitive (no wildcards); values are
 * case-insensitive with `*` / `?`. When the header is repeated, each instance is tried on
 * its own and any instance matching satisfies the condition (a comma-joined view is never
 * built). A missing header never matches — not even `*`.
 * `RegexValues` are JS RegExps compiled once, tested against each instance as sent.
 */
import type { Condition } from '../../../model/resources.ts'
import { compileAnyWildcard, compileRegexValues } from '../wildcard.ts'
import { asciiEqualsLower, conditionValues, type ConditionPredicate } from '../request.ts'

export function compileHeaderCondition(condition: Condition, problems: string[]): ConditionPredicate {
  const config = condition.httpHeaderConfig
  if (config === undefined || config.httpHeaderName === '') {
    problems.push('http-header condition without HttpHeaderConfig.HttpHeaderName never matches')
    return () => false
  }
  const name = config.httpHeaderName.toLowerCase()
  // Legacy top-level Values are not allowed for http-header, but tolerate them.
  const values = conditionValues(condition.values, config.values)
  const regexes = compileRegexValues(config.regexValues ?? [], problems)
  const wildcard = values.length > 0 ? compileAnyWildcard(values, { caseInsensitive: true, backslashEscapes: false }) : undefined
  return (view) => {
    const raw = view.facts.rawHeaders
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (!asciiEqualsLower(raw[i]!, name)) continue
      const value = raw[i + 1]!
      if (wildcard !== undefined && wildcard(value)) return true
      for (let r = 0; r < regexes.length; r++) if (regexes[r]!.test(value)) return true
    }
    return false
  }
}
