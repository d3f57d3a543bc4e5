/**
 * End to end (issue 2): the AWS CLI commands of seeds 001, 000 and 004 (their EC2 and ELBv2
 * parts), replayed against the real `openalb serve` with AWS CLI v2 (Debian, /usr/bin/aws)
 * and AWS CLI v1 (pip, `aws` on PATH). Arguments are the argv bash hands the CLI, e.g.
 * `--matcher HttpCode=200\,301` arrives as the string `HttpCode=200\,301`. Each assertion
 * checks the keys and values the seed documents print; ids and ARNs are matched by shape.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AwsCli, findAwsCli, toolMissing } from './support/cli.ts'
import { privateLoopback, startOpenAlbProcess, type OpenAlbProcess } from './support/process.ts'
import { ID, assertShape, type Shape, dnsName, listenerArn, loadBalancerArn, targetGroupArn } from './support/shape.ts'

const NOT_IN_USE = {
  State: 'unused',
  Reason: 'Target.NotInUse',
  Description: 'Target group is not configured to receive traffic from the load balancer',
} as const

/** The forward action as AWS echoes it (seed 000's create-listener output). */
function forwardAction(tgArn: string): Shape {
  return {
    Type: 'forward',
    TargetGroupArn: tgArn,
    ForwardConfig: {
      TargetGroups: [{ TargetGroupArn: tgArn, Weight: 1 }],
      TargetGroupStickinessConfig: { Enabled: false },
    },
  }
}

interface Network {
  readonly vpcId: string
  readonly subnetIds: readonly [string, string]
  readonly securityGroupId: string
  readonly instanceIds: readonly [string, string]
}

