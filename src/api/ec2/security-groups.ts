/**
 * @module api/ec2/security-groups
 * CreateSecurityGroup, DescribeSecurityGroups, DeleteSecurityGroup,
 * Authorize/RevokeSecurityGroupIngress and Authorize/RevokeSecurityGroupEgress.
 *
 * Rules are stored as EC2 prints them: one IpPermission per (protocol, from, to) holding
 * every source; each source keeps the `sgr-…` id it was authorized under. OpenALB stores
 * rules and reports them; the data plane does not filter traffic by them.
 */
import { ApiError } from '../errors.ts'
import type { QueryObject } from '../query.ts'
import type { Context, Handlers } from '../context.ts'
import type { Tx } from '../../store/store.ts'
import type { GroupPair, IpPermission, IpRange, Ipv6Range, SecurityGroup } from '../../model/resources.ts'
import { ec2Id } from '../../model/ids.ts'
import { currentInstanceState } from '../../model/instance-state.ts'
import {
  OWNER_ID, applyFilters, getAllRegional, getRegional, int, invalidParameterValue, listRegional, missingParameter,
  objList, paginate, parseFilters, parseTagSpecifications, str, strList, type FilterSpec,
} from './common.ts'
import { parseCidr } from './cidr.ts'
import { tagSet } from './vpcs.ts'

// ------------------------------------------------------------- wire shapes

function wirePermission(p: IpPermission): Record<string, unknown> {
  const ports = p.ipProtocol !== '-1'
  return {
    fromPort: ports ? p.fromPort : undefined,
    ipProtocol: p.ipProtocol,
    ipRanges: p.ipRanges.map((r) => ({ cidrIp: r.cidrIp, description: r.description })),
    ipv6Ranges: p.ipv6Ranges.map((r) => ({ cidrIpv6: r.cidrIpv6, description: r.description })),
    prefixListIds: [],
    toPort: ports ? p.toPort : undefined,
    groups: p.userIdGroupPairs.map((g) => ({ description: g.description, groupId: g.groupId, userId: g.userId })),
  }
}

/** The group's ARN: the model's SecurityGroupArn, which EC2 returns on create and describe. */
function securityGroupArn(sg: SecurityGroup): string {
  return `arn:aws:ec2:${sg.region}:${OWNER_ID}:security-group/${sg.id}`
}

export function wireSecurityGroup(sg: SecurityGroup): Record<string, unknown> {
  return {
    groupDescription: sg.description,
    groupName: sg.groupName,
    ipPermissions: sg.ingress.map(wirePermission),
    ownerId: OWNER_ID,
    groupId: sg.id,
    ipPermissionsEgress: sg.egress.map(wirePermission),
    tagSet: tagSet(sg.tags),
    vpcId: sg.vpcId,
    securityGroupArn: securityGroupArn(sg),
  }
}

// ------------------------------------------------------------- permissions input

/** EC2 stores the well-known protocol numbers under their names. */
const PROTOCOL_NAMES: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6', all: '-1' }

function normaliseProtocol(raw: string): string {
  const lower = raw.trim().toLowerCase()
  const named = PROTOCOL_NAMES[lower] ?? lower
  if (['tcp', 'udp', 'icmp', 'icmpv6', '-1'].includes(named)) return named
  if (/^\d{1,3}$/.test(named) && Number(named) <= 255) return String(Number(named))
  throw invalidParameterValue(`Invalid value '${raw}' for IP protocol. Unknown protocol.`)
}

/** Ports as EC2 validates them: TCP/UDP need both ends in 0–65535; ICMP type/code default to -1 (all). */
function checkPorts(protocol: string, from: number | undefined, to: number | undefined): { fromPort?: number; toPort?: number } {
  if (protocol === 'tcp' || protocol === 'udp') {
    if (from === undefined || to === undefined) {
      throw invalidParameterValue(`Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.`)
    }
    if (from < 0 || to > 65535 || from > to) {
      // AWS also accepts -1/-1 for "all ports" on TCP/UDP and reports 0–65535.
      if (from === -1 && to === -1) return { fromPort: 0, toPort: 65535 }
      throw invalidParameterValue(`Invalid value '${from}-${to}' for portRange. Must be in the range 0-65535 with from <= to.`)
    }
    return { fromPort: from, toPort: to }
  }
  if (protocol === 'icmp' || protocol === 'icmpv6') {
    const type = from ?? -1
    const code = to ?? -1
    if (type < -1 || type > 255 || code < -1 || code > 255) throw invalidParameterValue(`Invalid value '${type}/${code}' for ICMP type/code.`)
    return { fromPort: type, toPort: code }
  }
  return {}
}

