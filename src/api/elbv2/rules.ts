/**
 * @module api/elbv2/rules
 * CreateRule, DescribeRules, ModifyRule, DeleteRule and SetRulePriorities (spec §5.3-§5.6).
 * A listener's default rule is written by listeners.ts; here it can only be described.
 */
import { ApiError, constraint, missing, validation } from '../errors.ts'
import { bool, int, objList, reqStr, str, strList, type QueryObject } from '../query.ts'
import type { Context, Handlers } from '../context.ts'
import type { Tx } from '../../store/store.ts'
import type { Rule } from '../../model/resources.ts'
import { ruleArn } from '../../model/arn.ts'
import { parseConditions, wireConditions } from '../../model/conditions.ts'
import { LIMITS, checkArn, getListener, getLoadBalancer, getRule, paginate, parseTags, wireActionsXml } from './common.ts'
import { fromModel, readActions } from './listeners.ts'

const MAX_PRIORITY = 50_000
const TRANSFORM_TYPES = ['host-header-rewrite', 'url-rewrite'] as const
const TRANSFORM_CONFIG = { 'host-header-rewrite': 'HostHeaderRewriteConfig', 'url-rewrite': 'UrlRewriteConfig' } as const
const MAX_REWRITE_LENGTH = 1024

// ------------------------------------------------------------------ output

/** The Rule shape in model member order; Priority is a string, "default" for the default rule (spec §2.2). */
export function wireRule(rule: Rule): Record<string, unknown> {
  return {
    RuleArn: rule.arn,
    Priority: String(rule.priority),
    Conditions: wireConditions(rule.conditions),
    Actions: wireActionsXml(rule.actions),
    IsDefault: rule.priority === 'default',
    Transforms: rule.transforms,
  }
}

/** Evaluation order: lowest priority first, the default rule last (spec §5.3). */
export function comparePriority(a: Rule, b: Rule): number {
  const pa = a.priority === 'default' ? Number.POSITIVE_INFINITY : a.priority
  const pb = b.priority === 'default' ? Number.POSITIVE_INFINITY : b.priority
  return pa - pb
}

// ------------------------------------------------------------------ input pieces

function checkPriority(priority: number, member: string): number {
  if (priority < 1) throw constraint(priority, member, 'Member must have value greater than or equal to 1')
  if (priority > MAX_PRIORITY) throw constraint(priority, member, `Member must have value less than or equal to ${MAX_PRIORITY}`)
  return priority
}

function priorityInUse(priority: number): ApiError {
  return new ApiError('PriorityInUse', `Priority '${priority}' is currently in use`)
}

function readConditions(input: QueryObject): Rule['conditions'] | undefined {
  const items = objList(input, 'Conditions')
  if (items === undefined) return undefined
  // A non-default rule needs at least one condition: without one it would shadow the default rule (UNVERIFIED text).
  if (items.length === 0) throw validation('A rule must have at least one condition')
  return fromModel(() => parseConditions(items))
}

/**
 * Transforms (spec §5.6): at most one of each type, each with its config holding Rewrites of
 * Regex + Replace (≤ 1024 characters). Stored in wire shape and echoed; applied by the data plane.
 */
function readTransforms(input: QueryObject): Array<Record<string, unknown>> | undefined {
  const items = objList(input, 'Transforms')
  if (items === undefined) return undefined
  const seen = new Set<string>()
  return items.map((item, i) => {
    const base = `transforms.${i + 1}.member`
    const type = str(item, 'Type')
    if (type === undefined) throw missing(`${base}.type`)
    if (!(TRANSFORM_TYPES as readonly string[]).includes(type)) {
      throw constraint(type, `${base}.type`, `Member must satisfy enum value set: [${TRANSFORM_TYPES.join(', ')}]`)
    }
    const t = type as (typeof TRANSFORM_TYPES)[number]
    if (seen.has(t)) throw validation(`A rule can have only one transform of type '${t}'`) // UNVERIFIED text
    seen.add(t)
    for (const [other, member] of Object.entries(TRANSFORM_CONFIG)) {
      if (other !== t && item[member] !== undefined) throw validation(`The '${member}' field is not compatible with transforms of type '${t}'`)
    }
    const configName = TRANSFORM_CONFIG[t]
    const config = item[configName]
    if (config === undefined || typeof config !== 'object' || Array.isArray(config)) {
      throw validation(`For transforms of type '${t}', you must specify the following fields: '${configName}'`) // UNVERIFIED text
    }
    const rewrites = objList(config, 'Rewrites')
    if (rewrites === undefined || rewrites.length === 0) throw missing(`${base}.${configName.charAt(0).toLowerCase()}${configName.slice(1)}.rewrites`)
    if (rewrites.length > 1) throw validation(`A transform of type '${t}' can have only one rewrite`) // UNVERIFIED limit
    return {
      Type: t,
      [configName]: {
        Rewrites: rewrites.map((rewrite) => {
          const regex = str(rewrite, 'Regex')
          const replace = str(rewrite, 'Replace')
          if (regex === undefined) throw missing(`${base}.rewrites.regex`)
          if (replace === undefined) throw missing(`${base}.rewrites.replace`)
          if (regex.length === 0 || regex.length > MAX_REWRITE_LENGTH) throw validation(`The rewrite regex must be 1-${MAX_REWRITE_LENGTH} characters`)
          if (replace.length > MAX_REWRITE_LENGTH) throw validation(`The rewrite replacement must be at most ${MAX_REWRITE_LENGTH} characters`)
          try {
            new RegExp(regex)
          } catch {
            throw validation(`The rewrite regex '${regex}' is not valid`)
          }
          return { Regex: regex, Replace: replace }
        }),
      },
    }
  })
}