/** Seed 001, "EC2 インスタンスの作成": VPC, two subnets, SG, IGW, route table, two instances. */
async function seed001Network(aws: AwsCli): Promise<Network> {
  const VPC_CIDR_BLOCK = '10.0.0.0/16'
  const vpc = await aws.json(['ec2', 'create-vpc', '--cidr-block', VPC_CIDR_BLOCK])
  assertShape(vpc, { Vpc: { VpcId: ID.vpc, CidrBlock: VPC_CIDR_BLOCK } })
  // VPC_ID=$( aws ec2 describe-vpcs --filter "Name=cidr-block,Values=${VPC_CIDR_BLOCK}" --query Vpcs[*].VpcId --output text | grep "vpc-" )
  const vpcId = (await aws.ok(['ec2', 'describe-vpcs', '--filter', `Name=cidr-block,Values=${VPC_CIDR_BLOCK}`, '--query', 'Vpcs[*].VpcId', '--output', 'text'])).trim()
  assert.equal(vpcId, vpc.Vpc.VpcId)
  assert.equal(await aws.ok(['ec2', 'create-tags', '--resources', vpcId, '--tags', 'Key=Name,Value=alb-vpc']), '')
  assert.equal(await aws.ok(['ec2', 'modify-vpc-attribute', '--vpc-id', vpcId, '--enable-dns-hostnames']), '')
  // The tag is there: the issue's `tag:Name` filter.
  assert.equal((await aws.ok(['ec2', 'describe-vpcs', '--filters', 'Name=tag:Name,Values=alb-vpc', '--query', 'Vpcs[*].VpcId', '--output', 'text'])).trim(), vpcId)

  const subnetIds: string[] = []
  for (const [i, [cidr, zone]] of [['10.0.1.0/24', 'us-east-1a'], ['10.0.2.0/24', 'us-east-1c']].entries()) {
    const subnet = await aws.json(['ec2', 'create-subnet', '--vpc-id', vpcId, '--cidr-block', cidr!, '--availability-zone', zone!])
    assertShape(subnet, { Subnet: { SubnetId: ID.subnet, VpcId: vpcId, CidrBlock: cidr!, AvailabilityZone: zone! } })
    const subnetId = (await aws.ok(['ec2', 'describe-subnets', '--filter', `Name=cidr-block,Values=${cidr}`, '--query', 'Subnets[*].SubnetId', '--output', 'text'])).trim()
    assert.equal(subnetId, subnet.Subnet.SubnetId)
    assert.equal(await aws.ok(['ec2', 'create-tags', '--resources', subnetId, '--tags', `Key=Name,Value=alb-subnet-${i + 1}`]), '')
    subnetIds.push(subnetId)
  }

  const sg = await aws.json(['ec2', 'create-security-group', '--group-name', 'alb-sg', '--description', 'security group for efs', '--vpc-id', vpcId])
  assertShape(sg, { GroupId: ID.securityGroup })
  const securityGroupId: string = sg.GroupId
  for (const port of ['22', '80']) {
    const ingress = await aws.json(['ec2', 'authorize-security-group-ingress', '--group-id', securityGroupId, '--protocol', 'tcp', '--port', port, '--cidr', '0.0.0.0/0'])
    assertShape(ingress, { Return: true })
  }
  assert.equal(await aws.ok(['ec2', 'create-tags', '--resources', securityGroupId, '--tags', 'Key=Name,Value=alb-sg']), '')

  const igw = await aws.json(['ec2', 'create-internet-gateway'])
  assertShape(igw, { InternetGateway: { InternetGatewayId: ID.internetGateway } })
  const igwId: string = igw.InternetGateway.InternetGatewayId
  assert.equal(await aws.ok(['ec2', 'create-tags', '--resources', igwId, '--tags', 'Key=Name,Value=alb-igw']), '')
  assert.equal(await aws.ok(['ec2', 'attach-internet-gateway', '--internet-gateway-id', igwId, '--vpc-id', vpcId]), '')

  const routeTable = await aws.json(['ec2', 'create-route-table', '--vpc-id', vpcId])
  assertShape(routeTable, { RouteTable: { RouteTableId: ID.routeTable, VpcId: vpcId } })
  const routeTableId: string = routeTable.RouteTable.RouteTableId
  assert.equal(await aws.ok(['ec2', 'create-tags', '--resources', routeTableId, '--tags', 'Key=Name,Value=alb-rtb']), '')
  assertShape(await aws.json(['ec2', 'create-route', '--route-table-id', routeTableId, '--destination-cidr-block', '0.0.0.0/0', '--gateway-id', igwId]), { Return: true })
  // The seed passes ${EC2_SUBNET_ID}, a variable it never sets; the first subnet is meant.
  assertShape(await aws.json(['ec2', 'associate-route-table', '--route-table-id', routeTableId, '--subnet-id', subnetIds[0]!]), {
    AssociationId: ID.routeTableAssociation,
  })

  assert.equal(await aws.ok(['ec2', 'modify-subnet-attribute', '--subnet-id', subnetIds[0]!, '--map-public-ip-on-launch']), '')
  const instanceIds: string[] = []
  for (const [i, subnetId] of subnetIds.entries()) {
    const run = await aws.json(['ec2', 'run-instances', '--image-id', 'ami-0c3fd0f5d33134a76', '--instance-type', 't2.micro', '--count', '1',
      '--key-name', 'alb-key', '--security-group-ids', securityGroupId, '--subnet-id', subnetId])
    assertShape(run, { Instances: [{ InstanceId: ID.instance, ImageId: 'ami-0c3fd0f5d33134a76', InstanceType: 't2.micro', KeyName: 'alb-key', SubnetId: subnetId, VpcId: vpcId, PrivateIpAddress: ID.loopback }] })
    const instanceId = (await aws.ok(['ec2', 'describe-instances', '--filter', `Name=subnet-id,Values=${subnetId}`, '--query', 'Reservations[*].Instances[*].InstanceId', '--output', 'text'])).trim()
    assert.equal(instanceId, run.Instances[0].InstanceId)
    assert.equal(await aws.ok(['ec2', 'create-tags', '--resources', instanceId, '--tags', `Key=Name,Value=alb-instance-${i + 1}`]), '')
    instanceIds.push(instanceId)
  }
  return { vpcId, subnetIds: [subnetIds[0]!, subnetIds[1]!], securityGroupId, instanceIds: [instanceIds[0]!, instanceIds[1]!] }
}