interface RequestedPermission {
  readonly ipProtocol: string
  readonly fromPort?: number
  readonly toPort?: number
  readonly ipRanges: IpRange[]
  readonly ipv6Ranges: Ipv6Range[]
  readonly userIdGroupPairs: GroupPair[]
}

function cidrIp(value: string): string {
  if (parseCidr(value) === undefined) throw invalidParameterValue(`CIDR block ${value} is malformed`)
  return value
}

function cidrIpv6(value: string): string {
  if (!/^[0-9a-fA-F:]+\/\d{1,3}$/.test(value) || Number(value.split('/')[1]) > 128) throw invalidParameterValue(`CIDR block ${value} is malformed`)
  return value.toLowerCase()
}

/** A referenced group, by id or (in the group's own VPC) by name. */
function resolvePeer(tx: Tx, region: string, vpcId: string, pair: QueryObject): GroupPair {
  const groupId = str(pair, 'GroupId')
  const groupName = str(pair, 'GroupName')
  const description = str(pair, 'Description')
  let peer: SecurityGroup | undefined
  if (groupId !== undefined) peer = getRegional(tx, region, 'securityGroup', groupId)
  else if (groupName !== undefined) {
    peer = listRegional(tx, region, 'securityGroup').find((g) => g.vpcId === vpcId && g.groupName === groupName)
    if (peer === undefined) throw new ApiError('InvalidGroup.NotFound', `The security group '${groupName}' does not exist in VPC '${vpcId}'`)
  } else throw missingParameter('GroupId or GroupName')
  return { groupId: peer.id, userId: str(pair, 'UserId') ?? OWNER_ID, ...(description !== undefined ? { description } : {}) }
}

/**
 * The permissions of an Authorize/Revoke call: either `IpPermissions.N…` or the legacy
 * top-level `IpProtocol`/`FromPort`/`ToPort`/`CidrIp`/`SourceSecurityGroupName` (AWS CLI v1's
 * `--protocol/--port/--cidr` shorthand sends the latter, v2 the former).
 */
