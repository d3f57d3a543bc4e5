/**
 * @module api/elbv2/target-groups
 * CreateTargetGroup, DescribeTargetGroups, ModifyTargetGroup, DeleteTargetGroup and the
 * target group attributes (spec §3). Registrations live in targets.ts.
 */
import { ApiError, constraint, enumConstraint, invalidConfig, validation } from '../errors.ts'
import { bool, int, obj, reqStr, str, strList, type QueryObject } from '../query.ts'
import type { Context, Handlers } from '../context.ts'
import type { Tx } from '../../store/store.ts'
import type { HealthCheck, Matcher, TargetGroup } from '../../model/resources.ts'
import { targetGroupArn } from '../../model/arn.ts'
import { effectiveAttributes, targetGroupAttributeSpecs } from '../../model/attributes.ts'
import {
  LIMITS, checkArn, checkName, forwardedTargetGroupArns, getLoadBalancer, getTargetGroup, paginate, parseAttributes, parseTags,
  targetGroupsInUse,
} from './common.ts'

/** ProtocolEnum of the model, in model order (the enum-violation message lists it). */
const PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'TLS', 'UDP', 'TCP_UDP', 'GENEVE', 'QUIC', 'TCP_QUIC'] as const
const ALB_PROTOCOLS = ['HTTP', 'HTTPS'] as const
const PROTOCOL_VERSIONS = ['HTTP1', 'HTTP2', 'GRPC'] as const
const TARGET_TYPES = ['instance', 'ip', 'lambda', 'alb'] as const
const IP_ADDRESS_TYPES = ['ipv4', 'ipv6'] as const
type TargetType = (typeof TARGET_TYPES)[number]

/** The gRPC health-check path ALB uses by default (UG; the model prose mangles it, spec §3.1). */
const GRPC_HEALTH_CHECK_PATH = '/AWS.ALB/healthcheck'

// ------------------------------------------------------------------ output

/** Load balancers whose listeners have a rule forwarding to each target group (spec §3.1 LoadBalancerArns). */
export function loadBalancersByTargetGroup(tx: Tx): Map<string, string[]> {
  const byGroup = new Map<string, string[]>()
  for (const rule of tx.list('rule')) {
    const listener = tx.get('listener', rule.listenerArn)
    if (listener === undefined) continue
    for (const action of rule.actions) {
      for (const arn of forwardedTargetGroupArns(action)) {
        const lbs = byGroup.get(arn) ?? []
        if (!lbs.includes(listener.loadBalancerArn)) lbs.push(listener.loadBalancerArn)
        byGroup.set(arn, lbs)
      }
    }
  }
  return byGroup
}

/**
 * The TargetGroup shape in model member order. `loadBalancerArns` undefined omits the member:
 * CreateTargetGroup's output has none (seed 000, CLI examples), Describe/Modify list them.
 */
export function wireTargetGroup(tg: TargetGroup, loadBalancerArns: readonly string[] | undefined): Record<string, unknown> {
  const hc = tg.healthCheck
  return {
    TargetGroupArn: tg.arn,
    TargetGroupName: tg.name,
    Protocol: tg.protocol,
    Port: tg.port,
    VpcId: tg.vpcId,
    HealthCheckProtocol: hc.protocol,
    HealthCheckPort: hc.port,
    HealthCheckEnabled: hc.enabled,
    HealthCheckIntervalSeconds: hc.intervalSeconds,
    HealthCheckTimeoutSeconds: hc.timeoutSeconds,
    HealthyThresholdCount: hc.healthyThresholdCount,
    UnhealthyThresholdCount: hc.unhealthyThresholdCount,
    HealthCheckPath: hc.path,
    Matcher: hc.matcher === undefined ? undefined : { HttpCode: hc.matcher.httpCode, GrpcCode: hc.matcher.grpcCode },
    LoadBalancerArns: loadBalancerArns,
    TargetType: tg.targetType,
    ProtocolVersion: tg.protocolVersion,
    IpAddressType: tg.ipAddressType,
    TargetControlPort: tg.targetControlPort,
  }
}

// ------------------------------------------------------------------ health check input

