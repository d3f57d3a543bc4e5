import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  CreateLoadBalancerCommand, CreateTargetGroupCommand, DeleteTargetGroupCommand, DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand, ModifyTargetGroupAttributesCommand, ModifyTargetGroupCommand, RegisterTargetsCommand,
  type CreateTargetGroupCommandInput,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { startTestOpenAlb, TEST_REGION, type TestOpenAlb } from './support/openalb.ts'
import { defaultSubnets } from './support/network.ts'
import { listenerArn, ruleArn, targetGroupArn } from '../src/model/arn.ts'

/** The default VPC (through DescribeSubnets) and its subnets. */
async function defaultNetwork(alb: TestOpenAlb): Promise<{ vpcId: string; subnets: string[] }> {
  const subnets = await defaultSubnets(alb)
  const vpcId = alb.store.get('subnet', subnets[0]!)?.vpcId
  assert.ok(vpcId)
  return { vpcId, subnets }
}

/**
 * A listener whose default rule forwards to `tgArn`, stored directly: CreateListener is being
 * written in parallel. Returns the rule ARN.
 */
async function forwardTo(alb: TestOpenAlb, lbArn: string, tgArn: string, port: number): Promise<{ listener: string; rule: string }> {
  const listener = listenerArn(lbArn)
  const rule = ruleArn(listener)
  await alb.store.tx((tx) => {
    tx.put('listener', listener, {
      region: TEST_REGION, tags: [], arn: listener, loadBalancerArn: lbArn, port, protocol: 'HTTP',
      certificateArns: [], attributes: {}, createdTime: tx.now,
    })
    tx.put('rule', rule, {
      region: TEST_REGION, tags: [], arn: rule, listenerArn: listener, priority: 'default', conditions: [],
      actions: [{ type: 'forward', forwardConfig: { targetGroups: [{ targetGroupArn: tgArn, weight: 1 }] } }],
    })
  })
  return { listener, rule }
}

function rejectsWith(code: string, message?: string | RegExp): (err: Error) => boolean {
  return (err: Error) => {
    assert.equal(err.name, code)
    if (typeof message === 'string') assert.equal(err.message, message)
    else if (message !== undefined) assert.match(err.message, message)
    return true
  }
}

