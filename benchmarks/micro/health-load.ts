/**
 * A quick A/B of active health-check cost (the `health` scenario of `npm run bench`, without
 * HAProxy): one target process listening on HEALTH_LOAD_TARGETS ports, one `openalb serve`
 * per build with one target group of all of them (5 s interval, like the scenario) behind a
 * listener, and the CPU ms each OpenALB spends per second once every target is healthy.
 *
 *   npx tsc -p tsconfig.json && node dist/benchmarks/micro/health-load.js
 * Knobs: HEALTH_LOAD_TARGETS (1000), HEALTH_LOAD_SECONDS (20 per round), HEALTH_LOAD_ROUNDS (3),
 * HEALTH_LOAD_PROTOCOL (HTTP | HTTPS: HTTPS targets, served by this process, and HTTPS checks),
 * HEALTH_LOAD_BASELINE=<another build's dist/src/cli/main.js> (measured over the same windows
 * as this build, both running at once: on a shared machine only an A/B in the same run means
 * anything), LOAD_NODE_ARGS (node flags for this build, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`;
 * the profile is written when OpenALB exits on SIGTERM).
 */
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { CreateListenerCommand, CreateTargetGroupCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { selfSigned } from '../../test/support/openssl.ts'
import { ROOT, cpuSplit, freePort, words } from '../scenarios/support.ts'
import { startOpenAlb, startTargets, waitHealthy, type OpenAlb } from '../scenarios/systems.ts'

const TARGETS = Number(process.env.HEALTH_LOAD_TARGETS ?? 1000)
const SECONDS = Number(process.env.HEALTH_LOAD_SECONDS ?? 20)
const ROUNDS = Number(process.env.HEALTH_LOAD_ROUNDS ?? 3)
const PROTOCOL = process.env.HEALTH_LOAD_PROTOCOL === 'HTTPS' ? 'HTTPS' : 'HTTP'
/** One target group of every target port, checked every 5 s, used by a listener (else targets are `unused`). */
async function configure(alb: OpenAlb, ports: number[]): Promise<void> {
  const tg = (await alb.elbv2.send(new CreateTargetGroupCommand({
    Name: 'health', Protocol: PROTOCOL, Port: 80, VpcId: alb.vpcId, TargetType: 'ip',
    HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2,
  }))).TargetGroups![0]!.TargetGroupArn!
  await alb.elbv2.send(new CreateListenerCommand({
    LoadBalancerArn: alb.loadBalancerArn, Protocol: 'HTTP', Port: await freePort(),
    DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }],
  }))
  await alb.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: ports.map((p) => ({ Id: '127.0.0.1', Port: p })) }))
  await waitHealthy(alb, tg, 120_000)
}

/**
 * HTTPS targets live in this process (benchmarks/target.ts serves TLS on one port only): only
 * OpenALB's CPU is measured, so where the targets run only matters for contention.
 */
async function startTlsTargets(count: number): Promise<{ ports: number[]; stop(): Promise<void> }> {
  const pair = selfSigned('target.invalid')
  const servers: https.Server[] = []
  for (let i = 0; i < count; i++) {
    const server = https.createServer({ key: pair.keyPem, cert: pair.certPem }, (_req, res) => { res.end('ok') })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push(server)
  }
  return {
    ports: servers.map((s) => (s.address() as AddressInfo).port),
    stop: async () => { await Promise.all(servers.map((s) => new Promise((resolve) => { s.close(resolve); s.closeAllConnections() }))) },
  }
}

const targets = PROTOCOL === 'HTTPS'
  ? await startTlsTargets(TARGETS)
  : await startTargets({ count: TARGETS }).then((t) => ({ ports: t.http, stop: () => t.stop() }))
const ports = targets.ports
const systems: Array<{ name: string; alb: OpenAlb }> = []
try {
  const builds: Array<[string, string, string[]]> = [['openalb', join(ROOT, 'dist/src/cli/main.js'), words(process.env.LOAD_NODE_ARGS)]]
  if (process.env.HEALTH_LOAD_BASELINE !== undefined) builds.push(['baseline', process.env.HEALTH_LOAD_BASELINE, []])
  for (const [name, main, nodeArgs] of builds) {
    const alb = await startOpenAlb({ main, nodeArgs, keep: true })
    systems.push({ name, alb })
  }
  await Promise.all(systems.map((s) => configure(s.alb, ports)))
  for (let round = 1; round <= ROUNDS; round++) {
    const before = systems.map((s) => cpuSplit(s.alb.pid))
    const start = performance.now()
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000))
    const seconds = (performance.now() - start) / 1000
    const line = systems.map((s, i) => {
      const [user, sys] = cpuSplit(s.alb.pid)
      const perSecond = (cpu: number): string => ((cpu * 1000) / seconds).toFixed(1)
      const [user0, sys0] = before[i]!
      return `${s.name} ${perSecond(user - user0 + sys - sys0)} ms CPU/s (user ${perSecond(user - user0)} + sys ${perSecond(sys - sys0)})`
    })
    console.log(`round ${round} (${PROTOCOL}, ${TARGETS} targets, ${seconds.toFixed(1)} s): ${line.join(', ')}`)
  }
} finally {
  for (const s of systems) await s.alb.stop()
  await targets.stop()
}