function rulesOfLoadBalancer(tx: Tx, loadBalancerArn: string): Rule[] {
  const listeners = new Set(tx.list('listener').filter((l) => l.loadBalancerArn === loadBalancerArn).map((l) => l.arn))
  return tx.list('rule').filter((r) => listeners.has(r.listenerArn))
}

function defaultRuleError(rule: Rule, verb: string): ApiError {
  // Observed AWS texts: "Default rule '<arn>' cannot be deleted" (aws-load-balancer-controller#37),
  // "Default rule '<arn>' cannot be modified" (FeLvi-zzz/tentez#32).
  return new ApiError('OperationNotPermitted', `Default rule '${rule.arn}' cannot be ${verb}`)
}

// ------------------------------------------------------------------ handlers

function createRule(input: QueryObject, ctx: Context): unknown {
  const { tx } = ctx
  const listener = getListener(tx, reqStr(input, 'ListenerArn'))
  const lb = getLoadBalancer(tx, listener.loadBalancerArn)
  const priority = int(input, 'Priority')
  if (priority === undefined) throw missing('priority')
  checkPriority(priority, 'priority')
  const conditions = readConditions(input)
  if (conditions === undefined) throw missing('conditions')
  if (objList(input, 'Actions') === undefined) throw missing('actions')
  const actions = readActions(tx, input, 'Actions', { loadBalancer: lb, listenerProtocol: listener.protocol })!
  const transforms = readTransforms(input)
  const tags = parseTags(input) ?? []
  const siblings = tx.list('rule').filter((r) => r.listenerArn === listener.arn)
  if (siblings.some((r) => r.priority === priority)) throw priorityInUse(priority)
  // Quota rules-per-application-load-balancer excludes default rules (spec §9).
  if (rulesOfLoadBalancer(tx, lb.arn).filter((r) => r.priority !== 'default').length >= LIMITS['rules-per-application-load-balancer']) {
    throw new ApiError('TooManyRules', `You've reached the limit on the number of rules per load balancer (${LIMITS['rules-per-application-load-balancer']})`)
  }
  const rule: Rule = {
    region: listener.region, tags, arn: ruleArn(listener.arn), listenerArn: listener.arn, priority, conditions, actions,
    ...(transforms === undefined || transforms.length === 0 ? {} : { transforms }),
  }
  tx.put('rule', rule.arn, rule)
  return { Rules: [wireRule(rule)] }
}

function describeRules(input: QueryObject, ctx: Context): unknown {
  const listenerArn = str(input, 'ListenerArn')
  const arns = strList(input, 'RuleArns')
  for (const arn of arns ?? []) checkArn(arn, 'listener-rule')
  const byArns = arns !== undefined && arns.length > 0
  if (listenerArn === undefined && !byArns) throw validation('You must specify either listener rule ARNs or a listener ARN') // UNVERIFIED text
  if (listenerArn !== undefined && byArns) throw validation('Listener rule ARNs and a listener ARN cannot be specified at the same time') // UNVERIFIED text
  let rules: Rule[]
  if (listenerArn !== undefined) {
    const listener = getListener(ctx.tx, listenerArn)
    rules = ctx.tx.list('rule').filter((r) => r.listenerArn === listener.arn).sort(comparePriority)
  } else {
    rules = arns!.map((arn) => getRule(ctx.tx, arn))
  }
  const { page, nextMarker } = paginate(rules, input)
  return { Rules: page.map(wireRule), NextMarker: nextMarker }
}

