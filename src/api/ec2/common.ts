/**
 * @module api/ec2/common
 * What every EC2 handler shares: input readers that answer with EC2's error codes
 * (MissingParameter, InvalidParameterValue — EC2 has no ValidationError), Describe
 * filters with EC2's `*`/`?` wildcards, tags, pagination and resource lookup by id.
 *
 * EC2 wire names (botocore ec2 2016-11-15): requests use the capitalised `queryName` or
 * `locationName` of a member, lists are flattened `Name.N` (`InstanceId.1`, `Filter.1.Value.1`),
 * responses use lowerCamel `locationName`s (`vpcSet`, `tagSet`).
 */
import { ApiError } from '../errors.ts'
import type { QueryObject, QueryValue } from '../query.ts'
import type { Tx } from '../../store/store.ts'
import type { Kind, Records, TagList } from '../../model/resources.ts'
import { DEFAULT_OWNER_ID } from './default-vpc.ts'

export const OWNER_ID = DEFAULT_OWNER_ID

// ------------------------------------------------------------- errors

export function invalidParameterValue(message: string): ApiError {
  return new ApiError('InvalidParameterValue', message)
}

export function missingParameter(name: string): ApiError {
  return new ApiError('MissingParameter', `The request must contain the parameter ${name}`)
}

// ------------------------------------------------------------- readers

export function str(input: QueryObject, name: string): string | undefined {
  const v = input[name]
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw invalidParameterValue(`Invalid value for parameter ${name}: expected a single value`)
  return v
}

export function reqStr(input: QueryObject, name: string, wireName: string = name): string {
  const v = str(input, name)
  if (v === undefined || v === '') throw missingParameter(wireName)
  return v
}

export function int(input: QueryObject, name: string): number | undefined {
  const v = str(input, name)
  if (v === undefined) return undefined
  if (!/^-?\d{1,10}$/.test(v.trim())) throw invalidParameterValue(`Invalid value '${v}' for ${name}. It must be an integer.`)
  return Number(v.trim())
}

export function bool(input: QueryObject, name: string): boolean | undefined {
  const v = str(input, name)
  if (v === undefined) return undefined
  const lower = v.trim().toLowerCase()
  if (lower === 'true') return true
  if (lower === 'false') return false
  throw invalidParameterValue(`Invalid value '${v}' for ${name}. It must be a boolean.`)
}

/** An `AttributeBooleanValue` structure (`EnableDnsHostnames.Value=true`). */
export function attributeBool(input: QueryObject, name: string): boolean | undefined {
  const v = input[name]
  if (v === undefined) return undefined
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidParameterValue(`Invalid value for parameter ${name}`)
  const value = bool(v, 'Value')
  if (value === undefined) throw missingParameter(`${name}.Value`)
  return value
}

export function obj(input: QueryObject, name: string): QueryObject | undefined {
  const v = input[name]
  if (v === undefined || v === '') return undefined
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidParameterValue(`Invalid value for parameter ${name}: expected a structure`)
  return v
}

/** A flattened list (`Name.1`, `Name.2`); a lone `Name=x` reads as one item, as EC2 accepts it. */
export function strList(input: QueryObject, name: string): string[] | undefined {
  const v: QueryValue | undefined = input[name]
  if (v === undefined) return undefined
  if (typeof v === 'string') return v === '' ? [] : [v]
  if (!Array.isArray(v)) throw invalidParameterValue(`Invalid value for parameter ${name}: expected a list`)
  return v.map((item) => {
    if (typeof item !== 'string') throw invalidParameterValue(`Invalid value for parameter ${name}: expected a list of strings`)
    return item
  })
}

export function objList(input: QueryObject, name: string): QueryObject[] | undefined {
  const v: QueryValue | undefined = input[name]
  if (v === undefined || v === '') return undefined
  if (!Array.isArray(v)) throw invalidParameterValue(`Invalid value for parameter ${name}: expected a list`)
  return v.map((item) => {
    if (typeof item !== 'object' || Array.isArray(item)) throw invalidParameterValue(`Invalid value for parameter ${name}: expected a list of structures`)
    return item
  })
}

