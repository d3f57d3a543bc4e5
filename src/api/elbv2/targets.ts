/**
 * @module api/elbv2/targets
 * RegisterTargets, DeregisterTargets and DescribeTargetHealth (spec §3.2, §4).
 *
 * A target is a `registration` record keyed `tgArn|id|port`. Deregistering sets
 * `deregisteredAt`; the target drains for the group's `deregistration_delay.timeout_seconds`
 * and is then gone. Reads treat expired records as absent; write transactions delete them.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net'
import { ApiError, constraint, enumConstraint, missing, validation } from '../errors.ts'
import { int, objList, reqStr, str, strList, type QueryObject } from '../query.ts'
import type { Context, Handlers } from '../context.ts'
import type { Tx } from '../../store/store.ts'
import type { Registration, TargetGroup } from '../../model/resources.ts'
import { attributeValue, targetGroupAttributeSpecs } from '../../model/attributes.ts'
import { currentInstanceState } from '../../model/instance-state.ts'
import { NOT_REGISTERED, registrationExpired, registrationKey, targetHealth, type TargetHealth, type TargetHealthInput } from '../../model/target-health.ts'
import { availabilityZones } from '../ec2/default-vpc.ts'
import { LIMITS, getTargetGroup, targetGroupsInUse } from './common.ts'

const INCLUDE_OPTIONS = ['AnomalyDetection', 'All'] as const

/** Lambda targets have no port; their registrations use 0 and never show it. */
const LAMBDA_PORT = 0

// ------------------------------------------------------------------ registrations

function deregistrationDelaySeconds(tg: TargetGroup): number {
  // Lambda groups have no deregistration delay attribute: their targets leave at once.
  const value = attributeValue(targetGroupAttributeSpecs(tg.targetType), tg.attributes, 'deregistration_delay.timeout_seconds')
  return value === '' ? 0 : Number(value)
}

/** The group's registrations that still exist at `tx.now`, in registration order. */
export function currentRegistrations(tx: Tx, tg: TargetGroup): Registration[] {
  const delay = deregistrationDelaySeconds(tg)
  return tx.list('registration').filter((r) => r.targetGroupArn === tg.arn && !registrationExpired(r, delay, tx.now))
}

/** Deletes the group's registrations whose drain has ended (write transactions only). */
function purgeExpired(tx: Tx, tg: TargetGroup): void {
  const delay = deregistrationDelaySeconds(tg)
  for (const r of tx.list('registration')) {
    if (r.targetGroupArn === tg.arn && registrationExpired(r, delay, tx.now)) tx.delete('registration', r.key)
  }
}

interface TargetInput { readonly id: string; readonly port?: number; readonly availabilityZone?: string }

function readTargets(input: QueryObject, required: boolean): TargetInput[] | undefined {
  const items = objList(input, 'Targets')
  if (items === undefined) {
    if (required) throw missing('targets')
    return undefined
  }
  return items.map((item, i) => {
    const id = str(item, 'Id')
    if (id === undefined) throw missing(`targets.${i + 1}.member.id`)
    const port = int(item, 'Port')
    if (port !== undefined && port < 1) throw constraint(port, `targets.${i + 1}.member.port`, 'Member must have value greater than or equal to 1')
    if (port !== undefined && port > 65535) throw constraint(port, `targets.${i + 1}.member.port`, 'Member must have value less than or equal to 65535')
    const availabilityZone = str(item, 'AvailabilityZone')
    return { id, ...(port !== undefined ? { port } : {}), ...(availabilityZone !== undefined ? { availabilityZone } : {}) }
  })
}

/** The port a target is addressed by: the one given, else the group's (AWS's default for Register and Deregister). */
function resolvePort(tg: TargetGroup, target: TargetInput): number {
  if (tg.targetType === 'lambda') return LAMBDA_PORT
  const port = target.port ?? tg.port
  if (port === undefined) throw validation(`A port must be specified for target '${target.id}'`)
  return port
}

