/**
 * @module dataplane/router
 * Listener-rule evaluation: `compileRules(rules).match(requestFacts)` → the Rule to run.
 */
export { compileRules, compileCondition, NoDefaultRuleError, type RuleMatcher } from './matcher.ts'
export type { RequestFacts } from './request.ts'
