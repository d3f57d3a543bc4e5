/**
 * `npm run bench`: OpenALB against a direct connection, nginx and HAProxy in the same run.
 *
 * Each system proxies to the same two targets (a separate process answering 100-byte bodies)
 * with keep-alive on both sides and one proxy process. wrk drives each in interleaved rounds;
 * we report req/s, p50/p99 latency and the proxy's own CPU time per request (utime + stime
 * from /proc, the figure that holds from machine to machine), with ratios to direct and nginx.
 * Results go to bench-results/latest.json and docs/BENCHMARKS.md.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir, cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import {
  CreateListenerCommand, CreateLoadBalancerCommand, CreateRuleCommand, CreateTargetGroupCommand, DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client, RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2'

const ROOT = new URL('../..', import.meta.url).pathname
const DURATION = process.env.BENCH_DURATION ?? '8s'
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())

interface Result { system: string; scenario: string; rps: number; p50ms: number; p99ms: number; cpuUsPerReq: number | undefined; requests: number; errors: number }

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as AddressInfo; s.close(() => resolve(port)) })
  })
}

function has(command: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }); return true } catch { return false }
}

/** Starts a process and resolves when a stdout line matches. */
function startProcess(cmd: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`${cmd} exited with ${code}`)))
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => { const m = line.match(ready); if (m !== null) resolve({ child, match: m }) })
  })
}

/** CPU seconds (user + system) of a process and all its descendants. */
function cpuSeconds(pid: number): number {
  let ticks = 0
  const visit = (p: number): void => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim()
        for (const c of children.split(' ').filter((x) => x !== '')) visit(Number(c))
      }
    } catch { /* process gone */ }
  }
  visit(pid)
  return ticks / CLK_TCK
}

function parseLatency(value: string, unit: string): number {
  const v = Number(value)
  return unit === 'us' ? v / 1000 : unit === 's' ? v * 1000 : v
}

async function wrk(url: string, pid: number | undefined): Promise<Omit<Result, 'system' | 'scenario'>> {
  const before = pid === undefined ? 0 : cpuSeconds(pid)
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${DURATION}`, '--latency', url], { stdio: ['ignore', 'pipe', 'inherit'] })
    let text = ''
    child.stdout.on('data', (d: Buffer) => { text += d.toString() })
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}`))))
  })
  const after = pid === undefined ? 0 : cpuSeconds(pid)
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0)
  const p50 = /50%\s+([\d.]+)(us|ms|s)/.exec(out)
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out)
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0)
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const errors = non2xx + (socketErrors === null ? 0 : socketErrors.slice(1).reduce((a, b) => a + Number(b), 0))
  return {
    rps, requests, errors,
    p50ms: p50 === null ? NaN : parseLatency(p50[1]!, p50[2]!),
    p99ms: p99 === null ? NaN : parseLatency(p99[1]!, p99[2]!),
    cpuUsPerReq: pid === undefined || requests === 0 ? undefined : ((after - before) * 1e6) / requests,
  }
}

interface System { name: string; url: string; pid: number | undefined; stop(): void }

async function startOpenAlb(targetPorts: number[], rules: number): Promise<System> {
  const dataDir = mkdtempSync(join(tmpdir(), 'openalb-bench-'))
  const { child, match } = await startProcess(process.execPath, [join(ROOT, 'dist/src/cli/main.js'), 'serve', '--api-port', '0', '--data-dir', dataDir], /listening on (http:\/\/\S+)/)
  try {
    return await configureOpenAlb(match[1]!, child, targetPorts, rules)
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
}

async function configureOpenAlb(endpoint: string, child: ChildProcess, targetPorts: number[], rules: number): Promise<System> {
  const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } }
  const elbv2 = new ElasticLoadBalancingV2Client(config)
  const ec2 = new EC2Client(config)
  const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets!.map((s) => s.SubnetId!)
  const lb = (await elbv2.send(new CreateLoadBalancerCommand({ Name: 'bench', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
  const vpcId = lb.VpcId!
  const tg = (await elbv2.send(new CreateTargetGroupCommand({ Name: 'bench', Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'ip', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2 }))).TargetGroups![0]!
  await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: targetPorts.map((p) => ({ Id: '127.0.0.1', Port: p })) }))
  const port = await freePort()
  const other = rules > 1
    ? (await elbv2.send(new CreateTargetGroupCommand({ Name: 'bench-other', Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'ip' }))).TargetGroups![0]!
    : undefined
  const listener = (await elbv2.send(new CreateListenerCommand({
    LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: port,
    DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'no rule' } }],
  }))).Listeners![0]!
  // `rules` rules; only the last (highest priority number) matches the benchmark's path.
  for (let i = 1; i <= rules; i++) {
    const last = i === rules
    await elbv2.send(new CreateRuleCommand({
      ListenerArn: listener.ListenerArn, Priority: i,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [last ? '/*' : `/never-${i}/*`] } }],
      Actions: [{ Type: 'forward', TargetGroupArn: last || other === undefined ? tg.TargetGroupArn : other.TargetGroupArn }],
    }))
  }
  for (;;) {
    const health = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }))
    if (health.TargetHealthDescriptions?.every((d) => d.TargetHealth?.State === 'healthy')) break
    await new Promise((r) => setTimeout(r, 200)) // polling the API: there is no event to await across processes
  }
  elbv2.destroy(); ec2.destroy()
  return { name: rules > 1 ? `openalb-${rules}-rules` : 'openalb', url: `http://127.0.0.1:${port}/`, pid: child.pid, stop: () => child.kill('SIGKILL') }
}

