/**
 * Shared machinery for the benchmark scenarios: processes, ports, the CPU time and RSS of a
 * process tree from /proc, the load generators' output (wrk, h2load) and small statistics.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { openSync, readFileSync, readdirSync } from 'node:fs'
import { connect, createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

export const ROOT = new URL('../../..', import.meta.url).pathname
export const DURATION_SECONDS = parseSeconds(process.env.BENCH_DURATION ?? '8s')
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
/**
 * Load before the measured rounds, unrecorded, for every system alike: OpenALB runs on a JIT,
 * and its first seconds (compiling the hot path) say nothing about how it serves afterwards.
 */
export const WARMUP_SECONDS = parseSeconds(process.env.BENCH_WARMUP ?? '2s')
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
const PAGE_SIZE = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim())

function parseSeconds(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim())
  if (m === null) throw new Error(`BENCH_DURATION: expected e.g. 8s, got '${text}'`)
  const v = Number(m[1])
  return m[2] === 'ms' ? v / 1000 : m[2] === 'm' ? v * 60 : v
}

/** Metrics of one measurement: numbers, or undefined where a figure does not apply. */
export type Metrics = Record<string, number | undefined>

/** One measured system in one scenario (and round, for the interleaved ones). */
export interface Sample { readonly scenario: string; readonly system: string; readonly round: number; readonly metrics: Metrics; readonly note?: string }

/** A proxy (or the target itself) under test: where to send traffic and whose CPU to count. */
export interface System {
  readonly name: string
  readonly url: string
  /** The process whose CPU time and RSS are charged (with its descendants); undefined for direct. */
  readonly pid: number | undefined
  stop(): void
}

export function log(line: string): void {
  process.stderr.write(`${line}\n`)
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as AddressInfo; s.close(() => resolve(port)) })
  })
}

/** This process's soft limit on open files (`ulimit -n`), which the processes it starts inherit. */
export function openFileLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))
  const soft = line === undefined ? NaN : Number(line.slice('Max open files'.length).trim().split(/\s+/)[0])
  if (!Number.isFinite(soft)) throw new Error(`cannot read the open files limit from /proc/self/limits: ${line}`)
  return soft
}

export function has(command: string): boolean {
  try { execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }); return true } catch { return false }
}

/**
 * Starts a process and resolves when a stdout line matches `ready`; stderr goes to `logFile`
 * when given (OpenALB logs every health transition: 1,000 of them would drown the report).
 */
export function startProcess(cmd: string, args: string[], ready: RegExp, logFile?: string): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const stderr = logFile === undefined ? 'inherit' : openSync(logFile, 'a')
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', stderr] })
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`${cmd} exited with ${code}${logFile === undefined ? '' : ` (see ${logFile})`}`)))
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => { const m = line.match(ready); if (m !== null) resolve({ child, match: m }) })
  })
}

/** Waits for the process to exit after SIGKILL, so its ports and memory are free for the next scenario. */
/** [user, system] CPU seconds of a process and its descendants from /proc (the micro harnesses report the split). */
export function cpuSplit(pid: number | undefined): [number, number] {
  if (pid === undefined) return [0, 0]
  let user = 0
  let system = 0
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      user += Number(fields[11])
      system += Number(fields[12])
    } catch { /* process gone */ }
  }
  return [user / CLK_TCK, system / CLK_TCK]
}

/** Space-separated words of an environment variable (node flags for the micro harnesses). */
export const words = (text: string | undefined): string[] => (text ?? '').split(' ').filter((a) => a !== '')

export function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}

function processTree(pid: number): number[] {
  const pids: number[] = []
  const visit = (p: number): void => {
    pids.push(p)
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim()
        for (const c of children.split(' ').filter((x) => x !== '')) visit(Number(c))
      }
    } catch { /* process gone */ }
  }
  visit(pid)
  return pids
}

/** CPU seconds (user + system) of a process and all its descendants (workers, HAProxy's master-worker). */
export function cpuSeconds(pid: number): number {
  let ticks = 0
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    } catch { /* process gone */ }
  }
  return ticks / CLK_TCK
}

/** Resident set size in bytes of a process and all its descendants. */
export function rssBytes(pid: number): number {
  let pages = 0
  for (const p of processTree(pid)) {
    try { pages += Number(readFileSync(`/proc/${p}/statm`, 'utf8').split(' ')[1]) } catch { /* process gone */ }
  }
  return pages * PAGE_SIZE
}

