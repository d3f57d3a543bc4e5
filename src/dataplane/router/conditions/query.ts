/**
 * @module dataplane/router/conditions/query
 * `query-string` condition (UG "Condition types for listener rules" → Query string
 * conditions; API reference QueryStringConditionConfig): each `{Key?, Value}` is matched
 * case-insensitively with `*` / `?`, `\*` and `\?` being literal; an omitted Key matches
 * any key whose value matches ("or any key set to 'example'"); several pairs are OR'd.
 *
 * Decisions (UNVERIFIED, documented): the query string is split on `&`, each pair on its
 * first `=`; a pair without `=` has the empty value; keys and values are compared after
 * percent-decoding (the API reference notes "Any character can be percentage encoded",
 * so `?v=%76%31` matches `v=v1`); `+` is not decoded to a space. A decoded byte outside
 * visible ASCII can only match a literal, never a wildcard.
 */
import type { Condition } from '../../../model/resources.ts'
import { compileWildcard, type StringPredicate } from '../wildcard.ts'
import type { ConditionPredicate } from '../request.ts'

interface CompiledPair { readonly key: StringPredicate | undefined; readonly value: StringPredicate }

export function compileQueryCondition(condition: Condition, problems: string[]): ConditionPredicate {
  const options = { caseInsensitive: true, backslashEscapes: true } as const
  const pairs: CompiledPair[] = (condition.queryStringConfig?.values ?? []).map((kv) => ({
    key: kv.key === undefined || kv.key === '' ? undefined : compileWildcard(kv.key, options),
    value: compileWildcard(kv.value, options),
  }))
  if (pairs.length === 0) {
    problems.push('query-string condition without values never matches')
    return () => false
  }
  return (view) => {
    view.query()
    const keys = view.queryKeys
    const values = view.queryValues
    for (let p = 0; p < pairs.length; p++) {
      const pair = pairs[p]!
      for (let i = 0; i < keys.length; i++) {
        if (pair.key !== undefined && !pair.key(keys[i]!)) continue
        if (pair.value(values[i]!)) return true
      }
    }
    return false
  }
}
