/**
 * `openalb serve --workers 2` as a real process tree (DESIGN.md "One machine, many cores"):
 * traffic is served by every worker, and configuration changes and health transitions reach
 * every worker. Which worker served what is read from GET /_openalb/workers (per-worker
 * connection and request counters the primary collects over IPC), never from anything added
 * to proxied responses.
 *
 * Fresh connections (agent: false) matter: workers take connections, not requests. Which
 * worker accepts a connection is the kernel's choice (SCHED_NONE, cluster/primary.ts), so
 * the tests send batches of fresh-connection requests until every worker has taken part,
 * and require every request of every batch to be right.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  CreateRuleCommand, CreateTargetGroupCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, RegisterTargetsCommand,
  CreateLoadBalancerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2'
import { startOpenAlbProcess, type OpenAlbProcess } from './support/process.ts'
import { createListener, freePort, httpRequest, startTarget, waitFor, type TestTarget } from './support/dataplane.ts'
import { defaultSubnets } from './support/network.ts'
import type { TestOpenAlb } from './support/openalb.ts'
import { TEST_CREDENTIALS, TEST_REGION } from './support/openalb.ts'

const TEST_TIMEOUT = { timeout: 60_000 }
const FRESH_REQUESTS = 20

interface WorkerStats { pid: number; connections: number; requests: number; revision: number; ports: number[] }

async function workerStats(url: string): Promise<WorkerStats[]> {
  const res = await fetch(`${url}/_openalb/workers`)
  assert.equal(res.status, 200)
  return ((await res.json()) as { workers: WorkerStats[] }).workers
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('serve --workers 2', () => {
  let proc: OpenAlbProcess
  let alb: TestOpenAlb
  let targetA: TestTarget
  let targetB: TestTarget
  /** Target B answers its health check with 500 while this is set, and keeps serving traffic. */
  let failHealthB = false
  let targetGroupArn = ''
  let listenerArn = ''
  let port = 0

  /** Traffic (not health checks) each target saw. */
  const traffic = (t: TestTarget): number => t.seen.filter((s) => s.url !== '/health').length

  before(async () => {
    targetA = await startTarget('a')
    targetB = await startTarget('b', (req, res, name) => {
      if (req.url === '/health' && failHealthB) {
        res.statusCode = 500
        res.end()
        return
      }
      res.end(name)
    })
    proc = await startOpenAlbProcess({ args: ['--workers', '2'] })
    const clientConfig = { endpoint: proc.url, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 }
    const elbv2 = new ElasticLoadBalancingV2Client(clientConfig)
    const ec2 = new EC2Client(clientConfig)
    // The support helpers need only the clients (the store fallback is for missing API actions).
    alb = { elbv2, ec2 } as unknown as TestOpenAlb

    const subnets = await defaultSubnets(alb)
    const lb = (await elbv2.send(new CreateLoadBalancerCommand({ Name: 'workers', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
    const vpcId = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0]!.VpcId!
    targetGroupArn = (await elbv2.send(new CreateTargetGroupCommand({
      Name: 'workers-tg', Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'ip', HealthCheckPath: '/health',
      HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2,
    }))).TargetGroups![0]!.TargetGroupArn!
    await elbv2.send(new RegisterTargetsCommand({
      TargetGroupArn: targetGroupArn, Targets: [{ Id: '127.0.0.1', Port: targetA.port }, { Id: '127.0.0.1', Port: targetB.port }],
    }))
    port = await freePort()
    listenerArn = await createListener(alb, lb.LoadBalancerArn!, port, [{ Type: 'forward', TargetGroupArn: targetGroupArn }])
  })

  after(async () => {
    alb?.elbv2.destroy()
    alb?.ec2.destroy()
    await proc?.close()
    await targetA?.close()
    await targetB?.close()
  })

  /** Health states by target port, as the primary's checker reports them. */
  async function healthByPort(): Promise<Map<number, string>> {
    const out = await alb.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))
    return new Map((out.TargetHealthDescriptions ?? []).map((d) => [d.Target!.Port!, d.TargetHealth!.State!]))
  }

  /**
   * Batches of fresh-connection requests to `path` until every worker has served at least one
   * (at most 20 batches); returns every result.
   */
  async function untilEveryWorkerServed(path: string): Promise<Array<{ status: number; body: string }>> {
    const before = await workerStats(proc.url)
    const results: Array<{ status: number; body: string }> = []
    for (let batch = 0; batch < 20; batch++) {
      results.push(...await freshRequests(path))
      const now = await workerStats(proc.url)
      const idle = now.filter((w) => w.requests === (before.find((b) => b.pid === w.pid)?.requests ?? 0))
      if (idle.length === 0) return results
    }
    assert.fail(`some worker served none of ${results.length} fresh-connection requests: ${JSON.stringify(await workerStats(proc.url))}`)
  }

  /** `count` requests, each on a fresh connection, one after another. */
  async function freshRequests(path: string, count = FRESH_REQUESTS): Promise<Array<{ status: number; body: string }>> {
    const out: Array<{ status: number; body: string }> = []
    for (let i = 0; i < count; i++) out.push(await httpRequest(port, path))
    return out
  }

  it('serves traffic from both workers, each counted by GET /_openalb/workers', TEST_TIMEOUT, async () => {
    // Both targets healthy: the primary's checker verdicts have reached the workers when every request succeeds.
    await waitFor(async () => {
      const health = await healthByPort()
      return health.get(targetA.port) === 'healthy' && health.get(targetB.port) === 'healthy' ? true : undefined
    }, 20_000, 'both targets healthy')
    const before = await workerStats(proc.url)
    assert.equal(before.length, 2)
    assert.notEqual(before[0]!.pid, before[1]!.pid)
    for (const worker of before) assert.deepEqual(worker.ports, [port], `worker ${worker.pid} listens on the listener port`)

    const results = await untilEveryWorkerServed('/')
    assert.deepEqual(results.map((r) => r.status), Array(results.length).fill(200))
    const after = await workerStats(proc.url)
    const served = after.map((w) => {
      const was = before.find((b) => b.pid === w.pid)!
      return { pid: w.pid, connections: w.connections - was.connections, requests: w.requests - was.requests }
    })
    // The counters account for every connection and request, and every worker has some.
    assert.equal(served.reduce((n, w) => n + w.connections, 0), results.length, JSON.stringify(served))
    assert.equal(served.reduce((n, w) => n + w.requests, 0), results.length, JSON.stringify(served))
    for (const worker of served) assert.ok(worker.requests > 0, `worker ${worker.pid} served nothing: ${JSON.stringify(served)}`)
    assert.ok(traffic(targetA) > 0 && traffic(targetB) > 0, 'both targets take traffic')
  })

  it('a new rule reaches every worker', TEST_TIMEOUT, async () => {
    const path = '/from-rule'
    // Before the rule, the default action forwards to the targets.
    assert.notEqual((await httpRequest(port, path)).body, 'rule-answer')
    const revisionBefore = Math.max(...(await workerStats(proc.url)).map((w) => w.revision))
    await alb.elbv2.send(new CreateRuleCommand({
      ListenerArn: listenerArn, Priority: 10, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [path] } }],
      Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'rule-answer' } }],
    }))
    await waitFor(async () => {
      const results = await freshRequests(path)
      return results.every((r) => r.status === 200 && r.body === 'rule-answer') ? true : undefined
    }, 10_000, 'every fresh-connection request to match the new rule')
    // From then on every worker answers with the rule.
    const results = await untilEveryWorkerServed(path)
    assert.ok(results.every((r) => r.status === 200 && r.body === 'rule-answer'), JSON.stringify(results.filter((r) => r.body !== 'rule-answer')))
    const stats = await workerStats(proc.url)
    for (const worker of stats) assert.ok(worker.revision > revisionBefore, `worker ${worker.pid} compiled the new revision`)
  })

  it('a health transition reaches every worker: an unhealthy target gets no traffic from any worker', TEST_TIMEOUT, async () => {
    // B keeps serving traffic but fails its health checks, so any worker still routing to it shows.
    failHealthB = true
    await waitFor(async () => ((await healthByPort()).get(targetB.port) === 'unhealthy' ? true : undefined), 20_000, 'B unhealthy')
    const seenByB = traffic(targetB)
    // Every worker takes part; every request succeeds, and all of them were served by A.
    const results = await untilEveryWorkerServed('/hostname')
    assert.deepEqual(results.map((r) => `${r.status} ${r.body}`), Array(results.length).fill('200 a'))
    assert.equal(traffic(targetB), seenByB, 'no worker routed to the unhealthy target')
  })

  it('a worker that dies is replaced, and the replacement has the records and the health verdicts', TEST_TIMEOUT, async () => {
    const [victim, survivor] = await workerStats(proc.url)
    process.kill(victim!.pid, 'SIGKILL')
    const replaced = await waitFor(async () => {
      const stats = await workerStats(proc.url)
      return stats.length === 2 && !stats.some((w) => w.pid === victim!.pid) ? stats : undefined
    }, 15_000, 'a replacement worker')
    assert.ok(replaced.some((w) => w.pid === survivor!.pid))
    const replacement = replaced.find((w) => w.pid !== survivor!.pid)!
    assert.deepEqual(replacement.ports, [port])
    // B is still unhealthy: the replacement must not route to it (it got the verdict with its records).
    const seenByB = traffic(targetB)
    const results = await untilEveryWorkerServed('/hostname')
    assert.deepEqual(results.map((r) => `${r.status} ${r.body}`), Array(results.length).fill('200 a'))
    assert.equal(traffic(targetB), seenByB, 'the replacement routed to the unhealthy target')
    // And it has the rule.
    assert.ok((await untilEveryWorkerServed('/from-rule')).every((r) => r.body === 'rule-answer'))
  })

  it('/_openalb/reset closes the listeners of every worker before it answers', TEST_TIMEOUT, async () => {
    const res = await fetch(`${proc.url}/_openalb/reset`, { method: 'POST' })
    assert.equal(res.status, 200)
    for (const worker of await workerStats(proc.url)) assert.deepEqual(worker.ports, [])
    await assert.rejects(httpRequest(port, '/'), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED')
  })

  it('SIGTERM stops the workers with the primary', TEST_TIMEOUT, async () => {
    const pids = (await workerStats(proc.url)).map((w) => w.pid)
    await proc.kill('SIGTERM')
    for (const pid of pids) await waitFor(() => (processAlive(pid) ? undefined : true), 5_000, `worker ${pid} to exit`)
  })
})
