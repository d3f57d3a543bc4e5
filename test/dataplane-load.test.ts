/**
 * Under continuous load (issue 3 "What it must show"):
 * - seed 000: one of two target processes is killed mid-way → zero failed requests; the
 *   target turns `unhealthy` (Target.FailedHealthChecks), and `healthy` again once restarted;
 * - seed 003: a rolling deploy (deregister, drain, maintenance, register, healthy; then the
 *   other target) → zero failed requests, with the seed's DescribeTargetHealth states.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { Agent, request } from 'node:http'
import {
  DeregisterTargetsCommand, DescribeTargetHealthCommand, RegisterTargetsCommand, type TargetHealth,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { startTestOpenAlb, type TestOpenAlb } from './support/openalb.ts'
import { createListener, createTargetGroup, freePort, waitFor } from './support/dataplane.ts'
import { CreateLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { defaultSubnets } from './support/network.ts'

const TARGET_SOURCE = `
const http = require('node:http')
const [port, name] = process.argv.slice(1)
const server = http.createServer((req, res) => { res.setHeader('Content-Type', 'text/plain'); res.end(name) })
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\\n'))
`

/** A target in its own process, so it can be killed like a stopped instance. */
class TargetProcess {
  readonly port: number
  readonly name: string
  #child: ChildProcess | undefined

  constructor(port: number, name: string) {
    this.port = port
    this.name = name
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['-e', TARGET_SOURCE, String(this.port), this.name], { stdio: ['ignore', 'pipe', 'inherit'] })
    this.#child = child
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve())
      child.once('exit', (code) => reject(new Error(`target ${this.name} exited with ${code}`)))
    })
  }

  async kill(): Promise<void> {
    const child = this.#child
    if (child === undefined || child.exitCode !== null) return
    this.#child = undefined
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
}

/** A client sending requests continuously (like users reloading a page), counting failures. */
class LoadClient {
  readonly #port: number
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 4 })
  #running = true
  readonly #workers: Promise<void>[] = []
  ok = 0
  readonly failures: string[] = []
  readonly byTarget = new Map<string, number>()

  constructor(port: number, concurrency: number) {
    this.#port = port
    for (let i = 0; i < concurrency; i++) this.#workers.push(this.#loop())
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      try {
        const { status, body } = await this.#get()
        if (status === 200) {
          this.ok++
          this.byTarget.set(body, (this.byTarget.get(body) ?? 0) + 1)
        } else {
          this.failures.push(`${status} ${body.slice(0, 60)}`)
        }
      } catch (err) {
        this.failures.push(`error ${(err as Error).message}`)
      }
    }
  }

  #get(): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.#port, path: '/hostname', agent: this.#agent }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => { body += c })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end()
    })
  }

  async stop(): Promise<void> {
    this.#running = false
    await Promise.all(this.#workers)
    this.#agent.destroy()
  }
}

async function targetHealth(alb: TestOpenAlb, tg: string): Promise<Map<number, TargetHealth>> {
  const out = await alb.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }))
  return new Map((out.TargetHealthDescriptions ?? []).map((d) => [d.Target!.Port!, d.TargetHealth!]))
}

/** Waits until `port`'s state satisfies `want` (a state name, or 'gone' for absent). */
async function awaitState(alb: TestOpenAlb, tg: string, port: number, want: string, timeoutMs: number): Promise<TargetHealth | undefined> {
  return waitFor(async () => {
    const health = (await targetHealth(alb, tg)).get(port)
    if (want === 'gone') return health === undefined ? ({} as TargetHealth) : undefined
    return health?.State === want ? health : undefined
  }, timeoutMs, `${port} ${want}`)
}

