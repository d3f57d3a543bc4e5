import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  CreateLoadBalancerCommand, CreateTargetGroupCommand, DeregisterTargetsCommand,
  DescribeTargetHealthCommand, ModifyTargetGroupAttributesCommand, RegisterTargetsCommand, type TargetDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import {
  RunInstancesCommand, StopInstancesCommand, TerminateInstancesCommand, waitUntilInstanceRunning, waitUntilInstanceStopped,
  waitUntilInstanceTerminated,
} from '@aws-sdk/client-ec2'
import { startTestOpenAlb, TEST_REGION, type TestOpenAlb } from './support/openalb.ts'
import { defaultSubnets } from './support/network.ts'
import { listenerArn, ruleArn } from '../src/model/arn.ts'
import { ec2Id } from '../src/model/ids.ts'
import { registrationKey } from '../src/model/target-health.ts'
import type { Instance, InstanceStateName } from '../src/model/resources.ts'

/** The default VPC (through DescribeSubnets) and its subnets. */
async function defaultNetwork(alb: TestOpenAlb): Promise<{ vpcId: string; subnets: string[] }> {
  const subnets = await defaultSubnets(alb)
  const vpcId = alb.store.get('subnet', subnets[0]!)?.vpcId
  assert.ok(vpcId)
  return { vpcId, subnets }
}

