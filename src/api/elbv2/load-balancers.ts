/**
 * @module api/elbv2/load-balancers
 * CreateLoadBalancer, DescribeLoadBalancers, DeleteLoadBalancer, SetSubnets,
 * SetSecurityGroups, SetIpAddressType and the load balancer attributes (spec §6).
 */
import { ApiError, enumConstraint, invalidConfig, missing, validation } from '../errors.ts'
import { obj, objList, reqStr, str, strList, type QueryObject } from '../query.ts'
import { Timestamp } from '../xml.ts'
import type { Context, Handlers } from '../context.ts'
import type { Tx } from '../../store/store.ts'
import type { LoadBalancer, LoadBalancerZone } from '../../model/resources.ts'
import { loadBalancerArn } from '../../model/arn.ts'
import { dnsNumber } from '../../model/ids.ts'
import { effectiveAttributes, loadBalancerAttributeSpecs } from '../../model/attributes.ts'
import { LIMITS, checkArn, checkName, getLoadBalancer, paginate, parseAttributes, parseTags } from './common.ts'

const SCHEMES = ['internet-facing', 'internal'] as const
const TYPES = ['application', 'network', 'gateway'] as const
const IP_ADDRESS_TYPES = ['ipv4', 'dualstack', 'dualstack-without-public-ipv4'] as const

/** ALB hosted zone ids by region (spec §2.4, UNVERIFIED values; only Route 53 alias records use them). */
const HOSTED_ZONES: Record<string, string> = {
  'us-east-1': 'Z35SXDOTRQ7X7K', 'us-east-2': 'Z3AADJGX6KTTL2', 'us-west-1': 'Z368ELLRRE2KJ0', 'us-west-2': 'Z1H1FL5HABSF5',
  'eu-west-1': 'Z32O12XQLNTSW2', 'eu-central-1': 'Z215JYRZR1TBD5', 'ap-northeast-1': 'Z14GRHDCWA56QT',
  'ap-northeast-2': 'ZWKZPGTI48KDX', 'ap-southeast-1': 'Z1LMS91P8CMLE5', 'ap-southeast-2': 'Z1GM3OXH4ZPM65',
}

export function loadBalancerState(lb: LoadBalancer, now: number, provisioningMs: number): 'provisioning' | 'active' {
  return now - lb.createdTime < provisioningMs ? 'provisioning' : 'active'
}

export function wireLoadBalancer(lb: LoadBalancer, ctx: Context): Record<string, unknown> {
  return {
    LoadBalancerArn: lb.arn,
    DNSName: lb.dnsName,
    CanonicalHostedZoneId: lb.canonicalHostedZoneId,
    CreatedTime: new Timestamp(lb.createdTime),
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    VpcId: lb.vpcId,
    State: { Code: loadBalancerState(lb, ctx.tx.now, ctx.options.provisioningMs) },
    Type: lb.type,
    AvailabilityZones: lb.zones.map((z) => ({ ZoneName: z.zoneName, SubnetId: z.subnetId, LoadBalancerAddresses: [] })),
    SecurityGroups: lb.securityGroups,
    IpAddressType: lb.ipAddressType,
  }
}

/** Subnets or SubnetMappings → zones, validated as AWS does (one per AZ, one VPC, ALB ≥ 2 AZs). */
function resolveSubnets(tx: Tx, region: string, input: QueryObject): { vpcId: string; zones: LoadBalancerZone[] } {
  const subnets = strList(input, 'Subnets')
  const mappings = objList(input, 'SubnetMappings')
  if (subnets !== undefined && subnets.length > 0 && mappings !== undefined && mappings.length > 0) {
    throw validation('You can specify subnets or subnet mappings, not both')
  }
  const ids = subnets !== undefined && subnets.length > 0 ? subnets : (mappings ?? []).map((m) => {
    const id = str(m, 'SubnetId')
    if (id === undefined) throw missing('subnetMappings.member.subnetId')
    if (str(m, 'AllocationId') !== undefined) throw invalidConfig('Elastic IP addresses are not supported for load balancers with type \'application\'')
    return id
  })
  if (ids.length === 0) throw validation('At least two subnets in two different Availability Zones must be specified')
  const zones: LoadBalancerZone[] = []
  let vpcId: string | undefined
  for (const id of ids) {
    const subnet = tx.get('subnet', id)
    if (subnet === undefined || subnet.region !== region) throw new ApiError('SubnetNotFound', `The subnet ID '${id}' is not valid`)
    if (vpcId !== undefined && subnet.vpcId !== vpcId) throw new ApiError('InvalidSubnet', 'All subnets must belong to the same VPC')
    vpcId = subnet.vpcId
    if (zones.some((z) => z.zoneName === subnet.availabilityZone)) {
      throw new ApiError('InvalidConfigurationRequest', 'A load balancer cannot be attached to multiple subnets in the same Availability Zone')
    }
    if (!zones.some((z) => z.subnetId === id)) zones.push({ subnetId: id, zoneName: subnet.availabilityZone })
  }
  if (zones.length < 2) throw validation('At least two subnets in two different Availability Zones must be specified')
  return { vpcId: vpcId!, zones }
}