// ------------------------------------------------------------- resource ids

/** The resource kinds OpenALB's EC2 API knows, by id prefix, with EC2's wire resource type and NotFound error. */
export const RESOURCE_KINDS = [
  { prefix: 'vpc', kind: 'vpc', resourceType: 'vpc', notFound: (id: string) => new ApiError('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`) },
  { prefix: 'subnet', kind: 'subnet', resourceType: 'subnet', notFound: (id: string) => new ApiError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`) },
  { prefix: 'sg', kind: 'securityGroup', resourceType: 'security-group', notFound: (id: string) => new ApiError('InvalidGroup.NotFound', `The security group '${id}' does not exist`) },
  { prefix: 'igw', kind: 'internetGateway', resourceType: 'internet-gateway', notFound: (id: string) => new ApiError('InvalidInternetGatewayID.NotFound', `The internetGateway ID '${id}' does not exist`) },
  { prefix: 'rtb', kind: 'routeTable', resourceType: 'route-table', notFound: (id: string) => new ApiError('InvalidRouteTableID.NotFound', `The routeTable ID '${id}' does not exist`) },
  { prefix: 'i', kind: 'instance', resourceType: 'instance', notFound: (id: string) => new ApiError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`) },
] as const satisfies ReadonlyArray<{ prefix: string; kind: Kind; resourceType: string; notFound: (id: string) => ApiError }>

export type Ec2Kind = (typeof RESOURCE_KINDS)[number]['kind']
export type ResourceKind = (typeof RESOURCE_KINDS)[number]

/** EC2 ids are `prefix-` and 8 or 17 lowercase hex digits. */
const ID_PATTERN = /^([a-z]+)-([0-9a-f]{8}|[0-9a-f]{17})$/

/** The kind an id names, or undefined when its prefix is unknown or its shape malformed. */
export function kindOfId(id: string): ResourceKind | undefined {
  const match = ID_PATTERN.exec(id)
  if (match === null) return undefined
  return RESOURCE_KINDS.find((k) => k.prefix === match[1])
}

/** A record of `kind` in the caller's region, or the kind's NotFound error. */
export function getRegional<K extends Ec2Kind>(tx: Tx, region: string, kind: K, id: string): Records[K] {
  const record = tx.get(kind, id)
  if (record === undefined || record.region !== region) throw RESOURCE_KINDS.find((k) => k.kind === kind)!.notFound(id)
  return record
}

export function listRegional<K extends Ec2Kind>(tx: Tx, region: string, kind: K): Records[K][] {
  return tx.list(kind).filter((r) => r.region === region)
}

/** Describe*'s selection: the requested ids (all must exist), or every record of the region when none are given. */
export function requestedOrAll<K extends Ec2Kind>(tx: Tx, region: string, kind: K, ids: readonly string[] | undefined): Records[K][] {
  return ids !== undefined && ids.length > 0 ? getAllRegional(tx, region, kind, ids) : listRegional(tx, region, kind)
}

/**
 * Looks up explicitly requested ids: every unknown id is reported at once, as EC2 does
 * ("The vpc ID 'vpc-1' does not exist" / "The vpc IDs 'vpc-1, vpc-2' do not exist" — plural form UNVERIFIED).
 */
export function getAllRegional<K extends Ec2Kind>(tx: Tx, region: string, kind: K, ids: readonly string[]): Records[K][] {
  const spec = RESOURCE_KINDS.find((k) => k.kind === kind)!
  const missingIds = ids.filter((id) => { const r = tx.get(kind, id); return r === undefined || r.region !== region })
  if (missingIds.length === 1) throw spec.notFound(missingIds[0]!)
  if (missingIds.length > 1) {
    const one = spec.notFound(missingIds[0]!)
    const plural = one.message.replace(` ID '${missingIds[0]!}' does not exist`, ` IDs '${missingIds.join(', ')}' do not exist`)
      .replace(`group '${missingIds[0]!}' does not exist`, `groups '${missingIds.join(', ')}' do not exist`)
    throw new ApiError(one.code, plural)
  }
  const seen = new Set<string>()
  const out: Records[K][] = []
  for (const id of ids) {
    if (seen.has(id)) continue
    seen.add(id)
    out.push(tx.get(kind, id)!)
  }
  return out
}

// ------------------------------------------------------------- tags

export interface Tag { readonly key: string; readonly value: string }

/** Tags from `Tag.N.Key`/`Tag.N.Value` (CreateTags) or a TagSpecification's `Tag.N`. */
export function parseTagList(items: readonly QueryObject[], member: string): Tag[] {
  return items.map((t, i) => {
    const key = str(t, 'Key')
    if (key === undefined) throw missingParameter(`${member}.${i + 1}.Key`)
    if (key.length > 128) throw invalidParameterValue(`Tag key exceeds the maximum length of 128 characters`)
    if (key.toLowerCase().startsWith('aws:')) throw invalidParameterValue(`Tag keys starting with 'aws:' are reserved for internal use`)
    const value = str(t, 'Value') ?? ''
    if (value.length > 256) throw invalidParameterValue(`Tag value exceeds the maximum length of 256 characters`)
    return { key, value }
  })
}

/**
 * Tags from `TagSpecification.N` for the resource types an operation creates. A type the
 * operation does not create is refused, as EC2 does ("'x' is not a valid taggable resource type
 * for this operation."); types that exist on AWS but not here (`volume`, `network-interface`
 * for RunInstances) are accepted and dropped, since OpenALB models no such resource.
 */
export function parseTagSpecifications(input: QueryObject, allowed: readonly string[], ignored: readonly string[] = []): Map<string, Tag[]> {
  const out = new Map<string, Tag[]>()
  const specs = objList(input, 'TagSpecification') ?? []
  specs.forEach((spec, i) => {
    const type = str(spec, 'ResourceType')
    if (type === undefined) throw missingParameter(`TagSpecification.${i + 1}.ResourceType`)
    if (!allowed.includes(type) && !ignored.includes(type)) {
      throw invalidParameterValue(`'${type}' is not a valid taggable resource type for this operation.`)
    }
    const tags = parseTagList(objList(spec, 'Tag') ?? [], `TagSpecification.${i + 1}.Tag`)
    out.set(type, mergeTags(out.get(type) ?? [], tags))
  })
  return out
}

/** Adds or overwrites tags by key, keeping the first-seen order (EC2: one value per key). */
export function mergeTags(existing: TagList, added: readonly Tag[]): Tag[] {
  const out = existing.map((t) => ({ key: t.key, value: t.value }))
  for (const tag of added) {
    const at = out.findIndex((t) => t.key === tag.key)
    if (at >= 0) out[at] = tag
    else out.push(tag)
  }
  if (out.length > 50) throw new ApiError('TagLimitExceeded', 'The maximum number of tags per resource (50) has been reached.')
  return out
}

export function wireTags(tags: TagList): Array<{ key: string; value: string }> {
  return tags.map((t) => ({ key: t.key, value: t.value }))
}

// ------------------------------------------------------------- filters

/**
 * The filters one Describe supports: each name maps a record to the values it answers to.
 * `tags` adds `tag:<key>`, `tag-key` and `tag-value` for taggable records.
 */
export interface FilterSpec<T> {
  readonly names: Readonly<Record<string, (record: T) => ReadonlyArray<string | undefined>>>
  readonly tags?: (record: T) => TagList
}

export interface Filter { readonly name: string; readonly values: readonly string[] }

export function parseFilters(input: QueryObject): Filter[] {
  return (objList(input, 'Filter') ?? []).map((f, i) => {
    const name = str(f, 'Name')
    if (name === undefined || name === '') throw missingParameter(`Filter.${i + 1}.Name`)
    return { name, values: strList(f, 'Value') ?? [] }
  })
}

const ANY_ONE = Symbol('?')
const ANY_RUN = Symbol('*')
type GlobToken = string | typeof ANY_ONE | typeof ANY_RUN

/**
 * EC2 filter values: `*` matches any run of characters, `?` exactly one; `\` escapes either.
 * Matched by the linear two-pointer glob walk, not a RegExp: a pattern such as `***…*Z`
 * compiled to `^.*.*…Z$` backtracks exponentially, and one such DescribeInstances filter
 * would hang the whole process (found by test/fuzz-api.test.ts).
 */
export function wildcardMatcher(pattern: string): (value: string) => boolean {
  if (!/[*?]/.test(pattern)) return (value) => value === pattern
  const tokens: GlobToken[] = []
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === '\\' && i + 1 < pattern.length) tokens.push(pattern[++i]!)
    else if (c === '*') { if (tokens.at(-1) !== ANY_RUN) tokens.push(ANY_RUN) }
    else if (c === '?') tokens.push(ANY_ONE)
    else tokens.push(c)
  }
  return (value) => globMatch(tokens, value)
}

