/**
 * Data plane: application-cookie stickiness (AWSALBAPP-*, spec §7.8) and least outstanding
 * requests (spec §7.7), end to end through the API with real targets.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { startTestOpenAlb, type TestOpenAlb } from './support/openalb.ts'
import { createSite, httpRequest, startTarget, waitFor, type Site, type TestTarget } from './support/dataplane.ts'

function setCookies(headers: Record<string, string | string[] | undefined>): string[] {
  return [headers['set-cookie'] ?? []].flat()
}

describe('data plane: app_cookie stickiness and least outstanding requests', () => {
  let alb: TestOpenAlb
  const targets: TestTarget[] = []
  before(async () => { alb = await startTestOpenAlb() })
  after(async () => {
    await alb.close()
    await Promise.all(targets.map((t) => t.close()))
  })

  async function bothHealthy(site: Site): Promise<void> {
    await waitFor(async () => {
      const health = await alb.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: site.targetGroupArn }))
      return (health.TargetHealthDescriptions ?? []).filter((d) => d.TargetHealth?.State === 'healthy').length === 2 || undefined
    }, 5000, 'both healthy')
  }

  it('starts app_cookie stickiness when the target sets its cookie, and passes that cookie through', async () => {
    const handler = (name: string) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      req.resume()
      if (req.url === '/login') res.setHeader('Set-Cookie', `SESSIONID=${name}-session; Path=/`)
      res.setHeader('Content-Type', 'text/plain')
      res.end(name)
    }
    const a = await startTarget('app-a', handler('app-a'))
    const b = await startTarget('app-b', handler('app-b'))
    targets.push(a, b)
    const site = await createSite(alb, {
      targets: [a, b],
      targetGroupAttributes: [
        { Key: 'stickiness.enabled', Value: 'true' }, { Key: 'stickiness.type', Value: 'app_cookie' },
        { Key: 'stickiness.app_cookie.cookie_name', Value: 'SESSIONID' },
      ],
    })
    await bothHealthy(site)
    // No application cookie yet: no AWSALBAPP cookie, requests are balanced.
    const plain = await httpRequest(site.port, '/')
    assert.ok(!setCookies(plain.headers).some((c) => c.startsWith('AWSALBAPP-')), 'no stickiness before the target sets its cookie')
    const login = await httpRequest(site.port, '/login')
    const cookies = setCookies(login.headers)
    assert.ok(cookies.some((c) => c.startsWith(`SESSIONID=${login.body}-session`)), 'the application cookie passes through unmodified')
    const app = cookies.find((c) => c.startsWith('AWSALBAPP-0='))
    assert.ok(app, 'AWSALBAPP-0 issued once the target set SESSIONID')
    assert.match(app, /Expires=/)
    const appValue = app.slice('AWSALBAPP-0='.length, app.indexOf(';'))
    for (let i = 0; i < 6; i++) {
      const r = await httpRequest(site.port, '/', { headers: { Cookie: `SESSIONID=${login.body}-session; AWSALBAPP-0=${appValue}` } })
      assert.equal(r.body, login.body, 'stuck to the target that started the session')
    }
  })

  it('least_outstanding_requests sends new requests to the target with fewer in flight', async () => {
    let releaseSlow: (() => void) | undefined
    const slowHeld = new Promise<void>((resolve) => { releaseSlow = resolve })
    let slowArrived: (() => void) | undefined
    const slowStarted = new Promise<void>((resolve) => { slowArrived = resolve })
    const handler = (name: string) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      req.resume()
      if (req.url === '/slow') {
        slowArrived!()
        void slowHeld.then(() => res.end(name))
        return
      }
      res.end(name)
    }
    const a = await startTarget('lor-a', handler('lor-a'))
    const b = await startTarget('lor-b', handler('lor-b'))
    targets.push(a, b)
    const site = await createSite(alb, { targets: [a, b], targetGroupAttributes: [{ Key: 'load_balancing.algorithm.type', Value: 'least_outstanding_requests' }] })
    await bothHealthy(site)
    const slow = httpRequest(site.port, '/slow')
    await slowStarted
    const busy = a.seen.some((r) => r.url === '/slow') ? 'lor-a' : 'lor-b'
    const idle = busy === 'lor-a' ? 'lor-b' : 'lor-a'
    for (let i = 0; i < 5; i++) assert.equal((await httpRequest(site.port, '/fast')).body, idle, 'the target with a request in flight is avoided')
    releaseSlow!()
    assert.equal((await slow).body, busy)
  })
})