/** Seed 001, "ALB の作成": load balancer, target group, targets, listener, health. */
async function seed001LoadBalancer(aws: AwsCli, net: Network): Promise<void> {
  const created = await aws.json(['elbv2', 'create-load-balancer', '--name', 'seed001-alb', '--subnets', net.subnetIds[0], net.subnetIds[1], '--security-groups', net.securityGroupId])
  assertShape(created, { LoadBalancers: [{ LoadBalancerArn: loadBalancerArn('seed001-alb'), VpcId: net.vpcId, SecurityGroups: [net.securityGroupId], Type: 'application', Scheme: 'internet-facing' }] })
  const albArn = (await aws.ok(['elbv2', 'describe-load-balancers', '--query', 'LoadBalancers[0].LoadBalancerArn', '--output', 'text'])).trim()
  assert.equal(albArn, created.LoadBalancers[0].LoadBalancerArn)

  const tg = await aws.json(['elbv2', 'create-target-group', '--name', 'seed001-tg', '--protocol', 'HTTP', '--port', '80', '--vpc-id', net.vpcId])
  assertShape(tg, { TargetGroups: [{ TargetGroupArn: targetGroupArn('seed001-tg'), TargetGroupName: 'seed001-tg', Protocol: 'HTTP', Port: 80, VpcId: net.vpcId, TargetType: 'instance' }] })
  const tgArn = (await aws.ok(['elbv2', 'describe-target-groups', '--query', 'TargetGroups[0].TargetGroupArn', '--output', 'text'])).trim()
  assert.equal(tgArn, tg.TargetGroups[0].TargetGroupArn)

  assert.equal(await aws.ok(['elbv2', 'register-targets', '--target-group-arn', tgArn, '--targets', `Id=${net.instanceIds[0]},Port=80`, `Id=${net.instanceIds[1]},Port=80`]), '')
  const listener = await aws.json(['elbv2', 'create-listener', '--load-balancer-arn', albArn, '--protocol', 'HTTP', '--port', '80', '--default-actions', `Type=forward,TargetGroupArn=${tgArn}`])
  assertShape(listener, { Listeners: [{ ListenerArn: listenerArn('seed001-alb'), LoadBalancerArn: albArn, Port: 80, Protocol: 'HTTP', DefaultActions: [forwardAction(tgArn)] }] })

  // With a listener the control plane checks the targets; nothing serves port 80 on their
  // loopback addresses, so they are checking or failing — never `unused` any more.
  const health = await aws.json(['elbv2', 'describe-target-health', '--target-group-arn', tgArn])
  const descriptions = [...health.TargetHealthDescriptions].sort((a, b) => a.Target.Id.localeCompare(b.Target.Id))
  assert.deepEqual(descriptions.map((d) => d.Target), [...net.instanceIds].sort().map((Id) => ({ Id, Port: 80 })))
  for (const d of descriptions) {
    assert.equal(d.HealthCheckPort, '80')
    assert.ok(['initial', 'unhealthy', 'healthy'].includes(d.TargetHealth.State), `state after the listener: ${JSON.stringify(d.TargetHealth)}`)
  }
}