/** The health-check members of CreateTargetGroup / ModifyTargetGroup as given (absent = undefined). */
interface HealthCheckInput {
  readonly protocol?: string
  readonly port?: string
  readonly enabled?: boolean
  readonly path?: string
  readonly intervalSeconds?: number
  readonly timeoutSeconds?: number
  readonly healthyThresholdCount?: number
  readonly unhealthyThresholdCount?: number
  readonly matcher?: Matcher
}

function intInRange(input: QueryObject, name: string, min: number, max: number): number | undefined {
  const value = int(input, name)
  if (value === undefined) return undefined
  const member = name.charAt(0).toLowerCase() + name.slice(1)
  if (value < min) throw constraint(value, member, `Member must have value greater than or equal to ${min}`)
  if (value > max) throw constraint(value, member, `Member must have value less than or equal to ${max}`)
  return value
}

function readHealthCheckInput(input: QueryObject): HealthCheckInput {
  const protocol = str(input, 'HealthCheckProtocol')
  if (protocol !== undefined) {
    if (!PROTOCOLS.includes(protocol as 'HTTP')) throw enumConstraint(protocol, 'healthCheckProtocol', PROTOCOLS)
    // TCP checks exist only for NLB/GWLB target groups (spec §3.1).
    if (!ALB_PROTOCOLS.includes(protocol as 'HTTP')) throw validation(`Health check protocol '${protocol}' is not supported for target groups with the HTTP or HTTPS protocol; use HTTP or HTTPS`)
  }
  const port = str(input, 'HealthCheckPort')
  if (port !== undefined && port !== 'traffic-port' && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    throw validation(`Health check port '${port}' must be 'traffic-port' or a port number between 1 and 65535`)
  }
  const path = str(input, 'HealthCheckPath')
  if (path !== undefined) {
    if (path.length < 1) throw constraint(path, 'healthCheckPath', 'Member must have length greater than or equal to 1')
    if (path.length > 1024) throw constraint(path, 'healthCheckPath', 'Member must have length less than or equal to 1024')
    if (!path.startsWith('/')) throw validation(`Health check path '${path}' must begin with a '/' character`)
  }
  const matcherInput = obj(input, 'Matcher')
  let matcher: Matcher | undefined
  if (matcherInput !== undefined) {
    const httpCode = str(matcherInput, 'HttpCode')
    const grpcCode = str(matcherInput, 'GrpcCode')
    if (httpCode === undefined && grpcCode === undefined) throw validation('A matcher must specify either HttpCode or GrpcCode')
    if (httpCode !== undefined) checkCodes('HttpCode', httpCode, 200, 499)
    if (grpcCode !== undefined) checkCodes('GrpcCode', grpcCode, 0, 99)
    matcher = { ...(httpCode !== undefined ? { httpCode } : {}), ...(grpcCode !== undefined ? { grpcCode } : {}) }
  }
  const hc: Record<string, unknown> = {
    protocol, port, path, matcher,
    enabled: bool(input, 'HealthCheckEnabled'),
    intervalSeconds: intInRange(input, 'HealthCheckIntervalSeconds', 5, 300),
    timeoutSeconds: intInRange(input, 'HealthCheckTimeoutSeconds', 2, 120),
    healthyThresholdCount: intInRange(input, 'HealthyThresholdCount', 2, 10),
    unhealthyThresholdCount: intInRange(input, 'UnhealthyThresholdCount', 2, 10),
  }
  for (const key of Object.keys(hc)) if (hc[key] === undefined) delete hc[key]
  return hc as HealthCheckInput
}

/**
 * Success codes: single values, comma lists and ranges, mixable ("200,202-204"); ALB HTTP
 * codes 200-499, gRPC codes 0-99 (spec §3.1). Message text UNVERIFIED.
 */
function checkCodes(member: 'HttpCode' | 'GrpcCode', value: string, min: number, max: number): void {
  const bad = (): ApiError => validation(`${member} '${value}' is not valid: use values like '${min}', '${min},${min + 1}' or '${min}-${min + 99 > max ? max : min + 99}' between ${min} and ${max}`)
  const parts = value.split(',')
  for (const part of parts) {
    const m = /^(\d{1,3})(?:-(\d{1,3}))?$/.exec(part.trim())
    if (m === null) throw bad()
    const low = Number(m[1])
    const high = m[2] === undefined ? low : Number(m[2])
    if (low < min || high > max || low > high) throw bad()
  }
}

