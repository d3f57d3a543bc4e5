/**
 * End to end (issue 3) with the AWS CLI v2 as the user drives it: seed 004's two targets
 * answering their host name on /hostname alternate through the load balancer (curl to the
 * load balancer's DNS name); seed 003's rolling deploy (deregister → draining, register →
 * initial / Elb.RegistrationInProgress → healthy) while a client keeps requesting; seed 000's
 * stop-instances with the site still answering. Instance targets reach the applications
 * through the instances' loopback private IPs.
 */
import { after, before, describe, it, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { AwsCli, findAwsCli, toolMissing } from './support/cli.ts'
import { startTestOpenAlb, type TestOpenAlb } from './support/openalb.ts'
import { freePort, waitFor } from './support/dataplane.ts'

const exec = promisify(execFile)

interface App { readonly name: string; readonly host: string; readonly port: number; readonly server: Server }

/** An application on `host` that answers its name on /hostname (seed 004's task). */
async function startApp(name: string, host: string): Promise<App> {
  const server = createServer((req, res) => {
    req.resume()
    res.setHeader('Content-Type', 'text/plain')
    res.end(req.url === '/hostname' ? name : 'ok')
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return { name, host, port: (server.address() as AddressInfo).port, server }
}

function stopApp(app: App): Promise<void> {
  return new Promise((resolve) => { app.server.close(() => resolve()); app.server.closeAllConnections() })
}

/** curl as the user runs it against the load balancer's DNS name (*.localhost resolves to loopback). */
async function curl(url: string): Promise<string> {
  const { stdout } = await exec('curl', ['-sS', '--fail', '--max-time', '5', url])
  return stdout
}

describe('data plane driven by the AWS CLI v2 (seeds 004, 003, 000)', () => {
  let alb: TestOpenAlb
  let aws: AwsCli | undefined
  let missing: string | undefined
  const apps: App[] = []

  before(async () => {
    alb = await startTestOpenAlb()
    const cli = await findAwsCli(2)
    if ('missing' in cli) missing = cli.missing
    else aws = new AwsCli(cli.path, { endpointUrl: alb.apiUrl })
    apps.push(await startApp('task-a', '127.0.0.1'), await startApp('task-b', '127.0.0.2'))
  })
  after(async () => {
    aws?.dispose()
    await Promise.all(apps.map(stopApp))
    await alb.close()
  })

  it('balances, drains, re-registers and survives a stopped instance', async (t: TestContext): Promise<void> => {
    if (aws === undefined) { toolMissing(t, missing ?? 'AWS CLI v2'); return }
    const [a, b] = apps as [App, App]
    const subnets = (await aws.ok(['ec2', 'describe-subnets', '--filters', 'Name=default-for-az,Values=true', '--query', 'Subnets[].SubnetId', '--output', 'text'])).trim().split(/\s+/)
    const instance = async (ip: string): Promise<string> =>
      (await aws!.json(['ec2', 'run-instances', '--image-id', 'ami-12345678', '--instance-type', 't3.micro', '--count', '1', '--subnet-id', subnets[0]!, '--private-ip-address', ip])).Instances[0].InstanceId as string
    const idA = await instance(a.host)
    const idB = await instance(b.host)
    await aws.ok(['ec2', 'wait', 'instance-running', '--instance-ids', idA, idB])

    const lb = (await aws.json(['elbv2', 'create-load-balancer', '--name', 'alb-demo', '--subnets', subnets[0]!, subnets[1]!])).LoadBalancers[0]
    const vpcId = lb.VpcId as string
    const tgArn = (await aws.json(['elbv2', 'create-target-group', '--name', 'default', '--protocol', 'HTTP', '--port', '80', '--vpc-id', vpcId,
      '--health-check-path', '/hostname', '--health-check-interval-seconds', '5', '--health-check-timeout-seconds', '2',
      '--healthy-threshold-count', '2', '--unhealthy-threshold-count', '2'])).TargetGroups[0].TargetGroupArn as string
    await aws.ok(['elbv2', 'modify-target-group-attributes', '--target-group-arn', tgArn, '--attributes', 'Key=deregistration_delay.timeout_seconds,Value=8'])
    await aws.ok(['elbv2', 'register-targets', '--target-group-arn', tgArn, '--targets', `Id=${idA},Port=${a.port}`, `Id=${idB},Port=${b.port}`])
    const port = await freePort()
    await aws.ok(['elbv2', 'create-listener', '--load-balancer-arn', lb.LoadBalancerArn, '--protocol', 'HTTP', '--port', String(port),
      '--default-actions', `Type=forward,TargetGroupArn=${tgArn}`])

    const states = async (): Promise<Record<string, string>> => {
      const out = await aws!.json(['elbv2', 'describe-target-health', '--target-group-arn', tgArn])
      return Object.fromEntries((out.TargetHealthDescriptions as Array<{ Target: { Id: string }; TargetHealth: { State: string; Reason?: string } }>)
        .map((d) => [d.Target.Id, [d.TargetHealth.State, d.TargetHealth.Reason].filter(Boolean).join('/')]))
    }
    await waitFor(async () => { const s = await states(); return s[idA] === 'healthy' && s[idB] === 'healthy' ? true : undefined }, 20_000, 'both targets healthy')

    // Seed 004: URL=$(aws elbv2 describe-load-balancers --query 'LoadBalancers[].DNSName' --output text); curl ${URL}/hostname
    const dnsName = (await aws.ok(['elbv2', 'describe-load-balancers', '--query', 'LoadBalancers[].DNSName', '--output', 'text'])).trim()
    assert.match(dnsName, /^alb-demo-\d+\.us-east-1\.elb\.localhost$/)
    const seen = [await curl(`http://${dnsName}:${port}/hostname`), await curl(`http://${dnsName}:${port}/hostname`), await curl(`http://${dnsName}:${port}/hostname`), await curl(`http://${dnsName}:${port}/hostname`)]
    assert.deepEqual(new Set(seen), new Set(['task-a', 'task-b']), `round robin across both tasks: ${seen.join(', ')}`)
    assert.notEqual(seen[0], seen[1])

    // A client keeps requesting through the whole procedure (seeds 003 and 000): no request may fail.
    let failures = 0
    let served = 0
    let running = true
    const client = (async () => {
      while (running) {
        try { await curl(`http://${dnsName}:${port}/hostname`); served++ } catch { failures++ }
      }
    })()
    try {
      // Seed 003: deregister A → draining, then gone; register again → initial, then healthy.
      await aws.ok(['elbv2', 'deregister-targets', '--target-group-arn', tgArn, '--targets', `Id=${idA},Port=${a.port}`])
      assert.equal((await states())[idA], 'draining/Target.DeregistrationInProgress')
      await waitFor(async () => ((await states())[idA] === undefined ? true : undefined), 20_000, 'A gone after the deregistration delay')
      await aws.ok(['elbv2', 'register-targets', '--target-group-arn', tgArn, '--targets', `Id=${idA},Port=${a.port}`])
      assert.match((await states())[idA] ?? '', /^(initial\/Elb\.RegistrationInProgress|healthy)$/)
      await waitFor(async () => ((await states())[idA] === 'healthy' ? true : undefined), 20_000, 'A healthy again')

      // Seed 000: stop one instance (its application stops with it); the site keeps answering.
      await aws.ok(['ec2', 'stop-instances', '--instance-ids', idB])
      await stopApp(b)
      const stopped = (await aws.ok(['ec2', 'describe-instances', '--instance-ids', idB, '--query', 'Reservations[].Instances[].State[].Name', '--output', 'text'])).trim()
      assert.match(stopped, /^(stopping|stopped)$/)
      await waitFor(async () => ((await states())[idB] === 'unused/Target.InvalidState' ? true : undefined), 20_000, 'B unused while stopped')
      const after = served
      await waitFor(() => (served >= after + 5 ? true : undefined), 20_000, 'requests served after the stop')
    } finally {
      running = false
      await client
    }
    assert.equal(failures, 0, `${failures} of ${served + failures} requests failed`)
    assert.ok(served > 0)
  })
})
