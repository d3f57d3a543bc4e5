/**
 * @module api/ec2/vpcs
 * VPCs, subnets and Availability Zones: CreateVpc, DescribeVpcs, ModifyVpcAttribute,
 * DescribeVpcAttribute, DeleteVpc, CreateSubnet, DescribeSubnets, ModifySubnetAttribute,
 * DeleteSubnet, DescribeAvailabilityZones.
 */
import { ApiError } from '../errors.ts'
import type { QueryObject } from '../query.ts'
import type { Context, Handlers } from '../context.ts'
import type { Tx } from '../../store/store.ts'
import type { RouteTable, SecurityGroup, Subnet, Vpc } from '../../model/resources.ts'
import { ec2Id } from '../../model/ids.ts'
import { currentInstanceState } from '../../model/instance-state.ts'
import { availabilityZoneId, availabilityZones } from './default-vpc.ts'
import {
  OWNER_ID, applyFilters, attributeBool, boolValue, getRegional, invalidParameterValue, requestedOrAll, listRegional, missingParameter,
  paginate, parseFilters, parseTagSpecifications, reqStr, str, strList, wireTags, type FilterSpec,
} from './common.ts'
import { cidrContains, cidrsOverlap, parseCidr, type Cidr } from './cidr.ts'

const TENANCIES = ['default', 'dedicated', 'host'] as const

/** EC2 allows VPC and subnet blocks from /16 to /28. */
const MIN_PREFIX = 16
const MAX_PREFIX = 28

function invalidCidr(value: string): ApiError {
  return invalidParameterValue(`Value (${value}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`)
}

/** Empty tag lists are omitted: AWS prints no `Tags` key for an untagged resource. */
export function tagSet(tags: Vpc['tags']): Array<{ key: string; value: string }> | undefined {
  return tags.length === 0 ? undefined : wireTags(tags)
}

// ------------------------------------------------------------- VPCs

export function wireVpc(vpc: Vpc, state: 'pending' | 'available' = 'available'): Record<string, unknown> {
  return {
    cidrBlock: vpc.cidrBlock,
    dhcpOptionsId: vpc.dhcpOptionsId,
    state,
    vpcId: vpc.id,
    ownerId: OWNER_ID,
    instanceTenancy: vpc.instanceTenancy,
    cidrBlockAssociationSet: [{ associationId: vpc.cidrAssociationId, cidrBlock: vpc.cidrBlock, cidrBlockState: { state: 'associated' } }],
    isDefault: vpc.isDefault,
    tagSet: tagSet(vpc.tags),
  }
}

const VPC_FILTERS: FilterSpec<Vpc> = {
  names: {
    'cidr': (v) => [v.cidrBlock],
    'cidr-block': (v) => [v.cidrBlock],
    'cidr-block-association.cidr-block': (v) => [v.cidrBlock],
    'cidr-block-association.association-id': (v) => [v.cidrAssociationId],
    'cidr-block-association.state': () => ['associated'],
    'dhcp-options-id': (v) => [v.dhcpOptionsId],
    'instance-tenancy': (v) => [v.instanceTenancy],
    'is-default': (v) => [boolValue(v.isDefault)],
    'owner-id': () => [OWNER_ID],
    'state': () => ['available'],
    'vpc-id': (v) => [v.id],
  },
  tags: (v) => v.tags,
}

/** The main route table and `default` security group every VPC is created with, as on AWS. */
function createVpcCompanions(tx: Tx, vpc: Vpc): void {
  const sgId = ec2Id('sg')
  const sg: SecurityGroup = {
    id: sgId, region: vpc.region, tags: [], vpcId: vpc.id, groupName: 'default', description: 'default VPC security group',
    ingress: [{ ipProtocol: '-1', ipRanges: [], ipv6Ranges: [], userIdGroupPairs: [{ groupId: sgId, userId: OWNER_ID, ruleId: ec2Id('sgr') }] }],
    egress: [{ ipProtocol: '-1', ipRanges: [{ cidrIp: '0.0.0.0/0', ruleId: ec2Id('sgr') }], ipv6Ranges: [], userIdGroupPairs: [] }],
  }
  tx.put('securityGroup', sgId, sg)
  const rtbId = ec2Id('rtb')
  const rtb: RouteTable = {
    id: rtbId, region: vpc.region, tags: [], vpcId: vpc.id,
    routes: [{ destinationCidrBlock: vpc.cidrBlock, gatewayId: 'local', state: 'active', origin: 'CreateRouteTable' }],
    associations: [{ id: ec2Id('rtbassoc'), main: true }],
  }
  tx.put('routeTable', rtbId, rtb)
}