/** Cross-field rules of the final health check (spec §3.1, §3.2). */
function checkHealthCheck(hc: HealthCheck, targetType: TargetType, protocolVersion: string | undefined): void {
  // Lambda checks run inside the invocation, so only instance/ip/alb have this rule (spec §3.1).
  if (!hc.enabled && targetType !== 'lambda') {
    throw validation(`Health checks cannot be disabled for target groups with target type '${targetType}'`)
  }
  if (hc.timeoutSeconds >= hc.intervalSeconds) {
    throw validation(`Health check timeout '${hc.timeoutSeconds}' must be smaller than the interval '${hc.intervalSeconds}'`)
  }
  if (protocolVersion === 'GRPC') {
    if (hc.matcher?.httpCode !== undefined) throw validation("Target groups with protocol version 'GRPC' need a GrpcCode matcher, not HttpCode")
  } else if (hc.matcher?.grpcCode !== undefined) {
    throw validation("A GrpcCode matcher is only valid for target groups with protocol version 'GRPC'")
  }
}

// ------------------------------------------------------------------ CreateTargetGroup

interface TargetGroupSettings {
  readonly protocol?: string
  readonly protocolVersion?: string
  readonly port?: number
  readonly vpcId?: string
  readonly targetType: TargetType
  readonly ipAddressType: string
  readonly healthCheck: HealthCheck
  readonly targetControlPort?: number
}

