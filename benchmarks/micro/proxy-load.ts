/**
 * A quick, single-system load run for working on the proxy's hot path: two targets in their
 * own process, one `openalb serve` configured through the API (one listener forwarding to a
 * target group of both targets), wrk -t1 -c50 against it, and the proxy's own CPU µs per
 * request from /proc — the same figures as `npm run bench`'s `plain` scenario, without nginx
 * and HAProxy, so a change can be measured in seconds.
 *
 *   npx tsc -p tsconfig.json && node dist/benchmarks/micro/proxy-load.js
 * Knobs: LOAD_SECONDS (5), LOAD_ROUNDS (2), LOAD_WARMUP_SECONDS (2), LOAD_NODE_ARGS (extra
 * node flags for OpenALB, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`: the profile is written
 * when OpenALB exits on SIGTERM), LOAD_DIRECT=1 (also measure the targets directly),
 * LOAD_BASELINE=<path to another build's dist/src/cli/main.js> (measured in interleaved
 * rounds with this build: on a shared machine only an A/B in the same run means anything),
 * LOAD_GAP_SECONDS (idle time between rounds), LOAD_PROTOCOL=HTTPS | H2 (a TLS listener driven by wrk or h2load, as the `https` and `h2` scenarios), LOAD_BASELINE_NODE_ARGS (node flags for the baseline; default LOAD_NODE_ARGS) — with
 * LOAD_BASELINE set to this build, an A/B of node flags. LOAD_NGINX=1 (plain HTTP only): nginx
 * configured as in the bench's `plain` scenario, measured in the same rounds — its user/system
 * split shows how much of a gap is the kernel's.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, cpuSplit, fmt, freePort, h2load, run, withCpu, words } from '../scenarios/support.ts'
import { createListener, createTargetGroup, importCertificate, nginxUpstream, startNginx, startOpenAlb, startTargets, waitHealthy, type OpenAlb } from '../scenarios/systems.ts'
import { selfSigned } from '../../test/support/openssl.ts'

const SECONDS = Number(process.env.LOAD_SECONDS ?? 5)
const ROUNDS = Number(process.env.LOAD_ROUNDS ?? 2)
const WARMUP = Number(process.env.LOAD_WARMUP_SECONDS ?? 2)
/** Idle seconds between rounds (the full benchmark leaves OpenALB idle while the other systems run). */
const GAP = Number(process.env.LOAD_GAP_SECONDS ?? 0)
const NODE_ARGS = words(process.env.LOAD_NODE_ARGS)
const BASELINE_NODE_ARGS = process.env.LOAD_BASELINE_NODE_ARGS === undefined ? NODE_ARGS : words(process.env.LOAD_BASELINE_NODE_ARGS)
/**
 * HTTP (default); HTTPS: a TLS listener with an imported self-signed certificate, as the bench's
 * `https` scenario; H2: that listener driven by h2load over HTTP/2, as the `h2` scenario.
 */
const LOAD_PROTOCOL = process.env.LOAD_PROTOCOL ?? 'HTTP'
const H2 = LOAD_PROTOCOL === 'H2'
const PROTOCOL = LOAD_PROTOCOL === 'HTTPS' || H2 ? 'HTTPS' : 'HTTP'
const CERT = PROTOCOL === 'HTTPS' ? selfSigned('load.test', ['load.test', 'localhost']) : undefined
/** As the bench's `plain` scenario (benchmarks/scenarios/throughput.ts). */
const NGINX_PROXY = 'proxy_pass http://targets; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;'
const H2LOAD_DIR = H2 ? mkdtempSync(join(tmpdir(), 'openalb-h2load-')) : ''

