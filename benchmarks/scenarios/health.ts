/**
 * `health`: the cost of active health checks with no traffic. 1,000 `ip` targets (one target
 * process listening on 1,000 ports of 127.0.0.1 — the ALB quota of targets per load balancer)
 * in one target group checked every 5 s; once all are healthy we charge OpenALB's CPU over
 * BENCH_HEALTH_SECONDS and count the checks the targets saw, so the CPU figure is tied to
 * work that demonstrably happened. HAProxy runs the same checks (`check inter 5s`, rise 2);
 * nginx open source has no active health checks.
 */
import { rmSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { fmt, freePort, has, log, sleep, withCpu, type Metrics, type Sample } from './support.ts'
import { createListener, createTargetGroup, haproxyProxy, startHaproxy, startOpenAlb, startTargets, waitHealthy, type Targets } from './systems.ts'

export const HEALTH_TARGETS = Number(process.env.BENCH_HEALTH_TARGETS ?? 1000)
export const HEALTH_SECONDS = Number(process.env.BENCH_HEALTH_SECONDS ?? 20)
/** How long the no-targets baseline is measured. */
const BASELINE_SECONDS = 5

async function requestCount(targets: Targets): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${targets.http[0]}/__count`)
  return Number(await res.text())
}

async function measureChecks(pid: number, targets: Targets): Promise<Metrics> {
  const before = await requestCount(targets)
  const { cpuSeconds, seconds } = await withCpu(pid, () => sleep(HEALTH_SECONDS * 1000))
  const checks = (await requestCount(targets)) - before
  return {
    targets: HEALTH_TARGETS,
    checksPerSecond: checks / seconds,
    cpuMsPerSecond: (cpuSeconds! * 1000) / seconds,
    cpuUsPerCheck: checks === 0 ? undefined : (cpuSeconds! * 1e6) / checks,
  }
}

async function openAlbChecks(targets: Targets): Promise<Metrics> {
  const alb = await startOpenAlb()
  try {
    const tg = await createTargetGroup(alb, 'bench-health', [], 5)
    // A target group only has its targets checked while a listener uses it (AWS: "unused" otherwise).
    await createListener(alb, { port: await freePort(), protocol: 'HTTP', targetGroupArn: tg })
    const idle = await withCpu(alb.pid, () => sleep(BASELINE_SECONDS * 1000))
    await alb.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: targets.http.map((p) => ({ Id: '127.0.0.1', Port: p })) }))
    await waitHealthy(alb, tg, 90_000)
    const metrics = await measureChecks(alb.pid, targets)
    return { ...metrics, healthy: HEALTH_TARGETS, idleCpuMsPerSecond: (idle.cpuSeconds! * 1000) / idle.seconds }
  } finally {
    await alb.stop()
  }
}

/** `show stat` on HAProxy's stats socket: how many servers of backend `targets` are UP. */
function haproxyUp(socketPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath)
    let text = ''
    s.on('data', (d: Buffer) => { text += d.toString() })
    s.once('error', reject)
    s.once('end', () => {
      const rows = text.split('\n').map((l) => l.split(','))
      const status = rows[0]?.indexOf('status') ?? -1
      resolve(rows.filter((r) => r[0] === 'targets' && r[1] !== 'BACKEND' && r[status]?.startsWith('UP') === true).length)
    })
    s.write('show stat\n')
  })
}

async function haproxyChecks(targets: Targets): Promise<Metrics> {
  const port = await freePort()
  const haproxy = await startHaproxy(haproxyProxy(port, targets.http, ['option httpchk GET /', 'default-server check inter 5s rise 2 fall 2']), port, { global: `stats socket ${join('/tmp', `haproxy-bench-${process.pid}.sock`)} mode 600 level admin` })
  try {
    const socketPath = join('/tmp', `haproxy-bench-${process.pid}.sock`)
    const deadline = Date.now() + 90_000
    let up = 0
    while ((up = await haproxyUp(socketPath)) < HEALTH_TARGETS) {
      if (Date.now() > deadline) throw new Error(`HAProxy: ${up}/${HEALTH_TARGETS} servers up after 90 s`)
      await sleep(500) // polling HAProxy's stats: no event to await across processes
    }
    return { ...await measureChecks(haproxy.pid, targets), healthy: up }
  } finally {
    await haproxy.stop()
    rmSync(join('/tmp', `haproxy-bench-${process.pid}.sock`), { force: true })
  }
}

export async function runHealth(): Promise<Sample[]> {
  const targets = await startTargets({ count: HEALTH_TARGETS })
  const samples: Sample[] = []
  const note = (system: string, metrics: Metrics): void => {
    samples.push({ scenario: 'health', system, round: 1, metrics })
    log(`  health ${system}: ${fmt(metrics.checksPerSecond)} checks/s, ${fmt(metrics.cpuMsPerSecond, 2)} ms CPU/s, ${fmt(metrics.cpuUsPerCheck)} µs/check`)
  }
  try {
    note('openalb', await openAlbChecks(targets))
    if (has('haproxy')) note('haproxy', await haproxyChecks(targets))
    return samples
  } finally {
    await targets.stop()
  }
}