function parsePermissions(input: QueryObject, tx: Tx, region: string, sg: SecurityGroup): RequestedPermission[] {
  const listed = objList(input, 'IpPermissions')
  const topLevel = ['IpProtocol', 'FromPort', 'ToPort', 'CidrIp', 'SourceSecurityGroupName', 'SourceSecurityGroupOwnerId'].filter((n) => input[n] !== undefined)
  if (listed !== undefined && listed.length > 0 && topLevel.length > 0) {
    throw new ApiError('InvalidParameterCombination', `The parameter 'ipPermissions' may not be used in combination with '${lowerFirst(topLevel[0]!)}'`)
  }
  if (listed === undefined || listed.length === 0) {
    const protocolText = str(input, 'IpProtocol')
    const cidr = str(input, 'CidrIp')
    const sourceName = str(input, 'SourceSecurityGroupName')
    if (protocolText === undefined && sourceName === undefined) throw missingParameter('IpPermissions')
    const protocol = normaliseProtocol(protocolText ?? '-1')
    const pairs = sourceName !== undefined ? [resolvePeer(tx, region, sg.vpcId, { GroupName: sourceName })] : []
    if (cidr === undefined && pairs.length === 0) throw missingParameter('CidrIp or SourceSecurityGroupName')
    return [{
      ipProtocol: protocol, ...checkPorts(protocol, int(input, 'FromPort'), int(input, 'ToPort')),
      ipRanges: cidr !== undefined ? [{ cidrIp: cidrIp(cidr) }] : [], ipv6Ranges: [], userIdGroupPairs: pairs,
    }]
  }
  return listed.map((p, i) => {
    const protocolText = str(p, 'IpProtocol')
    if (protocolText === undefined) throw missingParameter(`IpPermissions.${i + 1}.IpProtocol`)
    const protocol = normaliseProtocol(protocolText)
    const prefixLists = objList(p, 'PrefixListIds') ?? []
    if (prefixLists.length > 0) {
      const id = str(prefixLists[0]!, 'PrefixListId') ?? ''
      throw new ApiError('InvalidPrefixListId.NotFound', `The prefix list ID '${id}' does not exist`)
    }
    const ranges = (objList(p, 'IpRanges') ?? []).map((r, j): IpRange => {
      const value = str(r, 'CidrIp')
      if (value === undefined) throw missingParameter(`IpPermissions.${i + 1}.IpRanges.${j + 1}.CidrIp`)
      const description = str(r, 'Description')
      return { cidrIp: cidrIp(value), ...(description !== undefined ? { description } : {}) }
    })
    const v6 = (objList(p, 'Ipv6Ranges') ?? []).map((r, j): Ipv6Range => {
      const value = str(r, 'CidrIpv6')
      if (value === undefined) throw missingParameter(`IpPermissions.${i + 1}.Ipv6Ranges.${j + 1}.CidrIpv6`)
      const description = str(r, 'Description')
      return { cidrIpv6: cidrIpv6(value), ...(description !== undefined ? { description } : {}) }
    })
    const pairs = (objList(p, 'Groups') ?? []).map((g) => resolvePeer(tx, region, sg.vpcId, g))
    if (ranges.length + v6.length + pairs.length === 0) {
      throw missingParameter(`IpPermissions.${i + 1}.IpRanges, Ipv6Ranges or Groups`)
    }
    return { ipProtocol: protocol, ...checkPorts(protocol, int(p, 'FromPort'), int(p, 'ToPort')), ipRanges: ranges, ipv6Ranges: v6, userIdGroupPairs: pairs }
  })
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1)
}

function samePorts(a: { ipProtocol: string; fromPort?: number; toPort?: number }, b: typeof a): boolean {
  return a.ipProtocol === b.ipProtocol && (a.ipProtocol === '-1' || (a.fromPort === b.fromPort && a.toPort === b.toPort))
}

function ruleText(p: RequestedPermission, peer: string): string {
  const protocol = p.ipProtocol === '-1' ? 'ALL' : p.ipProtocol.toUpperCase()
  const ports = p.fromPort === undefined ? '' : `, from port: ${p.fromPort}, to port: ${p.toPort}`
  return `"peer: ${peer}, ${protocol}${ports}, ALLOW"`
}

interface AddedRule { readonly ruleId: string; readonly permission: RequestedPermission; readonly peer: { cidrIpv4?: string; cidrIpv6?: string; group?: GroupPair }; readonly description?: string }

/** Adds the requested sources to `existing`, refusing any that is already there (InvalidPermission.Duplicate). */
function addPermissions(existing: readonly IpPermission[], requested: readonly RequestedPermission[]): { permissions: IpPermission[]; added: AddedRule[] } {
  const permissions = existing.map((p) => ({ ...p, ipRanges: [...p.ipRanges], ipv6Ranges: [...p.ipv6Ranges], userIdGroupPairs: [...p.userIdGroupPairs] }))
  const added: AddedRule[] = []
  for (const req of requested) {
    let target = permissions.find((p) => samePorts(p, req))
    if (target === undefined) {
      target = { ipProtocol: req.ipProtocol, ...(req.fromPort !== undefined ? { fromPort: req.fromPort, toPort: req.toPort } : {}), ipRanges: [], ipv6Ranges: [], userIdGroupPairs: [] }
      permissions.push(target)
    }
    for (const range of req.ipRanges) {
      if (target.ipRanges.some((r) => r.cidrIp === range.cidrIp)) throw duplicate(req, range.cidrIp)
      const ruleId = ec2Id('sgr')
      target.ipRanges.push({ ...range, ruleId })
      added.push({ ruleId, permission: req, peer: { cidrIpv4: range.cidrIp }, ...(range.description !== undefined ? { description: range.description } : {}) })
    }
    for (const range of req.ipv6Ranges) {
      if (target.ipv6Ranges.some((r) => r.cidrIpv6 === range.cidrIpv6)) throw duplicate(req, range.cidrIpv6)
      const ruleId = ec2Id('sgr')
      target.ipv6Ranges.push({ ...range, ruleId })
      added.push({ ruleId, permission: req, peer: { cidrIpv6: range.cidrIpv6 }, ...(range.description !== undefined ? { description: range.description } : {}) })
    }
    for (const pair of req.userIdGroupPairs) {
      if (target.userIdGroupPairs.some((g) => g.groupId === pair.groupId)) throw duplicate(req, pair.groupId)
      const ruleId = ec2Id('sgr')
      target.userIdGroupPairs.push({ ...pair, ruleId })
      added.push({ ruleId, permission: req, peer: { group: pair }, ...(pair.description !== undefined ? { description: pair.description } : {}) })
    }
  }
  return { permissions, added }
}

