/**
 * Data plane end to end: a load balancer built through the API balances real HTTP targets
 * on 127.0.0.1 (issue 3; seeds 004 and 000).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DeregisterTargetsCommand, DescribeTargetHealthCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { startTestOpenAlb, type TestOpenAlb } from './support/openalb.ts'
import {
  createRule, createSite, createTargetGroup, freePort, httpRequest, startTarget, waitFor, type TestTarget,
} from './support/dataplane.ts'

describe('data plane: forwarding', () => {
  let alb: TestOpenAlb
  const targets: TestTarget[] = []
  before(async () => { alb = await startTestOpenAlb() })
  after(async () => {
    await alb.close()
    await Promise.all(targets.map((t) => t.close()))
  })

  async function target(name: string): Promise<TestTarget> {
    const t = await startTarget(name)
    targets.push(t)
    return t
  }

  it('round-robins /hostname across two targets (seed 004)', async () => {
    const a = await target('host-a')
    const b = await target('host-b')
    const site = await createSite(alb, { targets: [a, b] })
    // As in seed 004: wait for both targets to pass their first health check.
    await waitFor(async () => {
      const health = await alb.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: site.targetGroupArn }))
      const states = (health.TargetHealthDescriptions ?? []).map((d) => d.TargetHealth?.State)
      return states.length === 2 && states.every((s) => s === 'healthy') ? true : undefined
    }, 5000, 'both healthy')
    const names: string[] = []
    for (let i = 0; i < 6; i++) names.push((await httpRequest(site.port, '/hostname')).body)
    assert.deepEqual(new Set(names), new Set(['host-a', 'host-b']))
    for (let i = 1; i < names.length; i++) assert.notEqual(names[i], names[i - 1], `alternates: ${names.join(',')}`)
  })

  it('sends the headers the ALB adds (XFF, proto, port, trace id, Host)', async () => {
    const t = await target('headers')
    const site = await createSite(alb, { targets: [t] })
    const res = await waitFor(async () => {
      const r = await httpRequest(site.port, '/h?x=1', { headers: { 'X-Forwarded-For': '10.1.2.3', Connection: 'keep-alive, X-Secret', 'X-Secret': 's' }, host: 'example.com' })
      return r.status === 200 ? r : undefined
    }, 5000, 'listener')
    const seen = JSON.parse(res.body) as { url: string; rawHeaders: string[] }
    const header = (name: string): string[] => {
      const out: string[] = []
      for (let i = 0; i < seen.rawHeaders.length; i += 2) if (seen.rawHeaders[i]!.toLowerCase() === name) out.push(seen.rawHeaders[i + 1]!)
      return out
    }
    assert.equal(seen.url, '/h?x=1')
    assert.deepEqual(header('x-forwarded-for'), ['10.1.2.3, 127.0.0.1'])
    assert.deepEqual(header('x-forwarded-proto'), ['http'])
    assert.deepEqual(header('x-forwarded-port'), [String(site.port)])
    assert.deepEqual(header('host'), [`example.com:${site.port}`], 'non-default port appended (spec §6.4)')
    assert.match(header('x-amzn-trace-id')[0] ?? '', /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/)
    assert.deepEqual(header('x-secret'), [], 'headers named by Connection are hop-by-hop')
    assert.equal(res.headers.server, undefined, 'a target response keeps its own Server header (none here)')
    const traced = JSON.parse((await httpRequest(site.port, '/t', { headers: { 'X-Amzn-Trace-Id': 'Root=1-67891233-abcdef012345678912345678;CalledFrom=app' } })).body) as { rawHeaders: string[] }
    const traceValues = traced.rawHeaders.filter((_, i) => i % 2 === 1 && traced.rawHeaders[i - 1]!.toLowerCase() === 'x-amzn-trace-id')
    assert.equal(traceValues.length, 1)
    assert.match(traceValues[0]!, /^Self=1-[0-9a-f]{8}-[0-9a-f]{24};Root=1-67891233-abcdef012345678912345678;CalledFrom=app$/)
  })

  it('answers 503 with no registered targets and 502 when the only target refuses', async () => {
    const empty = await createSite(alb, { targets: [] })
    const res = await waitFor(async () => {
      const r = await httpRequest(empty.port, '/')
      return r.status === 503 ? r : undefined
    }, 5000, '503')
    assert.equal(res.headers.server, 'awselb/2.0')
    assert.equal(res.headers['content-type'], 'text/html')
    assert.equal(res.body, '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n')

    const deadPort = await freePort()
    const tg = await createTargetGroup(alb, 'dead-tg', [])
    await alb.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: '127.0.0.1', Port: deadPort }] }))
    const dead = await createSite(alb, { targets: [] })
    const rule = await createRule(alb, dead.listenerArn, 1, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/dead*'] } }], [{ Type: 'forward', TargetGroupArn: tg }])
    assert.ok(rule)
    const bad = await waitFor(async () => {
      const r = await httpRequest(dead.port, '/dead')
      return r.status === 502 ? r : undefined
    }, 5000, '502')
    assert.equal(bad.body.length, 122)
  })

  it('routes by path, host and header to different groups; redirects; fixed responses', async () => {
    const main = await target('main')
    const api = await target('api')
    const admin = await target('admin')
    const site = await createSite(alb, { targets: [main] })
    const apiTg = await createTargetGroup(alb, 'route-api', [api])
    const adminTg = await createTargetGroup(alb, 'route-admin', [admin])
    await createRule(alb, site.listenerArn, 10, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }], [{ Type: 'forward', TargetGroupArn: apiTg }])
    await createRule(alb, site.listenerArn, 20, [{ Field: 'host-header', HostHeaderConfig: { Values: ['admin.example.com'] } }], [{ Type: 'forward', TargetGroupArn: adminTg }])
    await createRule(alb, site.listenerArn, 30, [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Tenant', Values: ['blue'] } }], [{ Type: 'forward', TargetGroupArn: apiTg }])
    await createRule(alb, site.listenerArn, 40, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/old/*'] } }],
      [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', Path: '/new/#{path}', StatusCode: 'HTTP_301' } }])
    await createRule(alb, site.listenerArn, 50, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/teapot'] } }],
      [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '418', ContentType: 'text/plain', MessageBody: 'short and stout' } }])
    const name = async (path: string, opts: Parameters<typeof httpRequest>[2] = {}): Promise<string> =>
      (JSON.parse((await httpRequest(site.port, path, opts)).body) as { name: string }).name
    await waitFor(async () => (await name('/api/x')) === 'api' || undefined, 5000, 'rules applied')
    assert.equal(await name('/'), 'main')
    assert.equal(await name('/x', { host: 'admin.example.com' }), 'admin')
    assert.equal(await name('/x', { headers: { 'X-Tenant': 'BLUE' } }), 'api', 'header values match case-insensitively')
    const redirect = await httpRequest(site.port, '/old/page?q=1', { host: 'example.com' })
    assert.equal(redirect.status, 301)
    assert.equal(redirect.headers.location, 'https://example.com:443/new/old/page?q=1')
    const fixed = await httpRequest(site.port, '/teapot')
    assert.equal(fixed.status, 418)
    assert.equal(fixed.body, 'short and stout')
    assert.equal(fixed.headers.server, 'awselb/2.0')
  })

  it('applies an API change to traffic without a restart, and drains a deregistered target', async () => {
    let release: (() => void) | undefined
    const slow = await startTarget('slow', (req, res, name) => {
      if (req.url === '/slow') { release = () => res.end(name); return }
      res.end(name)
    })
    targets.push(slow)
    const other = await target('other')
    const site = await createSite(alb, { targets: [slow], targetGroupAttributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }] })
    await waitFor(async () => (await httpRequest(site.port, '/hostname')).body === 'slow' || undefined, 5000, 'listener')
    const inflight = httpRequest(site.port, '/slow')
    await waitFor(() => release, 5000, 'slow request at the target')
    await alb.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: site.targetGroupArn, Targets: [{ Id: '127.0.0.1', Port: other.port }] }))
    await alb.elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: site.targetGroupArn, Targets: [{ Id: '127.0.0.1', Port: slow.port }] }))
    const health = await alb.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: site.targetGroupArn }))
    const slowHealth = health.TargetHealthDescriptions?.find((d) => d.Target?.Port === slow.port)
    assert.equal(slowHealth?.TargetHealth?.State, 'draining')
    assert.equal(slowHealth?.TargetHealth?.Reason, 'Target.DeregistrationInProgress')
    // New requests go to the other target from now on.
    await waitFor(async () => (await httpRequest(site.port, '/hostname')).body === 'other' || undefined, 2000, 'change reaches traffic')
    for (let i = 0; i < 4; i++) assert.equal((await httpRequest(site.port, '/hostname')).body, 'other')
    release!()
    const done = await inflight
    assert.equal(done.status, 200)
    assert.equal(done.body, 'slow', 'the in-flight request completed on the draining target')
  })
})