function createVpc(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const cidrText = str(input, 'CidrBlock')
  if (cidrText === undefined) {
    // Without CidrBlock AWS wants an IPAM pool, which OpenALB does not model.
    if (str(input, 'Ipv4IpamPoolId') !== undefined) throw new ApiError('InvalidIpamPoolId.NotFound', `The ipam pool ID '${str(input, 'Ipv4IpamPoolId')}' does not exist`)
    throw new ApiError('MissingParameter', 'Either cidrBlock or ipv4IpamPoolId must be specified.')
  }
  const cidr = parseCidr(cidrText)
  if (cidr === undefined) throw invalidCidr(cidrText)
  if (cidr.prefix < MIN_PREFIX || cidr.prefix > MAX_PREFIX) throw new ApiError('InvalidVpc.Range', `The CIDR '${cidrText}' is invalid.`)
  const tenancy = str(input, 'InstanceTenancy') ?? 'default'
  if (!TENANCIES.includes(tenancy as 'default')) throw invalidParameterValue(`Value (${tenancy}) for parameter instanceTenancy is invalid.`)
  const tags = parseTagSpecifications(input, ['vpc'])
  if (listRegional(tx, region, 'vpc').length >= 5 + 1) {
    // AWS's default (adjustable) quota is 5 VPCs per region; the default VPC is left out of
    // the count here so that five VPCs of one's own fit, as the quota's intent is.
    throw new ApiError('VpcLimitExceeded', 'The maximum number of VPCs has been reached.')
  }
  const id = ec2Id('vpc')
  const vpc: Vpc = {
    id, region, tags: tags.get('vpc') ?? [], cidrBlock: cidrText, cidrAssociationId: ec2Id('vpc-cidr-assoc'), isDefault: false,
    instanceTenancy: tenancy, dhcpOptionsId: ec2Id('dopt'), enableDnsSupport: true, enableDnsHostnames: false,
  }
  tx.put('vpc', id, vpc)
  createVpcCompanions(tx, vpc)
  return { vpc: wireVpc(vpc, 'pending') }
}

function describeVpcs(input: QueryObject, ctx: Context): unknown {
  const ids = strList(input, 'VpcId')
  const filters = parseFilters(input)
  let vpcs = requestedOrAll(ctx.tx, ctx.region, 'vpc', ids)
  vpcs = applyFilters(vpcs, filters, VPC_FILTERS)
  const { page, nextToken } = paginate(vpcs, input)
  return { vpcSet: page.map((v) => wireVpc(v)), nextToken }
}

function modifyVpcAttribute(input: QueryObject, ctx: Context): unknown {
  const vpc = getRegional(ctx.tx, ctx.region, 'vpc', reqStr(input, 'VpcId'))
  const hostnames = attributeBool(input, 'EnableDnsHostnames')
  const support = attributeBool(input, 'EnableDnsSupport')
  const usageMetrics = attributeBool(input, 'EnableNetworkAddressUsageMetrics')
  const given = [hostnames, support, usageMetrics].filter((v) => v !== undefined).length
  // AWS: "You can only modify one attribute at a time" (and at least one).
  if (given === 0) throw missingParameter('EnableDnsHostnames or EnableDnsSupport')
  if (given > 1) throw invalidParameterValue('Fields for multiple attribute types specified: enableDnsHostnames, enableDnsSupport')
  if (hostnames === true && !(support ?? vpc.enableDnsSupport)) {
    throw new ApiError('InvalidParameterCombination', 'Cannot enable DNS hostnames without DNS support.')
  }
  ctx.tx.put('vpc', vpc.id, {
    ...vpc,
    enableDnsHostnames: hostnames ?? vpc.enableDnsHostnames,
    enableDnsSupport: support ?? vpc.enableDnsSupport,
  })
  return { return: true }
}

