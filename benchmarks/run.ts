/**
 * `npm run bench`: OpenALB against a direct connection, nginx and HAProxy in the same run
 * (and, for plain HTTP/1.1, http-proxy: node-http-proxy, what a Node.js user would otherwise run).
 *
 * Every system runs in its own process (one proxy process, one worker / thread each) and is
 * configured equivalently: OpenALB through its API, as a user would, nginx and HAProxy
 * through config files, http-proxy through its arguments (benchmarks/http-proxy-server.ts).
 * We report what a user comparing load balancers asks about — throughput and latency, and
 * the proxy's own CPU time (utime + stime from /proc, the figure that holds from machine to
 * machine) — with ratios to direct and to nginx (and http-proxy) from the same run.
 *
 * Scenarios (BENCH_SCENARIOS, comma-separated; default all):
 *   plain   HTTP/1.1 keep-alive                    rules   100 rules, the match is the last
 *   https   TLS termination, keep-alive            h2      HTTP/2 clients (h2load)
 *   ws      WebSocket echo                         health  1,000 targets checked every 5 s, no traffic
 *   config  API call → traffic, 100 changes        idle    10,000 idle keep-alive client connections (RSS)
 * Knobs: BENCH_DURATION (8s), BENCH_ROUNDS (2), BENCH_WARMUP (2s, unrecorded load before the rounds), BENCH_CONNECTIONS (50), BENCH_H2_CLIENTS (10),
 * BENCH_H2_STREAMS (10), BENCH_WS_CONNECTIONS (50), BENCH_HEALTH_SECONDS (20),
 * BENCH_HEALTH_TARGETS (1000), BENCH_CONFIG_CHANGES (100), BENCH_IDLE_CONNECTIONS (10000),
 * BENCH_WORKERS (OpenALB --workers).
 * Results go to bench-results/latest.json and docs/BENCHMARKS.md; a run of some scenarios only
 * goes to bench-results/partial.json (and the terminal), leaving the full run's record alone.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, release, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { runConfigChange, CONFIG_CHANGES } from './scenarios/config-change.ts'
import { runHealth, HEALTH_SECONDS, HEALTH_TARGETS } from './scenarios/health.ts'
import { runIdle, IDLE_CONNECTIONS } from './scenarios/idle.ts'
import { goals, specs, summarise, table, type Row } from './scenarios/report.ts'
import { CONNECTIONS, DURATION_SECONDS, H2_CLIENTS, H2_STREAMS, ROOT, ROUNDS, WARMUP_SECONDS, has, log, openFileLimit, run, type Sample } from './scenarios/support.ts'
import { httpProxyVersion } from './scenarios/systems.ts'
import { runHttp1, runTls } from './scenarios/throughput.ts'
import { runWebSocket, WS_CONNECTIONS } from './scenarios/websocket.ts'

const ALL = ['plain', 'rules', 'https', 'h2', 'ws', 'health', 'config', 'idle'] as const

function selected(): Set<string> {
  const text = process.env.BENCH_SCENARIOS
  if (text === undefined || text.trim() === '') return new Set(ALL)
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '')
  const unknown = names.filter((n) => !(ALL as readonly string[]).includes(n))
  if (unknown.length > 0) throw new Error(`BENCH_SCENARIOS: unknown ${unknown.join(', ')}; choose from ${ALL.join(',')}`)
  return new Set(names)
}

async function versions(): Promise<Record<string, string>> {
  const out: Record<string, string> = { node: process.version }
  const first = async (cmd: string, args: string[], pattern: RegExp): Promise<string | undefined> => {
    if (!has(cmd)) return undefined
    try { return pattern.exec(await run(cmd, args).catch((e: Error) => e.message))?.[1] } catch { return undefined }
  }
  const add = (k: string, v: string | undefined): void => { if (v !== undefined) out[k] = v }
  add('nginx', await first('sh', ['-c', 'nginx -v 2>&1'], /nginx\/(\S+)/))
  add('haproxy', await first('haproxy', ['-v'], /version (\S+)/))
  add('http-proxy', httpProxyVersion())
  add('wrk', await first('sh', ['-c', 'wrk -v 2>&1'], /wrk (\S+)/))
  add('h2load', await first('h2load', ['--version'], /nghttp2\/(\S+)/))
  return out
}

async function main(): Promise<void> {
  const scenarios = selected()
  if (!has('wrk') && ['plain', 'rules', 'https'].some((s) => scenarios.has(s))) throw new Error('wrk is required (apt-get install wrk)')
  if (!has('h2load') && scenarios.has('h2')) throw new Error('h2load is required for the h2 scenario (apt-get install nghttp2-client)')
  const workDir = mkdtempSync(join(tmpdir(), 'openalb-bench-run-'))
  const started = Date.now()
  const samples: Sample[] = []
  const failures: string[] = []
  // A scenario that fails is reported as such; the others still run and are written out.
  const step = async (names: string[], work: () => Promise<Sample[]>): Promise<void> => {
    const mine = names.filter((n) => scenarios.has(n))
    if (mine.length === 0) return
    const t = Date.now()
    log(`${mine.join(' + ')}:`)
    try {
      samples.push(...await work())
    } catch (err) {
      failures.push(`${mine.join(' + ')}: ${err instanceof Error ? err.message : String(err)}`)
      log(`  FAILED: ${err instanceof Error ? err.stack : String(err)}`)
    }
    log(`  (${((Date.now() - t) / 1000).toFixed(0)} s)`)
  }
  try {
    await step(['plain', 'rules'], () => runHttp1(scenarios))
    await step(['https', 'h2'], () => runTls(scenarios, workDir))
    await step(['ws'], () => runWebSocket())
    await step(['health'], () => runHealth())
    await step(['config'], () => runConfigChange())
    await step(['idle'], () => runIdle())
  } finally {
    rmSync(workDir, { recursive: true, force: true })
  }
  await report(scenarios, samples, failures, (Date.now() - started) / 1000)
  if (failures.length > 0) process.exitCode = 1
}

async function report(scenarios: Set<string>, samples: Sample[], failures: string[], seconds: number): Promise<void> {
  const rows = summarise(samples)
  const spec = specs({
    connections: CONNECTIONS, duration: DURATION_SECONDS, warmup: WARMUP_SECONDS, rounds: ROUNDS,
    h2: `-t1 -c${H2_CLIENTS} -m${H2_STREAMS} (${H2_CLIENTS * H2_STREAMS} streams in flight)`,
    ws: `${WS_CONNECTIONS} WebSocket connections from a raw-socket load generator (benchmarks/ws-load.ts, one process)`,
    health: `${HEALTH_TARGETS} \`ip\` targets (127.0.0.1, one port each, served by one target process), interval 5 s, healthy threshold 2; CPU measured over ${HEALTH_SECONDS} s once all are healthy.`,
    idle: IDLE_CONNECTIONS, changes: CONFIG_CHANGES, fdLimit: String(openFileLimit()),
  })
  const sections: string[] = []
  for (const name of ALL) {
    let mine = rows.filter((r) => r.scenario === name)
    let baseline: Row | undefined
    if (name === 'rules') {
      baseline = rows.find((r) => (r.scenario === 'plain' || r.scenario === 'rules') && r.system === 'openalb')
      mine = [...(baseline !== undefined && baseline.scenario === 'plain' ? [baseline] : []), ...mine]
    }
    if (!scenarios.has(name) || mine.length === 0) continue
    const s = spec[name]!
    sections.push(`## ${s.title} (\`${name}\`)\n\n${s.about}\n\n${table(s, mine, baseline).join('\n')}\n`)
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}`
  const tools = await versions()
  const toolLine = Object.entries(tools).map(([k, v]) => `${k} ${v}`).join(', ')
  const date = new Date().toISOString()
  const goalLines = goals(rows)
  const failureSection = failures.length === 0 ? '' : `## Failed\n\n${failures.map((f) => `- ${f.replace(/\n/g, ' ')}`).join('\n')}\n\n`
  const goalSection = `${failureSection}${goalLines.length === 0 ? '' : `## Goals\n\n${goalLines.join('\n')}\n\n`}`
  process.stdout.write(`\n${goalSection}${sections.join('\n')}\nMachine: ${machine}; ${toolLine}; ${seconds.toFixed(0)} s\n`)
  // A run of some scenarios only (BENCH_SCENARIOS) must not replace the full record of the last
  // complete run: its results go to bench-results/partial.json and the terminal.
  const partial = scenarios.size < ALL.length
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true })
  writeFileSync(join(ROOT, partial ? 'bench-results/partial.json' : 'bench-results/latest.json'), JSON.stringify({
    date, machine, tools, seconds: Math.round(seconds), scenarios: [...scenarios], failures,
    settings: { durationSeconds: DURATION_SECONDS, rounds: ROUNDS, connections: CONNECTIONS, h2Clients: H2_CLIENTS, h2Streams: H2_STREAMS, wsConnections: WS_CONNECTIONS, healthTargets: HEALTH_TARGETS, healthSeconds: HEALTH_SECONDS, configChanges: CONFIG_CHANGES, idleConnections: IDLE_CONNECTIONS, workers: process.env.BENCH_WORKERS ?? null },
    summary: rows, samples,
  }, null, 2))
  if (partial) {
    log('partial run (BENCH_SCENARIOS): results in bench-results/partial.json; docs/BENCHMARKS.md keeps the last full run')
    return
  }
  mkdirSync(join(ROOT, 'docs'), { recursive: true })
  writeFileSync(join(ROOT, 'docs/BENCHMARKS.md'), `# Benchmarks

Latest \`npm run bench\` (${date.slice(0, 10)}, ${seconds.toFixed(0)} s, scenarios ${[...scenarios].join(', ')}).
Every system is one process (OpenALB${process.env.BENCH_WORKERS ? ` with --workers ${process.env.BENCH_WORKERS}` : ''}; nginx with one worker; HAProxy with one thread; http-proxy, i.e.
node-http-proxy on node:http, in the plain HTTP/1.1 scenario) on the same machine as its load generator and targets,
all over loopback, so the figures are a snapshot of this machine: CPU per request or message is the one that carries
over to other machines. Ratios compare with \`direct\` (the target without a proxy), with nginx and, for plain
HTTP/1.1, with http-proxy measured in the same run. Raw samples: \`bench-results/latest.json\`.

Machine: ${machine}; ${toolLine}.

${goalSection}${sections.join('\n')}`)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
