/**
 * `idle`: memory held by idle keep-alive client connections. 10,000 connections each send one
 * GET, read the response, then stay open and idle; we read the proxy's RSS (with its children)
 * before and once they have settled. `direct` is a fresh target process (node:http), the floor
 * for a Node.js server. FDs: `ulimit -n` is per process, so this process (holding the client
 * ends) and each proxy (holding the server ends) each need ~10,000.
 */
import { connect, type Socket } from 'node:net'
import { fmt, freePort, has, log, openFileLimit, rssBytes, sleep, type Metrics, type Sample, type System } from './support.ts'
import { haproxyProxy, nginxUpstream, openAlbForwarding, startHaproxy, startNginx, startTargets } from './systems.ts'

export const IDLE_CONNECTIONS = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 10_000)
/** Connections opened at once: enough to be quick, few enough for the listen backlog. */
const OPENING_CONCURRENCY = 256
/** Time for lazily freed buffers and timers to settle before reading RSS. */
const SETTLE_MS = 2000

/** Opens a connection and completes one keep-alive request on it. */
function openOne(port: number, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    const fail = (err: Error): void => { socket.destroy(); reject(err) }
    socket.once('error', fail)
    socket.once('connect', () => socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`))
    socket.setEncoding('latin1')
    const onData = (chunk: string): void => {
      text += chunk
      const end = text.indexOf('\r\n\r\n')
      if (end < 0) return
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? NaN)
      if (!text.startsWith('HTTP/1.1 200') || Number.isNaN(length)) { fail(new Error(`unexpected response: ${text.slice(0, 80)}`)); return }
      if (text.length < end + 4 + length) return
      socket.off('data', onData)
      socket.off('error', fail)
      socket.on('error', () => {}) // counted through 'close'
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
      resolve()
    }
    socket.on('data', onData)
  })
}

async function measure(system: System, connections = IDLE_CONNECTIONS): Promise<Metrics> {
  const port = Number(new URL(system.url).port)
  const pid = system.pid!
  const rssBefore = rssBytes(pid)
  const sockets = new Set<Socket>()
  let next = 0
  let failures = 0
  const opener = async (): Promise<void> => {
    while (next < connections) {
      next++
      await openOne(port, sockets).catch(() => { failures++ })
    }
  }
  try {
    await Promise.all(Array.from({ length: OPENING_CONCURRENCY }, opener))
    await sleep(SETTLE_MS) // RSS has no "settled" event; give freed buffers and timers a moment
    const rss = rssBytes(pid)
    return {
      held: sockets.size, failures,
      rssBeforeMb: rssBefore / 2 ** 20, rssMb: rss / 2 ** 20,
      kbPerConnection: sockets.size === 0 ? undefined : (rss - rssBefore) / 1024 / sockets.size,
    }
  } finally {
    const closed = [...sockets].map((s) => new Promise<void>((resolve) => { s.once('close', () => resolve()); s.destroy() }))
    await Promise.all(closed)
  }
}

export async function runIdle(): Promise<Sample[]> {
  const targets = await startTargets({ ports: 2 })
  const cleanup: Array<() => Promise<void>> = [() => targets.stop()]
  const samples: Sample[] = []
  const run = async (system: System, connections?: number): Promise<void> => {
    const metrics = await measure(system, connections)
    samples.push({ scenario: 'idle', system: system.name, round: 1, metrics })
    log(`  idle ${system.name}: ${metrics.held} held, RSS ${fmt(metrics.rssBeforeMb)} → ${fmt(metrics.rssMb)} MB, ${fmt(metrics.kbPerConnection, 2)} KB/connection, ${metrics.failures} failures`)
  }
  try {
    await run({ name: 'direct', url: `http://127.0.0.1:${targets.http[0]}/`, pid: targets.pid, stop: () => {} })
    const { alb, port: albPort } = await openAlbForwarding('bench-idle', targets.http)
    cleanup.push(() => alb.stop())
    await run({ name: 'openalb', url: `http://127.0.0.1:${albPort}/`, pid: alb.pid, stop: () => {} })
    if (has('nginx')) {
      const port = await freePort()
      const nginx = await startNginx(`${nginxUpstream(targets.http)}
  keepalive_timeout 120s;
  server { listen 127.0.0.1:${port} backlog=1024; location / { proxy_pass http://targets; proxy_http_version 1.1; proxy_set_header Connection ""; } }`, port, { connections: IDLE_CONNECTIONS + 1024 })
      cleanup.push(() => nginx.stop())
      await run({ name: 'nginx', url: `http://127.0.0.1:${port}/`, pid: nginx.pid, stop: () => {} })
    }
    if (has('haproxy')) {
      // HAProxy refuses to start when maxconn × 2 (+ a few) sockets exceed `ulimit -n`, even
      // though idle client connections need one each: it holds as many as that allows.
      const fdLimit = openFileLimit()
      const maxconn = Math.min(IDLE_CONNECTIONS + 100, Math.floor((fdLimit - 100) / 2))
      const port = await freePort()
      const haproxy = await startHaproxy(haproxyProxy(port, targets.http), port, { maxconn })
      cleanup.push(() => haproxy.stop())
      await run({ name: 'haproxy', url: `http://127.0.0.1:${port}/`, pid: haproxy.pid, stop: () => {} }, Math.min(IDLE_CONNECTIONS, maxconn - 100))
    }
    return samples
  } finally {
    for (const stop of cleanup.reverse()) await stop()
  }
}