describe('data plane under load', () => {
  let alb: TestOpenAlb
  const processes: TargetProcess[] = []
  before(async () => { alb = await startTestOpenAlb() })
  after(async () => {
    await alb.close()
    await Promise.all(processes.map((p) => p.kill()))
  })

  async function site(name: string, attributes: Record<string, string> = {}): Promise<{ a: TargetProcess; b: TargetProcess; tg: string; port: number }> {
    const a = new TargetProcess(await freePort(), `${name}-a`)
    const b = new TargetProcess(await freePort(), `${name}-b`)
    processes.push(a, b)
    await Promise.all([a.start(), b.start()])
    const subnets = await defaultSubnets(alb)
    const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: name, Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
    const tg = await createTargetGroup(alb, `${name}-tg`, [a, b])
    if (Object.keys(attributes).length > 0) {
      const { ModifyTargetGroupAttributesCommand } = await import('@aws-sdk/client-elastic-load-balancing-v2')
      await alb.elbv2.send(new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: tg, Attributes: Object.entries(attributes).map(([Key, Value]) => ({ Key, Value })),
      }))
    }
    const port = await freePort()
    await createListener(alb, lb.LoadBalancerArn!, port, [{ Type: 'forward', TargetGroupArn: tg }])
    await awaitState(alb, tg, a.port, 'healthy', 5000)
    await awaitState(alb, tg, b.port, 'healthy', 5000)
    return { a, b, tg, port }
  }

  it('seed 000: killing one of two targets under load fails no request', async () => {
    const { a, b, tg, port } = await site('seed000')
    const client = new LoadClient(port, 4)
    await waitFor(() => (client.byTarget.size === 2 && client.ok > 200 ? true : undefined), 5000, 'traffic on both targets')
    await b.kill()
    const killedAt = client.ok
    const unhealthy = await awaitState(alb, tg, b.port, 'unhealthy', 15_000)
    assert.equal(unhealthy?.Reason, 'Target.FailedHealthChecks')
    assert.equal(unhealthy?.Description, 'Health checks failed')
    await waitFor(() => (client.ok > killedAt + 200 ? true : undefined), 5000, 'traffic flowing after the kill')
    await b.start()
    await awaitState(alb, tg, b.port, 'healthy', 15_000)
    const before = client.byTarget.get(b.name) ?? 0
    await waitFor(() => ((client.byTarget.get(b.name) ?? 0) > before + 20 ? true : undefined), 5000, 'traffic back on the restarted target')
    await client.stop()
    assert.deepEqual(client.failures, [], `failed requests out of ${client.ok + client.failures.length}`)
    assert.ok((client.byTarget.get(a.name) ?? 0) > 0)
  })

  it('seed 003: a rolling deploy under load fails no request and shows the seed states', async () => {
    const { a, b, tg, port } = await site('seed003', { 'deregistration_delay.timeout_seconds': '2' })
    const client = new LoadClient(port, 4)
    await waitFor(() => (client.byTarget.size === 2 ? true : undefined), 5000, 'traffic on both targets')
    const states: string[] = []
    for (const target of [a, b]) {
      await alb.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: '127.0.0.1', Port: target.port }] }))
      const draining = (await targetHealth(alb, tg)).get(target.port)
      states.push(`${target.name} ${draining?.State}/${draining?.Reason}`)
      await awaitState(alb, tg, target.port, 'gone', 10_000)
      // Maintenance: the target process is replaced while out of the group.
      await target.kill()
      await target.start()
      await alb.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: '127.0.0.1', Port: target.port }] }))
      const initial = (await targetHealth(alb, tg)).get(target.port)
      states.push(`${target.name} ${initial?.State}/${initial?.Reason}`)
      await awaitState(alb, tg, target.port, 'healthy', 15_000)
      states.push(`${target.name} healthy`)
    }
    const before = client.ok
    await waitFor(() => (client.ok > before + 50 ? true : undefined), 5000, 'traffic after the deploy')
    await client.stop()
    assert.deepEqual(states, [
      'seed003-a draining/Target.DeregistrationInProgress',
      'seed003-a initial/Elb.RegistrationInProgress',
      'seed003-a healthy',
      'seed003-b draining/Target.DeregistrationInProgress',
      'seed003-b initial/Elb.RegistrationInProgress',
      'seed003-b healthy',
    ])
    assert.deepEqual(client.failures, [], `failed requests out of ${client.ok + client.failures.length}`)
  })
})