export async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1')
      s.once('connect', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    await sleep(50) // waiting for another process to bind: no event to await
  }
  throw new Error(`port ${port} never opened`)
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Runs a command to completion, collecting stdout. */
export function run(cmd: string, args: string[]): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.trim() || out.trim()}`))))
  })
}

/** The p-th percentile (0–100) of already sorted values, nearest-rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

export function median(values: number[]): number {
  const s = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

function parseLatency(value: string, unit: string): number {
  const v = Number(value)
  return unit === 'us' ? v / 1000 : unit === 's' ? v * 1000 : v
}

/** Measures CPU of `pid` (when given) around `work`. */
export async function withCpu<T>(pid: number | undefined, work: () => Promise<T>): Promise<{ value: T; cpuSeconds: number | undefined; seconds: number }> {
  const before = pid === undefined ? 0 : cpuSeconds(pid)
  const start = performance.now()
  const value = await work()
  const seconds = (performance.now() - start) / 1000
  return { value, seconds, cpuSeconds: pid === undefined ? undefined : cpuSeconds(pid) - before }
}

/** wrk (HTTP/1.1 keep-alive, http or https): req/s, p50/p99, proxy CPU µs per request. */
export async function wrk(url: string, pid: number | undefined, seconds = DURATION_SECONDS): Promise<Metrics> {
  const { value: out, cpuSeconds: cpu } = await withCpu(pid, () => run('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', url]))
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
    cpuUsPerReq: cpu === undefined || requests === 0 ? undefined : (cpu * 1e6) / requests,
  }
}

/**
 * 20 connections × 5 streams: OpenALB, like ALB, ends an HTTP/2 connection after 10,000 requests
 * and h2load does not reconnect, so each connection's share must stay below that for the run.
 */
export const H2_CLIENTS = Number(process.env.BENCH_H2_CLIENTS ?? 20)
export const H2_STREAMS = Number(process.env.BENCH_H2_STREAMS ?? 5)

/**
 * h2load (HTTP/2 over TLS, ALPN h2): req/s, p50/p99 from its per-request log (h2load itself
 * prints only min/max/mean), proxy CPU µs per request.
 */
export async function h2load(url: string, pid: number | undefined, dir: string, duration = DURATION_SECONDS): Promise<Metrics> {
  const logFile = join(dir, `h2load-${Date.now()}.log`)
  const { value: out, cpuSeconds: cpu } = await withCpu(pid, () => run('h2load', [
    '-t1', `-c${H2_CLIENTS}`, `-m${H2_STREAMS}`, `-D${duration}`, `--log-file=${logFile}`, url,
  ]))
  if (!/Application protocol: h2/.test(out)) throw new Error(`h2load did not negotiate h2 with ${url}:\n${out}`)
  const finished = /finished in ([\d.]+)(ms|s), ([\d.]+) req\/s/.exec(out)
  const rps = Number(finished?.[3] ?? 0)
  // Shorter than asked when every connection was closed early (GOAWAY): visible in the report.
  const seconds = finished === null ? NaN : Number(finished[1]) / (finished[2] === 'ms' ? 1000 : 1)
  const counts = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out)
  const status = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out)
  const done = Number(counts?.[3] ?? 0)
  const errors = Number(counts?.[5] ?? 0) + Number(counts?.[7] ?? 0) + Number(status?.[3] ?? 0) + Number(status?.[4] ?? 0) + Number(status?.[5] ?? 0)
  // Columns: start time (µs since epoch), status, µs until the end of the response.
  const durations = readFileSync(logFile, 'utf8').split('\n').filter((l) => l !== '').map((l) => Number(l.split('\t')[2]) / 1000)
  const sorted = Float64Array.from(durations).sort()
  return {
    rps, requests: done, errors, seconds,
    p50ms: percentile(sorted, 50),
    p99ms: percentile(sorted, 99),
    cpuUsPerReq: cpu === undefined || done === 0 ? undefined : (cpu * 1e6) / done,
  }
}

export function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits)
}

export function ratio(a: number | undefined, b: number | undefined, suffix = ''): string {
  return a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b) || b === 0 ? '–' : `${(a / b).toFixed(2)}${suffix}`
}
