/**
 * Turns samples into per-scenario tables (medians over rounds, errors summed, ratios to
 * direct, to nginx and, for plain HTTP/1.1, to http-proxy from the same run) for the terminal,
 * latest.json and docs/BENCHMARKS.md.
 */
import { fmt, median, ratio, type Metrics, type Sample } from './support.ts'

export interface Row { readonly scenario: string; readonly system: string; readonly metrics: Metrics; readonly note: string | undefined; readonly rounds: number }

/** Medians per (scenario, system) over rounds; `errors` and counts of failures are summed. */
export function summarise(samples: Sample[]): Row[] {
  const rows: Row[] = []
  const keys = [...new Set(samples.map((s) => `${s.scenario}\u0000${s.system}`))]
  for (const key of keys) {
    const [scenario, system] = key.split('\u0000') as [string, string]
    const mine = samples.filter((s) => s.scenario === scenario && s.system === system)
    const metrics: Metrics = {}
    for (const name of new Set(mine.flatMap((s) => Object.keys(s.metrics)))) {
      const values = mine.map((s) => s.metrics[name]).filter((v): v is number => v !== undefined)
      metrics[name] = values.length === 0 ? undefined : name === 'errors' ? values.reduce((a, b) => a + b, 0) : median(values)
    }
    rows.push({ scenario, system, metrics, note: mine.find((s) => s.note !== undefined)?.note, rounds: mine.length })
  }
  return rows
}

interface Peers { readonly direct?: Row; readonly nginx?: Row; readonly httpProxy?: Row; readonly baseline?: Row }

type Column = readonly [header: string, cell: (row: Row, peers: Peers) => string]

const m = (name: string, digits = 1) => (row: Row): string => fmt(row.metrics[name], digits)

const THROUGHPUT: Column[] = [
  ['req/s', m('rps', 0)], ['p50 ms', m('p50ms', 2)], ['p99 ms', m('p99ms', 2)], ['CPU µs/req', m('cpuUsPerReq')],
  ['req/s vs direct', (r, p) => ratio(r.metrics.rps, p.direct?.metrics.rps)],
  ['req/s vs nginx', (r, p) => ratio(r.metrics.rps, p.nginx?.metrics.rps)],
  ['CPU vs nginx', (r, p) => ratio(r.metrics.cpuUsPerReq, p.nginx?.metrics.cpuUsPerReq, '×')],
  ['errors', m('errors', 0)],
]

/** Only `plain` runs http-proxy: its ratios go before the errors column there. */
const PLAIN: Column[] = [
  ...THROUGHPUT.slice(0, -1),
  ['req/s vs http-proxy', (r, p) => ratio(r.metrics.rps, p.httpProxy?.metrics.rps)],
  ['CPU vs http-proxy', (r, p) => ratio(r.metrics.cpuUsPerReq, p.httpProxy?.metrics.cpuUsPerReq, '×')],
  THROUGHPUT[THROUGHPUT.length - 1]!,
]

interface Spec { readonly title: string; readonly about: string; readonly columns: Column[] }