/** O(pattern × value) at worst: on a mismatch, only the most recent `*` absorbs one more character. */
function globMatch(tokens: readonly GlobToken[], value: string): boolean {
  let t = 0
  let v = 0
  let star = -1
  let starValue = 0
  while (v < value.length) {
    const token = tokens[t]
    if (token === ANY_RUN) {
      star = t++
      starValue = v
    } else if (token !== undefined && (token === ANY_ONE || token === value[v])) {
      t++
      v++
    } else if (star >= 0) {
      t = star + 1
      v = ++starValue
    } else {
      return false
    }
  }
  while (tokens[t] === ANY_RUN) t++
  return t === tokens.length
}

function tagFilterValues(tags: TagList, name: string): readonly string[] | undefined {
  if (name.startsWith('tag:')) {
    const key = name.slice(4)
    return tags.filter((t) => t.key === key).map((t) => t.value)
  }
  if (name === 'tag-key') return tags.map((t) => t.key)
  if (name === 'tag-value') return tags.map((t) => t.value)
  return undefined
}

function isTagFilter(name: string): boolean {
  return name.startsWith('tag:') || name === 'tag-key' || name === 'tag-value'
}

/**
 * Keeps the records every filter matches (filters AND, a filter's values OR). An unknown
 * filter name fails the whole call, even with nothing to match, with EC2's
 * "The filter 'x' is invalid".
 */