describe('target groups (SDK v3)', () => {
  let alb: TestOpenAlb
  let vpcId: string
  let subnets: string[]
  before(async () => {
    alb = await startTestOpenAlb()
    ;({ vpcId, subnets } = await defaultNetwork(alb))
  })
  after(async () => { await alb.close() })

  const create = (input: Partial<CreateTargetGroupCommandInput>) =>
    alb.elbv2.send(new CreateTargetGroupCommand({ Name: 'tg', Protocol: 'HTTP', Port: 80, VpcId: vpcId, ...input }))

  it('creates the seed 000 target group field by field', async () => {
    const out = await alb.elbv2.send(new CreateTargetGroupCommand({
      Name: 'umemoto-TGN', TargetType: 'instance', ProtocolVersion: 'HTTP1', HealthCheckEnabled: true,
      Matcher: { HttpCode: '200,301' }, Protocol: 'HTTP', Port: 80, VpcId: vpcId, IpAddressType: 'ipv4',
      Tags: [{ Key: 'Name', Value: 'umemoto-TGN' }],
    }))
    assert.equal(out.TargetGroups?.length, 1)
    const tg = out.TargetGroups![0]!
    assert.match(tg.TargetGroupArn!, /^arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup\/umemoto-TGN\/[0-9a-f]{16}$/)
    const { TargetGroupArn: _arn, ...rest } = tg
    assert.deepEqual(rest, {
      TargetGroupName: 'umemoto-TGN',
      Protocol: 'HTTP',
      Port: 80,
      VpcId: vpcId,
      HealthCheckProtocol: 'HTTP',
      HealthCheckPort: 'traffic-port',
      HealthCheckEnabled: true,
      HealthCheckIntervalSeconds: 30,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 5,
      UnhealthyThresholdCount: 2,
      HealthCheckPath: '/',
      Matcher: { HttpCode: '200,301' },
      TargetType: 'instance',
      ProtocolVersion: 'HTTP1',
      IpAddressType: 'ipv4',
    })
    // Create's output has no LoadBalancerArns (seed 000); Describe lists them, empty here.
    const described = await alb.elbv2.send(new DescribeTargetGroupsCommand({ Names: ['umemoto-TGN'] }))
    assert.deepEqual(described.TargetGroups?.[0]?.LoadBalancerArns, [])
  })

  it('takes the seed 004 health check settings', async () => {
    const tg = (await alb.elbv2.send(new CreateTargetGroupCommand({
      Name: 'default', Protocol: 'HTTP', Port: 80, VpcId: vpcId, HealthCheckPath: '/hostname',
      HealthCheckIntervalSeconds: 30, HealthCheckTimeoutSeconds: 15, HealthyThresholdCount: 3, UnhealthyThresholdCount: 3,
      Matcher: { HttpCode: '200' },
    }))).TargetGroups![0]!
    assert.equal(tg.HealthCheckPath, '/hostname')
    assert.equal(tg.HealthCheckIntervalSeconds, 30)
    assert.equal(tg.HealthCheckTimeoutSeconds, 15)
    assert.equal(tg.HealthyThresholdCount, 3)
    assert.equal(tg.UnhealthyThresholdCount, 3)
    assert.equal(tg.HealthCheckPort, 'traffic-port')
    assert.deepEqual(tg.Matcher, { HttpCode: '200' })
  })

  it('applies the defaults of each kind of target group', async () => {
    const https = (await create({ Name: 'https', Protocol: 'HTTPS', Port: 443 })).TargetGroups![0]!
    assert.equal(https.HealthCheckProtocol, 'HTTPS')
    assert.equal(https.ProtocolVersion, 'HTTP1')
    assert.deepEqual(https.Matcher, { HttpCode: '200' })
    assert.equal(https.TargetType, 'instance')

    const grpc = (await create({ Name: 'grpc', Protocol: 'HTTPS', Port: 443, ProtocolVersion: 'GRPC' })).TargetGroups![0]!
    assert.equal(grpc.HealthCheckPath, '/AWS.ALB/healthcheck')
    assert.deepEqual(grpc.Matcher, { GrpcCode: '12' })

    const ip = (await create({ Name: 'ip', TargetType: 'ip', IpAddressType: 'ipv6', Matcher: { HttpCode: '200-299' } })).TargetGroups![0]!
    assert.equal(ip.TargetType, 'ip')
    assert.equal(ip.IpAddressType, 'ipv6')
    assert.deepEqual(ip.Matcher, { HttpCode: '200-299' })

    const lambda = (await alb.elbv2.send(new CreateTargetGroupCommand({ Name: 'fn', TargetType: 'lambda' }))).TargetGroups![0]!
    const { TargetGroupArn: _arn, ...rest } = lambda
    // The CLI reference's lambda example, member for member.
    assert.deepEqual(rest, {
      TargetGroupName: 'fn', HealthCheckEnabled: false, HealthCheckIntervalSeconds: 35, HealthCheckTimeoutSeconds: 30,
      HealthyThresholdCount: 5, UnhealthyThresholdCount: 2, HealthCheckPath: '/', Matcher: { HttpCode: '200' },
      TargetType: 'lambda', IpAddressType: 'ipv4',
    })
  })

  it('rejects every invalid CreateTargetGroup input with AWS codes', async () => {
    const long = 'a'.repeat(33)
    const cases: Array<{ input: Partial<CreateTargetGroupCommandInput>; code: string; message: string | RegExp }> = [
      { input: { Name: long }, code: 'ValidationError', message: `Target group name '${long}' cannot be longer than '32' characters` },
      { input: { Name: 'a_b' }, code: 'ValidationError', message: "Target group name 'a_b' can only contain characters that are alphanumeric characters or hyphens(-)" },
      { input: { Name: '-ab' }, code: 'ValidationError', message: "Target group name '-ab' cannot begin or end with '-'" },
      { input: { Protocol: 'FOO' as 'HTTP' }, code: 'ValidationError', message: "1 validation error detected: Value 'FOO' at 'protocol' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP, GENEVE, QUIC, TCP_QUIC]" },
      { input: { Protocol: 'TCP' }, code: 'ValidationError', message: /Network and Gateway Load Balancers/ },
      { input: { Protocol: 'GENEVE' }, code: 'ValidationError', message: /Network and Gateway Load Balancers/ },
      { input: { Protocol: undefined }, code: 'ValidationError', message: 'A protocol must be specified' },
      { input: { Port: undefined }, code: 'ValidationError', message: 'A port must be specified' },
      { input: { VpcId: undefined }, code: 'ValidationError', message: 'A VPC ID must be specified' },
      { input: { Port: 0 }, code: 'ValidationError', message: "1 validation error detected: Value '0' at 'port' failed to satisfy constraint: Member must have value greater than or equal to 1" },
      { input: { Port: 65536 }, code: 'ValidationError', message: "1 validation error detected: Value '65536' at 'port' failed to satisfy constraint: Member must have value less than or equal to 65535" },
      { input: { VpcId: 'vpc-0000000000000000a' }, code: 'ValidationError', message: "The VPC ID 'vpc-0000000000000000a' is not found" },
      { input: { ProtocolVersion: 'HTTP3' }, code: 'ValidationError', message: /Value 'HTTP3' at 'protocolVersion'.*\[HTTP1, HTTP2, GRPC\]/ },
      { input: { TargetType: 'vm' as 'ip' }, code: 'ValidationError', message: /Value 'vm' at 'targetType'.*\[instance, ip, lambda, alb\]/ },
      { input: { TargetType: 'alb' }, code: 'ValidationError', message: /only supported by Network Load Balancer/ },
      { input: { TargetType: 'lambda', VpcId: undefined, Port: undefined }, code: 'ValidationError', message: "Protocol cannot be specified for target groups with target type 'lambda'" },
      { input: { TargetType: 'lambda', Protocol: undefined, VpcId: undefined }, code: 'ValidationError', message: "Port cannot be specified for target groups with target type 'lambda'" },
      { input: { TargetType: 'lambda', Protocol: undefined, Port: undefined }, code: 'ValidationError', message: "VPC ID cannot be specified for target groups with target type 'lambda'" },
      { input: { IpAddressType: 'dualstack' as 'ipv4' }, code: 'ValidationError', message: /Value 'dualstack' at 'ipAddressType'.*\[ipv4, ipv6\]/ },
      { input: { HealthCheckProtocol: 'TCP' }, code: 'ValidationError', message: /Health check protocol 'TCP' is not supported/ },
      { input: { HealthCheckProtocol: 'FTP' as 'HTTP' }, code: 'ValidationError', message: /Value 'FTP' at 'healthCheckProtocol'/ },
      { input: { HealthCheckPort: 'any' }, code: 'ValidationError', message: /Health check port 'any'/ },
      { input: { HealthCheckPort: '0' }, code: 'ValidationError', message: /Health check port '0'/ },
      { input: { HealthCheckPort: '65536' }, code: 'ValidationError', message: /Health check port '65536'/ },
      { input: { HealthCheckPath: 'health' }, code: 'ValidationError', message: "Health check path 'health' must begin with a '/' character" },
      { input: { HealthCheckPath: `/${'a'.repeat(1024)}` }, code: 'ValidationError', message: /at 'healthCheckPath' failed to satisfy constraint: Member must have length less than or equal to 1024/ },
      { input: { HealthCheckIntervalSeconds: 4 }, code: 'ValidationError', message: /Value '4' at 'healthCheckIntervalSeconds'.*greater than or equal to 5/ },
      { input: { HealthCheckIntervalSeconds: 301 }, code: 'ValidationError', message: /Value '301' at 'healthCheckIntervalSeconds'.*less than or equal to 300/ },
      { input: { HealthCheckTimeoutSeconds: 1 }, code: 'ValidationError', message: /Value '1' at 'healthCheckTimeoutSeconds'.*greater than or equal to 2/ },
      { input: { HealthCheckTimeoutSeconds: 121 }, code: 'ValidationError', message: /Value '121' at 'healthCheckTimeoutSeconds'.*less than or equal to 120/ },
      { input: { HealthCheckTimeoutSeconds: 10, HealthCheckIntervalSeconds: 10 }, code: 'ValidationError', message: "Health check timeout '10' must be smaller than the interval '10'" },
      { input: { HealthCheckTimeoutSeconds: 31 }, code: 'ValidationError', message: "Health check timeout '31' must be smaller than the interval '30'" },
      { input: { HealthyThresholdCount: 1 }, code: 'ValidationError', message: /Value '1' at 'healthyThresholdCount'/ },
      { input: { UnhealthyThresholdCount: 11 }, code: 'ValidationError', message: /Value '11' at 'unhealthyThresholdCount'/ },
      { input: { HealthCheckEnabled: false }, code: 'ValidationError', message: "Health checks cannot be disabled for target groups with target type 'instance'" },
      { input: { Matcher: { HttpCode: '600' } }, code: 'ValidationError', message: /HttpCode '600' is not valid/ },
      { input: { Matcher: { HttpCode: '199' } }, code: 'ValidationError', message: /HttpCode '199' is not valid/ },
      { input: { Matcher: { HttpCode: '300-200' } }, code: 'ValidationError', message: /HttpCode '300-200' is not valid/ },
      { input: { Matcher: { HttpCode: 'ok' } }, code: 'ValidationError', message: /HttpCode 'ok' is not valid/ },
      { input: { Matcher: { GrpcCode: '0' } }, code: 'ValidationError', message: /only valid for target groups with protocol version 'GRPC'/ },
      { input: { ProtocolVersion: 'GRPC', Matcher: { HttpCode: '200' } }, code: 'ValidationError', message: /need a GrpcCode matcher/ },
      { input: { ProtocolVersion: 'GRPC', Matcher: { GrpcCode: '100' } }, code: 'ValidationError', message: /GrpcCode '100' is not valid/ },
    ]
    for (const [i, c] of cases.entries()) {
      await assert.rejects(create({ Name: `bad-${i}`, ...c.input }), rejectsWith(c.code, c.message), `case ${i}: ${JSON.stringify(c.input).slice(0, 80)}`)
    }
    const names = (await alb.elbv2.send(new DescribeTargetGroupsCommand({}))).TargetGroups!.map((tg) => tg.TargetGroupName)
    assert.ok(!names.some((n) => n?.startsWith('bad-')), 'no rejected group was stored')
  })

  it('is idempotent for the same settings and refuses different ones', async () => {
    const a = (await create({ Name: 'idem', HealthCheckPath: '/x' })).TargetGroups![0]!
    const b = (await create({ Name: 'idem', HealthCheckPath: '/x', Tags: [{ Key: 'k', Value: 'v' }] })).TargetGroups![0]!
    assert.equal(b.TargetGroupArn, a.TargetGroupArn)
    await assert.rejects(create({ Name: 'idem', HealthCheckPath: '/y' }), rejectsWith('DuplicateTargetGroupNameException'))
    await assert.rejects(create({ Name: 'idem', HealthCheckPath: '/x', Port: 81 }), rejectsWith('DuplicateTargetGroupNameException'))
  })

  it('describes by ARN, by name, by load balancer, and paginates', async () => {
    const one = (await create({ Name: 'd-one' })).TargetGroups![0]!
    const two = (await create({ Name: 'd-two' })).TargetGroups![0]!
    const byArn = await alb.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [two.TargetGroupArn!, one.TargetGroupArn!] }))
    assert.deepEqual(byArn.TargetGroups?.map((tg) => tg.TargetGroupName), ['d-two', 'd-one'])
    const byName = await alb.elbv2.send(new DescribeTargetGroupsCommand({ Names: ['d-one'] }))
    assert.equal(byName.TargetGroups?.[0]?.TargetGroupArn, one.TargetGroupArn)

    const missingArn = targetGroupArn(TEST_REGION, '123456789012', 'nope')
    await assert.rejects(alb.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [one.TargetGroupArn!, missingArn] })),
      rejectsWith('TargetGroupNotFoundException', 'One or more target groups not found'))
    await assert.rejects(alb.elbv2.send(new DescribeTargetGroupsCommand({ Names: ['d-one', 'nope'] })),
      rejectsWith('TargetGroupNotFoundException', 'One or more target groups not found'))
    await assert.rejects(alb.elbv2.send(new DescribeTargetGroupsCommand({ Names: ['d-one'], TargetGroupArns: [one.TargetGroupArn!] })),
      rejectsWith('ValidationError'))

    const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'tg-lb', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
    assert.deepEqual((await alb.elbv2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn! }))).TargetGroups, [])
    await forwardTo(alb, lb.LoadBalancerArn!, two.TargetGroupArn!, 80)
    const byLb = await alb.elbv2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn! }))
    assert.deepEqual(byLb.TargetGroups?.map((tg) => tg.TargetGroupName), ['d-two'])
    assert.deepEqual(byLb.TargetGroups?.[0]?.LoadBalancerArns, [lb.LoadBalancerArn])
    await assert.rejects(alb.elbv2.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn!.replace(/[0-9a-f]{16}$/, '0000000000000000') })),
      rejectsWith('LoadBalancerNotFoundException'))

    const all = (await alb.elbv2.send(new DescribeTargetGroupsCommand({}))).TargetGroups!
    const seen: string[] = []
    let marker: string | undefined
    do {
      const page = await alb.elbv2.send(new DescribeTargetGroupsCommand({ PageSize: 3, Marker: marker }))
      assert.ok(page.TargetGroups!.length <= 3)
      seen.push(...page.TargetGroups!.map((tg) => tg.TargetGroupArn!))
      marker = page.NextMarker
    } while (marker !== undefined)
    assert.deepEqual(seen, all.map((tg) => tg.TargetGroupArn))
  })

  it('modifies health checks with the same validation', async () => {
    const tg = (await create({ Name: 'modify' })).TargetGroups![0]!
    const out = await alb.elbv2.send(new ModifyTargetGroupCommand({
      TargetGroupArn: tg.TargetGroupArn!, HealthCheckProtocol: 'HTTPS', HealthCheckPort: '443', Matcher: { HttpCode: '200,299' },
      HealthCheckPath: '/ping', HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 6,
    }))
    const modified = out.TargetGroups![0]!
    assert.equal(modified.HealthCheckProtocol, 'HTTPS')
    assert.equal(modified.HealthCheckPort, '443')
    assert.equal(modified.HealthCheckPath, '/ping')
    assert.equal(modified.HealthCheckIntervalSeconds, 10)
    assert.equal(modified.HealthCheckTimeoutSeconds, 6)
    assert.deepEqual(modified.Matcher, { HttpCode: '200,299' })
    assert.deepEqual(modified.LoadBalancerArns, [])
    assert.equal(modified.Protocol, 'HTTP', 'the traffic protocol is not a health-check field')
    // The timeout is checked against the stored interval.
    await assert.rejects(alb.elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn!, HealthCheckTimeoutSeconds: 10 })),
      rejectsWith('ValidationError', "Health check timeout '10' must be smaller than the interval '10'"))
    await assert.rejects(alb.elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn!, HealthCheckEnabled: false })),
      rejectsWith('ValidationError'))
    await assert.rejects(alb.elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn!, Matcher: { HttpCode: '500' } })),
      rejectsWith('ValidationError'))
    await assert.rejects(alb.elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: targetGroupArn(TEST_REGION, '123456789012', 'gone'), HealthCheckPath: '/' })),
      rejectsWith('TargetGroupNotFoundException'))
    const after = (await alb.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tg.TargetGroupArn!] }))).TargetGroups![0]!
    assert.equal(after.HealthCheckTimeoutSeconds, 6, 'a rejected modify changes nothing')

    const fn = (await alb.elbv2.send(new CreateTargetGroupCommand({ Name: 'fn-modify', TargetType: 'lambda' }))).TargetGroups![0]!
    const enabled = (await alb.elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: fn.TargetGroupArn!, HealthCheckEnabled: true }))).TargetGroups![0]!
    assert.equal(enabled.HealthCheckEnabled, true, 'lambda health checks can be turned on')
  })

  it('refuses to delete a group a rule forwards to, then deletes it with its targets', async () => {
    const tg = (await create({ Name: 'del', TargetType: 'ip' })).TargetGroups![0]!
    const arn = tg.TargetGroupArn!
    await alb.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: '127.0.0.1' }, { Id: '127.0.0.2', Port: 8080 }] }))
    const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'del-lb', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
    const { rule } = await forwardTo(alb, lb.LoadBalancerArn!, arn, 81)
    await assert.rejects(alb.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn })),
      rejectsWith('ResourceInUseException', `Target group '${arn}' is currently in use by a listener or a rule`))
    await alb.store.tx((tx) => tx.delete('rule', rule))
    await alb.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn }))
    assert.equal(alb.store.list('registration').filter((r) => r.targetGroupArn === arn).length, 0)
    await alb.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn })) // a missing group deletes fine
    await assert.rejects(alb.elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] })), rejectsWith('TargetGroupNotFoundException'))
  })

  it('describes and modifies attributes with every default and cross-attribute rule', async () => {
    const arn = (await create({ Name: 'attrs' })).TargetGroups![0]!.TargetGroupArn!
    const described = await alb.elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }))
    assert.deepEqual(described.Attributes?.map((a) => [a.Key, a.Value]), [
      ['deregistration_delay.timeout_seconds', '300'],
      ['stickiness.enabled', 'false'],
      ['stickiness.type', 'lb_cookie'],
      ['stickiness.lb_cookie.duration_seconds', '86400'],
      ['stickiness.app_cookie.cookie_name', ''],
      ['stickiness.app_cookie.duration_seconds', '86400'],
      ['load_balancing.algorithm.type', 'round_robin'],
      ['load_balancing.algorithm.anomaly_mitigation', 'off'],
      ['slow_start.duration_seconds', '0'],
      ['load_balancing.cross_zone.enabled', 'use_load_balancer_configuration'],
      ['target_group_health.dns_failover.minimum_healthy_targets.count', '1'],
      ['target_group_health.dns_failover.minimum_healthy_targets.percentage', 'off'],
      ['target_group_health.unhealthy_state_routing.minimum_healthy_targets.count', '1'],
      ['target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage', 'off'],
    ])
    const modify = (attrs: Record<string, string>, tgArn = arn) => alb.elbv2.send(new ModifyTargetGroupAttributesCommand({
      TargetGroupArn: tgArn, Attributes: Object.entries(attrs).map(([Key, Value]) => ({ Key, Value })),
    }))
    const out = await modify({ 'deregistration_delay.timeout_seconds': '30', 'stickiness.enabled': 'true', 'stickiness.type': 'app_cookie', 'stickiness.app_cookie.cookie_name': 'SESSION' })
    const value = (key: string) => out.Attributes?.find((a) => a.Key === key)?.Value
    assert.equal(value('deregistration_delay.timeout_seconds'), '30')
    assert.equal(value('stickiness.type'), 'app_cookie')
    assert.equal(value('stickiness.app_cookie.cookie_name'), 'SESSION')

    const fresh = (await create({ Name: 'attrs-2' })).TargetGroups![0]!.TargetGroupArn!
    const cases: Array<{ attrs: Record<string, string>; code: string; message: string | RegExp }> = [
      { attrs: { 'no.such.key': '1' }, code: 'ValidationError', message: "Target group attribute key 'no.such.key' is not recognized" },
      { attrs: { 'deregistration_delay.timeout_seconds': '5000' }, code: 'ValidationError', message: "'deregistration_delay.timeout_seconds' value '5000' must be between '0-3600' inclusive" },
      { attrs: { 'slow_start.duration_seconds': '10' }, code: 'ValidationError', message: /slow_start.duration_seconds/ },
      { attrs: { 'stickiness.app_cookie.cookie_name': 'AWSALBAPP-1' }, code: 'ValidationError', message: /reserved prefixes/ },
      { attrs: { 'stickiness.enabled': 'true', 'stickiness.type': 'app_cookie' }, code: 'InvalidConfigurationRequestException', message: "You must set an application cookie name to enable stickiness of type 'app_cookie'" },
      { attrs: { 'slow_start.duration_seconds': '30', 'load_balancing.algorithm.type': 'least_outstanding_requests' }, code: 'InvalidConfigurationRequestException', message: /Slow start/ },
      { attrs: { 'slow_start.duration_seconds': '30', 'load_balancing.algorithm.type': 'weighted_random' }, code: 'InvalidConfigurationRequestException', message: /Slow start/ },
      { attrs: { 'stickiness.enabled': 'true', 'load_balancing.algorithm.type': 'weighted_random' }, code: 'InvalidConfigurationRequestException', message: /Stickiness cannot be enabled with the 'weighted_random'/ },
      { attrs: { 'load_balancing.algorithm.anomaly_mitigation': 'on' }, code: 'InvalidConfigurationRequestException', message: /Anomaly mitigation/ },
      { attrs: { 'stickiness.enabled': 'true', 'load_balancing.cross_zone.enabled': 'false' }, code: 'InvalidConfigurationRequestException', message: /cross-zone/ },
      { attrs: { 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count': '3' }, code: 'InvalidConfigurationRequestException', message: /DNS failover minimum healthy targets count '1'/ },
      { attrs: { 'target_group_health.dns_failover.minimum_healthy_targets.percentage': '20', 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage': '50' }, code: 'InvalidConfigurationRequestException', message: /percentage '20'/ },
    ]
    for (const [i, c] of cases.entries()) {
      await assert.rejects(modify(c.attrs, fresh), rejectsWith(c.code, c.message), `case ${i}`)
    }
    // The same combinations are fine once their conditions are met.
    await modify({ 'load_balancing.algorithm.type': 'weighted_random', 'load_balancing.algorithm.anomaly_mitigation': 'on' }, fresh)
    await modify({ 'target_group_health.dns_failover.minimum_healthy_targets.count': '3', 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count': '3' }, fresh)
    const after = await alb.elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: fresh }))
    assert.equal(after.Attributes?.find((a) => a.Key === 'load_balancing.algorithm.anomaly_mitigation')?.Value, 'on')

    const fn = (await alb.elbv2.send(new CreateTargetGroupCommand({ Name: 'fn-attrs', TargetType: 'lambda' }))).TargetGroups![0]!.TargetGroupArn!
    const lambdaAttrs = await alb.elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: fn }))
    assert.ok(lambdaAttrs.Attributes?.some((a) => a.Key === 'lambda.multi_value_headers.enabled' && a.Value === 'false'))
    await assert.rejects(modify({ 'deregistration_delay.timeout_seconds': '10' }, fn), rejectsWith('ValidationError', "Target group attribute key 'deregistration_delay.timeout_seconds' is not recognized"))
  })
})