export function specs(env: { connections: number; duration: number; warmup: number; rounds: number; h2: string; ws: string; health: string; idle: number; changes: number; fdLimit: string }): Record<string, Spec> {
  const rounds = `${env.rounds} interleaved rounds of ${env.duration} s (medians) after an unrecorded ${env.warmup} s warm-up of each system`
  return {
    plain: {
      title: 'HTTP/1.1 keep-alive',
      about: `wrk -t1 -c${env.connections}, ${rounds}; 100-byte responses from two targets in a separate process. CPU µs/req is the proxy process's own user+system CPU time divided by the requests it served. \`http-proxy\` is what a Node.js user would otherwise write: a node:http server passing each request to node-http-proxy (\`createProxyServer\` with a keep-alive \`http.Agent\`, 64 sockets per target, \`xfwd\`), round robin over the two targets (benchmarks/http-proxy-server.ts).`,
      columns: PLAIN,
    },
    rules: {
      title: '100 rules on the listener',
      about: `As above; \`openalb-100-rules\` has 100 path-pattern rules and only the last (priority 100) matches. Compared with the 1-rule OpenALB of the same run.`,
      columns: [
        ['req/s', m('rps', 0)], ['p50 ms', m('p50ms', 2)], ['p99 ms', m('p99ms', 2)], ['CPU µs/req', m('cpuUsPerReq')],
        ['req/s vs 1 rule', (r, p) => ratio(r.metrics.rps, p.baseline?.metrics.rps)],
        ['CPU vs 1 rule', (r, p) => ratio(r.metrics.cpuUsPerReq, p.baseline?.metrics.cpuUsPerReq, '×')],
        ['errors', m('errors', 0)],
      ],
    },
    https: {
      title: 'HTTPS (TLS termination), HTTP/1.1 keep-alive',
      about: `wrk -t1 -c${env.connections} over TLS, ${rounds}. Same self-signed RSA-2048 certificate everywhere (imported through ACM for OpenALB, policy ELBSecurityPolicy-TLS13-1-2-2021-06; nginx and HAProxy: TLS 1.2–1.3, AES-GCM); targets stay plain HTTP. \`direct\` is the target process serving TLS itself (node:http2 with HTTP/1.1 allowed).`,
      columns: THROUGHPUT,
    },
    h2: {
      title: 'HTTP/2 clients (h2load, ALPN h2)',
      about: `h2load ${env.h2}, ${rounds}; p50/p99 from h2load's per-request log. The proxies speak HTTP/1.1 to the targets (nginx \`listen … ssl http2\`, HAProxy \`alpn h2,http/1.1\`, OpenALB's HTTPS listener). \`direct\` is the target process's own HTTP/2 server. \`run s\` below the ${env.duration} s asked means connections were closed early (GOAWAY).`,
      columns: [...THROUGHPUT, ['run s', m('seconds', 1)]],
    },
    ws: {
      title: 'WebSocket echo',
      about: `${env.ws}, ${rounds}. Each connection keeps one 100-byte message in flight (echo round trip = latency). CPU µs/msg is the proxy's CPU per echoed message (both directions).`,
      columns: [
        ['msg/s', m('mps', 0)], ['p50 ms', m('p50ms', 2)], ['p99 ms', m('p99ms', 2)], ['CPU µs/msg', m('cpuUsPerMsg', 2)],
        ['msg/s vs direct', (r, p) => ratio(r.metrics.mps, p.direct?.metrics.mps)],
        ['msg/s vs nginx', (r, p) => ratio(r.metrics.mps, p.nginx?.metrics.mps)],
        ['CPU vs nginx', (r, p) => ratio(r.metrics.cpuUsPerMsg, p.nginx?.metrics.cpuUsPerMsg, '×')],
        ['errors', m('errors', 0)],
      ],
    },
    health: {
      title: '1,000 targets health-checked every 5 s, no traffic',
      about: `${env.health} CPU ms/s is CPU time used per second of wall time (10 ms/s = 1% of a core; /proc counts in 10 ms ticks, so the 5 s no-targets baseline resolves 2 ms/s). nginx (open source) has no active health checks.`,
      columns: [
        ['targets', m('targets', 0)], ['healthy', m('healthy', 0)], ['checks/s seen by targets', m('checksPerSecond', 1)],
        ['CPU ms/s, no targets', m('idleCpuMsPerSecond', 2)], ['CPU ms/s, 1,000 targets', m('cpuMsPerSecond', 2)],
        ['CPU µs/check', m('cpuUsPerCheck', 1)],
      ],
    },
    config: {
      title: "A config change's time to take effect",
      about: `${env.changes} changes, each a new fixed-response body; the clock runs from the change (API call, or config file write + reload) until a client polling the listener sees the new body. The poller opens a new connection per request: a reloaded nginx or HAProxy keeps serving connections already open from its old worker with the old configuration (HAProxy for as long as they stay busy), while OpenALB applies a change to open connections too (\`openalb-keepalive\`: the same changes polled on one keep-alive connection).`,
      columns: [
        ['how', (r) => r.note ?? ''], ['changes', m('changes', 0)],
        ['p50 ms', m('p50ms', 1)], ['p99 ms', m('p99ms', 1)], ['max ms', m('maxms', 1)], ['call p50 ms', m('apiP50ms', 1)],
        ['polls per change', m('pollsPerChange', 1)], ['stale polls', m('staleAfterApi', 0)], ['timeouts', m('timeouts', 0)],
      ],
    },
    idle: {
      title: `${env.idle.toLocaleString('en-US')} idle keep-alive client connections`,
      about: `Each connection sends one GET, reads the response, then stays open and idle. RSS of the proxy process (with its children), measured after the connections settle; KB/connection is the growth divided by the connections held. HAProxy refuses a maxconn whose sockets (2 per connection) exceed \`ulimit -n\` (${env.fdLimit} here), so it holds fewer. \`direct\` is a fresh target process (node:http), the floor for a Node.js server.`,
      columns: [
        ['connections held', m('held', 0)], ['RSS before MB', m('rssBeforeMb', 1)], ['RSS with connections MB', m('rssMb', 1)],
        ['KB/connection', m('kbPerConnection', 1)], ['RSS vs nginx', (r, p) => ratio(r.metrics.rssMb, p.nginx?.metrics.rssMb, '×')],
      ],
    },
  }
}

