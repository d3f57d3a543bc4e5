/**
 * @module api/elbv2/tags
 * AddTags, RemoveTags and DescribeTags (spec §1, §9) for every taggable ELBv2 resource:
 * load balancers, target groups, listeners, rules and trust stores.
 */
import { ApiError, constraint, missing, validation } from '../errors.ts'
import { strList, type QueryObject } from '../query.ts'
import type { Context, Handlers } from '../context.ts'
import type { Tx } from '../../store/store.ts'
import type { Records, TagList } from '../../model/resources.ts'
import { TAGS_PER_RESOURCE, mergeTags, parseTags, wireTags } from './common.ts'

type TaggableKind = 'loadBalancer' | 'targetGroup' | 'listener' | 'rule' | 'trustStore'
type Taggable = Records[TaggableKind]

/**
 * The resource type segment of each taggable ARN (spec §2.4) and the error AWS answers when no
 * such resource exists. `listener/` and `listener-rule/` differ at the character after `listener`.
 */
const TAGGABLE: ReadonlyArray<{ readonly segment: string; readonly kind: TaggableKind; readonly code: string; readonly message: string }> = [
  { segment: ':loadbalancer/', kind: 'loadBalancer', code: 'LoadBalancerNotFound', message: 'One or more load balancers not found' },
  { segment: ':targetgroup/', kind: 'targetGroup', code: 'TargetGroupNotFound', message: 'One or more target groups not found' },
  { segment: ':listener/', kind: 'listener', code: 'ListenerNotFound', message: 'One or more listeners not found' },
  { segment: ':listener-rule/', kind: 'rule', code: 'RuleNotFound', message: 'One or more rules not found' },
  { segment: ':truststore/', kind: 'trustStore', code: 'TrustStoreNotFound', message: 'One or more trust stores not found' },
]

/** DescribeTags documents "up to 20 resources"; AddTags/RemoveTags share the ResourceArns shape. */
const MAX_RESOURCE_ARNS = 20

interface Found { readonly kind: TaggableKind; readonly record: Taggable }

/** Looks an ARN up as whatever kind its form names, in the caller's region. */
function findTaggable(tx: Tx, region: string, arn: string): Found {
  const entry = TAGGABLE.find((t) => arn.startsWith('arn:') && arn.includes(t.segment))
  // An ARN of no ELBv2 kind at all (UNVERIFIED wording; AWS answers ValidationError for malformed ARNs).
  if (entry === undefined || !/^arn:[a-z-]+:elasticloadbalancing:/.test(arn)) throw validation(`'${arn}' is not a valid taggable resource ARN`)
  const record = tx.get(entry.kind, arn)
  if (record === undefined || record.region !== region) throw new ApiError(entry.code, entry.message)
  return { kind: entry.kind, record }
}

/** Records are immutable: a change of tags puts a new record. */
function putTags(tx: Tx, found: Found, tags: TagList): void {
  tx.put(found.kind, found.record.arn, { ...found.record, tags } as Records[typeof found.kind])
}

function resourceArns(input: QueryObject): string[] {
  const arns = strList(input, 'ResourceArns')
  if (arns === undefined || arns.length === 0) throw missing('resourceArns')
  if (arns.length > MAX_RESOURCE_ARNS) {
    throw constraint(`[${arns.join(', ')}]`, 'resourceArns', `Member must have length less than or equal to ${MAX_RESOURCE_ARNS}`)
  }
  return arns
}

function addTags(input: QueryObject, ctx: Context): unknown {
  const arns = resourceArns(input)
  const tags = parseTags(input)
  if (tags === undefined || tags.length === 0) throw missing('tags')
  // Look every resource up first: one unknown ARN fails the call and tags nothing.
  const found = arns.map((arn) => findTaggable(ctx.tx, ctx.region, arn))
  for (const f of found) {
    const current = ctx.tx.get(f.kind, f.record.arn) ?? f.record // the same ARN twice sees the first update
    const merged = mergeTags(current.tags, tags)
    if (merged.length > TAGS_PER_RESOURCE) {
      throw new ApiError('TooManyTags', 'The quota for the number of tags that can be assigned to a load balancer has been reached')
    }
    putTags(ctx.tx, { kind: f.kind, record: current }, merged)
  }
  return {}
}

function removeTags(input: QueryObject, ctx: Context): unknown {
  const arns = resourceArns(input)
  const keys = strList(input, 'TagKeys')
  if (keys === undefined || keys.length === 0) throw missing('tagKeys')
  keys.forEach((key, i) => {
    if (key.length < 1 || key.length > 128) throw constraint(key, `tagKeys.${i + 1}.member`, 'Member must have length less than or equal to 128')
  })
  const remove = new Set(keys)
  const found = arns.map((arn) => findTaggable(ctx.tx, ctx.region, arn))
  for (const f of found) {
    const current = ctx.tx.get(f.kind, f.record.arn) ?? f.record
    const kept = current.tags.filter((t) => !remove.has(t.key))
    // Removing a key the resource does not have succeeds and changes nothing.
    if (kept.length !== current.tags.length) putTags(ctx.tx, { kind: f.kind, record: current }, kept)
  }
  return {}
}

function describeTags(input: QueryObject, ctx: Context): unknown {
  const arns = resourceArns(input)
  const found = arns.map((arn) => findTaggable(ctx.tx, ctx.region, arn))
  return {
    TagDescriptions: found.map((f) => ({ ResourceArn: f.record.arn, Tags: wireTags(f.record.tags) })),
  }
}

export const tagsHandlers: Handlers = {
  AddTags: addTags,
  RemoveTags: removeTags,
  DescribeTags: describeTags,
}
