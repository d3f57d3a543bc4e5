/**
 * `config`: how long a configuration change takes to reach traffic. OpenALB: ModifyRule gives
 * a fixed-response rule a new body; the clock runs from the API call until a client polling
 * the listener (a new connection per request) sees the new body. nginx and HAProxy, configured with the same
 * fixed response, change the way their users do: rewrite the config file, signal a reload
 * (nginx SIGHUP; HAProxy master-worker SIGUSR2), poll until the new body shows.
 */
import { request } from 'node:http'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CreateRuleCommand, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { fmt, freePort, has, log, percentile, sleep, type Metrics, type Sample } from './support.ts'
import { createListener, haproxyConfig, nginxConfig, startHaproxy, startNginx, startOpenAlb } from './systems.ts'

export const CONFIG_CHANGES = Number(process.env.BENCH_CONFIG_CHANGES ?? 100)
/** A change not seen within this long counts as a timeout (and the scenario moves on). */
const CHANGE_TIMEOUT_MS = 10_000

/**
 * GET on a new connection each time: a reloaded nginx or HAProxy keeps serving connections
 * already open from its old worker with the old configuration (HAProxy for as long as they
 * stay busy), so "the change has taken effect" means "a new connection sees it" for all three.
 */
function poller(port: number): { get(): Promise<string>; close(): void } {
  const once = (): Promise<string> => new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/cfg', agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve(body))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
  return {
    get: async () => {
      for (let attempt = 0; ; attempt++) {
        try { return await once() } catch (err) { if (attempt >= 20) throw err } // a reload can reset a connection
      }
    },
    close: () => {},
  }
}

/** Applies CONFIG_CHANGES changes with `apply(body)` (after `ready()`, untimed) and times each until `port` serves it. */
async function timeChanges(port: number, apply: (body: string) => Promise<void>, ready?: () => Promise<void>): Promise<Metrics> {
  const poll = poller(port)
  const totals: number[] = []
  const apis: number[] = []
  let polls = 0
  let staleAfterApi = 0
  let timeouts = 0
  try {
    for (let i = 1; i <= CONFIG_CHANGES; i++) {
      const body = `v${i}`
      await ready?.()
      const t0 = performance.now()
      await apply(body)
      const applied = performance.now()
      apis.push(applied - t0)
      for (;;) {
        const seen = await poll.get()
        polls++
        if (seen === body) { totals.push(performance.now() - t0); break }
        staleAfterApi++
        if (performance.now() - t0 > CHANGE_TIMEOUT_MS) { timeouts++; break }
      }
    }
  } finally {
    poll.close()
  }
  const sorted = Float64Array.from(totals).sort()
  return {
    changes: totals.length, timeouts,
    p50ms: percentile(sorted, 50), p99ms: percentile(sorted, 99), maxms: sorted[sorted.length - 1],
    apiP50ms: percentile(Float64Array.from(apis).sort(), 50),
    pollsPerChange: polls / CONFIG_CHANGES, staleAfterApi,
  }
}

async function openAlb(): Promise<Metrics> {
  const alb = await startOpenAlb()
  try {
    const port = await freePort()
    const listenerArn = await createListener(alb, { port, protocol: 'HTTP' })
    const fixed = (body: string) => [{ Type: 'fixed-response' as const, FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: body } }]
    const ruleArn = (await alb.elbv2.send(new CreateRuleCommand({
      ListenerArn: listenerArn, Priority: 1, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/cfg'] } }], Actions: fixed('v0'),
    }))).Rules![0]!.RuleArn!
    const poll = poller(port)
    try { // the listener opens asynchronously after CreateListener
      const deadline = Date.now() + 10_000
      while (await poll.get().catch(() => '') !== 'v0') if (Date.now() > deadline) throw new Error('listener never served v0')
    } finally { poll.close() }
    return await timeChanges(port, async (body) => { await alb.elbv2.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: fixed(body) })) })
  } finally {
    await alb.stop()
  }
}

async function nginx(): Promise<Metrics> {
  const port = await freePort()
  const http = (body: string): string => `server { listen 127.0.0.1:${port}; location = /cfg { default_type text/plain; return 200 "${body}"; } }`
  const proxy = await startNginx(http('v0'), port)
  try {
    return await timeChanges(port, async (body) => {
      writeFileSync(join(proxy.dir, 'nginx.conf'), nginxConfig(proxy.dir, http(body)))
      process.kill(proxy.pid, 'SIGHUP')
    })
  } finally {
    await proxy.stop()
  }
}

async function haproxy(): Promise<Metrics> {
  const port = await freePort()
  const sections = (body: string): string => `frontend fe
  bind 127.0.0.1:${port}
  http-request return status 200 content-type text/plain string "${body}" if { path /cfg }`
  const proxy = await startHaproxy(sections('v0'), port)
  const logFile = join(proxy.dir, 'haproxy.log')
  const loaded = (): number => readFileSync(logFile, 'utf8').split('Loading success').length - 1
  let reloads = 0
  try {
    // The master re-executes itself to reload and misses a SIGUSR2 that arrives meanwhile: before
    // each change (outside the timed window: the previous change is already visible) wait until it is done.
    const ready = async (): Promise<void> => {
      const deadline = Date.now() + CHANGE_TIMEOUT_MS
      while (loaded() < reloads + 1 && Date.now() < deadline) await sleep(5) // HAProxy tells only its log
    }
    return await timeChanges(port, async (body) => {
      reloads++
      writeFileSync(join(proxy.dir, 'haproxy.cfg'), haproxyConfig(sections(body)))
      process.kill(proxy.pid, 'SIGUSR2')
    }, ready)
  } finally {
    await proxy.stop()
  }
}

export async function runConfigChange(): Promise<Sample[]> {
  const samples: Sample[] = []
  const note = (system: string, how: string, metrics: Metrics): void => {
    samples.push({ scenario: 'config', system, round: 1, metrics, note: how })
    log(`  config ${system}: p50 ${fmt(metrics.p50ms)} ms, p99 ${fmt(metrics.p99ms)} ms, max ${fmt(metrics.maxms)} ms, ${metrics.timeouts} timeouts`)
  }
  note('openalb', 'ModifyRule (API)', await openAlb())
  if (has('nginx')) note('nginx', 'rewrite nginx.conf + SIGHUP (reload)', await nginx())
  if (has('haproxy')) note('haproxy', 'rewrite haproxy.cfg + SIGUSR2 (master-worker reload)', await haproxy())
  return samples
}
