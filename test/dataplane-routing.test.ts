/**
 * Data plane: load balancers sharing a port (dispatch by Host), sticky sessions (AWSALB,
 * AWSALBTG), and instance targets through their private IP (stopped → unused, not routed).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  CreateLoadBalancerCommand, DescribeTargetHealthCommand, ModifyTargetGroupAttributesCommand, RegisterTargetsCommand,
  CreateTargetGroupCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { DescribeVpcsCommand, RunInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2'
import { startTestOpenAlb, type TestOpenAlb } from './support/openalb.ts'
import { defaultSubnets } from './support/network.ts'
import {
  createListener, createSite, createTargetGroup, freePort, httpRequest, startTarget, waitFor, type TestTarget,
} from './support/dataplane.ts'

function cookieValue(setCookies: string | string[] | undefined, name: string): string | undefined {
  for (const line of [setCookies ?? []].flat()) {
    if (line.startsWith(`${name}=`)) return line.slice(name.length + 1, line.indexOf(';'))
  }
  return undefined
}

describe('data plane: routing', () => {
  let alb: TestOpenAlb
  const targets: TestTarget[] = []
  before(async () => { alb = await startTestOpenAlb() })
  after(async () => {
    await alb.close()
    await Promise.all(targets.map((t) => t.close()))
  })
  async function target(name: string): Promise<TestTarget> {
    const t = await startTarget(name)
    targets.push(t)
    return t
  }

  it('dispatches by Host when two load balancers share a port; the first opener takes the rest', async () => {
    const first = await target('first')
    const second = await target('second')
    const port = await freePort()
    const a = await createSite(alb, { targets: [first], port })
    const b = await createSite(alb, { targets: [second], port })
    await waitFor(async () => (await httpRequest(port, '/hostname', { host: b.dnsName })).body === 'second' || undefined, 5000, 'second LB')
    assert.equal((await httpRequest(port, '/hostname', { host: `${a.dnsName}:${port}` })).body, 'first')
    assert.equal((await httpRequest(port, '/hostname', { host: b.dnsName.toUpperCase() })).body, 'second', 'DNS names compare case-insensitively')
    assert.equal((await httpRequest(port, '/hostname', { host: 'unknown.example' })).body, 'first')
  })

  it('keeps a client on one target with AWSALB (lb_cookie) and re-issues the cookie', async () => {
    const a = await target('sticky-a')
    const b = await target('sticky-b')
    const site = await createSite(alb, {
      targets: [a, b], targetGroupAttributes: [{ Key: 'stickiness.enabled', Value: 'true' }, { Key: 'stickiness.type', Value: 'lb_cookie' }],
    })
    await waitFor(async () => {
      const health = await alb.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: site.targetGroupArn }))
      return (health.TargetHealthDescriptions ?? []).filter((d) => d.TargetHealth?.State === 'healthy').length === 2 || undefined
    }, 5000, 'both healthy')
    const first = await httpRequest(site.port, '/hostname')
    const cookie = cookieValue(first.headers['set-cookie'], 'AWSALB')
    assert.ok(cookie, 'AWSALB issued')
    assert.ok(cookieValue(first.headers['set-cookie'], 'AWSALBCORS'))
    assert.match([first.headers['set-cookie']].flat().find((c) => c?.startsWith('AWSALBCORS='))!, /; SameSite=None; Secure$/)
    for (let i = 0; i < 6; i++) {
      const r = await httpRequest(site.port, '/hostname', { headers: { Cookie: `AWSALB=${cookie}` } })
      assert.equal(r.body, first.body, 'stuck to the first target')
      assert.ok(cookieValue(r.headers['set-cookie'], 'AWSALB'), 're-issued on every response')
    }
    const unstuck = new Set<string>()
    for (let i = 0; i < 4; i++) unstuck.add((await httpRequest(site.port, '/hostname', { headers: { Cookie: 'AWSALB=garbage' } })).body)
    assert.equal(unstuck.size, 2, 'an undecodable cookie is balanced anew')
  })

  it('splits a weighted forward and keeps a client on its group with AWSALBTG', async () => {
    const blue = await target('blue')
    const green = await target('green')
    const blueTg = await createTargetGroup(alb, 'weighted-blue', [blue])
    const greenTg = await createTargetGroup(alb, 'weighted-green', [green])
    const subnets = await defaultSubnets(alb)
    const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'weighted', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
    const port = await freePort()
    await createListener(alb, lb.LoadBalancerArn!, port, [{
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: [{ TargetGroupArn: blueTg, Weight: 1 }, { TargetGroupArn: greenTg, Weight: 1 }],
        TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
      },
    }])
    await waitFor(async () => (await httpRequest(port, '/hostname')).status === 200 || undefined, 5000, 'listener')
    const seen = new Set<string>()
    for (let i = 0; i < 30 && seen.size < 2; i++) seen.add((await httpRequest(port, '/hostname')).body)
    assert.deepEqual(seen, new Set(['blue', 'green']), 'both groups take traffic')
    const first = await httpRequest(port, '/hostname')
    const tgCookie = cookieValue(first.headers['set-cookie'], 'AWSALBTG')
    assert.ok(tgCookie)
    for (let i = 0; i < 8; i++) assert.equal((await httpRequest(port, '/hostname', { headers: { Cookie: `AWSALBTG=${tgCookie}` } })).body, first.body)
  })

  it('routes to an instance through its private IP, and not once it is stopped', async () => {
    const vpcId = (await alb.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0]!.VpcId!
    const instance = (await alb.ec2.send(new RunInstancesCommand({ ImageId: 'ami-12345678', MinCount: 1, MaxCount: 1, InstanceType: 't3.micro' }))).Instances![0]!
    const ip = instance.PrivateIpAddress!
    assert.match(ip, /^127\./)
    const server: Server = createServer((_req, res) => res.end('instance'))
    await new Promise<void>((resolve) => server.listen(0, ip, resolve))
    const instancePort = (server.address() as AddressInfo).port
    try {
      const tg = (await alb.elbv2.send(new CreateTargetGroupCommand({
        Name: 'instances', Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'instance', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2,
      }))).TargetGroups![0]!.TargetGroupArn!
      await alb.elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tg, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '0' }] }))
      await waitFor(async () => {
        await alb.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: instance.InstanceId!, Port: instancePort }] }))
        return true
      }, 5000, 'instance running')
      const subnets = await defaultSubnets(alb)
      const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'instances', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
      const port = await freePort()
      await createListener(alb, lb.LoadBalancerArn!, port, [{ Type: 'forward', TargetGroupArn: tg }])
      await waitFor(async () => (await httpRequest(port, '/')).body === 'instance' || undefined, 5000, 'instance reached')
      await alb.ec2.send(new StopInstancesCommand({ InstanceIds: [instance.InstanceId!] }))
      const stopped = await waitFor(async () => {
        const r = await httpRequest(port, '/')
        return r.status === 503 ? r : undefined
      }, 5000, 'stopped instance not routed')
      assert.equal(stopped.headers.server, 'awselb/2.0')
      const health = await alb.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }))
      assert.equal(health.TargetHealthDescriptions?.[0]?.TargetHealth?.State, 'unused')
      assert.equal(health.TargetHealthDescriptions?.[0]?.TargetHealth?.Reason, 'Target.InvalidState')
    } finally {
      await new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections() })
    }
  })
})