function readSettings(input: QueryObject, ctx: Context): TargetGroupSettings {
  const targetType = str(input, 'TargetType') ?? 'instance'
  if (!TARGET_TYPES.includes(targetType as TargetType)) throw enumConstraint(targetType, 'targetType', TARGET_TYPES)
  if (targetType === 'alb') throw validation("Target type 'alb' is only supported by Network Load Balancer target groups with the TCP protocol")
  const protocol = str(input, 'Protocol')
  if (protocol !== undefined && !PROTOCOLS.includes(protocol as 'HTTP')) throw enumConstraint(protocol, 'protocol', PROTOCOLS)
  if (protocol !== undefined && !ALB_PROTOCOLS.includes(protocol as 'HTTP')) {
    throw validation(`Protocol '${protocol}' is for Network and Gateway Load Balancers, which OpenALB does not provide; Application Load Balancer target groups use HTTP or HTTPS`)
  }
  const port = intInRange(input, 'Port', 1, 65535)
  const vpcId = str(input, 'VpcId')
  const protocolVersionInput = str(input, 'ProtocolVersion')
  const ipAddressType = str(input, 'IpAddressType') ?? 'ipv4'
  if (!IP_ADDRESS_TYPES.includes(ipAddressType as 'ipv4')) throw enumConstraint(ipAddressType, 'ipAddressType', IP_ADDRESS_TYPES)
  const targetControlPort = intInRange(input, 'TargetControlPort', 1, 65535)
  const given = readHealthCheckInput(input)

  if (targetType === 'lambda') {
    // A Lambda function is invoked, not connected to: no protocol, port or VPC (spec §3.1).
    if (protocol !== undefined) throw validation("Protocol cannot be specified for target groups with target type 'lambda'")
    if (port !== undefined) throw validation("Port cannot be specified for target groups with target type 'lambda'")
    if (vpcId !== undefined) throw validation("VPC ID cannot be specified for target groups with target type 'lambda'")
    if (protocolVersionInput !== undefined) throw validation("Protocol version cannot be specified for target groups with target type 'lambda'")
    if (given.protocol !== undefined || given.port !== undefined) {
      throw validation("Health check protocol and port cannot be specified for target groups with target type 'lambda'")
    }
    if (ipAddressType !== 'ipv4') throw validation("IP address type 'ipv6' is not supported for target groups with target type 'lambda'")
    // Lambda defaults: checks off, 35 s interval, 30 s timeout (spec §3.1; the CLI example output
    // shows UnhealthyThresholdCount 2, which we follow over the model prose's 5).
    const healthCheck: HealthCheck = {
      enabled: given.enabled ?? false,
      path: given.path ?? '/',
      intervalSeconds: given.intervalSeconds ?? 35,
      timeoutSeconds: given.timeoutSeconds ?? 30,
      healthyThresholdCount: given.healthyThresholdCount ?? 5,
      unhealthyThresholdCount: given.unhealthyThresholdCount ?? 2,
      matcher: given.matcher ?? { httpCode: '200' },
    }
    checkHealthCheck(healthCheck, 'lambda', undefined)
    return { targetType, ipAddressType, healthCheck, ...(targetControlPort !== undefined ? { targetControlPort } : {}) }
  }

  if (protocol === undefined) throw validation('A protocol must be specified')
  if (port === undefined) throw validation('A port must be specified')
  if (vpcId === undefined) throw validation('A VPC ID must be specified')
  const vpc = ctx.tx.get('vpc', vpcId)
  if (vpc === undefined || vpc.region !== ctx.region) throw validation(`The VPC ID '${vpcId}' is not found`)
  const protocolVersion = protocolVersionInput ?? 'HTTP1'
  if (!PROTOCOL_VERSIONS.includes(protocolVersion as 'HTTP1')) throw enumConstraint(protocolVersion, 'protocolVersion', PROTOCOL_VERSIONS)
  const grpc = protocolVersion === 'GRPC'
  const healthCheck: HealthCheck = {
    enabled: given.enabled ?? true,
    // UNVERIFIED (spec §10.1): the docs say HTTP, moto and console behaviour follow the group's
    // protocol; we follow the group so an HTTPS-only target passes its checks out of the box.
    protocol: given.protocol ?? protocol,
    port: given.port ?? 'traffic-port',
    path: given.path ?? (grpc ? GRPC_HEALTH_CHECK_PATH : '/'),
    intervalSeconds: given.intervalSeconds ?? 30,
    timeoutSeconds: given.timeoutSeconds ?? 5,
    healthyThresholdCount: given.healthyThresholdCount ?? 5,
    unhealthyThresholdCount: given.unhealthyThresholdCount ?? 2,
    matcher: given.matcher ?? (grpc ? { grpcCode: '12' } : { httpCode: '200' }),
  }
  checkHealthCheck(healthCheck, targetType as TargetType, protocolVersion)
  return {
    protocol, protocolVersion, port, vpcId, targetType: targetType as TargetType, ipAddressType, healthCheck,
    ...(targetControlPort !== undefined ? { targetControlPort } : {}),
  }
}

/** Settings compared for idempotent create (spec §2.5); tags and attributes are not settings. */
function settingsKey(s: TargetGroupSettings | TargetGroup): string {
  const hc = s.healthCheck
  return JSON.stringify([
    s.protocol, s.protocolVersion, s.port, s.vpcId, s.targetType, s.ipAddressType, s.targetControlPort,
    hc.enabled, hc.protocol, hc.port, hc.path, hc.intervalSeconds, hc.timeoutSeconds, hc.healthyThresholdCount,
    hc.unhealthyThresholdCount, hc.matcher?.httpCode, hc.matcher?.grpcCode,
  ])
}

function createTargetGroup(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const name = reqStr(input, 'Name')
  checkName('Target group', name)
  const settings = readSettings(input, ctx)
  const tags = parseTags(input) ?? []
  const inRegion = tx.list('targetGroup').filter((tg) => tg.region === region)
  const existing = inRegion.find((tg) => tg.name.toLowerCase() === name.toLowerCase())
  if (existing !== undefined) {
    // Idempotent create (spec §2.5): same settings → the existing group.
    if (settingsKey(existing) === settingsKey(settings)) return { TargetGroups: [wireTargetGroup(existing, undefined)] }
    throw new ApiError('DuplicateTargetGroupName', 'A target group with the same name exists, but with different settings')
  }
  if (inRegion.length >= LIMITS['target-groups']) {
    throw new ApiError('TooManyTargetGroups', 'The quota for the number of target groups has been reached')
  }
  const arn = targetGroupArn(region, ctx.options.accountId, name)
  const tg: TargetGroup = { ...settings, region, tags, arn, name, attributes: {}, createdTime: tx.now }
  tx.put('targetGroup', arn, tg)
  return { TargetGroups: [wireTargetGroup(tg, undefined)] }
}