export function applyFilters<T>(records: readonly T[], filters: readonly Filter[], spec: FilterSpec<T>): T[] {
  const compiled = filters.map((f) => {
    const tagged = spec.tags !== undefined && isTagFilter(f.name)
    if (!tagged && !Object.hasOwn(spec.names, f.name)) throw invalidFilter(f.name)
    return { name: f.name, tagged, matchers: f.values.map(wildcardMatcher) }
  })
  return records.filter((record) => compiled.every((f) => {
    const values = f.tagged ? tagFilterValues(spec.tags!(record), f.name)! : spec.names[f.name]!(record)
    return values.some((v) => v !== undefined && f.matchers.some((m) => m(v)))
  }))
}

/** Booleans as filter values print as EC2 prints them. */
export function boolValue(value: boolean): string {
  return value ? 'true' : 'false'
}

export function invalidFilter(name: string): ApiError {
  return invalidParameterValue(`The filter '${name}' is invalid`)
}

// ------------------------------------------------------------- pagination

/**
 * MaxResults/NextToken paging over an already filtered list. EC2 allows 5–1000 per page;
 * the token is an opaque base64 offset.
 */
export function paginate<T>(items: readonly T[], input: QueryObject, min = 5, max = 1000): { page: T[]; nextToken: string | undefined } {
  const maxResults = int(input, 'MaxResults')
  const token = str(input, 'NextToken')
  let start = 0
  if (token !== undefined && token !== '') {
    const decoded = Buffer.from(token, 'base64url').toString('utf8')
    if (!/^offset:\d+$/.test(decoded)) throw invalidParameterValue(`Invalid value '${token}' for NextToken`)
    start = Number(decoded.slice(7))
  }
  if (maxResults === undefined) return { page: items.slice(start), nextToken: undefined }
  if (maxResults < min || maxResults > max) {
    throw invalidParameterValue(`Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between ${min} and ${max}.`)
  }
  const end = start + maxResults
  return {
    page: items.slice(start, end),
    nextToken: end < items.length ? Buffer.from(`offset:${end}`).toString('base64url') : undefined,
  }
}