function duplicate(p: RequestedPermission, peer: string): ApiError {
  return new ApiError('InvalidPermission.Duplicate', `the specified rule ${ruleText(p, peer)} already exists`)
}

/** Removes the requested sources; one that is not there fails the call (InvalidPermission.NotFound). */
function removePermissions(existing: readonly IpPermission[], requested: readonly RequestedPermission[]): IpPermission[] {
  let permissions = existing.map((p) => ({ ...p }))
  for (const req of requested) {
    const at = permissions.findIndex((p) => samePorts(p, req))
    const target = permissions[at]
    const has = target !== undefined &&
      req.ipRanges.every((r) => target.ipRanges.some((x) => x.cidrIp === r.cidrIp)) &&
      req.ipv6Ranges.every((r) => target.ipv6Ranges.some((x) => x.cidrIpv6 === r.cidrIpv6)) &&
      req.userIdGroupPairs.every((g) => target.userIdGroupPairs.some((x) => x.groupId === g.groupId))
    if (!has) throw new ApiError('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.')
    const next: IpPermission = {
      ...target,
      ipRanges: target.ipRanges.filter((x) => !req.ipRanges.some((r) => r.cidrIp === x.cidrIp)),
      ipv6Ranges: target.ipv6Ranges.filter((x) => !req.ipv6Ranges.some((r) => r.cidrIpv6 === x.cidrIpv6)),
      userIdGroupPairs: target.userIdGroupPairs.filter((x) => !req.userIdGroupPairs.some((g) => g.groupId === x.groupId)),
    }
    const empty = next.ipRanges.length + next.ipv6Ranges.length + next.userIdGroupPairs.length === 0
    permissions = empty ? permissions.filter((_, i) => i !== at) : permissions.map((p, i) => (i === at ? next : p))
  }
  return permissions
}

function wireRule(sg: SecurityGroup, rule: AddedRule, isEgress: boolean): Record<string, unknown> {
  const p = rule.permission
  return {
    securityGroupRuleId: rule.ruleId,
    groupId: sg.id,
    groupOwnerId: OWNER_ID,
    isEgress,
    ipProtocol: p.ipProtocol,
    fromPort: p.fromPort ?? -1,
    toPort: p.toPort ?? -1,
    cidrIpv4: rule.peer.cidrIpv4,
    cidrIpv6: rule.peer.cidrIpv6,
    referencedGroupInfo: rule.peer.group === undefined ? undefined : { groupId: rule.peer.group.groupId, userId: rule.peer.group.userId },
    description: rule.description,
  }
}

// ------------------------------------------------------------- operations

function defaultVpcId(tx: Tx, region: string): string {
  const vpc = listRegional(tx, region, 'vpc').find((v) => v.isDefault)
  if (vpc === undefined) throw new ApiError('VPCIdNotSpecified', 'No default VPC for this user')
  return vpc.id
}

/** The group of a call that names it by `GroupId`, or by `GroupName` in the default VPC. */
function targetGroup(input: QueryObject, tx: Tx, region: string): SecurityGroup {
  const groupId = str(input, 'GroupId')
  if (groupId !== undefined) return getRegional(tx, region, 'securityGroup', groupId)
  const groupName = str(input, 'GroupName')
  if (groupName === undefined) throw missingParameter('GroupId')
  const vpcId = defaultVpcId(tx, region)
  const sg = listRegional(tx, region, 'securityGroup').find((g) => g.vpcId === vpcId && g.groupName === groupName)
  if (sg === undefined) throw new ApiError('InvalidGroup.NotFound', `The security group '${groupName}' does not exist in default VPC '${vpcId}'`)
  return sg
}

