/**
 * Active and passive target health (spec §4) against real targets on 127.0.0.1 port 0.
 * Intervals are fractional seconds (the checker takes HealthCheck values as given), and every
 * wait is on an event — a transition, a request the target sees, a socket closing — never a sleep.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import https from 'node:https'
import http2 from 'node:http2'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import type { HealthCheck } from '../src/model/resources.ts'
import { HealthChecker, type HealthCheckResult, type HealthCheckTarget, type HealthTransition } from '../src/dataplane/health/checker.ts'
import { isPassiveFailure } from '../src/dataplane/health/passive.ts'
import { HealthFlag } from '../src/dataplane/upstream/target-state.ts'
import { selfSigned } from './support/openssl.ts'
import { freePort } from './support/dataplane.ts'

const TEST_TIMEOUT = { timeout: 15_000 }

/** A health check that probes every 50 ms with a generous timeout. */
function fastCheck(overrides: Partial<HealthCheck> = {}): HealthCheck {
  return {
    enabled: true, protocol: 'HTTP', port: 'traffic-port', path: '/', intervalSeconds: 0.05, timeoutSeconds: 5,
    healthyThresholdCount: 3, unhealthyThresholdCount: 3, matcher: { httpCode: '200' }, ...overrides,
  }
}

function target(key: string, port: number, healthCheck: HealthCheck, extra: Partial<HealthCheckTarget> = {}): HealthCheckTarget {
  return { key, host: '127.0.0.1', trafficPort: port, healthCheck, protocol: 'HTTP', ...extra }
}

interface SeenRequest {
  readonly method: string
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
  readonly remotePort: number
}

/** Waiters resolved when a list grows to satisfy a predicate; resolves at once if it already does. */
class Log<T> {
  readonly items: T[] = []
  #waiters: Array<{ match: (item: T, index: number) => boolean; resolve: (item: T) => void }> = []

  push(item: T): void {
    this.items.push(item)
    const index = this.items.length - 1
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.match(item, index)) return true
      w.resolve(item)
      return false
    })
  }

  /** The first item (past or future) matching `match`. */
  next(match: (item: T, index: number) => boolean = () => true): Promise<T> {
    const found = this.items.findIndex((item, index) => match(item, index))
    if (found >= 0) return Promise.resolve(this.items[found]!)
    return new Promise((resolve) => this.#waiters.push({ match, resolve }))
  }

  /** Resolves when the list holds at least `count` items. */
  count(count: number): Promise<T> {
    return this.next((_item, index) => index === count - 1)
  }
}

interface TestTarget {
  readonly port: number
  readonly requests: Log<SeenRequest>
  readonly connections: Log<net.Socket>
  close(): Promise<void>
}

type Respond = (req: http.IncomingMessage, res: http.ServerResponse, index: number) => void

const opened: TestTarget[] = []
after(async () => { await Promise.all(opened.map((t) => t.close())) })

async function listen(server: http.Server | https.Server | http2.Http2Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

async function startTarget(respond: Respond, tls?: { key: string; cert: string }): Promise<TestTarget> {
  const requests = new Log<SeenRequest>()
  const connections = new Log<net.Socket>()
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const index = requests.items.length
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, remotePort: req.socket.remotePort ?? 0 })
    respond(req, res, index)
  }
  const server = tls === undefined ? http.createServer(handler) : https.createServer(tls, handler)
  server.on(tls === undefined ? 'connection' : 'secureConnection', (socket: net.Socket) => connections.push(socket))
  const port = await listen(server)
  let closing: Promise<void> | undefined
  const testTarget: TestTarget = {
    port, requests, connections,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  }
  opened.push(testTarget)
  return testTarget
}

const ok: Respond = (_req, res) => { res.end('ok') }
const status = (code: number): Respond => (_req, res) => { res.statusCode = code; res.end(`status ${code}`) }