async function load(url: string, pid: number | undefined, seconds: number): Promise<string> {
  if (H2) {
    const [user0, sys0] = cpuSplit(pid)
    const m = await h2load(url, pid, H2LOAD_DIR, seconds)
    const [user1, sys1] = cpuSplit(pid)
    const perRequest = (s: number): string => ((s * 1e6) / (m.requests ?? 0)).toFixed(1)
    return `${fmt(m.rps, 0)} req/s, p50 ${fmt(m.p50ms, 2)}ms, p99 ${fmt(m.p99ms, 2)}ms, ${fmt(m.cpuUsPerReq)} (user ${perRequest(user1 - user0)} + sys ${perRequest(sys1 - sys0)}) µs CPU/req, ${m.errors} errors`
  }
  const [user0, sys0] = cpuSplit(pid)
  const { value: out, cpuSeconds } = await withCpu(pid, () => run('wrk', ['-t1', '-c50', `-d${seconds}s`, '--latency', url]))
  const [user1, sys1] = cpuSplit(pid)
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]
  const p50 = /50%\s+(\d\S*)/.exec(out)?.[1]
  const p99 = /99%\s+(\S+)/.exec(out)?.[1]
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: .*/.exec(out)?.[0] ?? 'no errors'
  const perRequest = (s: number): string => ((s * 1e6) / requests).toFixed(1)
  const cpu = cpuSeconds === undefined ? '–' : `${perRequest(cpuSeconds)} (user ${perRequest(user1 - user0)} + sys ${perRequest(sys1 - sys0)})`
  return `${Number(rps).toFixed(0)} req/s, p50 ${p50}, p99 ${p99}, ${cpu} µs CPU/req, ${errors}`
}

async function configure(alb: OpenAlb, ports: number[]): Promise<string> {
  const tg = await createTargetGroup(alb, 'load', ports)
  const port = await freePort()
  const certificateArn = CERT === undefined ? undefined : await importCertificate(alb, CERT)
  await createListener(alb, { port, protocol: PROTOCOL, targetGroupArn: tg, ...(certificateArn === undefined ? {} : { certificateArn }) })
  await waitHealthy(alb, tg)
  return `${PROTOCOL.toLowerCase()}://127.0.0.1:${port}/`
}

const targets = await startTargets({ ports: 2 })
const systems: Array<{ name: string; alb: Pick<OpenAlb, 'pid' | 'stop'>; url: string }> = []
try {
  const builds: Array<[string, string, string[]]> = [['openalb', join(ROOT, 'dist/src/cli/main.js'), NODE_ARGS]]
  if (process.env.LOAD_BASELINE !== undefined) builds.push(['baseline', process.env.LOAD_BASELINE, BASELINE_NODE_ARGS])
  for (const [name, main, nodeArgs] of builds) {
    const alb = await startOpenAlb({ main, nodeArgs, keep: true })
    systems.push({ name, alb, url: await configure(alb, targets.http) })
  }
  if (process.env.LOAD_NGINX === '1') {
    if (PROTOCOL !== 'HTTP') throw new Error('LOAD_NGINX: plain HTTP only')
    const port = await freePort()
    const nginx = await startNginx(`${nginxUpstream(targets.http)}\n  server { listen 127.0.0.1:${port}; location / { ${NGINX_PROXY} } }`, port)
    systems.push({ name: 'nginx', alb: nginx, url: `http://127.0.0.1:${port}/` })
  }
  if (WARMUP > 0) for (const s of systems) await load(s.url, s.alb.pid, WARMUP)
  for (let round = 1; round <= ROUNDS; round++) {
    if (round > 1 && GAP > 0) await new Promise((resolve) => setTimeout(resolve, GAP * 1000))
    if (process.env.LOAD_DIRECT === '1') console.log(`round ${round} direct:   ${await load(`http://127.0.0.1:${targets.http[0]}/`, undefined, SECONDS)}`)
    for (const s of systems) console.log(`round ${round} ${s.name.padEnd(9)} ${await load(s.url, s.alb.pid, SECONDS)}`)
  }
} finally {
  for (const s of systems) await s.alb.stop()
  await targets.stop()
}
