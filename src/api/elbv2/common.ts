/**
 * @module api/elbv2/common
 * Pieces every ELBv2 handler shares: lookups that fail with AWS's NotFound codes,
 * Marker/PageSize pagination, name rules, tag parsing and the quota table.
 */
import { ApiError, constraint, validation } from '../errors.ts'
import { int, objList, str, type QueryObject } from '../query.ts'
import type { Tx } from '../../store/store.ts'
import { looksLikeArn } from '../../model/arn.ts'
import type { Action, Listener, LoadBalancer, Rule, TagList, TargetGroup } from '../../model/resources.ts'
import { wireActions } from '../../model/actions.ts'
import { XmlMap } from '../xml.ts'

/** Default quotas (spec §9), as DescribeAccountLimits reports them. */
export const LIMITS = {
  'application-load-balancers': 50,
  'target-groups': 3000,
  'targets-per-application-load-balancer': 1000,
  'listeners-per-application-load-balancer': 50,
  'rules-per-application-load-balancer': 100,
  'network-load-balancers': 50,
  'targets-per-network-load-balancer': 3000,
  'targets-per-availability-zone-per-network-load-balancer': 500,
  'listeners-per-network-load-balancer': 50,
  'condition-values-per-alb-rule': 5,
  'condition-wildcards-per-alb-rule': 5,
  'target-groups-per-application-load-balancer': 100,
  'target-groups-per-action-on-application-load-balancer': 5,
  'target-groups-per-action-on-network-load-balancer': 1,
  'certificates-per-application-load-balancer': 25,
  'certificates-per-network-load-balancer': 25,
  'targets-per-target-group': 1000,
  'target-id-registrations-per-application-load-balancer': 1000,
  'network-load-balancer-enis-per-vpc': 1200,
  'gateway-load-balancers': 100,
  'gateway-load-balancers-per-vpc': 100,
  'geneve-target-groups': 100,
  'targets-per-availability-zone-per-gateway-load-balancer': 300,
} as const

export const TAGS_PER_RESOURCE = 50

// ------------------------------------------------------------------ lookups

const ARN_KINDS = {
  loadbalancer: 'load balancer', targetgroup: 'target group', listener: 'listener', 'listener-rule': 'listener rule', truststore: 'trust store',
} as const

/** AWS rejects strings that are not ARNs of the expected kind before looking anything up. */
export function checkArn(arn: string, kind: keyof typeof ARN_KINDS): void {
  if (!looksLikeArn(arn, kind)) throw validation(`'${arn}' is not a valid ${ARN_KINDS[kind]} ARN`)
}

export function getLoadBalancer(tx: Tx, arn: string): LoadBalancer {
  checkArn(arn, 'loadbalancer')
  const lb = tx.get('loadBalancer', arn)
  if (lb === undefined) throw new ApiError('LoadBalancerNotFound', 'One or more load balancers not found')
  return lb
}

export function getTargetGroup(tx: Tx, arn: string): TargetGroup {
  checkArn(arn, 'targetgroup')
  const tg = tx.get('targetGroup', arn)
  if (tg === undefined) throw new ApiError('TargetGroupNotFound', 'One or more target groups not found')
  return tg
}

export function getListener(tx: Tx, arn: string): Listener {
  checkArn(arn, 'listener')
  const listener = tx.get('listener', arn)
  if (listener === undefined) throw new ApiError('ListenerNotFound', 'One or more listeners not found')
  return listener
}

export function getRule(tx: Tx, arn: string): Rule {
  checkArn(arn, 'listener-rule')
  const rule = tx.get('rule', arn)
  if (rule === undefined) throw new ApiError('RuleNotFound', 'One or more rules not found')
  return rule
}

// ------------------------------------------------------------------ pagination

/**
 * Marker/PageSize pagination (spec §2.5). The marker is opaque to clients; it encodes the
 * offset. NextMarker is present only when more results exist.
 */
export function paginate<T>(items: readonly T[], input: QueryObject): { page: T[]; nextMarker: string | undefined } {
  const pageSize = int(input, 'PageSize')
  if (pageSize !== undefined && (pageSize < 1 || pageSize > 400)) {
    throw constraint(pageSize, 'pageSize', pageSize < 1 ? 'Member must have value greater than or equal to 1' : 'Member must have value less than or equal to 400')
  }
  const marker = str(input, 'Marker')
  let offset = 0
  if (marker !== undefined && marker !== '') {
    const decoded = /^[A-Za-z0-9+/=]+$/.test(marker) ? Buffer.from(marker, 'base64').toString('utf8') : ''
    const m = /^offset:(\d+)$/.exec(decoded)
    if (m === null) throw validation('Invalid value for parameter Marker')
    offset = Number(m[1])
  }
  const size = pageSize ?? 400
  const page = items.slice(offset, offset + size)
  const next = offset + size < items.length ? Buffer.from(`offset:${offset + size}`).toString('base64') : undefined
  return { page, nextMarker: next }
}

// ------------------------------------------------------------------ names

/**
 * Load balancer and target group names: 1-32 alphanumerics or hyphens, not starting or
 * ending with a hyphen (spec §3.1, §6.1). `what` is "Load balancer" or "Target group".
 */