/** A checker whose transitions are logged; closed after the test. */
function newChecker(options: { random?: () => number } = {}) {
  const transitions = new Log<HealthTransition>()
  const passive = new Log<{ key: string; failed: boolean }>()
  const checks = new Log<HealthCheckResult>()
  const checker = new HealthChecker({
    random: options.random ?? (() => 0.5),
    onTransition: (t) => transitions.push(t),
    onPassiveChange: (key, failed) => passive.push({ key, failed }),
    onCheck: (c) => checks.push(c),
  })
  after(() => checker.close())
  const to = (key: string, state: string) => transitions.next((t) => t.key === key && t.to === state)
  return { checker, transitions, passive, checks, to }
}

describe('active health checks', () => {
  it('a healthy target goes initial → healthy after ONE passing check', TEST_TIMEOUT, async () => {
    let release: (() => void) | undefined
    const held = new Promise<void>((resolve) => { release = resolve })
    // Hold the first response so the initial state can be observed while the check is in flight.
    const server = await startTarget((req, res, index) => {
      if (index === 0) void held.then(() => ok(req, res, index))
      else ok(req, res, index)
    })
    const { checker, to } = newChecker()
    // A real 30 s interval: the first check is the only one this test sees.
    checker.update([target('a', server.port, fastCheck({ intervalSeconds: 30 }))])
    assert.deepEqual(checker.live('a'), {
      state: 'initial', reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress',
    })
    await server.requests.count(1)
    // The check is in flight but has no result yet: still RegistrationInProgress (seed 003).
    assert.deepEqual(checker.live('a'), {
      state: 'initial', reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress',
    })
    assert.equal(checker.isHealthy('a'), false)
    assert.equal(checker.flags('a'), HealthFlag.Initial)
    release!()
    const t = await to('a', 'healthy')
    assert.equal(t.from, 'initial')
    assert.deepEqual(t.health, { state: 'healthy' })
    assert.deepEqual(checker.live('a'), { state: 'healthy' })
    assert.equal(checker.isHealthy('a'), true)
    assert.equal(checker.flags('a'), 0)
    // Healthy after exactly one check although HealthyThresholdCount is 3 (UG).
    assert.equal(server.requests.items.length, 1)
  })

  it('a target answering 404 becomes unhealthy with ResponseCodeMismatch after UnhealthyThresholdCount checks', TEST_TIMEOUT, async () => {
    const { checker, to } = newChecker()
    const statesOnArrival: string[] = []
    const server = await startTarget((req, res, index) => {
      statesOnArrival.push(checker.live('nf')?.state ?? 'none')
      status(404)(req, res, index)
    })
    checker.update([target('nf', server.port, fastCheck({ unhealthyThresholdCount: 3 }))])
    const t = await to('nf', 'unhealthy')
    assert.equal(t.from, 'initial')
    assert.deepEqual(t.health, {
      state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [404]',
    })
    assert.deepEqual(checker.live('nf'), t.health)
    // The third check was sent while the target was still initial: two failures are not enough.
    assert.ok(server.requests.items.length >= 3)
    assert.deepEqual(statesOnArrival.slice(0, 3), ['initial', 'initial', 'initial'])
    assert.equal(checker.flags('nf'), HealthFlag.FailedActive)
  })

  it('a target that never answers is unhealthy with Target.Timeout', TEST_TIMEOUT, async () => {
    const server = await startTarget(() => { /* never respond */ })
    const { checker, to } = newChecker()
    checker.update([target('slow', server.port, fastCheck({ intervalSeconds: 0.15, timeoutSeconds: 0.1, unhealthyThresholdCount: 2 }))])
    const t = await to('slow', 'unhealthy')
    assert.deepEqual(t.health, { state: 'unhealthy', reason: 'Target.Timeout', description: 'Request timed out' })
    // Timed-out checks close their connection.
    const first = await server.connections.count(1)
    if (!first.destroyed) await new Promise((resolve) => first.once('close', resolve))
  })

  it('a closed port is unhealthy with Target.FailedHealthChecks', TEST_TIMEOUT, async () => {
    const port = await freePort()
    const { checker, to } = newChecker()
    checker.update([target('closed', port, fastCheck({ unhealthyThresholdCount: 2 }))])
    const t = await to('closed', 'unhealthy')
    assert.deepEqual(t.health, { state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed' })
  })

  it('a malformed response is Target.FailedHealthChecks', TEST_TIMEOUT, async () => {
    const { checker, to } = newChecker()
    const sockets = new Set<net.Socket>()
    const garbage = net.createServer((socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.end('NOT HTTP AT ALL\r\n\r\n')
    })
    const port = await listen(garbage as unknown as http.Server)
    after(() => new Promise<void>((resolve) => {
      garbage.close(() => resolve())
      for (const socket of sockets) socket.destroy()
    }))
    checker.update([target('garbage', port, fastCheck({ unhealthyThresholdCount: 2 }))])
    const t = await to('garbage', 'unhealthy')
    assert.equal(t.health.reason, 'Target.FailedHealthChecks')
  })

  it('a path Node cannot send fails the check instead of crashing', TEST_TIMEOUT, async () => {
    const server = await startTarget(ok)
    const { checker, to } = newChecker()
    checker.update([target('space', server.port, fastCheck({ path: '/with space', unhealthyThresholdCount: 2 }))])
    const t = await to('space', 'unhealthy')
    assert.equal(t.health.reason, 'Target.FailedHealthChecks')
    assert.equal(server.requests.items.length, 0)
  })

  it('recovers after HealthyThresholdCount consecutive passes', TEST_TIMEOUT, async () => {
    const { checker, to, transitions } = newChecker()
    let failing = true
    const statesAfterSwitch: string[] = []
    const server = await startTarget((req, res, index) => {
      if (failing) { status(500)(req, res, index); return }
      statesAfterSwitch.push(checker.live('r')?.state ?? 'none')
      ok(req, res, index)
    })
    checker.update([target('r', server.port, fastCheck({ healthyThresholdCount: 3, unhealthyThresholdCount: 2 }))])
    const down = await to('r', 'unhealthy')
    assert.equal(down.health.description, 'Health checks failed with these codes: [500]')
    failing = false
    const up = await to('r', 'healthy')
    assert.equal(up.from, 'unhealthy')
    // Checks 1-3 after the switch arrived while still unhealthy: two passes are not enough.
    assert.deepEqual(statesAfterSwitch.slice(0, 3), ['unhealthy', 'unhealthy', 'unhealthy'])
    assert.deepEqual(transitions.items.filter((t) => t.key === 'r').map((t) => `${t.from}→${t.to}`), ['initial→unhealthy', 'unhealthy→healthy'])
  })

  it('matches success codes against ranges and lists', TEST_TIMEOUT, async () => {
    const redirect = await startTarget(status(302))
    const seeOther = await startTarget(status(303))
    const { checker, to } = newChecker()
    const check = fastCheck({ matcher: { httpCode: '200,301-302' }, unhealthyThresholdCount: 2 })
    checker.update([target('302', redirect.port, check), target('303', seeOther.port, check)])
    await to('302', 'healthy')
    const t = await to('303', 'unhealthy')
    assert.equal(t.health.description, 'Health checks failed with these codes: [303]')
  })

  it('uses the custom path and port, and the target sees ELB-HealthChecker headers on a new connection each time', TEST_TIMEOUT, async () => {
    const traffic = await startTarget(ok)
    const health = await startTarget(ok)
    const { checker, to } = newChecker()
    checker.update([target('custom', traffic.port, fastCheck({ port: String(health.port), path: '/healthz?deep=1' }))])
    await to('custom', 'healthy')
    await health.requests.count(3)
    const seen = health.requests.items.slice(0, 3)
    for (const request of seen) {
      assert.equal(request.method, 'GET')
      assert.equal(request.url, '/healthz?deep=1')
      assert.equal(request.headers['user-agent'], 'ELB-HealthChecker/2.0')
      assert.equal(request.headers.host, `127.0.0.1:${health.port}`)
      assert.equal(request.headers.connection, 'close')
    }
    // One connection per check (spec §4.4).
    assert.equal(new Set(seen.map((r) => r.remotePort)).size, 3)
    assert.ok(health.connections.items.length >= 3)
    assert.equal(traffic.requests.items.length, 0, 'the traffic port is not probed when a health check port is set')
  })

  it('checks HTTPS targets without verifying their certificate', TEST_TIMEOUT, async () => {
    const pair = selfSigned('target.invalid')
    const server = await startTarget(ok, { key: pair.keyPem, cert: pair.certPem })
    const { checker, to } = newChecker()
    checker.update([target('tls', server.port, fastCheck({ protocol: 'HTTPS' }), { protocol: 'HTTPS' })])
    await to('tls', 'healthy')
    assert.equal(server.requests.items[0]?.headers['user-agent'], 'ELB-HealthChecker/2.0')
    // With no HealthCheckProtocol the group's protocol applies.
    const { protocol: _omit, ...noProtocol } = fastCheck()
    checker.update([target('tls2', server.port, noProtocol, { protocol: 'HTTPS' })])
    await to('tls2', 'healthy')
  })

  it('update() applies changed settings without resetting state', TEST_TIMEOUT, async () => {
    const server = await startTarget((req, res, index) => {
      if (req.url === '/new') status(202)(req, res, index)
      else ok(req, res, index)
    })
    const { checker, to, transitions } = newChecker()
    checker.update([target('cfg', server.port, fastCheck())])
    await to('cfg', 'healthy')
    checker.update([target('cfg', server.port, fastCheck({ path: '/new', matcher: { httpCode: '202' } }))])
    assert.deepEqual(checker.live('cfg'), { state: 'healthy' })
    const atChange = server.requests.items.length
    await server.requests.next((r, index) => index >= atChange && r.url === '/new')
    const newPathCount = server.requests.items.length
    await server.requests.count(newPathCount + 3)
    assert.deepEqual(checker.live('cfg'), { state: 'healthy' })
    assert.deepEqual(transitions.items.filter((t) => t.key === 'cfg').map((t) => t.to), ['healthy'])
  })

  it('disabling checks shows Target.HealthCheckDisabled; enabling starts over from initial', TEST_TIMEOUT, async () => {
    const server = await startTarget(ok)
    const { checker, to, transitions } = newChecker()
    checker.update([target('off', server.port, fastCheck())])
    await to('off', 'healthy')
    checker.update([target('off', server.port, fastCheck({ enabled: false }))])
    const t = await to('off', 'unavailable')
    assert.deepEqual(t.health, { state: 'unavailable', reason: 'Target.HealthCheckDisabled', description: 'Health checks are disabled' })
    assert.equal(checker.isHealthy('off'), true, 'AWS routes to targets whose checks are disabled')
    const mark = transitions.items.length
    checker.update([target('off', server.port, fastCheck())])
    const back = await to('off', 'initial')
    assert.equal(back.from, 'unavailable')
    const again = await transitions.next((t, index) => index >= mark && t.key === 'off' && t.to === 'healthy')
    assert.equal(again.from, 'initial')
  })

  it('update() removing a target stops probing it', TEST_TIMEOUT, async () => {
    const removed = await startTarget(ok)
    const witness = await startTarget(ok)
    const { checker, to } = newChecker()
    checker.update([target('gone', removed.port, fastCheck()), target('stays', witness.port, fastCheck())])
    await to('gone', 'healthy')
    await removed.requests.count(2)
    checker.update([target('stays', witness.port, fastCheck())])
    assert.equal(checker.live('gone'), undefined)
    assert.equal(checker.isHealthy('gone'), false)
    assert.equal(checker.size, 1)
    const countAtRemoval = removed.requests.items.length
    // The other target's next five checks take ≥ 4 intervals: had "gone" kept a timer, it would
    // have been probed again meanwhile.
    const witnessAt = witness.requests.items.length
    await witness.requests.count(witnessAt + 5)
    assert.equal(removed.requests.items.length, countAtRemoval)
  })

  it('update() removing a target aborts its in-flight check', TEST_TIMEOUT, async () => {
    const server = await startTarget(() => { /* never respond */ })
    const { checker } = newChecker()
    checker.update([target('hung', server.port, fastCheck({ intervalSeconds: 30, timeoutSeconds: 10 }))])
    const socket = await server.connections.count(1)
    await server.requests.count(1)
    checker.update([])
    await new Promise((resolve) => socket.once('close', resolve))
    assert.equal(checker.size, 0)
  })

  it('close() aborts in-flight checks, is idempotent, and ignores later updates', TEST_TIMEOUT, async () => {
    const server = await startTarget(() => { /* never respond */ })
    const checker = new HealthChecker({})
    checker.update([target('c', server.port, fastCheck({ intervalSeconds: 30, timeoutSeconds: 10 }))])
    const socket = await server.connections.count(1)
    await server.requests.count(1)
    const closed = new Promise((resolve) => socket.once('close', resolve))
    const first = checker.close()
    assert.equal(checker.close(), first)
    await first
    await closed
    checker.update([target('c', server.port, fastCheck())])
    assert.equal(checker.size, 0)
    assert.equal(checker.live('c'), undefined)
  })

  it('spreads checks with jitter from the injected random source', TEST_TIMEOUT, async () => {
    // random() = 0 puts the first check at once and later ones at interval × 0.95; the
    // target sees a steady stream either way, which is all that can be asserted without a clock.
    const server = await startTarget(ok)
    const { checker, to } = newChecker({ random: () => 0 })
    checker.update([target('j', server.port, fastCheck())])
    await to('j', 'healthy')
    await server.requests.count(3)
  })
})

describe('passive health', () => {
  it('a passive failure takes the target out at once and an immediate re-check brings it back', TEST_TIMEOUT, async () => {
    const server = await startTarget(ok)
    const { checker, to, passive, transitions } = newChecker()
    // A real 30 s interval: the only checks are the first one and the passive re-check.
    checker.update([target('p', server.port, fastCheck({ intervalSeconds: 30 }))])
    await to('p', 'healthy')
    assert.equal(server.requests.items.length, 1)
    checker.reportPassiveFailure('p')
    assert.equal(checker.passiveFailed('p'), true)
    assert.equal(checker.flags('p'), HealthFlag.FailedPassive)
    // DescribeTargetHealth is not flipped by a passive failure alone.
    assert.deepEqual(checker.live('p'), { state: 'healthy' })
    assert.equal(checker.isHealthy('p'), true)
    await passive.next((e) => e.key === 'p' && e.failed)
    await server.requests.count(2)
    await passive.next((e) => e.key === 'p' && !e.failed)
    assert.equal(checker.passiveFailed('p'), false)
    assert.equal(checker.flags('p'), 0)
    assert.deepEqual(transitions.items.filter((t) => t.key === 'p').map((t) => t.to), ['healthy'])
  })

  it('a passive failure stays while the re-check fails, and the failure counts toward the threshold', TEST_TIMEOUT, async () => {
    let failing = false
    const server = await startTarget((req, res, index) => (failing ? status(503) : ok)(req, res, index))
    const { checker, to, passive, checks } = newChecker()
    checker.update([target('q', server.port, fastCheck({ intervalSeconds: 30, unhealthyThresholdCount: 2 }))])
    await to('q', 'healthy')
    failing = true
    checker.reportPassiveFailure('q')
    checker.reportPassiveFailure('q') // coalesced: one re-check at a time
    const recheck = await checks.count(2)
    assert.equal(recheck.change, 'pending')
    assert.equal(server.requests.items.length, 2)
    // The failed re-check is one failure of two: still healthy, still passively failed.
    assert.deepEqual(checker.live('q'), { state: 'healthy' })
    assert.equal(checker.passiveFailed('q'), true)
    checker.reportPassiveFailure('q')
    await checks.count(3)
    const t = await to('q', 'unhealthy')
    assert.equal(t.health.description, 'Health checks failed with these codes: [503]')
    assert.equal(checker.passiveFailed('q'), true)
    assert.equal(passive.items.filter((e) => e.key === 'q').length, 1)
  })

  it('ignores passive reports for unknown targets', () => {
    const { checker } = newChecker()
    checker.reportPassiveFailure('nobody')
    assert.equal(checker.passiveFailed('nobody'), false)
  })

  it('classifies refused and reset connections by error code', async () => {
    const port = await freePort()
    const refused = await new Promise<unknown>((resolve) => {
      http.get({ host: '127.0.0.1', port, agent: false }).on('error', resolve)
    })
    assert.equal(isPassiveFailure(refused), true)
    assert.equal(isPassiveFailure(Object.assign(new Error('x'), { code: 'ECONNRESET' })), true)
    assert.equal(isPassiveFailure(new Error('wrapped', { cause: Object.assign(new Error('y'), { code: 'UND_ERR_SOCKET' }) })), true)
    assert.equal(isPassiveFailure(Object.assign(new Error('slow'), { code: 'ETIMEDOUT' })), false)
    assert.equal(isPassiveFailure(new Error('ECONNREFUSED in the message only')), false)
    assert.equal(isPassiveFailure(undefined), false)
  })
})

describe('gRPC health checks', () => {
  async function grpcTarget(grpcStatus: number, seen: Log<http2.IncomingHttpHeaders>, tls?: { key: string; cert: string }): Promise<number> {
    const server = tls === undefined ? http2.createServer() : http2.createSecureServer(tls)
    server.on('stream', (stream, headers) => {
      seen.push(headers)
      stream.resume()
      stream.on('end', () => {
        // Trailers-only response, as gRPC servers send for an unknown method.
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(grpcStatus) }, { endStream: true })
      })
    })
    const sessions = new Set<http2.ServerHttp2Session>()
    server.on('session', (s) => { sessions.add(s); s.on('close', () => sessions.delete(s)) })
    const port = await listen(server)
    after(() => new Promise<void>((resolve) => {
      for (const s of sessions) s.destroy()
      server.close(() => resolve())
    }))
    return port
  }

  it('a gRPC target answering UNIMPLEMENTED (12) is healthy with the default matcher', TEST_TIMEOUT, async () => {
    const { checker, to } = newChecker()
    const seen = new Log<http2.IncomingHttpHeaders>()
    const port = await grpcTarget(12, seen)
    const { matcher: _m, path: _p, ...check } = fastCheck()
    checker.update([target('g', port, check, { protocolVersion: 'GRPC' })])
    await to('g', 'healthy')
    const headers = await seen.count(1)
    assert.equal(headers[':method'], 'POST')
    assert.equal(headers[':path'], '/AWS.ALB/healthcheck')
    assert.equal(headers['content-type'], 'application/grpc')
    assert.equal(headers['user-agent'], 'ELB-HealthChecker/2.0')
  })

  it('a grpc-status outside GrpcCode is a ResponseCodeMismatch', TEST_TIMEOUT, async () => {
    const { checker, to } = newChecker()
    const port = await grpcTarget(14, new Log())
    checker.update([target('g14', port, fastCheck({ matcher: { grpcCode: '0-5' }, unhealthyThresholdCount: 2 }), { protocolVersion: 'GRPC' })])
    const t = await to('g14', 'unhealthy')
    assert.equal(t.health.description, 'Health checks failed with these codes: [14]')
  })

  it('gRPC checks of an HTTPS target group go over h2 with TLS, certificate unverified', TEST_TIMEOUT, async () => {
    const { checker, to } = newChecker()
    const pair = selfSigned('grpc.invalid')
    const seen = new Log<http2.IncomingHttpHeaders>()
    const port = await grpcTarget(0, seen, { key: pair.keyPem, cert: pair.certPem })
    checker.update([target('gtls', port, fastCheck({ protocol: 'HTTPS', path: '/grpc.health.v1.Health/Check', matcher: { grpcCode: '0' } }), {
      protocol: 'HTTPS', protocolVersion: 'GRPC',
    })])
    await to('gtls', 'healthy')
    assert.equal((await seen.count(1))[':path'], '/grpc.health.v1.Health/Check')
  })
})
