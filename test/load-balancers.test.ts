import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  CreateLoadBalancerCommand, DeleteLoadBalancerCommand, DescribeLoadBalancerAttributesCommand, DescribeLoadBalancersCommand,
  ModifyLoadBalancerAttributesCommand, SetSecurityGroupsCommand, SetSubnetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { startTestOpenAlb, type TestOpenAlb } from './support/openalb.ts'
import { defaultSubnets } from './support/network.ts'

describe('load balancers (SDK v3)', () => {
  let alb: TestOpenAlb
  before(async () => { alb = await startTestOpenAlb() })
  after(async () => { await alb.close() })

  it('creates an application load balancer with AWS defaults and a local DNS name', async () => {
    const subnets = await defaultSubnets(alb)
    const out = await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'web', Subnets: subnets.slice(0, 2) }))
    const lb = out.LoadBalancers?.[0]
    assert.ok(lb)
    assert.match(lb.LoadBalancerArn!, /^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer\/app\/web\/[0-9a-f]{16}$/)
    assert.match(lb.DNSName!, /^web-\d+\.us-east-1\.elb\.localhost$/)
    assert.equal(lb.Scheme, 'internet-facing')
    assert.equal(lb.Type, 'application')
    assert.equal(lb.IpAddressType, 'ipv4')
    assert.equal(lb.State?.Code, 'provisioning')
    assert.equal(lb.AvailabilityZones?.length, 2)
    assert.equal(lb.SecurityGroups?.length, 1, 'the VPC default security group')
    assert.ok(lb.CreatedTime instanceof Date)
  })

  it('is idempotent for the same settings and refuses different ones', async () => {
    const subnets = await defaultSubnets(alb)
    const a = await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'idem', Subnets: subnets.slice(0, 2) }))
    const b = await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'idem', Subnets: subnets.slice(0, 2) }))
    assert.equal(a.LoadBalancers?.[0]?.LoadBalancerArn, b.LoadBalancers?.[0]?.LoadBalancerArn)
    await assert.rejects(
      alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'idem', Subnets: subnets.slice(1, 3) })),
      { name: 'DuplicateLoadBalancerNameException' },
    )
  })

  it('turns active, paginates, and reports missing names', async () => {
    const subnets = await defaultSubnets(alb)
    for (const name of ['p1', 'p2', 'p3']) await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: name, Subnets: subnets.slice(0, 2) }))
    const first = await alb.elbv2.send(new DescribeLoadBalancersCommand({ PageSize: 2 }))
    assert.equal(first.LoadBalancers?.length, 2)
    assert.ok(first.NextMarker)
    const rest = await alb.elbv2.send(new DescribeLoadBalancersCommand({ PageSize: 400, Marker: first.NextMarker }))
    assert.equal(rest.NextMarker, undefined)
    const names = [...first.LoadBalancers!, ...rest.LoadBalancers!].map((lb) => lb.LoadBalancerName)
    assert.equal(new Set(names).size, names.length)
    await assert.rejects(alb.elbv2.send(new DescribeLoadBalancersCommand({ Names: ['p1', 'nope'] })), (err: Error) => {
      assert.equal(err.name, 'LoadBalancerNotFoundException')
      assert.equal(err.message, "Load balancers '[nope]' not found")
      return true
    })
  })

  it('modifies attributes, enforces deletion protection, deletes', async () => {
    const subnets = await defaultSubnets(alb)
    const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'attrs', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
    const arn = lb.LoadBalancerArn!
    const before = await alb.elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn }))
    const value = (key: string, attrs = before.Attributes ?? []) => attrs.find((a) => a.Key === key)?.Value
    assert.equal(value('idle_timeout.timeout_seconds'), '60')
    assert.equal(value('routing.http.desync_mitigation_mode'), 'defensive')
    assert.equal(value('client_keep_alive.seconds'), '3600')
    await assert.rejects(alb.elbv2.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: arn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '5000' }] })), { name: 'ValidationError' })
    await assert.rejects(alb.elbv2.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: arn, Attributes: [{ Key: 'no.such.key', Value: '1' }] })), { name: 'ValidationError' })
    const modified = await alb.elbv2.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: arn, Attributes: [{ Key: 'deletion_protection.enabled', Value: 'true' }, { Key: 'idle_timeout.timeout_seconds', Value: '120' }] }))
    assert.equal(value('idle_timeout.timeout_seconds', modified.Attributes), '120')
    await assert.rejects(alb.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn })), { name: 'OperationNotPermittedException' })
    await alb.elbv2.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: arn, Attributes: [{ Key: 'deletion_protection.enabled', Value: 'false' }] }))
    await alb.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn }))
    await alb.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn })) // a missing load balancer deletes fine
    await assert.rejects(alb.elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] })), { name: 'LoadBalancerNotFoundException' })
  })

  it('replaces subnets and security groups', async () => {
    const subnets = await defaultSubnets(alb)
    const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'sets', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
    const out = await alb.elbv2.send(new SetSubnetsCommand({ LoadBalancerArn: lb.LoadBalancerArn, Subnets: subnets }))
    assert.equal(out.AvailabilityZones?.length, 3)
    await assert.rejects(alb.elbv2.send(new SetSubnetsCommand({ LoadBalancerArn: lb.LoadBalancerArn, Subnets: ['subnet-0000000000000000'] })), { name: 'SubnetNotFoundException' })
    await assert.rejects(alb.elbv2.send(new SetSecurityGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn, SecurityGroups: ['sg-404'] })), { name: 'InvalidSecurityGroupException' })
  })
})