describe('target group quota', () => {
  let alb: TestOpenAlb
  before(async () => { alb = await startTestOpenAlb() })
  after(async () => { await alb.close() })

  it('refuses the 3001st target group with TooManyTargetGroups', async () => {
    const { vpcId } = await defaultNetwork(alb)
    const template = (await alb.elbv2.send(new CreateTargetGroupCommand({ Name: 'q-0', Protocol: 'HTTP', Port: 80, VpcId: vpcId }))).TargetGroups![0]!
    const stored = alb.store.get('targetGroup', template.TargetGroupArn!)
    assert.ok(stored)
    await alb.store.tx((tx) => {
      for (let i = 1; i < 3000; i++) {
        const arn = targetGroupArn(TEST_REGION, '123456789012', `q-${i}`)
        tx.put('targetGroup', arn, { ...stored, arn, name: `q-${i}` })
      }
    })
    await assert.rejects(alb.elbv2.send(new CreateTargetGroupCommand({ Name: 'q-3000', Protocol: 'HTTP', Port: 80, VpcId: vpcId })),
      rejectsWith('TooManyTargetGroupsException'))
    // An idempotent repeat of an existing group is not a new group.
    await alb.elbv2.send(new CreateTargetGroupCommand({ Name: 'q-0', Protocol: 'HTTP', Port: 80, VpcId: vpcId }))
  })
})