/** Seed 000: the umemoto-ALB flow on seed 001's network, then stopping an instance. */
async function seed000(aws: AwsCli, net: Network): Promise<void> {
  const created = await aws.json(['elbv2', 'create-load-balancer', '--type', 'application', '--scheme', 'internet-facing', '--ip-address-type', 'ipv4',
    '--name', 'umemoto-ALB', '--subnets', net.subnetIds[0], net.subnetIds[1], '--security-groups', net.securityGroupId, '--tags', 'Key=Name,Value=umemoto-ALB'])
  assertShape(created, {
    LoadBalancers: [{
      LoadBalancerArn: loadBalancerArn('umemoto-ALB'),
      DNSName: dnsName('umemoto-ALB'),
      CanonicalHostedZoneId: ID.hostedZone,
      CreatedTime: ID.timestamp,
      LoadBalancerName: 'umemoto-ALB',
      Scheme: 'internet-facing',
      VpcId: net.vpcId,
      State: { Code: 'provisioning' },
      Type: 'application',
      AvailabilityZones: [
        { ZoneName: 'us-east-1a', SubnetId: net.subnetIds[0], LoadBalancerAddresses: [] },
        { ZoneName: 'us-east-1c', SubnetId: net.subnetIds[1], LoadBalancerAddresses: [] },
      ],
      SecurityGroups: [net.securityGroupId],
      IpAddressType: 'ipv4',
    }],
  }, { exact: true })
  const albArn: string = created.LoadBalancers[0].LoadBalancerArn

  const tg = await aws.json(['elbv2', 'create-target-group', '--name', 'umemoto-TGN', '--target-type', 'instance', '--protocol-version', 'HTTP1', '--health-check-enabled',
    '--matcher', 'HttpCode=200\\,301', '--protocol', 'HTTP', '--port', '80', '--vpc-id', net.vpcId, '--ip-address-type', 'ipv4', '--tags', 'Key=Name,Value=umemoto-TGN'])
  assertShape(tg, {
    TargetGroups: [{
      TargetGroupArn: targetGroupArn('umemoto-TGN'),
      TargetGroupName: 'umemoto-TGN',
      Protocol: 'HTTP',
      Port: 80,
      VpcId: net.vpcId,
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
    }],
  })
  const tgArn: string = tg.TargetGroups[0].TargetGroupArn

  assert.equal(await aws.ok(['elbv2', 'register-targets', '--target-group-arn', tgArn, '--targets', `Id=${net.instanceIds[0]}`, `Id=${net.instanceIds[1]}`]), '')
  // Before any listener: both targets unused / Target.NotInUse, exactly as the seed prints.
  const health = await aws.json(['elbv2', 'describe-target-health', '--target-group-arn', tgArn])
  const sorted = [...health.TargetHealthDescriptions].sort((a, b) => a.Target.Id.localeCompare(b.Target.Id))
  assertShape({ TargetHealthDescriptions: sorted }, {
    TargetHealthDescriptions: [...net.instanceIds].sort().map((Id) => ({ Target: { Id, Port: 80 }, HealthCheckPort: '80', TargetHealth: NOT_IN_USE })),
  }, { exact: true })

  const listener = await aws.json(['elbv2', 'create-listener', '--load-balancer-arn', albArn, '--protocol', 'HTTP', '--port', '80', '--default-actions', `Type=forward,TargetGroupArn=${tgArn}`])
  assertShape(listener, {
    Listeners: [{ ListenerArn: listenerArn('umemoto-ALB'), LoadBalancerArn: albArn, Port: 80, Protocol: 'HTTP', DefaultActions: [forwardAction(tgArn)] }],
  }, { exact: true })

  // 5-2 フェイルオーバー検証: stop one instance.
  const stopped = await aws.json(['ec2', 'stop-instances', '--instance-ids', net.instanceIds[0]])
  assertShape(stopped, {
    StoppingInstances: [{ CurrentState: { Code: 64, Name: 'stopping' }, InstanceId: net.instanceIds[0], PreviousState: { Code: 16, Name: 'running' } }],
  }, { exact: true })
  const state = await aws.json(['ec2', 'describe-instances', '--instance-ids', net.instanceIds[0], '--query', 'Reservations[].Instances[].State[].{InstanceStatus:Name}'])
  assert.deepEqual(state, [{ InstanceStatus: 'stopped' }])
}