function createSecurityGroup(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const name = str(input, 'GroupName')
  if (name === undefined || name === '') throw missingParameter('GroupName')
  const description = str(input, 'GroupDescription')
  if (description === undefined || description === '') throw missingParameter('GroupDescription')
  if (name.length > 255) throw invalidParameterValue(`Invalid value '${name}' for groupName. Length exceeds maximum of 255 characters.`)
  if (description.length > 255) throw invalidParameterValue(`Invalid value '${description}' for GroupDescription. Length exceeds maximum of 255 characters.`)
  if (/^sg-/i.test(name)) throw invalidParameterValue(`Group names may not be in the format sg-*.`)
  if (name === 'default') throw invalidParameterValue('Cannot use reserved security group name: default')
  const vpcId = str(input, 'VpcId') ?? defaultVpcId(tx, region)
  getRegional(tx, region, 'vpc', vpcId)
  if (listRegional(tx, region, 'securityGroup').some((g) => g.vpcId === vpcId && g.groupName === name)) {
    throw new ApiError('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpcId}'`)
  }
  const tags = parseTagSpecifications(input, ['security-group']).get('security-group') ?? []
  const id = ec2Id('sg')
  const sg: SecurityGroup = {
    id, region, tags, vpcId, groupName: name, description,
    ingress: [],
    // A new group allows all outbound traffic, as on AWS.
    egress: [{ ipProtocol: '-1', ipRanges: [{ cidrIp: '0.0.0.0/0', ruleId: ec2Id('sgr') }], ipv6Ranges: [], userIdGroupPairs: [] }],
  }
  tx.put('securityGroup', id, sg)
  return { groupId: id, tagSet: tagSet(tags), securityGroupArn: securityGroupArn(sg) }
}

const SECURITY_GROUP_FILTERS: FilterSpec<SecurityGroup> = {
  names: {
    'description': (g) => [g.description],
    'group-id': (g) => [g.id],
    'group-name': (g) => [g.groupName],
    'owner-id': () => [OWNER_ID],
    'vpc-id': (g) => [g.vpcId],
    'ip-permission.cidr': (g) => g.ingress.flatMap((p) => p.ipRanges.map((r) => r.cidrIp)),
    'ip-permission.ipv6-cidr': (g) => g.ingress.flatMap((p) => p.ipv6Ranges.map((r) => r.cidrIpv6)),
    'ip-permission.from-port': (g) => g.ingress.map((p) => (p.fromPort === undefined ? undefined : String(p.fromPort))),
    'ip-permission.to-port': (g) => g.ingress.map((p) => (p.toPort === undefined ? undefined : String(p.toPort))),
    'ip-permission.protocol': (g) => g.ingress.map((p) => p.ipProtocol),
    'ip-permission.group-id': (g) => g.ingress.flatMap((p) => p.userIdGroupPairs.map((x) => x.groupId)),
    'egress.ip-permission.cidr': (g) => g.egress.flatMap((p) => p.ipRanges.map((r) => r.cidrIp)),
    'egress.ip-permission.protocol': (g) => g.egress.map((p) => p.ipProtocol),
  },
  tags: (g) => g.tags,
}

function describeSecurityGroups(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const ids = strList(input, 'GroupId')
  const names = strList(input, 'GroupName')
  let groups = listRegional(tx, region, 'securityGroup')
  if (ids !== undefined && ids.length > 0) groups = getAllRegional(tx, region, 'securityGroup', ids)
  if (names !== undefined && names.length > 0) {
    // GroupNames name groups of the default VPC only; other VPCs' groups are found with the group-name filter.
    const vpcId = defaultVpcId(tx, region)
    for (const name of names) {
      if (!groups.some((g) => g.vpcId === vpcId && g.groupName === name)) {
        throw new ApiError('InvalidGroup.NotFound', `The security group '${name}' does not exist in default VPC '${vpcId}'`)
      }
    }
    groups = groups.filter((g) => g.vpcId === vpcId && names.includes(g.groupName))
  }
  groups = applyFilters(groups, parseFilters(input), SECURITY_GROUP_FILTERS)
  const { page, nextToken } = paginate(groups, input)
  return { securityGroupInfo: page.map(wireSecurityGroup), nextToken }
}

function authorize(direction: 'ingress' | 'egress') {
  return (input: QueryObject, ctx: Context): unknown => {
    const { tx, region } = ctx
    const sg = targetGroup(input, tx, region)
    const requested = parsePermissions(input, tx, region, sg)
    parseTagSpecifications(input, ['security-group-rule'])
    const { permissions, added } = addPermissions(sg[direction], requested)
    tx.put('securityGroup', sg.id, { ...sg, [direction]: permissions })
    return { return: true, securityGroupRuleSet: added.map((r) => wireRule(sg, r, direction === 'egress')) }
  }
}

function revoke(direction: 'ingress' | 'egress') {
  return (input: QueryObject, ctx: Context): unknown => {
    const { tx, region } = ctx
    const sg = targetGroup(input, tx, region)
    const ruleIds = strList(input, 'SecurityGroupRuleId')
    let permissions: IpPermission[]
    if (ruleIds !== undefined && ruleIds.length > 0) {
      permissions = removeRuleIds(sg[direction], ruleIds, sg.id)
    } else {
      permissions = removePermissions(sg[direction], parsePermissions(input, tx, region, sg))
    }
    tx.put('securityGroup', sg.id, { ...sg, [direction]: permissions })
    return { return: true }
  }
}

function removeRuleIds(existing: readonly IpPermission[], ruleIds: readonly string[], groupId: string): IpPermission[] {
  const known = new Set(existing.flatMap((p) => [...p.ipRanges, ...p.ipv6Ranges, ...p.userIdGroupPairs].map((x) => x.ruleId)))
  const unknown = ruleIds.find((id) => !known.has(id))
  if (unknown !== undefined) throw new ApiError('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${unknown}' does not exist in security group '${groupId}'`)
  const keep = <T extends { ruleId?: string }>(xs: readonly T[]) => xs.filter((x) => x.ruleId === undefined || !ruleIds.includes(x.ruleId))
  return existing
    .map((p) => ({ ...p, ipRanges: keep(p.ipRanges), ipv6Ranges: keep(p.ipv6Ranges), userIdGroupPairs: keep(p.userIdGroupPairs) }))
    .filter((p) => p.ipRanges.length + p.ipv6Ranges.length + p.userIdGroupPairs.length > 0)
}

function deleteSecurityGroup(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const sg = targetGroup(input, tx, region)
  if (sg.groupName === 'default') {
    throw new ApiError('CannotDelete', `the specified group: "${sg.id}" name: "default" cannot be deleted by a user`)
  }
  const usedByInstance = tx.list('instance').some((i) => i.securityGroupIds.includes(sg.id) && currentInstanceState(i, tx.now) !== 'terminated')
  const usedByLoadBalancer = tx.list('loadBalancer').some((lb) => lb.securityGroups.includes(sg.id))
  const referenced = listRegional(tx, region, 'securityGroup').some((g) => g.id !== sg.id &&
    [...g.ingress, ...g.egress].some((p) => p.userIdGroupPairs.some((x) => x.groupId === sg.id)))
  if (usedByInstance || usedByLoadBalancer || referenced) throw new ApiError('DependencyViolation', `resource ${sg.id} has a dependent object`)
  tx.delete('securityGroup', sg.id)
  return { return: true, groupId: sg.id }
}

export const securityGroupHandlers: Handlers = {
  CreateSecurityGroup: createSecurityGroup,
  DescribeSecurityGroups: describeSecurityGroups,
  DeleteSecurityGroup: deleteSecurityGroup,
  AuthorizeSecurityGroupIngress: authorize('ingress'),
  AuthorizeSecurityGroupEgress: authorize('egress'),
  RevokeSecurityGroupIngress: revoke('ingress'),
  RevokeSecurityGroupEgress: revoke('egress'),
}
