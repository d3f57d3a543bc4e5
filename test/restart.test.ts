/**
 * Persistence (issue 2): build a whole ALB through the API of the real `openalb serve`,
 * SIGKILL it, start it again on the same data directory, and find every resource with the
 * same ARNs, ids and values.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as elb from '@aws-sdk/client-elastic-load-balancing-v2'
import * as ec2 from '@aws-sdk/client-ec2'
import { privateLoopback, startOpenAlbProcess, type OpenAlbProcess } from './support/process.ts'
import { TEST_CREDENTIALS, TEST_REGION } from './support/openalb.ts'

function clients(server: OpenAlbProcess): { elbv2: elb.ElasticLoadBalancingV2Client; ec2: ec2.EC2Client } {
  const config = { endpoint: server.url, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 }
  return { elbv2: new elb.ElasticLoadBalancingV2Client(config), ec2: new ec2.EC2Client(config) }
}

/** Drops the SDK's per-response metadata (request id, attempts) so two Describes compare equal. */
function data<T extends { $metadata?: unknown }>(output: T): Omit<T, '$metadata'> {
  const { $metadata: _, ...rest } = output
  return rest
}

interface Created {
  readonly vpcId: string
  readonly lbArn: string
  readonly tgArn: string
  readonly listenerArn: string
  readonly ruleArn: string
  readonly instanceIds: string[]
}

async function build(c: ReturnType<typeof clients>): Promise<Created> {
  const vpcId = (await c.ec2.send(new ec2.CreateVpcCommand({ CidrBlock: '10.20.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'restart-vpc' }] }] }))).Vpc!.VpcId!
  await c.ec2.send(new ec2.ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }))
  const subnetIds: string[] = []
  for (const [cidr, zone] of [['10.20.1.0/24', 'us-east-1a'], ['10.20.2.0/24', 'us-east-1b']] as const) {
    subnetIds.push((await c.ec2.send(new ec2.CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone }))).Subnet!.SubnetId!)
  }
  await c.ec2.send(new ec2.ModifySubnetAttributeCommand({ SubnetId: subnetIds[0], MapPublicIpOnLaunch: { Value: true } }))
  const sgId = (await c.ec2.send(new ec2.CreateSecurityGroupCommand({ GroupName: 'restart-sg', Description: 'restart', VpcId: vpcId }))).GroupId!
  await c.ec2.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: sgId, IpProtocol: 'tcp', FromPort: 80, ToPort: 80, CidrIp: '0.0.0.0/0' }))
  const igwId = (await c.ec2.send(new ec2.CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!
  await c.ec2.send(new ec2.AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }))
  const rtbId = (await c.ec2.send(new ec2.CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!
  await c.ec2.send(new ec2.CreateRouteCommand({ RouteTableId: rtbId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igwId }))
  await c.ec2.send(new ec2.AssociateRouteTableCommand({ RouteTableId: rtbId, SubnetId: subnetIds[0] }))
  const run = await c.ec2.send(new ec2.RunInstancesCommand({ ImageId: 'ami-12345678', InstanceType: 't3.micro', MinCount: 2, MaxCount: 2, SubnetId: subnetIds[0], SecurityGroupIds: [sgId] }))
  const instanceIds = run.Instances!.map((i) => i.InstanceId!)
  await c.ec2.send(new ec2.CreateTagsCommand({ Resources: instanceIds, Tags: [{ Key: 'Name', Value: 'restart-instance' }] }))
  await ec2.waitUntilInstanceRunning({ client: c.ec2, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { InstanceIds: instanceIds })

  const lbArn = (await c.elbv2.send(new elb.CreateLoadBalancerCommand({ Name: 'restart-alb', Subnets: subnetIds, SecurityGroups: [sgId], Tags: [{ Key: 'env', Value: 'test' }] }))).LoadBalancers![0]!.LoadBalancerArn!
  await c.elbv2.send(new elb.ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '120' }, { Key: 'routing.http.xff_header_processing.mode', Value: 'preserve' }] }))
  const tgArn = (await c.elbv2.send(new elb.CreateTargetGroupCommand({
    Name: 'restart-tg', Protocol: 'HTTP', Port: 8080, VpcId: vpcId, HealthCheckPath: '/healthz', HealthCheckIntervalSeconds: 10,
    HealthCheckTimeoutSeconds: 3, Matcher: { HttpCode: '200-299' }, Tags: [{ Key: 'team', Value: 'edge' }],
  }))).TargetGroups![0]!.TargetGroupArn!
  await c.elbv2.send(new elb.ModifyTargetGroupAttributesCommand({ TargetGroupArn: tgArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }, { Key: 'stickiness.enabled', Value: 'true' }] }))
  await c.elbv2.send(new elb.RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: instanceIds[0]!, Port: 8080 }, { Id: instanceIds[1]!, Port: 8081 }] }))
  const listenerArn = (await c.elbv2.send(new elb.CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'nothing here' } }] }))).Listeners![0]!.ListenerArn!
  const ruleArn = (await c.elbv2.send(new elb.CreateRuleCommand({
    ListenerArn: listenerArn, Priority: 10,
    Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }, { Field: 'host-header', HostHeaderConfig: { Values: ['api.example.com'] } }],
    Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tgArn, Weight: 3 }], TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 600 } } }],
    Tags: [{ Key: 'rule', Value: 'api' }],
  }))).Rules![0]!.RuleArn!
  await c.elbv2.send(new elb.AddTagsCommand({ ResourceArns: [listenerArn], Tags: [{ Key: 'listener', Value: 'http' }] }))
  await elb.waitUntilLoadBalancerAvailable({ client: c.elbv2, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { LoadBalancerArns: [lbArn] })
  return { vpcId, lbArn, tgArn, listenerArn, ruleArn, instanceIds }
}