function describeVpcAttribute(input: QueryObject, ctx: Context): unknown {
  const vpc = getRegional(ctx.tx, ctx.region, 'vpc', reqStr(input, 'VpcId'))
  const attribute = reqStr(input, 'Attribute')
  const out: Record<string, unknown> = { vpcId: vpc.id }
  if (attribute === 'enableDnsHostnames') out.enableDnsHostnames = { value: vpc.enableDnsHostnames }
  else if (attribute === 'enableDnsSupport') out.enableDnsSupport = { value: vpc.enableDnsSupport }
  else if (attribute === 'enableNetworkAddressUsageMetrics') out.enableNetworkAddressUsageMetrics = { value: false }
  else throw invalidParameterValue(`Value (${attribute}) for parameter attribute is invalid. Unknown attribute.`)
  return out
}

function deleteVpc(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const vpc = getRegional(tx, region, 'vpc', reqStr(input, 'VpcId'))
  const dependent =
    listRegional(tx, region, 'subnet').some((s) => s.vpcId === vpc.id) ||
    listRegional(tx, region, 'securityGroup').some((g) => g.vpcId === vpc.id && g.groupName !== 'default') ||
    listRegional(tx, region, 'internetGateway').some((g) => g.attachments.some((a) => a.vpcId === vpc.id)) ||
    listRegional(tx, region, 'routeTable').some((t) => t.vpcId === vpc.id && !t.associations.some((a) => a.main)) ||
    tx.list('targetGroup').some((t) => t.region === region && t.vpcId === vpc.id)
  if (dependent) throw new ApiError('DependencyViolation', `The vpc '${vpc.id}' has dependencies and cannot be deleted.`)
  for (const g of listRegional(tx, region, 'securityGroup')) if (g.vpcId === vpc.id) tx.delete('securityGroup', g.id)
  for (const t of listRegional(tx, region, 'routeTable')) if (t.vpcId === vpc.id) tx.delete('routeTable', t.id)
  tx.delete('vpc', vpc.id)
  return { return: true }
}

// ------------------------------------------------------------- subnets

function subnetArn(subnet: Subnet): string {
  return `arn:aws:ec2:${subnet.region}:${OWNER_ID}:subnet/${subnet.id}`
}

/** Addresses left: the block minus AWS's five reserved ones minus live instances' addresses. */
function availableIpAddressCount(tx: Tx, subnet: Subnet): number {
  const cidr = parseCidr(subnet.cidrBlock)
  const size = cidr === undefined ? 0 : cidr.size - 5
  const used = tx.list('instance').filter((i) => i.subnetId === subnet.id && currentInstanceState(i, tx.now) !== 'terminated').length
  return Math.max(0, size - used)
}

export function wireSubnet(tx: Tx, subnet: Subnet): Record<string, unknown> {
  return {
    availabilityZone: subnet.availabilityZone,
    availabilityZoneId: subnet.availabilityZoneId,
    availableIpAddressCount: availableIpAddressCount(tx, subnet),
    cidrBlock: subnet.cidrBlock,
    defaultForAz: subnet.defaultForAz,
    mapPublicIpOnLaunch: subnet.mapPublicIpOnLaunch,
    mapCustomerOwnedIpOnLaunch: false,
    state: 'available',
    subnetId: subnet.id,
    vpcId: subnet.vpcId,
    ownerId: OWNER_ID,
    assignIpv6AddressOnCreation: false,
    ipv6CidrBlockAssociationSet: [],
    tagSet: tagSet(subnet.tags),
    subnetArn: subnetArn(subnet),
    enableDns64: false,
    ipv6Native: false,
    privateDnsNameOptionsOnLaunch: { hostnameType: 'ip-name', enableResourceNameDnsARecord: false, enableResourceNameDnsAAAARecord: false },
  }
}

function subnetFilters(tx: Tx): FilterSpec<Subnet> {
  return {
    names: {
      'availability-zone': (s) => [s.availabilityZone],
      'availabilityZone': (s) => [s.availabilityZone],
      'availability-zone-id': (s) => [s.availabilityZoneId],
      'available-ip-address-count': (s) => [String(availableIpAddressCount(tx, s))],
      'cidr': (s) => [s.cidrBlock],
      'cidr-block': (s) => [s.cidrBlock],
      'cidrBlock': (s) => [s.cidrBlock],
      'default-for-az': (s) => [boolValue(s.defaultForAz)],
      'defaultForAz': (s) => [boolValue(s.defaultForAz)],
      'map-public-ip-on-launch': (s) => [boolValue(s.mapPublicIpOnLaunch)],
      'owner-id': () => [OWNER_ID],
      'state': () => ['available'],
      'subnet-arn': (s) => [subnetArn(s)],
      'subnet-id': (s) => [s.id],
      'vpc-id': (s) => [s.vpcId],
    },
    tags: (s) => s.tags,
  }
}

