/**
 * `config`: how long a configuration change takes to reach traffic. OpenALB: ModifyRule gives
 * a fixed-response rule a new body; the clock runs from the API call until a client polling
 * the listener (a new connection per request) sees the new body. nginx and HAProxy, configured with the same
 * fixed response, change the way their users do: rewrite the config file, reload (nginx
 * SIGHUP; HAProxy master-worker `reload` on the master CLI), poll until the new body shows.
 */
import { Agent, request } from 'node:http'
import { writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { CreateRuleCommand, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { fmt, freePort, has, log, percentile, sleep, type Metrics, type Sample } from './support.ts'
import { createListener, haproxyConfig, nginxConfig, startHaproxy, startNginx, startOpenAlb } from './systems.ts'

export const CONFIG_CHANGES = Number(process.env.BENCH_CONFIG_CHANGES ?? 100)
/** A change not seen within this long counts as a timeout (and the scenario moves on). */
const CHANGE_TIMEOUT_MS = 10_000

/**
 * GETs /cfg. By default on a new connection each time: a reloaded nginx or HAProxy keeps serving
 * connections already open from its old worker with the old configuration (HAProxy for as long
 * as they stay busy), so "the change has taken effect" means "a new connection sees it" for all
 * three. OpenALB is also measured on one keep-alive connection, which must see changes too.
 */
function poller(port: number, keepAlive: boolean): { get(): Promise<string>; close(): void } {
  const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: 1 }) : false
  const once = (): Promise<string> => new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/cfg', agent }, (res) => {
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
    close: () => { if (agent !== false) agent.destroy() },
  }
}

/** Applies CONFIG_CHANGES changes with `apply(body)` and times each until `port` serves it. */
async function timeChanges(port: number, apply: (body: string) => Promise<void>, keepAlive = false): Promise<Metrics> {
  const poll = poller(port, keepAlive)
  const totals: number[] = []
  const apis: number[] = []
  let polls = 0
  let staleAfterApi = 0
  let timeouts = 0
  try {
    for (let i = 1; i <= CONFIG_CHANGES; i++) {
      const body = `v${i}`
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

async function openAlb(): Promise<{ newConnections: Metrics; keepAlive: Metrics }> {
  const alb = await startOpenAlb()
  try {
    const port = await freePort()
    const listenerArn = await createListener(alb, { port, protocol: 'HTTP' })
    const fixed = (body: string) => [{ Type: 'fixed-response' as const, FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: body } }]
    const ruleArn = (await alb.elbv2.send(new CreateRuleCommand({
      ListenerArn: listenerArn, Priority: 1, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/cfg'] } }], Actions: fixed('v0'),
    }))).Rules![0]!.RuleArn!
    const poll = poller(port, false)
    try { // the listener opens asynchronously after CreateListener
      const deadline = Date.now() + 10_000
      while (await poll.get().catch(() => '') !== 'v0') if (Date.now() > deadline) throw new Error('listener never served v0')
    } finally { poll.close() }
    const modify = async (body: string): Promise<void> => { await alb.elbv2.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: fixed(body) })) }
    return { newConnections: await timeChanges(port, modify), keepAlive: await timeChanges(port, modify, true) }
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

/** One command on HAProxy's master CLI; refused while the master re-executes itself for a reload. */
function masterCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath)
    let text = ''
    socket.on('data', (d: Buffer) => { text += d.toString() })
    socket.once('error', reject)
    socket.once('close', () => resolve(text))
    socket.write(`${command}\n`)
  })
}

async function haproxy(): Promise<Metrics> {
  const port = await freePort()
  const sections = (body: string): string => `frontend fe
  bind 127.0.0.1:${port}
  http-request return status 200 content-type text/plain string "${body}" if { path /cfg }`
  const proxy = await startHaproxy(sections('v0'), port, { masterSocket: true })
  try {
    // The master CLI's `reload` rather than SIGUSR2: a signal that arrives while the master is
    // still busy with the previous reload is lost (seen with 2.6); a CLI connection is refused
    // then instead, and retried — that wait is part of the time the change takes.
    return await timeChanges(port, async (body) => {
      writeFileSync(join(proxy.dir, 'haproxy.cfg'), haproxyConfig(sections(body)))
      for (let attempt = 0; ; attempt++) {
        try { await masterCommand(proxy.masterSocket!, 'reload'); return } catch (err) {
          if (attempt > 2000) throw err
          await sleep(2) // the master socket reopens after the re-exec: no event to await
        }
      }
    })
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
  const alb = await openAlb()
  note('openalb', 'ModifyRule (API)', alb.newConnections)
  note('openalb-keepalive', 'ModifyRule (API), polled on one keep-alive connection', alb.keepAlive)
  if (has('nginx')) note('nginx', 'rewrite nginx.conf + SIGHUP (reload)', await nginx())
  if (has('haproxy')) note('haproxy', 'rewrite haproxy.cfg + master CLI `reload`', await haproxy())
  return samples
}