async function startNginx(targetPorts: number[]): Promise<System> {
  const dir = mkdtempSync(join(tmpdir(), 'nginx-bench-'))
  const port = await freePort()
  writeFileSync(join(dir, 'nginx.conf'), `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream targets { ${targetPorts.map((p) => `server 127.0.0.1:${p};`).join(' ')} keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://targets; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; }
  }
}`)
  const child = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' })
  await waitForPort(port)
  return { name: 'nginx', url: `http://127.0.0.1:${port}/`, pid: child.pid, stop: () => child.kill('SIGKILL') }
}

async function startHaproxy(targetPorts: number[]): Promise<System> {
  const dir = mkdtempSync(join(tmpdir(), 'haproxy-bench-'))
  const port = await freePort()
  writeFileSync(join(dir, 'haproxy.cfg'), `
global
  nbthread 1
  maxconn 4000
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option forwardfor
  http-reuse always
frontend fe
  bind 127.0.0.1:${port}
  default_backend targets
backend targets
  balance roundrobin
${targetPorts.map((p, i) => `  server t${i} 127.0.0.1:${p}`).join('\n')}
`)
  const child = spawn('haproxy', ['-f', join(dir, 'haproxy.cfg'), '-db'], { stdio: ['ignore', 'ignore', 'inherit'] })
  await waitForPort(port)
  return { name: 'haproxy', url: `http://127.0.0.1:${port}/`, pid: child.pid, stop: () => child.kill('SIGKILL') }
}

async function waitForPort(port: number): Promise<void> {
  const { connect } = await import('node:net')
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1')
      s.once('connect', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 50)) // waiting for another process to bind: no event to await
  }
  throw new Error(`port ${port} never opened`)
}

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits)
}

async function main(): Promise<void> {
  if (!has('wrk')) throw new Error('wrk is required (apt-get install wrk)')
  const targetPorts = [await freePort(), await freePort()]
  const targets = await startProcess(process.execPath, [join(ROOT, 'dist/benchmarks/target.js'), ...targetPorts.map(String)], /^ready/)
  const systems: System[] = [{ name: 'direct', url: `http://127.0.0.1:${targetPorts[0]}/`, pid: undefined, stop: () => {} }]
  try {
    systems.push(await startOpenAlb(targetPorts, 1))
    systems.push(await startOpenAlb(targetPorts, 100))
    if (has('nginx')) systems.push(await startNginx(targetPorts))
    if (has('haproxy')) systems.push(await startHaproxy(targetPorts))
    const results: Result[] = []
    for (let round = 0; round < ROUNDS; round++) {
      for (const system of systems) {
        const r = await wrk(system.url, system.pid)
        results.push({ system: system.name, scenario: 'http1-keepalive', ...r })
        process.stderr.write(`round ${round + 1} ${system.name}: ${fmt(r.rps, 0)} req/s, p99 ${fmt(r.p99ms, 2)} ms, ${fmt(r.cpuUsPerReq)} µs CPU/req, ${r.errors} errors\n`)
      }
    }
    report(results)
  } finally {
    for (const s of systems) s.stop()
    targets.child.kill('SIGKILL')
  }
}

function report(results: Result[]): void {
  const names = [...new Set(results.map((r) => r.system))]
  const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] ?? NaN }
  const summary = names.map((name) => {
    const rs = results.filter((r) => r.system === name)
    const cpu = rs.map((r) => r.cpuUsPerReq).filter((x): x is number => x !== undefined)
    return { name, rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50ms)), p99: median(rs.map((r) => r.p99ms)), cpu: cpu.length > 0 ? median(cpu) : undefined, errors: rs.reduce((a, r) => a + r.errors, 0) }
  })
  const direct = summary.find((s) => s.name === 'direct')
  const nginx = summary.find((s) => s.name === 'nginx')
  const lines = [
    '| System | req/s | p50 ms | p99 ms | CPU µs/req | req/s vs direct | CPU vs nginx | errors |',
    '|---|---|---|---|---|---|---|---|',
    ...summary.map((s) => `| ${s.name} | ${fmt(s.rps, 0)} | ${fmt(s.p50, 2)} | ${fmt(s.p99, 2)} | ${fmt(s.cpu)} | ${direct ? fmt(s.rps / direct.rps, 2) : '–'} | ${nginx?.cpu !== undefined && s.cpu !== undefined ? fmt(s.cpu / nginx.cpu, 2) + '×' : '–'} | ${s.errors} |`),
  ]
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`
  process.stdout.write(`\n${lines.join('\n')}\n\nMachine: ${machine}\n`)
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true })
  writeFileSync(join(ROOT, 'bench-results/latest.json'), JSON.stringify({ date: new Date().toISOString(), machine, duration: DURATION, rounds: ROUNDS, connections: CONNECTIONS, results, summary }, null, 2))
  if (!existsSync(join(ROOT, 'docs'))) mkdirSync(join(ROOT, 'docs'))
  writeFileSync(join(ROOT, 'docs/BENCHMARKS.md'), `# Benchmarks

Latest \`npm run bench\` (${new Date().toISOString().slice(0, 10)}): HTTP/1.1 keep-alive, 100-byte responses, ${CONNECTIONS} connections,
wrk -t1, ${ROUNDS} interleaved rounds of ${DURATION} (medians), one proxy process each, two targets in a separate process.
CPU µs/req is the proxy process's own user+system CPU time divided by the requests it served.
\`openalb-100-rules\` has 100 path rules on the listener and the match is the last one.

${lines.join('\n')}

Machine: ${machine}
`)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