function createSubnet(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const vpc = getRegional(tx, region, 'vpc', reqStr(input, 'VpcId'))
  const cidrText = reqStr(input, 'CidrBlock')
  const cidr = parseCidr(cidrText)
  if (cidr === undefined) throw invalidCidr(cidrText)
  const vpcCidr = parseCidr(vpc.cidrBlock)!
  if (cidr.prefix < MIN_PREFIX || cidr.prefix > MAX_PREFIX || !cidrContains(vpcCidr, cidr)) {
    throw new ApiError('InvalidSubnet.Range', `The CIDR '${cidrText}' is invalid.`)
  }
  const zones = availabilityZones(region)
  const zoneName = str(input, 'AvailabilityZone')
  const zoneId = str(input, 'AvailabilityZoneId')
  let zone: string
  if (zoneName !== undefined) {
    if (!zones.includes(zoneName)) {
      throw invalidParameterValue(`Value (${zoneName}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${zones.join(', ')}.`)
    }
    if (zoneId !== undefined && availabilityZoneId(zoneName) !== zoneId) {
      throw new ApiError('InvalidParameterCombination', 'The parameters AvailabilityZone and AvailabilityZoneId cannot both be specified.')
    }
    zone = zoneName
  } else if (zoneId !== undefined) {
    const found = zones.find((z) => availabilityZoneId(z) === zoneId)
    if (found === undefined) throw invalidParameterValue(`Value (${zoneId}) for parameter availabilityZoneId is invalid.`)
    zone = found
  } else {
    zone = zones[0]! // AWS picks a zone for you; OpenALB picks the first one, deterministically.
  }
  const clash = listRegional(tx, region, 'subnet').find((s) => s.vpcId === vpc.id && overlaps(s.cidrBlock, cidr))
  if (clash !== undefined) throw new ApiError('InvalidSubnet.Conflict', `The CIDR '${cidrText}' conflicts with another subnet`)
  const tags = parseTagSpecifications(input, ['subnet'])
  const id = ec2Id('subnet')
  const subnet: Subnet = {
    id, region, tags: tags.get('subnet') ?? [], vpcId: vpc.id, cidrBlock: cidrText, availabilityZone: zone,
    availabilityZoneId: availabilityZoneId(zone), defaultForAz: false, mapPublicIpOnLaunch: false,
  }
  tx.put('subnet', id, subnet)
  return { subnet: wireSubnet(tx, subnet) }
}

function overlaps(cidrText: string, cidr: Cidr): boolean {
  const other = parseCidr(cidrText)
  return other !== undefined && cidrsOverlap(other, cidr)
}

function describeSubnets(input: QueryObject, ctx: Context): unknown {
  const ids = strList(input, 'SubnetId')
  const filters = parseFilters(input)
  let subnets = requestedOrAll(ctx.tx, ctx.region, 'subnet', ids)
  subnets = applyFilters(subnets, filters, subnetFilters(ctx.tx))
  const { page, nextToken } = paginate(subnets, input)
  return { subnetSet: page.map((s) => wireSubnet(ctx.tx, s)), nextToken }
}