export function checkName(what: string, name: string): void {
  if (name.length === 0) throw validation(`${what} name cannot be empty`)
  if (name.length > 32) throw validation(`${what} name '${name}' cannot be longer than '32' characters`)
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw validation(`${what} name '${name}' can only contain characters that are alphanumeric characters or hyphens(-)`)
  if (name.startsWith('-') || name.endsWith('-')) throw validation(`${what} name '${name}' cannot begin or end with '-'`)
}

// ------------------------------------------------------------------ tags

const TAG_PATTERN = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u

/** Reads `Tags.member.N.Key/Value` with AWS's rules; undefined when absent. */
export function parseTags(input: QueryObject, name = 'Tags'): TagList | undefined {
  const items = objList(input, name)
  if (items === undefined) return undefined
  const tags: Array<{ key: string; value: string }> = []
  const seen = new Set<string>()
  items.forEach((item, i) => {
    const key = str(item, 'Key')
    const value = str(item, 'Value') ?? ''
    if (key === undefined) throw validation(`1 validation error detected: Value null at 'tags.${i + 1}.member.key' failed to satisfy constraint: Member must not be null`)
    if (key.length < 1 || key.length > 128) throw constraint(key, `tags.${i + 1}.member.key`, 'Member must have length less than or equal to 128')
    if (value.length > 256) throw constraint(value, `tags.${i + 1}.member.value`, 'Member must have length less than or equal to 256')
    if (!TAG_PATTERN.test(key)) throw constraint(key, `tags.${i + 1}.member.key`, 'Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$')
    if (!TAG_PATTERN.test(value)) throw constraint(value, `tags.${i + 1}.member.value`, 'Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$')
    if (key.toLowerCase().startsWith('aws:')) throw validation("Tag keys starting with 'aws:' are reserved for internal use")
    if (seen.has(key)) throw new ApiError('DuplicateTagKeys', `Tag key '${key}' specified more than once`)
    seen.add(key)
    tags.push({ key, value })
  })
  if (tags.length > TAGS_PER_RESOURCE) throw new ApiError('TooManyTags', 'The quota for the number of tags that can be assigned to a load balancer has been reached')
  return tags
}

/** Merges `added` into `existing` (same key → new value), keeping first-seen order. */
export function mergeTags(existing: TagList, added: TagList): TagList {
  const map = new Map(existing.map((t) => [t.key, t.value]))
  for (const t of added) map.set(t.key, t.value)
  return [...map].map(([key, value]) => ({ key, value }))
}

export function wireTags(tags: TagList): Array<{ Key: string; Value: string }> {
  return tags.map((t) => ({ Key: t.key, Value: t.value }))
}

/** Attributes input: `Attributes.member.N.Key/Value` (max 20 per call). */
export function parseAttributes(input: QueryObject): Array<{ key: string; value: string }> {
  const items = objList(input, 'Attributes')
  if (items === undefined) throw validation("1 validation error detected: Value null at 'attributes' failed to satisfy constraint: Member must not be null")
  if (items.length > 20) throw constraint(`[${items.length} attributes]`, 'attributes', 'Member must have length less than or equal to 20')
  return items.map((item, i) => {
    const key = str(item, 'Key')
    if (key === undefined) throw validation(`1 validation error detected: Value null at 'attributes.${i + 1}.member.key' failed to satisfy constraint: Member must not be null`)
    return { key, value: str(item, 'Value') ?? '' }
  })
}

// ------------------------------------------------------------------ target group usage

/** The target groups one action forwards to: `TargetGroupArn` and every `ForwardConfig` tuple. */
export function forwardedTargetGroupArns(action: Action): string[] {
  if (action.type !== 'forward') return []
  const arns = new Set<string>()
  if (action.targetGroupArn !== undefined) arns.add(action.targetGroupArn)
  for (const tuple of action.forwardConfig?.targetGroups ?? []) arns.add(tuple.targetGroupArn)
  return [...arns]
}

/**
 * targetGroupsInUse: ARNs of the target groups some rule of an existing listener forwards to.
 * A group outside this set receives no traffic, so its targets are `unused`/Target.NotInUse
 * (spec §4.1), and only groups outside it may be deleted (ResourceInUse otherwise).
 */
export function targetGroupsInUse(tx: Tx): Set<string> {
  const inUse = new Set<string>()
  for (const rule of tx.list('rule')) {
    if (tx.get('listener', rule.listenerArn) === undefined) continue
    for (const action of rule.actions) for (const arn of forwardedTargetGroupArns(action)) inUse.add(arn)
  }
  return inUse
}

// ------------------------------------------------------------------ actions on the wire

/** The auth configs whose AuthenticationRequestExtraParams is a map member in the model. */
const MAP_BEARING_CONFIGS = ['AuthenticateOidcConfig', 'AuthenticateCognitoConfig'] as const

/**
 * wireActionsXml: Actions/DefaultActions ready for api/xml. The model's wire form keeps
 * AuthenticationRequestExtraParams as a plain record; the Query protocol needs it rendered
 * as `<entry><key/><value/></entry>` (spec §2.2), so it is wrapped in an XmlMap here.
 */
export function wireActionsXml(actions: readonly Action[]): Array<Record<string, unknown>> {
  return wireActions(actions).map((action) => {
    for (const name of MAP_BEARING_CONFIGS) {
      const config = action[name] as Record<string, unknown> | undefined
      const params = config?.['AuthenticationRequestExtraParams'] as Record<string, string> | undefined
      if (config !== undefined && params !== undefined) config['AuthenticationRequestExtraParams'] = XmlMap.of(params)
    }
    return action
  })
}