function quoted(ids: readonly string[]): string {
  return ids.map((id) => `'${id}'`).join(', ')
}

// ------------------------------------------------------------------ target validation

/** Private ranges an `ip` target may use outside the VPC (spec §3.2: peered VPCs, on-premises). */
const PRIVATE_RANGES = new BlockList()
PRIVATE_RANGES.addSubnet('10.0.0.0', 8, 'ipv4')
PRIVATE_RANGES.addSubnet('100.64.0.0', 10, 'ipv4')
PRIVATE_RANGES.addSubnet('172.16.0.0', 12, 'ipv4')
PRIVATE_RANGES.addSubnet('192.168.0.0', 16, 'ipv4')
PRIVATE_RANGES.addSubnet('fc00::', 7, 'ipv6')

/**
 * Loopback is this host. AWS has no such range, but on one machine targets are processes on
 * this host (DESIGN.md "Addressing on your own machine"), so 127.0.0.0/8 and ::1 are accepted
 * like addresses inside the VPC: no Availability Zone needed.
 */
const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK.addAddress('::1', 'ipv6')

function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/')
  if (base === undefined || bits === undefined) return false
  const family = isIPv4(base) ? 'ipv4' : 'ipv6'
  if ((family === 'ipv4') !== isIPv4(ip)) return false
  const list = new BlockList()
  list.addSubnet(base, Number(bits), family)
  return list.check(ip, family)
}

/** Checks an `ip` target and returns the Availability Zone to record (detected inside the VPC). */
function checkIpTarget(tx: Tx, ctx: Context, tg: TargetGroup, target: TargetInput): string | undefined {
  const ip = target.id
  const family = tg.ipAddressType === 'ipv6' ? 'ipv6' : 'ipv4'
  if (family === 'ipv4' ? !isIPv4(ip) : !isIPv6(ip)) {
    throw validation(`The IP address '${ip}' is not a valid ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address`)
  }
  const zones = availabilityZones(ctx.region)
  const validZone = (az: string | undefined) => az === 'all' || (az !== undefined && zones.includes(az))
  if (LOOPBACK.check(ip, family)) {
    if (target.availabilityZone !== undefined && !validZone(target.availabilityZone)) {
      throw validation(`The Availability Zone '${target.availabilityZone}' is not valid`)
    }
    return target.availabilityZone
  }
  const vpc = tg.vpcId === undefined ? undefined : tx.get('vpc', tg.vpcId)
  if (vpc !== undefined && cidrContains(vpc.cidrBlock, ip)) {
    // Inside the VPC the zone is the subnet's; AWS refuses to override it [obs].
    const subnet = tx.list('subnet').find((s) => s.vpcId === vpc.id && cidrContains(s.cidrBlock, ip))
    const detected = subnet?.availabilityZone
    if (target.availabilityZone !== undefined && detected !== undefined && target.availabilityZone !== detected) {
      throw validation(`The IP address '${ip}' is within the VPC, and cannot have its Availability Zone overridden to '${target.availabilityZone}' from '${detected}'`)
    }
    return detected ?? target.availabilityZone
  }
  if (PRIVATE_RANGES.check(ip, family)) {
    // Outside the VPC the load balancer cannot tell the zone, so the caller names it [obs].
    if (!validZone(target.availabilityZone)) {
      throw validation(`You must specify a valid Availability Zone or select 'all' for all enabled Availability zones, since the IP address '${ip}' is outside the VPC`)
    }
    return target.availabilityZone
  }
  // Publicly routable addresses cannot be targets (spec §3.2). Message text UNVERIFIED.
  throw new ApiError('InvalidTarget', `The following targets are not in a valid IP address range for the target group: '${ip}'`)
}

const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9_$-]{1,128})?$/

