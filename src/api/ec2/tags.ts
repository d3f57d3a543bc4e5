/**
 * @module api/ec2/tags
 * CreateTags, DeleteTags and DescribeTags over every EC2 resource kind OpenALB keeps
 * (VPCs, subnets, security groups, internet gateways, route tables, instances).
 */
import { ApiError } from '../errors.ts'
import type { QueryObject } from '../query.ts'
import type { Context, Handlers } from '../context.ts'
import type { Tx } from '../../store/store.ts'
import type { TagList } from '../../model/resources.ts'
import {
  RESOURCE_KINDS, applyFilters, getRegional, kindOfId, listRegional, mergeTags, missingParameter, objList, paginate,
  parseFilters, parseTagList, str, strList, type FilterSpec, type ResourceKind,
} from './common.ts'

interface Tagged { readonly kind: ResourceKind; readonly id: string; readonly tags: TagList }

/** Resolves every id first, so one unknown id fails the call before anything is tagged. */
function resolveResources(tx: Tx, region: string, ids: readonly string[]): Tagged[] {
  return ids.map((id) => {
    const kind = kindOfId(id)
    if (kind === undefined) throw new ApiError('InvalidID', `The ID '${id}' is not valid`)
    const record = getRegional(tx, region, kind.kind, id)
    return { kind, id, tags: record.tags }
  })
}

function putTags(tx: Tx, resource: Tagged, tags: TagList): void {
  const record = tx.get(resource.kind.kind, resource.id)!
  tx.put(resource.kind.kind, resource.id, { ...record, tags } as typeof record)
}

function createTags(input: QueryObject, ctx: Context): unknown {
  const ids = strList(input, 'ResourceId')
  if (ids === undefined || ids.length === 0) throw missingParameter('resourceIdSet')
  const tagItems = objList(input, 'Tag')
  if (tagItems === undefined || tagItems.length === 0) throw missingParameter('tagSet')
  const tags = parseTagList(tagItems, 'Tag')
  for (const resource of resolveResources(ctx.tx, ctx.region, ids)) {
    // Re-read: the same id may appear twice in one call.
    const current = ctx.tx.get(resource.kind.kind, resource.id)!.tags
    putTags(ctx.tx, resource, mergeTags(current, tags))
  }
  return { return: true }
}

/** DeleteTags: a tag given with a Value is removed only if the value matches; without tags, all go. */
function deleteTags(input: QueryObject, ctx: Context): unknown {
  const ids = strList(input, 'ResourceId')
  if (ids === undefined || ids.length === 0) throw missingParameter('resourceIdSet')
  const items = (objList(input, 'Tag') ?? []).map((t, i) => {
    const key = str(t, 'Key')
    if (key === undefined) throw missingParameter(`Tag.${i + 1}.Key`)
    return { key, value: str(t, 'Value') }
  })
  for (const resource of resolveResources(ctx.tx, ctx.region, ids)) {
    const current = ctx.tx.get(resource.kind.kind, resource.id)!.tags
    const kept = items.length === 0 ? [] : current.filter((tag) => !items.some((d) => d.key === tag.key && (d.value === undefined || d.value === tag.value)))
    putTags(ctx.tx, resource, kept)
  }
  return { return: true }
}

interface TagDescription { readonly resourceId: string; readonly resourceType: string; readonly key: string; readonly value: string }

const TAG_FILTERS: FilterSpec<TagDescription> = {
  names: {
    'key': (t) => [t.key],
    'value': (t) => [t.value],
    'resource-id': (t) => [t.resourceId],
    'resource-type': (t) => [t.resourceType],
  },
}

function describeTags(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const all: TagDescription[] = []
  for (const kind of RESOURCE_KINDS) {
    for (const record of listRegional(tx, region, kind.kind)) {
      for (const tag of record.tags) all.push({ resourceId: record.id, resourceType: kind.resourceType, key: tag.key, value: tag.value })
    }
  }
  const filtered = applyFilters(all, parseFilters(input), TAG_FILTERS)
  const { page, nextToken } = paginate(filtered, input)
  return { nextToken, tagSet: page.map((t) => ({ key: t.key, resourceId: t.resourceId, resourceType: t.resourceType, value: t.value })) }
}

export const tagHandlers: Handlers = {
  CreateTags: createTags,
  DeleteTags: deleteTags,
  DescribeTags: describeTags,
}