export function table(spec: Spec, rows: Row[], baseline: Row | undefined): string[] {
  const direct = rows.find((r) => r.system === 'direct')
  const nginx = rows.find((r) => r.system === 'nginx')
  const httpProxy = rows.find((r) => r.system === 'http-proxy')
  const peers: Peers = {
    ...(direct === undefined ? {} : { direct }), ...(nginx === undefined ? {} : { nginx }),
    ...(httpProxy === undefined ? {} : { httpProxy }), ...(baseline === undefined ? {} : { baseline }),
  }
  return [
    `| System | ${spec.columns.map((c) => c[0]).join(' | ')} |`,
    `|---|${spec.columns.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.system} | ${spec.columns.map((c) => c[1](r, peers)).join(' | ')} |`),
  ]
}

/**
 * The goals of issue 5 against this run's figures (one worker). A goal whose scenario did not
 * run is left out.
 */
export function goals(rows: Row[]): string[] {
  const get = (scenario: string, system: string): Metrics | undefined => rows.find((r) => r.scenario === scenario && r.system === system)?.metrics
  const lines: string[] = []
  const add = (goal: string, figure: number | undefined, text: string, met: boolean | undefined): void => {
    if (figure === undefined || Number.isNaN(figure)) return
    lines.push(`| ${goal} | ${text} | ${met === undefined ? '–' : met ? 'met' : 'not yet'} |`)
  }
  const alb = get('plain', 'openalb')
  const nginx = get('plain', 'nginx')
  const direct = get('plain', 'direct')
  const cpuRatio = alb?.cpuUsPerReq !== undefined && nginx?.cpuUsPerReq !== undefined ? alb.cpuUsPerReq / nginx.cpuUsPerReq : undefined
  add('CPU per request ≤ 2.5× nginx (later ≤ 1.5×)', cpuRatio, `${fmt(cpuRatio, 2)}× (${fmt(alb?.cpuUsPerReq)} vs ${fmt(nginx?.cpuUsPerReq)} µs)`, cpuRatio === undefined ? undefined : cpuRatio <= 2.5)
  const rpsRatio = alb?.rps !== undefined && nginx?.rps !== undefined ? alb.rps / nginx.rps : undefined
  add('Throughput ≥ 45% of nginx', rpsRatio, `${fmt(rpsRatio === undefined ? undefined : rpsRatio * 100, 0)}% (${fmt(alb?.rps, 0)} vs ${fmt(nginx?.rps, 0)} req/s)`, rpsRatio === undefined ? undefined : rpsRatio >= 0.45)
  const httpProxy = get('plain', 'http-proxy')
  const overHttpProxy = alb?.rps !== undefined && httpProxy?.rps !== undefined ? alb.rps / httpProxy.rps : undefined
  add('Throughput ≥ 2× http-proxy', overHttpProxy, `${fmt(overHttpProxy, 2)}× (${fmt(alb?.rps, 0)} vs ${fmt(httpProxy?.rps, 0)} req/s)`, overHttpProxy === undefined ? undefined : overHttpProxy >= 2)
  const added = alb?.p99ms !== undefined && direct?.p99ms !== undefined ? alb.p99ms - direct.p99ms : undefined
  // nginx's own figure beside it: on a shared machine the host's noise moves both.
  const nginxAdded = nginx?.p99ms !== undefined && direct?.p99ms !== undefined ? nginx.p99ms - direct.p99ms : undefined
  add('p99 added over direct ≤ 2 ms at 50 connections', added, `${fmt(added, 2)} ms (${fmt(alb?.p99ms, 2)} vs ${fmt(direct?.p99ms, 2)} ms; nginx adds ${fmt(nginxAdded, 2)} ms)`, added === undefined ? undefined : added <= 2)
  const hundred = get('rules', 'openalb-100-rules')
  const one = get('plain', 'openalb') ?? get('rules', 'openalb')
  const cost = hundred?.rps !== undefined && one?.rps !== undefined ? 1 - hundred.rps / one.rps : undefined
  add('100 rules cost ≤ 10% throughput vs 1 rule', cost, `${fmt(cost === undefined ? undefined : cost * 100, 0)}% (${fmt(hundred?.rps, 0)} vs ${fmt(one?.rps, 0)} req/s)`, cost === undefined ? undefined : cost <= 0.1)
  const config = get('config', 'openalb')
  add('Config change → traffic p99 < 100 ms', config?.p99ms, `${fmt(config?.p99ms)} ms (p50 ${fmt(config?.p50ms)} ms)`, config?.p99ms === undefined ? undefined : config.p99ms < 100)
  const idle = get('idle', 'openalb')
  add('10,000 idle client connections < 150 MB RSS', idle?.rssMb, `${fmt(idle?.rssMb)} MB (${fmt(idle?.held, 0)} held)`, idle?.rssMb === undefined ? undefined : idle.rssMb < 150 && idle.held === 10_000)
  return lines.length === 0 ? [] : ['| Goal (issue 5) | This run | |', '|---|---|---|', ...lines]
}