/** Running instances through RunInstances, once EC2 reports them running. */
async function runInstances(alb: TestOpenAlb, count: number): Promise<string[]> {
  const out = await alb.ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', InstanceType: 't3.micro', MinCount: count, MaxCount: count }))
  const ids = out.Instances!.map((i) => i.InstanceId!)
  await waitUntilInstanceRunning({ client: alb.ec2, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { InstanceIds: ids })
  return ids
}

/**
 * An instance record stored directly, for states the EC2 API only passes through (a
 * `pending` that must not settle during the test).
 */
async function putInstance(alb: TestOpenAlb, vpcId: string, state: InstanceStateName, id = ec2Id('i')): Promise<string> {
  const subnet = alb.store.list('subnet').find((s) => s.vpcId === vpcId)!
  const instance: Instance = {
    region: TEST_REGION, tags: [], id, reservationId: ec2Id('r'), imageId: 'ami-12c6146b', instanceType: 't3.micro',
    subnetId: subnet.id, vpcId, availabilityZone: subnet.availabilityZone, privateIpAddress: '127.0.0.10',
    securityGroupIds: [], state, launchTime: 0, stateChangedAt: 0, amiLaunchIndex: 0,
  }
  await alb.store.tx((tx) => tx.put('instance', id, instance))
  return id
}

/** A listener whose default rule forwards to `tgArn`, stored directly (CreateListener is being written in parallel). */
async function forwardTo(alb: TestOpenAlb, lbArn: string, tgArn: string, port: number): Promise<void> {
  const listener = listenerArn(lbArn)
  const rule = ruleArn(listener)
  await alb.store.tx((tx) => {
    tx.put('listener', listener, {
      region: TEST_REGION, tags: [], arn: listener, loadBalancerArn: lbArn, port, protocol: 'HTTP',
      certificateArns: [], attributes: {}, createdTime: tx.now,
    })
    tx.put('rule', rule, {
      region: TEST_REGION, tags: [], arn: rule, listenerArn: listener, priority: 'default', conditions: [],
      actions: [{ type: 'forward', targetGroupArn: tgArn }],
    })
  })
}

function rejectsWith(code: string, message?: string | RegExp): (err: Error) => boolean {
  return (err: Error) => {
    assert.equal(err.name, code)
    if (typeof message === 'string') assert.equal(err.message, message)
    else if (message !== undefined) assert.match(err.message, message)
    return true
  }
}

const NOT_IN_USE = { State: 'unused', Reason: 'Target.NotInUse', Description: 'Target group is not configured to receive traffic from the load balancer' }
const REGISTERING = { State: 'initial', Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' }
const CHECKING = { State: 'initial', Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' }
/**
 * The data plane health-checks in-use targets live; nothing listens at these instances' addresses,
 * so a target is `initial` with RegistrationInProgress until its first check fails, then
 * InitialHealthChecking (until UnhealthyThresholdCount failures). Either is the `initial` of the seeds.
 */
const INITIAL = 'initial'
function normalise<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && ((v as Record<string, unknown>).Reason === REGISTERING.Reason || (v as Record<string, unknown>).Reason === CHECKING.Reason)) return INITIAL
    return v
  }) as T
}
const DRAINING = { State: 'draining', Reason: 'Target.DeregistrationInProgress', Description: 'Target deregistration is in progress' }
const NOT_REGISTERED = { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' }

describe('targets (SDK v3)', () => {
  let alb: TestOpenAlb
  let vpcId: string
  let subnets: string[]
  let lbCount = 0
  before(async () => {
    alb = await startTestOpenAlb()
    ;({ vpcId, subnets } = await defaultNetwork(alb))
  })
  after(async () => { await alb.close() })

  const createGroup = async (name: string, targetType: 'instance' | 'ip' = 'instance', port = 80): Promise<string> =>
    (await alb.elbv2.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: port, VpcId: vpcId, TargetType: targetType }))).TargetGroups![0]!.TargetGroupArn!
  const register = (arn: string, targets: TargetDescription[]) => alb.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: targets }))
  const deregister = (arn: string, targets: TargetDescription[]) => alb.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: targets }))
  const health = async (arn: string, targets?: TargetDescription[]) =>
    (await alb.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn, Targets: targets }))).TargetHealthDescriptions ?? []
  const useGroup = async (arn: string) => {
    const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: `targets-lb-${++lbCount}`, Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
    await forwardTo(alb, lb.LoadBalancerArn!, arn, 80)
  }

  it('walks the seed 000 / seed 003 lifecycle: unused, initial, draining, initial again, gone', async () => {
    const arn = await createGroup('umemoto-TGN')
    const [a, b] = await runInstances(alb, 2) as [string, string]
    await register(arn, [{ Id: a }, { Id: b }])
    // Seed 000: registered before any listener uses the group.
    assert.deepEqual(await health(arn), [
      { Target: { Id: a, Port: 80 }, HealthCheckPort: '80', TargetHealth: NOT_IN_USE },
      { Target: { Id: b, Port: 80 }, HealthCheckPort: '80', TargetHealth: NOT_IN_USE },
    ])
    await useGroup(arn)
    assert.deepEqual(normalise((await health(arn)).map((d) => d.TargetHealth)), [INITIAL, INITIAL])

    // Seed 003: deregister without a port (the group's port), then register again.
    await deregister(arn, [{ Id: a }])
    assert.deepEqual(normalise((await health(arn)).map((d) => [d.Target?.Id, d.TargetHealth])), [[a, DRAINING], [b, INITIAL]])
    const drainingRecord = alb.store.get('registration', registrationKey(arn, a, 80))
    assert.ok(drainingRecord?.deregisteredAt !== undefined)
    await register(arn, [{ Id: a, Port: 80 }])
    assert.deepEqual(normalise((await health(arn, [{ Id: a, Port: 80 }])).map((d) => d.TargetHealth)), [INITIAL])
    assert.equal(alb.store.get('registration', registrationKey(arn, a, 80))?.deregisteredAt, undefined)

    // With no deregistration delay the target is gone at once.
    await alb.elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '0' }] }))
    await deregister(arn, [{ Id: b }])
    assert.deepEqual((await health(arn)).map((d) => d.Target?.Id), [a])
    assert.deepEqual(await health(arn, [{ Id: b, Port: 80 }]), [{ Target: { Id: b, Port: 80 }, TargetHealth: NOT_REGISTERED }])
  })

  it('forgets a draining target once the delay has passed', async () => {
    const arn = await createGroup('expiry', 'ip')
    await register(arn, [{ Id: '127.0.0.1' }, { Id: '127.0.0.2' }])
    await deregister(arn, [{ Id: '127.0.0.1' }])
    assert.equal((await health(arn)).length, 2, 'draining for the default 300 s')
    // Move the drain start 300 s into the past instead of waiting for it.
    const key = registrationKey(arn, '127.0.0.1', 80)
    await alb.store.tx((tx) => {
      const r = tx.get('registration', key)!
      tx.put('registration', key, { ...r, deregisteredAt: tx.now - 300_000 })
    })
    assert.deepEqual((await health(arn)).map((d) => d.Target?.Id), ['127.0.0.2'])
    assert.deepEqual((await health(arn, [{ Id: '127.0.0.1', Port: 80 }]))[0]?.TargetHealth, NOT_REGISTERED)
    assert.ok(alb.store.get('registration', key), 'reads leave the expired record in place')
    await register(arn, [{ Id: '127.0.0.3' }])
    assert.equal(alb.store.get('registration', key), undefined, 'the next write transaction deletes it')
  })

  it('reports stopped and terminated instances as Target.InvalidState', async () => {
    const arn = await createGroup('states')
    await useGroup(arn)
    const [id] = await runInstances(alb, 1) as [string]
    await register(arn, [{ Id: id }])
    assert.deepEqual(normalise((await health(arn))[0]?.TargetHealth), INITIAL)
    await alb.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }))
    await waitUntilInstanceStopped({ client: alb.ec2, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { InstanceIds: [id] })
    assert.deepEqual((await health(arn))[0]?.TargetHealth, { State: 'unused', Reason: 'Target.InvalidState', Description: 'Target is in the stopped state' })
    await alb.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }))
    await waitUntilInstanceTerminated({ client: alb.ec2, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { InstanceIds: [id] })
    assert.deepEqual((await health(arn))[0]?.TargetHealth, { State: 'unused', Reason: 'Target.InvalidState', Description: 'Target is in the terminated state' })
    // Terminated instances eventually vanish from EC2; the registration stays terminated.
    await alb.store.tx((tx) => tx.delete('instance', id))
    assert.deepEqual((await health(arn))[0]?.TargetHealth, { State: 'unused', Reason: 'Target.InvalidState', Description: 'Target is in the terminated state' })
  })

  it('validates instance targets like AWS', async () => {
    const arn = await createGroup('instances')
    const [running, stopped] = await runInstances(alb, 2) as [string, string]
    await alb.ec2.send(new StopInstancesCommand({ InstanceIds: [stopped] }))
    await waitUntilInstanceStopped({ client: alb.ec2, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { InstanceIds: [stopped] })
    const pending = await putInstance(alb, vpcId, 'pending')
    await alb.store.tx((tx) => tx.put('instance', pending, { ...tx.get('instance', pending)!, stateChangedAt: tx.now + 60_000 }))
    const unknown = ec2Id('i')
    const cases: Array<{ targets: TargetDescription[]; code: string; message: string }> = [
      { targets: [{ Id: '10.0.0.1' }], code: 'ValidationError', message: "Instance ID '10.0.0.1' is not valid" },
      { targets: [{ Id: running }, { Id: unknown }], code: 'InvalidTargetException', message: `The following instances do not exist: '${unknown}'` },
      { targets: [{ Id: stopped }], code: 'InvalidTargetException', message: `The following targets are not in a running state and cannot be registered: '${stopped}'` },
      { targets: [{ Id: pending }, { Id: stopped }], code: 'InvalidTargetException', message: `The following targets are not in a running state and cannot be registered: '${pending}', '${stopped}'` },
      { targets: [{ Id: running, Port: 0 }], code: 'ValidationError', message: "1 validation error detected: Value '0' at 'targets.1.member.port' failed to satisfy constraint: Member must have value greater than or equal to 1" },
      { targets: [{ Id: running, Port: 65536 }], code: 'ValidationError', message: "1 validation error detected: Value '65536' at 'targets.1.member.port' failed to satisfy constraint: Member must have value less than or equal to 65535" },
      { targets: [{ Id: running, AvailabilityZone: 'us-east-1a' }], code: 'ValidationError', message: "An Availability Zone cannot be specified for targets of target groups with target type 'instance'" },
    ]
    for (const [i, c] of cases.entries()) await assert.rejects(register(arn, c.targets), rejectsWith(c.code, c.message), `case ${i}`)
    assert.deepEqual(await health(arn), [], 'a rejected call registers nothing')
    await assert.rejects(health(arn, [{ Id: unknown }]), rejectsWith('InvalidTargetException', `The following instances do not exist: '${unknown}'`))
    await assert.rejects(register('arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/none/0000000000000000', [{ Id: running }]),
      rejectsWith('TargetGroupNotFoundException'))
  })

  it('validates ip targets: VPC, private ranges, loopback, public addresses', async () => {
    const arn = await createGroup('ips', 'ip', 8080)
    const subnet = alb.store.list('subnet').find((s) => s.vpcId === vpcId && s.cidrBlock.startsWith('172.31.16.'))!
    await register(arn, [
      { Id: '127.0.0.5' },                                  // this host
      { Id: '172.31.16.9' },                                // inside the VPC: zone detected
      { Id: '10.9.9.9', AvailabilityZone: 'all' },         // peered / on-premises range
      { Id: '192.168.1.1', AvailabilityZone: 'us-east-1b' },
      { Id: '127.0.0.5', Port: 9000 },                      // same address, another port
    ])
    assert.deepEqual((await health(arn)).map((d) => d.Target), [
      { Id: '127.0.0.5', Port: 8080 },
      { Id: '172.31.16.9', Port: 8080, AvailabilityZone: subnet.availabilityZone },
      { Id: '10.9.9.9', Port: 8080, AvailabilityZone: 'all' },
      { Id: '192.168.1.1', Port: 8080, AvailabilityZone: 'us-east-1b' },
      { Id: '127.0.0.5', Port: 9000 },
    ])
    assert.deepEqual((await health(arn)).map((d) => d.HealthCheckPort), ['8080', '8080', '8080', '8080', '9000'])
    const cases: Array<{ target: TargetDescription; code: string; message: string | RegExp }> = [
      { target: { Id: '8.8.8.8' }, code: 'InvalidTargetException', message: /'8\.8\.8\.8'/ },
      { target: { Id: 'not-an-ip' }, code: 'ValidationError', message: "The IP address 'not-an-ip' is not a valid IPv4 address" },
      { target: { Id: '::1' }, code: 'ValidationError', message: "The IP address '::1' is not a valid IPv4 address" },
      { target: { Id: '10.1.1.1' }, code: 'ValidationError', message: "You must specify a valid Availability Zone or select 'all' for all enabled Availability zones, since the IP address '10.1.1.1' is outside the VPC" },
      { target: { Id: '10.1.1.1', AvailabilityZone: 'eu-west-1a' }, code: 'ValidationError', message: /since the IP address '10\.1\.1\.1' is outside the VPC/ },
      { target: { Id: '172.31.16.10', AvailabilityZone: 'all' }, code: 'ValidationError', message: `The IP address '172.31.16.10' is within the VPC, and cannot have its Availability Zone overridden to 'all' from '${subnet.availabilityZone}'` },
    ]
    for (const [i, c] of cases.entries()) await assert.rejects(register(arn, [c.target]), rejectsWith(c.code, c.message), `case ${i}`)
  })

  it('registers the same Id and Port once, and deregisters unknown targets quietly', async () => {
    const arn = await createGroup('noop', 'ip')
    await register(arn, [{ Id: '127.0.0.1' }])
    const first = alb.store.get('registration', registrationKey(arn, '127.0.0.1', 80))
    await register(arn, [{ Id: '127.0.0.1', Port: 80 }, { Id: '127.0.0.1' }])
    assert.deepEqual(alb.store.get('registration', registrationKey(arn, '127.0.0.1', 80)), first)
    assert.equal((await health(arn)).length, 1)
    await deregister(arn, [{ Id: '127.0.0.9' }, { Id: '127.0.0.1', Port: 81 }])
    assert.deepEqual((await health(arn)).map((d) => d.TargetHealth?.State), ['unused'])
  })

  it('describes explicit targets, registered or not, and anomaly detection on request', async () => {
    const arn = await createGroup('explicit', 'ip')
    await useGroup(arn)
    await register(arn, [{ Id: '127.0.0.1' }, { Id: '127.0.0.1', Port: 81 }, { Id: '127.0.0.2' }])
    const described = await health(arn, [{ Id: '127.0.0.2', Port: 80 }, { Id: '127.0.0.3', Port: 80 }])
    assert.deepEqual(normalise(described), [
      { Target: { Id: '127.0.0.2', Port: 80 }, HealthCheckPort: '80', TargetHealth: INITIAL },
      { Target: { Id: '127.0.0.3', Port: 80 }, TargetHealth: NOT_REGISTERED },
    ])
    assert.deepEqual((await health(arn, [{ Id: '127.0.0.1' }])).map((d) => d.Target?.Port), [80, 81])
    const withAnomaly = await alb.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn, Include: ['All'] }))
    assert.deepEqual(withAnomaly.TargetHealthDescriptions?.map((d) => d.AnomalyDetection), [
      { Result: 'normal', MitigationInEffect: 'no' }, { Result: 'normal', MitigationInEffect: 'no' }, { Result: 'normal', MitigationInEffect: 'no' },
    ])
    await assert.rejects(alb.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn, Include: ['Everything' as 'All'] })),
      rejectsWith('ValidationError', /Value 'Everything' at 'include'/))
  })

  it('reports the configured health-check port and lambda targets without ports', async () => {
    const arn = (await alb.elbv2.send(new CreateTargetGroupCommand({ Name: 'hc-port', Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'ip', HealthCheckPort: '8081' }))).TargetGroups![0]!.TargetGroupArn!
    await register(arn, [{ Id: '127.0.0.1' }])
    assert.equal((await health(arn))[0]?.HealthCheckPort, '8081')

    const fn = (await alb.elbv2.send(new CreateTargetGroupCommand({ Name: 'fn-targets', TargetType: 'lambda' }))).TargetGroups![0]!.TargetGroupArn!
    const fnArn = 'arn:aws:lambda:us-east-1:123456789012:function:my-function'
    await assert.rejects(register(fn, [{ Id: 'my-function' }]), rejectsWith('ValidationError'))
    await register(fn, [{ Id: fnArn }])
    assert.deepEqual(await health(fn), [{ Target: { Id: fnArn, AvailabilityZone: 'all' }, TargetHealth: NOT_IN_USE }])
    await useGroup(fn)
    assert.deepEqual((await health(fn))[0]?.TargetHealth, { State: 'unavailable', Reason: 'Target.HealthCheckDisabled', Description: 'Health checks are disabled' })
    await assert.rejects(register(fn, [{ Id: `${fnArn}-2` }]), rejectsWith('TooManyTargetsException'))
    await deregister(fn, [{ Id: fnArn }])
    assert.deepEqual(await health(fn), [], 'lambda targets leave without a drain')
  })

  it('refuses the 1001st target of a group', async () => {
    const arn = await createGroup('full', 'ip')
    await alb.store.tx((tx) => {
      for (let i = 0; i < 1000; i++) {
        const id = `127.0.${Math.floor(i / 250)}.${(i % 250) + 1}`
        const key = registrationKey(arn, id, 80)
        tx.put('registration', key, { key, targetGroupArn: arn, targetId: id, port: 80, registeredAt: tx.now })
      }
    })
    await register(arn, [{ Id: '127.0.0.1' }]) // already registered: no new target
    await assert.rejects(register(arn, [{ Id: '127.0.9.1' }]), rejectsWith('TooManyTargetsException'))
    assert.equal(alb.store.get('registration', registrationKey(arn, '127.0.9.1', 80)), undefined)
  })
})