/** Validates every target the way RegisterTargets does and returns the zone to record per target. */
function checkTargets(ctx: Context, tg: TargetGroup, targets: readonly TargetInput[]): Array<string | undefined> {
  const { tx } = ctx
  if (tg.targetType === 'instance') {
    const missingIds: string[] = []
    const otherVpc: string[] = []
    const notRunning: string[] = []
    for (const target of targets) {
      if (!INSTANCE_ID.test(target.id)) throw validation(`Instance ID '${target.id}' is not valid`) // [obs]
      if (target.availabilityZone !== undefined) {
        throw validation("An Availability Zone cannot be specified for targets of target groups with target type 'instance'")
      }
      const instance = tx.get('instance', target.id)
      if (instance === undefined || instance.region !== ctx.region) missingIds.push(target.id)
      else if (instance.vpcId !== tg.vpcId) otherVpc.push(target.id)
      else if (currentInstanceState(instance, tx.now) !== 'running') notRunning.push(target.id)
    }
    if (missingIds.length > 0) throw new ApiError('InvalidTarget', `The following instances do not exist: ${quoted(missingIds)}`) // [obs]
    if (otherVpc.length > 0) throw new ApiError('InvalidTarget', `The following targets are not in the target group VPC '${tg.vpcId}': ${quoted(otherVpc)}`)
    if (notRunning.length > 0) throw new ApiError('InvalidTarget', `The following targets are not in a running state and cannot be registered: ${quoted(notRunning)}`) // [obs]
    return targets.map(() => undefined)
  }
  if (tg.targetType === 'lambda') {
    for (const target of targets) {
      if (!LAMBDA_ARN.test(target.id)) throw validation(`The Lambda function ARN '${target.id}' is not valid`)
    }
    return targets.map(() => 'all')
  }
  return targets.map((target) => checkIpTarget(tx, ctx, tg, target))
}

// ------------------------------------------------------------------ operations

function registerTargets(input: QueryObject, ctx: Context): unknown {
  const { tx } = ctx
  const tg = getTargetGroup(tx, reqStr(input, 'TargetGroupArn'))
  const targets = readTargets(input, true)!
  const zones = checkTargets(ctx, tg, targets)
  purgeExpired(tx, tg)
  const existing = new Map(currentRegistrations(tx, tg).map((r) => [r.key, r]))
  const added = new Set<string>()
  targets.forEach((target, i) => {
    const port = resolvePort(tg, target)
    const key = registrationKey(tg.arn, target.id, port)
    const current = existing.get(key)
    if (current !== undefined && current.deregisteredAt === undefined) return // same Id+Port again: no-op
    if (current === undefined) added.add(key)
    const zone = zones[i]
    // A draining target registered again starts over as a new registration (seed 003: `initial`).
    tx.put('registration', key, {
      key, targetGroupArn: tg.arn, targetId: target.id, port, registeredAt: tx.now,
      ...(zone !== undefined ? { availabilityZone: zone } : {}),
    })
  })
  const limit = tg.targetType === 'lambda' ? 1 : LIMITS['targets-per-target-group']
  if (existing.size + added.size > limit) {
    throw new ApiError('TooManyTargets', `You have reached the maximum number of targets (${limit}) for target group '${tg.arn}'`)
  }
  return {}
}

function deregisterTargets(input: QueryObject, ctx: Context): unknown {
  const { tx } = ctx
  const tg = getTargetGroup(tx, reqStr(input, 'TargetGroupArn'))
  const targets = readTargets(input, true)!
  purgeExpired(tx, tg)
  const delay = deregistrationDelaySeconds(tg)
  for (const target of targets) {
    const key = registrationKey(tg.arn, target.id, resolvePort(tg, target))
    const registration = tx.get('registration', key)
    // Deregistering an unknown or already draining target succeeds and changes nothing (spec §2.5).
    if (registration === undefined || registration.deregisteredAt !== undefined) continue
    if (delay === 0) tx.delete('registration', key)
    else tx.put('registration', key, { ...registration, deregisteredAt: tx.now })
  }
  return {}
}

