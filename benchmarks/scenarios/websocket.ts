/**
 * `ws`: WebSocket echo through each proxy. The target process echoes frames (benchmarks/target.ts);
 * benchmarks/ws-load.ts, in its own process, keeps one message in flight per connection.
 * nginx needs the Upgrade/Connection headers passed explicitly; HAProxy and OpenALB tunnel
 * upgraded connections by themselves.
 */
import { join } from 'node:path'
import {
  DURATION_SECONDS, ROOT, ROUNDS, fmt, freePort, has, log, run, withCpu, type Sample, type System,
} from './support.ts'
import { haproxyProxy, nginxUpstream, openAlbForwarding, startHaproxy, startNginx, startTargets } from './systems.ts'

export const WS_CONNECTIONS = Number(process.env.BENCH_WS_CONNECTIONS ?? 50)

async function measure(system: System): Promise<Sample['metrics']> {
  const port = new URL(system.url).port
  const { value: out, cpuSeconds } = await withCpu(system.pid, () =>
    run(process.execPath, [join(ROOT, 'dist/benchmarks/ws-load.js'), port, String(WS_CONNECTIONS), String(DURATION_SECONDS)]))
  const r = JSON.parse(out) as { messages: number; seconds: number; p50ms: number; p99ms: number; errors: number }
  return {
    mps: r.messages / r.seconds, messages: r.messages, p50ms: r.p50ms, p99ms: r.p99ms, errors: r.errors,
    cpuUsPerMsg: cpuSeconds === undefined || r.messages === 0 ? undefined : (cpuSeconds * 1e6) / r.messages,
  }
}

export async function runWebSocket(): Promise<Sample[]> {
  const targets = await startTargets({ ports: 2 })
  const cleanup: Array<() => Promise<void>> = [() => targets.stop()]
  try {
    const systems: System[] = [{ name: 'direct', url: `http://127.0.0.1:${targets.http[0]}/`, pid: undefined, stop: () => {} }]
    const { alb, port: albPort } = await openAlbForwarding('bench-ws', targets.http)
    cleanup.push(() => alb.stop())
    systems.push({ name: 'openalb', url: `http://127.0.0.1:${albPort}/`, pid: alb.pid, stop: () => {} })
    if (has('nginx')) {
      const port = await freePort()
      const nginx = await startNginx(`${nginxUpstream(targets.http, 0)}
  server { listen 127.0.0.1:${port}; location / {
    proxy_pass http://targets; proxy_http_version 1.1; proxy_read_timeout 60s;
    proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade"; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
  } }`, port)
      cleanup.push(() => nginx.stop())
      systems.push({ name: 'nginx', url: `http://127.0.0.1:${port}/`, pid: nginx.pid, stop: () => {} })
    }
    if (has('haproxy')) {
      const port = await freePort()
      const haproxy = await startHaproxy(haproxyProxy(port, targets.http), port)
      cleanup.push(() => haproxy.stop())
      systems.push({ name: 'haproxy', url: `http://127.0.0.1:${port}/`, pid: haproxy.pid, stop: () => {} })
    }
    const samples: Sample[] = []
    for (let round = 1; round <= ROUNDS; round++) {
      for (const system of systems) {
        const metrics = await measure(system)
        samples.push({ scenario: 'ws', system: system.name, round, metrics })
        log(`  ws round ${round} ${system.name}: ${fmt(metrics.mps, 0)} msg/s, p99 ${fmt(metrics.p99ms, 2)} ms, ${fmt(metrics.cpuUsPerMsg, 2)} µs CPU/msg, ${metrics.errors} errors`)
      }
    }
    return samples
  } finally {
    for (const stop of cleanup.reverse()) await stop()
  }
}