/** Seed 004: --cli-input-json files, the waiter, describe-target-groups, DNS names, delete. */
async function seed004(aws: AwsCli): Promise<void> {
  // The seed names its own subnets, security group and VPC; here they are the default VPC's.
  const subnets: string[] = await aws.json(['ec2', 'describe-subnets', '--filters', 'Name=default-for-az,Values=true', '--query', 'Subnets[].SubnetId'])
  assert.ok(subnets.length >= 2, `default subnets: ${JSON.stringify(subnets)}`)
  const vpcId = (await aws.ok(['ec2', 'describe-vpcs', '--filters', 'Name=is-default,Values=true', '--query', 'Vpcs[0].VpcId', '--output', 'text'])).trim()
  assert.match(vpcId, ID.vpc)
  const sgId = (await aws.ok(['ec2', 'describe-security-groups', '--filters', `Name=vpc-id,Values=${vpcId}`, 'Name=group-name,Values=default', '--query', 'SecurityGroups[0].GroupId', '--output', 'text'])).trim()
  assert.match(sgId, ID.securityGroup)

  writeFileSync(join(aws.cwd, 'alb.json'), JSON.stringify({ Name: 'alb-demo', Subnets: subnets.slice(0, 2), SecurityGroups: [sgId] }, null, 4))
  const created = await aws.json(['elbv2', 'create-load-balancer', '--cli-input-json', 'file://alb.json'])
  assertShape(created, { LoadBalancers: [{ LoadBalancerArn: loadBalancerArn('alb-demo'), LoadBalancerName: 'alb-demo', SecurityGroups: [sgId], VpcId: vpcId }] })
  const elbArn: string = created.LoadBalancers[0].LoadBalancerArn
  const described = await aws.json(['elbv2', 'describe-load-balancers'])
  assertShape(described, { LoadBalancers: [{ LoadBalancerArn: elbArn, DNSName: dnsName('alb-demo') }] })

  // `aws elbv2 wait load-balancer-available` polls until State.Code is active (spec §2.5).
  await aws.ok(['elbv2', 'wait', 'load-balancer-available', '--load-balancer-arns', elbArn])
  assert.equal((await aws.ok(['elbv2', 'describe-load-balancers', '--load-balancer-arns', elbArn, '--query', 'LoadBalancers[0].State.Code', '--output', 'text'])).trim(), 'active')

  writeFileSync(join(aws.cwd, 'target-group.json'), JSON.stringify({
    Name: 'default', Protocol: 'HTTP', Port: 80, VpcId: vpcId,
    HealthCheckPath: '/hostname', HealthCheckIntervalSeconds: 30, HealthCheckTimeoutSeconds: 15,
    HealthyThresholdCount: 3, UnhealthyThresholdCount: 3, Matcher: { HttpCode: '200' },
  }, null, 4))
  const tg = await aws.json(['elbv2', 'create-target-group', '--cli-input-json', 'file://target-group.json'])
  const targetGroup = (loadBalancerArns: string[]) => ({
    HealthCheckPath: '/hostname',
    HealthCheckIntervalSeconds: 30,
    VpcId: vpcId,
    Protocol: 'HTTP',
    HealthCheckTimeoutSeconds: 15,
    HealthCheckProtocol: 'HTTP',
    LoadBalancerArns: loadBalancerArns,
    UnhealthyThresholdCount: 3,
    HealthyThresholdCount: 3,
    TargetGroupArn: targetGroupArn('default'),
    Matcher: { HttpCode: '200' },
    HealthCheckPort: 'traffic-port',
    Port: 80,
    TargetGroupName: 'default',
  })
  const { LoadBalancerArns: _, ...withoutLbs } = targetGroup([])
  assertShape(tg, { TargetGroups: [withoutLbs] })
  const tgArn: string = tg.TargetGroups[0].TargetGroupArn

  const listener = await aws.json(['elbv2', 'create-listener', '--load-balancer-arn', elbArn, '--protocol', 'HTTP', '--port', '80', '--default-actions', `Type=forward,TargetGroupArn=${tgArn}`])
  assertShape(listener, { Listeners: [{ ListenerArn: listenerArn('alb-demo'), LoadBalancerArn: elbArn, Port: 80, Protocol: 'HTTP', DefaultActions: [forwardAction(tgArn)] }] })
  assertShape(await aws.json(['elbv2', 'describe-target-groups']), { TargetGroups: [targetGroup([elbArn])] })

  const url = await aws.ok(['elbv2', 'describe-load-balancers', '--query', 'LoadBalancers[].DNSName', '--output', 'text'])
  assert.match(url, /^alb-demo-\d+\.us-east-1\.elb\.localhost\n$/)

  assert.equal(await aws.ok(['elbv2', 'delete-load-balancer', '--load-balancer-arn', elbArn]), '')
  assert.deepEqual(await aws.json(['elbv2', 'describe-load-balancers']), { LoadBalancers: [] })
  // The target group stays, no longer used by a load balancer.
  assertShape(await aws.json(['elbv2', 'describe-target-groups']), { TargetGroups: [targetGroup([])] })
}

/** One CLI version: seeds 001 then 000 on one server, seed 004 on another, concurrently. */
async function replay(t: TestContext, major: 1 | 2): Promise<void> {
  const cli = await findAwsCli(major)
  if ('missing' in cli) return void toolMissing(t, cli.missing)
  t.diagnostic(cli.version)
  const servers: OpenAlbProcess[] = []
  const clis: AwsCli[] = []
  try {
    const start = async (): Promise<AwsCli> => {
      // Each server binds its own loopback address: every seed opens listener port 80.
      const server = await startOpenAlbProcess({ bind: privateLoopback() })
      servers.push(server)
      const aws = new AwsCli(cli.path, { endpointUrl: server.url })
      clis.push(aws)
      return aws
    }
    const [first, second] = await Promise.all([start(), start()])
    await Promise.all([
      (async () => {
        const net = await seed001Network(first)
        await seed001LoadBalancer(first, net)
        await seed000(first, net)
      })(),
      seed004(second),
    ])
  } catch (err) {
    for (const server of servers) t.diagnostic(`server ${server.url} log:\n${server.stderr()}`)
    throw err
  } finally {
    for (const aws of clis) aws.dispose()
    await Promise.all(servers.map((s) => s.close()))
  }
}

test('seed CLI commands replay against openalb serve', { concurrency: 2, timeout: 300_000 }, async (t) => {
  await Promise.all([
    t.test('AWS CLI v2 (/usr/bin/aws)', (t) => replay(t, 2)),
    t.test('AWS CLI v1 (aws from pip)', (t) => replay(t, 1)),
  ])
})