function wireTarget(tg: TargetGroup, r: { targetId: string; port: number; availabilityZone?: string }): Record<string, unknown> {
  return {
    Id: r.targetId,
    Port: tg.targetType === 'lambda' ? undefined : r.port,
    AvailabilityZone: r.availabilityZone,
  }
}

function wireHealth(health: TargetHealth): Record<string, unknown> {
  return { State: health.state, Reason: health.reason, Description: health.description }
}

/** `traffic-port` resolves to the target's own port; lambda targets have none (CLI example). */
function healthCheckPort(tg: TargetGroup, port: number): string | undefined {
  if (tg.targetType === 'lambda') return undefined
  const configured = tg.healthCheck.port ?? 'traffic-port'
  return configured === 'traffic-port' ? String(port) : configured
}

function describeTargetHealth(input: QueryObject, ctx: Context): unknown {
  const { tx } = ctx
  const tg = getTargetGroup(tx, reqStr(input, 'TargetGroupArn'))
  const include = strList(input, 'Include') ?? []
  for (const option of include) {
    if (!INCLUDE_OPTIONS.includes(option as 'All')) throw enumConstraint(option, 'include', INCLUDE_OPTIONS)
  }
  // Anomaly detection needs traffic to compare targets; without it every target is `normal`.
  const anomalyDetection = include.length > 0 ? { Result: 'normal', MitigationInEffect: 'no' } : undefined
  const inUse = targetGroupsInUse(tx).has(tg.arn)
  const registrations = currentRegistrations(tx, tg)

  const describe = (r: Registration): Record<string, unknown> => {
    let instanceState: TargetHealthInput['instanceState']
    if (tg.targetType === 'instance') {
      const instance = tx.get('instance', r.targetId)
      instanceState = instance === undefined ? 'missing' : currentInstanceState(instance, tx.now)
    }
    const observed = ctx.health.live(r)
    const health = targetHealth({
      registration: r, healthCheckEnabled: tg.healthCheck.enabled, inUse,
      ...(instanceState !== undefined ? { instanceState } : {}),
      ...(observed !== undefined ? { observed } : {}),
    })
    return {
      Target: wireTarget(tg, r),
      HealthCheckPort: healthCheckPort(tg, r.port),
      TargetHealth: wireHealth(health),
      AnomalyDetection: anomalyDetection,
    }
  }

  const targets = readTargets(input, false)
  if (targets === undefined || targets.length === 0) {
    return { TargetHealthDescriptions: registrations.map(describe) }
  }
  const descriptions: Array<Record<string, unknown>> = []
  const unknownInstances: string[] = []
  for (const target of targets) {
    // Without a Port every registration of the Id answers (UNVERIFIED; AWS documents no default here).
    const matches = registrations.filter((r) => r.targetId === target.id &&
      (target.port === undefined || tg.targetType === 'lambda' || r.port === target.port))
    if (matches.length > 0) {
      descriptions.push(...matches.map(describe))
      continue
    }
    // The `target-deregistered` waiter accepts InvalidTarget: AWS reports ids EC2 does not know.
    if (tg.targetType === 'instance' && tx.get('instance', target.id)?.region !== ctx.region) {
      unknownInstances.push(target.id)
      continue
    }
    const port = resolvePort(tg, target)
    descriptions.push({
      Target: wireTarget(tg, { targetId: target.id, port, ...(target.availabilityZone !== undefined ? { availabilityZone: target.availabilityZone } : {}) }),
      TargetHealth: wireHealth(NOT_REGISTERED),
      AnomalyDetection: anomalyDetection,
    })
  }
  if (unknownInstances.length > 0) throw new ApiError('InvalidTarget', `The following instances do not exist: ${quoted(unknownInstances)}`)
  return { TargetHealthDescriptions: descriptions }
}

export const targetsHandlers: Handlers = {
  RegisterTargets: registerTargets,
  DeregisterTargets: deregisterTargets,
  DescribeTargetHealth: describeTargetHealth,
}