function modifyRule(input: QueryObject, ctx: Context): unknown {
  const { tx } = ctx
  const rule = getRule(tx, reqStr(input, 'RuleArn'))
  // "To modify the actions for the default rule, use ModifyListener." (ModifyRule API reference)
  if (rule.priority === 'default') throw defaultRuleError(rule, 'modified')
  const listener = getListener(tx, rule.listenerArn)
  const lb = getLoadBalancer(tx, listener.loadBalancerArn)
  const conditions = readConditions(input)
  const actions = readActions(tx, input, 'Actions', { loadBalancer: lb, listenerProtocol: listener.protocol, previous: rule.actions, ruleArn: rule.arn })
  const transforms = readTransforms(input)
  const resetTransforms = bool(input, 'ResetTransforms') ?? false
  if (transforms !== undefined && resetTransforms) throw validation('You cannot specify both Transforms and ResetTransforms') // UNVERIFIED text
  if (conditions === undefined && actions === undefined && transforms === undefined && !resetTransforms) {
    throw validation('Either conditions, actions or transforms must be specified') // moto: "Either conditions or actions must be specified"
  }
  const next: { -readonly [K in keyof Rule]: Rule[K] } = { ...rule }
  if (conditions !== undefined) next.conditions = conditions
  if (actions !== undefined) next.actions = actions
  if (resetTransforms || (transforms !== undefined && transforms.length === 0)) delete next.transforms
  else if (transforms !== undefined) next.transforms = transforms
  tx.put('rule', rule.arn, next)
  return { Rules: [wireRule(next)] }
}

function deleteRule(input: QueryObject, ctx: Context): unknown {
  const rule = getRule(ctx.tx, reqStr(input, 'RuleArn'))
  if (rule.priority === 'default') throw defaultRuleError(rule, 'deleted')
  ctx.tx.delete('rule', rule.arn)
  return {}
}

/**
 * SetRulePriorities is all-or-nothing: every pair is checked against the state after the whole
 * request, so two rules may swap priorities in one call; unlisted rules keep theirs (spec §5.3).
 */
function setRulePriorities(input: QueryObject, ctx: Context): unknown {
  const { tx } = ctx
  const pairs = objList(input, 'RulePriorities')
  if (pairs === undefined) throw missing('rulePriorities')
  const requested = pairs.map((pair, i) => {
    const arn = str(pair, 'RuleArn')
    if (arn === undefined || arn === '') throw missing(`rulePriorities.${i + 1}.member.ruleArn`)
    const priority = int(pair, 'Priority')
    if (priority === undefined) throw missing(`rulePriorities.${i + 1}.member.priority`)
    return { arn, priority: checkPriority(priority, `rulePriorities.${i + 1}.member.priority`) }
  })
  const seenPriorities = new Set<number>()
  const seenArns = new Set<string>()
  for (const { arn, priority } of requested) {
    // moto's text (spec §5.3).
    if (seenPriorities.has(priority)) throw validation(`Priority '${priority}' was provided multiple times`)
    if (seenArns.has(arn)) throw validation(`Rule '${arn}' was provided multiple times`) // UNVERIFIED text
    seenPriorities.add(priority)
    seenArns.add(arn)
  }
  const updated = requested.map(({ arn, priority }) => {
    const rule = getRule(tx, arn)
    if (rule.priority === 'default') throw defaultRuleError(rule, 'reprioritized') // UNVERIFIED verb
    return { ...rule, priority }
  })
  const byArn = new Map(updated.map((r) => [r.arn, r]))
  for (const rule of updated) {
    const clash = tx.list('rule').find((other) =>
      other.listenerArn === rule.listenerArn && other.arn !== rule.arn && (byArn.get(other.arn) ?? other).priority === rule.priority)
    if (clash !== undefined) throw priorityInUse(rule.priority)
  }
  for (const rule of updated) tx.put('rule', rule.arn, rule)
  return { Rules: updated.map(wireRule) }
}

export const rulesHandlers: Handlers = {
  CreateRule: createRule,
  DescribeRules: describeRules,
  ModifyRule: modifyRule,
  DeleteRule: deleteRule,
  SetRulePriorities: setRulePriorities,
}