// ------------------------------------------------------------------ Describe / Modify / Delete

function describeTargetGroups(input: QueryObject, ctx: Context): unknown {
  const { tx } = ctx
  const lbArn = str(input, 'LoadBalancerArn')
  const arns = strList(input, 'TargetGroupArns')
  for (const arn of arns ?? []) checkArn(arn, 'targetgroup')
  const names = strList(input, 'Names')
  const given = [lbArn !== undefined, arns !== undefined && arns.length > 0, names !== undefined && names.length > 0].filter(Boolean).length
  if (given > 1) throw validation('You can specify only one of the following: LoadBalancerArn, TargetGroupArns, Names')
  const byGroup = loadBalancersByTargetGroup(tx)
  let groups = tx.list('targetGroup').filter((tg) => tg.region === ctx.region)
  // Both lookups fail with AWS's observed DescribeTargetGroups text (spec §2.3); we do not
  // name the missing groups because the ARN form of the message is the only one observed.
  const notFound = () => new ApiError('TargetGroupNotFound', 'One or more target groups not found')
  if (lbArn !== undefined) {
    const lb = getLoadBalancer(tx, lbArn)
    groups = groups.filter((tg) => byGroup.get(tg.arn)?.includes(lb.arn) === true)
  } else if (arns !== undefined && arns.length > 0) {
    const found = [...new Set(arns)].map((arn) => groups.find((tg) => tg.arn === arn))
    if (found.some((tg) => tg === undefined)) throw notFound()
    groups = found as TargetGroup[]
  } else if (names !== undefined && names.length > 0) {
    const found = [...new Set(names)].map((n) => groups.find((tg) => tg.name === n))
    if (found.some((tg) => tg === undefined)) throw notFound()
    groups = found as TargetGroup[]
  }
  const { page, nextMarker } = paginate(groups, input)
  return { TargetGroups: page.map((tg) => wireTargetGroup(tg, byGroup.get(tg.arn) ?? [])), NextMarker: nextMarker }
}

function modifyTargetGroup(input: QueryObject, ctx: Context): unknown {
  const tg = getTargetGroup(ctx.tx, reqStr(input, 'TargetGroupArn'))
  const given = readHealthCheckInput(input)
  if (tg.targetType === 'lambda' && (given.protocol !== undefined || given.port !== undefined)) {
    throw validation("Health check protocol and port cannot be specified for target groups with target type 'lambda'")
  }
  const healthCheck: HealthCheck = { ...tg.healthCheck, ...given }
  checkHealthCheck(healthCheck, tg.targetType as TargetType, tg.protocolVersion)
  const updated: TargetGroup = { ...tg, healthCheck }
  ctx.tx.put('targetGroup', tg.arn, updated)
  return { TargetGroups: [wireTargetGroup(updated, loadBalancersByTargetGroup(ctx.tx).get(tg.arn) ?? [])] }
}

function deleteTargetGroup(input: QueryObject, ctx: Context): unknown {
  const arn = reqStr(input, 'TargetGroupArn')
  checkArn(arn, 'targetgroup')
  const tg = ctx.tx.get('targetGroup', arn)
  // The model lists only ResourceInUse for this operation, so a missing group succeeds (spec §2.5, UNVERIFIED).
  if (tg === undefined) return {}
  if (targetGroupsInUse(ctx.tx).has(arn)) {
    throw new ApiError('ResourceInUse', `Target group '${arn}' is currently in use by a listener or a rule`)
  }
  for (const registration of ctx.tx.list('registration')) {
    if (registration.targetGroupArn === arn) ctx.tx.delete('registration', registration.key)
  }
  ctx.tx.delete('targetGroup', arn)
  return {}
}

// ------------------------------------------------------------------ attributes