function resolveSecurityGroups(tx: Tx, vpcId: string, ids: readonly string[] | undefined): string[] {
  if (ids === undefined) {
    const fallback = tx.list('securityGroup').find((sg) => sg.vpcId === vpcId && sg.groupName === 'default')
    return fallback === undefined ? [] : [fallback.id]
  }
  for (const id of ids) {
    const sg = tx.get('securityGroup', id)
    if (sg === undefined || sg.vpcId !== vpcId) throw new ApiError('InvalidSecurityGroup', `Security group '${id}' does not exist`)
  }
  return [...new Set(ids)]
}

function sameSettings(a: LoadBalancer, b: Omit<LoadBalancer, 'arn' | 'dnsName' | 'createdTime' | 'tags' | 'attributes' | 'canonicalHostedZoneId'>): boolean {
  const key = (zones: readonly LoadBalancerZone[]) => zones.map((z) => z.subnetId).sort().join(',')
  return a.scheme === b.scheme && a.type === b.type && a.ipAddressType === b.ipAddressType &&
    key(a.zones) === key(b.zones) && [...a.securityGroups].sort().join(',') === [...b.securityGroups].sort().join(',')
}

function createLoadBalancer(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const name = reqStr(input, 'Name')
  checkName('Load balancer', name)
  if (name.startsWith('internal-')) throw validation(`Load balancer name '${name}' cannot begin with 'internal-'`)
  const type = str(input, 'Type') ?? 'application'
  if (!TYPES.includes(type as 'application')) throw enumConstraint(type, 'type', TYPES)
  // An OpenALB limit, not AWS behaviour: answered with a code the model declares for CreateLoadBalancer
  // (UnsupportedProtocol is not one of them).
  if (type !== 'application') throw invalidConfig(`Load balancers of type '${type}' are not supported by OpenALB; use 'application'`)
  const scheme = str(input, 'Scheme') ?? 'internet-facing'
  if (!SCHEMES.includes(scheme as 'internal')) throw enumConstraint(scheme, 'scheme', SCHEMES)
  const ipAddressType = str(input, 'IpAddressType') ?? 'ipv4'
  if (!IP_ADDRESS_TYPES.includes(ipAddressType as 'ipv4')) throw enumConstraint(ipAddressType, 'ipAddressType', IP_ADDRESS_TYPES)
  if (str(input, 'CustomerOwnedIpv4Pool') !== undefined) throw invalidConfig('Customer-owned IPv4 pools are only supported on Outposts')
  const tags = parseTags(input) ?? []
  const { vpcId, zones } = resolveSubnets(tx, region, input)
  const securityGroups = resolveSecurityGroups(tx, vpcId, strList(input, 'SecurityGroups'))
  const settings = { region, name, scheme: scheme as LoadBalancer['scheme'], type: 'application' as const, ipAddressType, vpcId, zones, securityGroups }

  const existing = tx.list('loadBalancer').find((lb) => lb.region === region && lb.name.toLowerCase() === name.toLowerCase())
  if (existing !== undefined) {
    // Idempotent create (spec §2.5): same settings → the existing load balancer.
    if (sameSettings(existing, settings)) return { LoadBalancers: [wireLoadBalancer(existing, ctx)] }
    throw new ApiError('DuplicateLoadBalancerName', `A load balancer with the same name '${name}' exists, but with different settings`)
  }
  if (tx.list('loadBalancer').filter((lb) => lb.region === region).length >= LIMITS['application-load-balancers']) {
    throw new ApiError('TooManyLoadBalancers', 'The quota for the number of load balancers has been reached')
  }
  const ipam = obj(input, 'IpamPools')
  void ipam // IPAM pools are accepted and ignored: addresses on one machine come from the bind address.
  const arn = loadBalancerArn(region, ctx.options.accountId, name)
  const prefix = scheme === 'internal' ? 'internal-' : ''
  const lb: LoadBalancer = {
    ...settings, arn, tags, attributes: {},
    dnsName: `${prefix}${name}-${dnsNumber()}.${region}.${ctx.options.dnsSuffix}`,
    canonicalHostedZoneId: HOSTED_ZONES[region] ?? 'Z35SXDOTRQ7X7K',
    createdTime: tx.now,
  }
  tx.put('loadBalancer', arn, lb)
  return { LoadBalancers: [wireLoadBalancer(lb, ctx)] }
}

