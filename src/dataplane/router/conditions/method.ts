/**
 * @module dataplane/router/conditions/method
 * `http-request-method` condition (UG "Condition types for listener rules" → HTTP request
 * method conditions): case-SENSITIVE exact match, no wildcards ("get" does not match GET).
 */
import type { Condition } from '../../../model/resources.ts'
import type { ConditionPredicate } from '../request.ts'

export function compileMethodCondition(condition: Condition, _problems: string[]): ConditionPredicate {
  const methods = [...new Set(condition.httpRequestMethodConfig?.values ?? condition.values ?? [])]
  if (methods.length === 1) {
    const only = methods[0]!
    return (view) => view.facts.method === only
  }
  return (view) => {
    const method = view.facts.method
    for (let i = 0; i < methods.length; i++) if (methods[i] === method) return true
    return false
  }
}