function modifySubnetAttribute(input: QueryObject, ctx: Context): unknown {
  const subnet = getRegional(ctx.tx, ctx.region, 'subnet', reqStr(input, 'SubnetId'))
  const mapPublicIp = attributeBool(input, 'MapPublicIpOnLaunch')
  // The other attributes (IPv6, customer-owned IPs, DNS64, resource-name DNS) need IPv6 or
  // Outposts, which OpenALB does not model; accept `false` (their only state here) and refuse `true`.
  for (const name of ['AssignIpv6AddressOnCreation', 'MapCustomerOwnedIpOnLaunch', 'EnableDns64', 'EnableResourceNameDnsAAAARecordOnLaunch']) {
    if (attributeBool(input, name) === true) throw invalidParameterValue(`${name} requires IPv6 or Outposts, which OpenALB does not support.`)
  }
  attributeBool(input, 'EnableResourceNameDnsARecordOnLaunch')
  const hostnameType = str(input, 'PrivateDnsHostnameTypeOnLaunch')
  if (hostnameType !== undefined && hostnameType !== 'ip-name') throw invalidParameterValue(`Value (${hostnameType}) for parameter privateDnsHostnameTypeOnLaunch is invalid.`)
  if (mapPublicIp !== undefined) ctx.tx.put('subnet', subnet.id, { ...subnet, mapPublicIpOnLaunch: mapPublicIp })
  return { return: true }
}

function deleteSubnet(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const subnet = getRegional(tx, region, 'subnet', reqStr(input, 'SubnetId'))
  const inUse =
    tx.list('instance').some((i) => i.subnetId === subnet.id && currentInstanceState(i, tx.now) !== 'terminated') ||
    tx.list('loadBalancer').some((lb) => lb.region === region && lb.zones.some((z) => z.subnetId === subnet.id))
  if (inUse) throw new ApiError('DependencyViolation', `The subnet '${subnet.id}' has dependencies and cannot be deleted.`)
  for (const rtb of listRegional(tx, region, 'routeTable')) {
    if (rtb.associations.some((a) => a.subnetId === subnet.id)) {
      tx.put('routeTable', rtb.id, { ...rtb, associations: rtb.associations.filter((a) => a.subnetId !== subnet.id) })
    }
  }
  tx.delete('subnet', subnet.id)
  return { return: true }
}

// ------------------------------------------------------------- Availability Zones

interface Zone { readonly zoneName: string; readonly zoneId: string; readonly region: string }

const ZONE_FILTERS: FilterSpec<Zone> = {
  names: {
    'group-name': (z) => [z.region],
    'network-border-group': (z) => [z.region],
    'opt-in-status': () => ['opt-in-not-required'],
    'region-name': (z) => [z.region],
    'state': () => ['available'],
    'zone-id': (z) => [z.zoneId],
    'zone-name': (z) => [z.zoneName],
    'zone-type': () => ['availability-zone'],
  },
}

function describeAvailabilityZones(input: QueryObject, ctx: Context): unknown {
  let zones: Zone[] = availabilityZones(ctx.region).map((zoneName) => ({ zoneName, zoneId: availabilityZoneId(zoneName), region: ctx.region }))
  const names = strList(input, 'ZoneName')
  const ids = strList(input, 'ZoneId')
  if (names !== undefined && names.length > 0) {
    const unknown = names.filter((n) => !zones.some((z) => z.zoneName === n))
    if (unknown.length > 0) throw invalidParameterValue(`Invalid availability zone: [${unknown.join(', ')}]`)
    zones = zones.filter((z) => names.includes(z.zoneName))
  }
  if (ids !== undefined && ids.length > 0) {
    const unknown = ids.filter((n) => !zones.some((z) => z.zoneId === n))
    if (unknown.length > 0) throw invalidParameterValue(`Invalid availability zone id: [${unknown.join(', ')}]`)
    zones = zones.filter((z) => ids.includes(z.zoneId))
  }
  zones = applyFilters(zones, parseFilters(input), ZONE_FILTERS)
  return {
    availabilityZoneInfo: zones.map((z) => ({
      zoneState: 'available',
      optInStatus: 'opt-in-not-required',
      messageSet: [],
      regionName: z.region,
      zoneName: z.zoneName,
      zoneId: z.zoneId,
      groupName: z.region,
      networkBorderGroup: z.region,
      zoneType: 'availability-zone',
    })),
  }
}

export const vpcHandlers: Handlers = {
  CreateVpc: createVpc,
  DescribeVpcs: describeVpcs,
  ModifyVpcAttribute: modifyVpcAttribute,
  DescribeVpcAttribute: describeVpcAttribute,
  DeleteVpc: deleteVpc,
  CreateSubnet: createSubnet,
  DescribeSubnets: describeSubnets,
  ModifySubnetAttribute: modifySubnetAttribute,
  DeleteSubnet: deleteSubnet,
  DescribeAvailabilityZones: describeAvailabilityZones,
}