function describeLoadBalancers(input: QueryObject, ctx: Context): unknown {
  const arns = strList(input, 'LoadBalancerArns')
  const names = strList(input, 'Names')
  if (arns !== undefined && arns.length > 0 && names !== undefined && names.length > 0) {
    throw validation('Load balancer names and load balancer ARNs cannot be specified at the same time')
  }
  if (arns !== undefined && arns.length > 20) throw validation('A maximum of 20 load balancer ARNs can be specified')
  for (const arn of arns ?? []) checkArn(arn, 'loadbalancer')
  let lbs = ctx.tx.list('loadBalancer').filter((lb) => lb.region === ctx.region)
  if (arns !== undefined && arns.length > 0) {
    const found = arns.map((arn) => lbs.find((lb) => lb.arn === arn))
    if (found.some((lb) => lb === undefined)) throw new ApiError('LoadBalancerNotFound', 'One or more load balancers not found')
    lbs = found as LoadBalancer[]
  } else if (names !== undefined && names.length > 0) {
    const missingNames = names.filter((n) => !lbs.some((lb) => lb.name === n))
    if (missingNames.length > 0) throw new ApiError('LoadBalancerNotFound', `Load balancers '[${missingNames.join(', ')}]' not found`)
    lbs = names.map((n) => lbs.find((lb) => lb.name === n)!)
  }
  const { page, nextMarker } = paginate(lbs, input)
  return { LoadBalancers: page.map((lb) => wireLoadBalancer(lb, ctx)), NextMarker: nextMarker }
}

/** Deletes a load balancer with its listeners and rules; target groups and targets stay (spec §2.5). */
export function deleteLoadBalancerCascade(tx: Tx, lb: LoadBalancer): void {
  for (const listener of tx.list('listener')) {
    if (listener.loadBalancerArn !== lb.arn) continue
    for (const rule of tx.list('rule')) if (rule.listenerArn === listener.arn) tx.delete('rule', rule.arn)
    tx.delete('listener', listener.arn)
  }
  tx.delete('loadBalancer', lb.arn)
}

function deleteLoadBalancer(input: QueryObject, ctx: Context): unknown {
  const arn = reqStr(input, 'LoadBalancerArn')
  checkArn(arn, 'loadbalancer')
  const lb = ctx.tx.get('loadBalancer', arn)
  if (lb === undefined) return {} // deleting a missing load balancer succeeds (spec §2.5)
  if (lb.attributes['deletion_protection.enabled'] === 'true') {
    throw new ApiError('OperationNotPermitted', `Load balancer '${arn}' cannot be deleted because deletion protection is enabled`)
  }
  deleteLoadBalancerCascade(ctx.tx, lb)
  return {}
}

function attributesOf(lb: LoadBalancer): Array<{ Key: string; Value: string }> {
  return effectiveAttributes(loadBalancerAttributeSpecs(lb.scheme), lb.attributes).map((a) => ({ Key: a.key, Value: a.value }))
}