/** Everything the API reports about what `build` made, as plain data. */
async function snapshot(c: ReturnType<typeof clients>, r: Created): Promise<Record<string, unknown>> {
  const inVpc = [{ Name: 'vpc-id', Values: [r.vpcId] }]
  const health = await c.elbv2.send(new elb.DescribeTargetHealthCommand({ TargetGroupArn: r.tgArn }))
  return {
    vpcs: data(await c.ec2.send(new ec2.DescribeVpcsCommand({ VpcIds: [r.vpcId] }))),
    subnets: data(await c.ec2.send(new ec2.DescribeSubnetsCommand({ Filters: inVpc }))),
    securityGroups: data(await c.ec2.send(new ec2.DescribeSecurityGroupsCommand({ Filters: inVpc }))),
    instances: data(await c.ec2.send(new ec2.DescribeInstancesCommand({ InstanceIds: r.instanceIds }))),
    ec2Tags: data(await c.ec2.send(new ec2.DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [r.vpcId, ...r.instanceIds] }] }))),
    loadBalancers: data(await c.elbv2.send(new elb.DescribeLoadBalancersCommand({ LoadBalancerArns: [r.lbArn] }))),
    loadBalancerAttributes: data(await c.elbv2.send(new elb.DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: r.lbArn }))),
    targetGroups: data(await c.elbv2.send(new elb.DescribeTargetGroupsCommand({ TargetGroupArns: [r.tgArn] }))),
    targetGroupAttributes: data(await c.elbv2.send(new elb.DescribeTargetGroupAttributesCommand({ TargetGroupArn: r.tgArn }))),
    // Health itself is live (checks run); the registered targets must survive.
    targets: health.TargetHealthDescriptions!.map((d) => d.Target).sort((a, b) => (a!.Id! < b!.Id! ? -1 : 1)),
    listeners: data(await c.elbv2.send(new elb.DescribeListenersCommand({ LoadBalancerArn: r.lbArn }))),
    listenerAttributes: data(await c.elbv2.send(new elb.DescribeListenerAttributesCommand({ ListenerArn: r.listenerArn }))),
    rules: data(await c.elbv2.send(new elb.DescribeRulesCommand({ ListenerArn: r.listenerArn }))),
    tags: data(await c.elbv2.send(new elb.DescribeTagsCommand({ ResourceArns: [r.lbArn, r.tgArn, r.listenerArn, r.ruleArn] }))),
  }
}

test('everything survives kill -9 and a restart on the same data directory', { timeout: 120_000 }, async () => {
  const first = await startOpenAlbProcess({ bind: privateLoopback() })
  let second: OpenAlbProcess | undefined
  try {
    const c1 = clients(first)
    const created = await build(c1)
    const before = await snapshot(c1, created)
    assert.equal((before.rules as elb.DescribeRulesOutput).Rules?.length, 2, 'rule 10 and the default rule')
    assert.equal((before.targets as unknown[]).length, 2)
    c1.elbv2.destroy(); c1.ec2.destroy()

    await first.kill('SIGKILL')
    second = await first.restart()
    const c2 = clients(second)
    const after = await snapshot(c2, created)
    for (const key of Object.keys(before)) assert.deepEqual(after[key], before[key], `${key} after the restart`)

    // The restarted server keeps working on the same records.
    await c2.elbv2.send(new elb.DeleteRuleCommand({ RuleArn: created.ruleArn }))
    assert.equal((await c2.elbv2.send(new elb.DescribeRulesCommand({ ListenerArn: created.listenerArn }))).Rules?.length, 1)
    c2.elbv2.destroy(); c2.ec2.destroy()
  } finally {
    if (second !== undefined) await second.close()
    else await first.close()
  }
})