function wireAttributes(tg: TargetGroup): Array<{ Key: string; Value: string }> {
  return effectiveAttributes(targetGroupAttributeSpecs(tg.targetType), tg.attributes).map((a) => ({ Key: a.key, Value: a.value }))
}

function describeTargetGroupAttributes(input: QueryObject, ctx: Context): unknown {
  return { Attributes: wireAttributes(getTargetGroup(ctx.tx, reqStr(input, 'TargetGroupArn'))) }
}

/** A threshold value as a number, or undefined for `off`. */
function threshold(value: string | undefined): number | undefined {
  return value === undefined || value === 'off' ? undefined : Number(value)
}

/** Rules between attributes (spec §3.3). Every combination error is InvalidConfigurationRequest. */
function checkAttributeCombination(values: ReadonlyMap<string, string>): void {
  const get = (key: string) => values.get(key)
  const stickiness = get('stickiness.enabled') === 'true'
  const algorithm = get('load_balancing.algorithm.type')
  if (stickiness && get('stickiness.type') === 'app_cookie' && (get('stickiness.app_cookie.cookie_name') ?? '') === '') {
    throw invalidConfig("You must set an application cookie name to enable stickiness of type 'app_cookie'")
  }
  const slowStart = Number(get('slow_start.duration_seconds') ?? '0')
  if (slowStart > 0 && (algorithm === 'least_outstanding_requests' || algorithm === 'weighted_random')) {
    throw invalidConfig(`Slow start cannot be enabled with the '${algorithm}' load balancing algorithm`)
  }
  if (algorithm === 'weighted_random' && stickiness) {
    throw invalidConfig("Stickiness cannot be enabled with the 'weighted_random' load balancing algorithm")
  }
  if (get('load_balancing.algorithm.anomaly_mitigation') === 'on' && algorithm !== 'weighted_random') {
    throw invalidConfig("Anomaly mitigation can only be turned on with the 'weighted_random' load balancing algorithm")
  }
  // Stickiness needs every zone's nodes to reach every target (UG disable-cross-zone.md).
  if (stickiness && get('load_balancing.cross_zone.enabled') === 'false') {
    throw invalidConfig('Stickiness cannot be enabled when cross-zone load balancing is turned off for the target group')
  }
  // DNS failover must not trigger before routing failover gives up on the healthy set (spec §3.3).
  for (const unit of ['count', 'percentage'] as const) {
    const dns = threshold(get(`target_group_health.dns_failover.minimum_healthy_targets.${unit}`))
    const routing = threshold(get(`target_group_health.unhealthy_state_routing.minimum_healthy_targets.${unit}`))
    if (dns !== undefined && routing !== undefined && dns < routing) {
      throw invalidConfig(`The DNS failover minimum healthy targets ${unit} '${dns}' must be greater than or equal to the unhealthy state routing minimum healthy targets ${unit} '${routing}'`)
    }
  }
}

function modifyTargetGroupAttributes(input: QueryObject, ctx: Context): unknown {
  const tg = getTargetGroup(ctx.tx, reqStr(input, 'TargetGroupArn'))
  const specs = targetGroupAttributeSpecs(tg.targetType)
  const attributes = { ...tg.attributes }
  for (const { key, value } of parseAttributes(input)) {
    const spec = specs.find((s) => s.key === key)
    if (spec === undefined) throw validation(`Target group attribute key '${key}' is not recognized`)
    const problem = spec.check(value)
    if (problem !== undefined) throw validation(problem)
    attributes[key] = value
  }
  checkAttributeCombination(new Map(effectiveAttributes(specs, attributes).map((a) => [a.key, a.value])))
  const updated: TargetGroup = { ...tg, attributes }
  ctx.tx.put('targetGroup', tg.arn, updated)
  return { Attributes: wireAttributes(updated) }
}

export const targetGroupsHandlers: Handlers = {
  CreateTargetGroup: createTargetGroup,
  DescribeTargetGroups: describeTargetGroups,
  ModifyTargetGroup: modifyTargetGroup,
  DeleteTargetGroup: deleteTargetGroup,
  DescribeTargetGroupAttributes: describeTargetGroupAttributes,
  ModifyTargetGroupAttributes: modifyTargetGroupAttributes,
}