function describeLoadBalancerAttributes(input: QueryObject, ctx: Context): unknown {
  const lb = getLoadBalancer(ctx.tx, reqStr(input, 'LoadBalancerArn'))
  return { Attributes: attributesOf(lb) }
}

function modifyLoadBalancerAttributes(input: QueryObject, ctx: Context): unknown {
  const lb = getLoadBalancer(ctx.tx, reqStr(input, 'LoadBalancerArn'))
  const specs = loadBalancerAttributeSpecs(lb.scheme)
  const changes = parseAttributes(input)
  const attributes = { ...lb.attributes }
  for (const { key, value } of changes) {
    const spec = specs.find((s) => s.key === key)
    if (spec === undefined) throw validation(`Load balancer attribute key '${key}' is not recognized`)
    const problem = spec.check(value)
    if (problem !== undefined) throw validation(problem)
    attributes[key] = value
  }
  if (attributes['access_logs.s3.enabled'] === 'true' && (attributes['access_logs.s3.bucket'] ?? '') === '') {
    throw validation("The value of 'access_logs.s3.bucket' cannot be empty when access logs are enabled")
  }
  if (attributes['connection_logs.s3.enabled'] === 'true' && (attributes['connection_logs.s3.bucket'] ?? '') === '') {
    throw validation("The value of 'connection_logs.s3.bucket' cannot be empty when connection logs are enabled")
  }
  const updated = { ...lb, attributes }
  ctx.tx.put('loadBalancer', lb.arn, updated)
  return { Attributes: attributesOf(updated) }
}

function setSubnets(input: QueryObject, ctx: Context): unknown {
  const lb = getLoadBalancer(ctx.tx, reqStr(input, 'LoadBalancerArn'))
  const { vpcId, zones } = resolveSubnets(ctx.tx, ctx.region, input)
  if (vpcId !== lb.vpcId) throw new ApiError('InvalidSubnet', 'The subnets must belong to the VPC of the load balancer')
  const ipAddressType = str(input, 'IpAddressType') ?? lb.ipAddressType
  if (!IP_ADDRESS_TYPES.includes(ipAddressType as 'ipv4')) throw enumConstraint(ipAddressType, 'ipAddressType', IP_ADDRESS_TYPES)
  ctx.tx.put('loadBalancer', lb.arn, { ...lb, zones, ipAddressType })
  return {
    AvailabilityZones: zones.map((z) => ({ ZoneName: z.zoneName, SubnetId: z.subnetId, LoadBalancerAddresses: [] })),
    IpAddressType: ipAddressType,
  }
}

function setSecurityGroups(input: QueryObject, ctx: Context): unknown {
  const lb = getLoadBalancer(ctx.tx, reqStr(input, 'LoadBalancerArn'))
  const ids = strList(input, 'SecurityGroups')
  if (ids === undefined) throw missing('securityGroups')
  const securityGroups = resolveSecurityGroups(ctx.tx, lb.vpcId, ids)
  ctx.tx.put('loadBalancer', lb.arn, { ...lb, securityGroups })
  return { SecurityGroupIds: securityGroups }
}

function setIpAddressType(input: QueryObject, ctx: Context): unknown {
  const lb = getLoadBalancer(ctx.tx, reqStr(input, 'LoadBalancerArn'))
  const ipAddressType = reqStr(input, 'IpAddressType')
  if (!IP_ADDRESS_TYPES.includes(ipAddressType as 'ipv4')) throw enumConstraint(ipAddressType, 'ipAddressType', IP_ADDRESS_TYPES)
  ctx.tx.put('loadBalancer', lb.arn, { ...lb, ipAddressType })
  return { IpAddressType: ipAddressType }
}

export const loadBalancerHandlers: Handlers = {
  CreateLoadBalancer: createLoadBalancer,
  DescribeLoadBalancers: describeLoadBalancers,
  DeleteLoadBalancer: deleteLoadBalancer,
  DescribeLoadBalancerAttributes: describeLoadBalancerAttributes,
  ModifyLoadBalancerAttributes: modifyLoadBalancerAttributes,
  SetSubnets: setSubnets,
  SetSecurityGroups: setSecurityGroups,
  SetIpAddressType: setIpAddressType,
}
