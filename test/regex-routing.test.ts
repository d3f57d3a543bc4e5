/**
 * RegexValues end to end: a rule whose regex is catastrophic for a backtracking engine
 * (`^/(a+)+$`) must not let one client's path stall the listener for everyone (spec §5.4
 * RegexValues; our rule that no request ever stalls the process). The server runs in this
 * process, so a stalled event loop stalls the test too: without linear-time matching these
 * tests fail by their timeout, never by a timing assertion. The same holds in `--workers`
 * worker processes, which set up the linear engine themselves when they load the router.
 * Bounded repeats past 16 (`[0-9]{1,20}`), which AWS accepts and V8's linear engine refuses,
 * route through the Pike VM (dataplane/router/regex-vm.ts), catastrophic inputs included.
 * Also: CreateRule / ModifyRule refuse the regex syntax AWS excludes with ValidationError.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  CreateRuleCommand, ElasticLoadBalancingV2Client, ModifyRuleCommand, type RuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { EC2Client } from '@aws-sdk/client-ec2'
import { startTestOpenAlb, TEST_CREDENTIALS, TEST_REGION, type TestOpenAlb } from './support/openalb.ts'
import { startOpenAlbProcess, type OpenAlbProcess } from './support/process.ts'
import { createRule, createSite, httpRequest, startTarget, waitFor, type Site, type TestTarget } from './support/dataplane.ts'

const TEST_TIMEOUT = { timeout: 30_000 }

function rejectsWith(name: string, message?: RegExp): (err: Error) => boolean {
  return (err: Error) => {
    assert.equal(err.name, name, err.message)
    if (message !== undefined) assert.match(err.message, message)
    return true
  }
}

describe('RegexValues routing', () => {
  let alb: TestOpenAlb
  let target: TestTarget
  let site: Site
  let ruleArn: string
  const evilPath = `/${'a'.repeat(34)}!`

  before(async () => {
    alb = await startTestOpenAlb()
    target = await startTarget('default-target')
    site = await createSite(alb, { targets: [target] })
    ruleArn = await createRule(alb, site.listenerArn, 10, [
      { Field: 'path-pattern', PathPatternConfig: { RegexValues: ['^/(a+)+$'] } },
    ], [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'regex-rule' } }])
    await alb.elbv2.send(new CreateRuleCommand({
      ListenerArn: site.listenerArn, Priority: 20,
      Conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Client', RegexValues: ['^(b|bb)+$'] } }],
      Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'header-rule' } }],
    }))
    await createRule(alb, site.listenerArn, 30, [
      { Field: 'path-pattern', PathPatternConfig: { RegexValues: ['^/items/[0-9]{1,20}$'] } },
    ], [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'items-rule' } }])
    // Exponential for a backtracking engine, refused by V8's linear one (a 17-fold repeat).
    await createRule(alb, site.listenerArn, 40, [
      { Field: 'path-pattern', PathPatternConfig: { RegexValues: ['^/c/(a{1,17})+$'] } },
    ], [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'counted-rule' } }])
    await waitFor(async () => (await httpRequest(site.port, '/aaaa')).body === 'regex-rule' || undefined, 10_000, 'regex rule live')
    await waitFor(async () => (await httpRequest(site.port, '/c/aaaa')).body === 'counted-rule' || undefined, 10_000, 'counted rule live')
  })
  after(async () => {
    await alb.close()
    await target.close()
  })

  it('routes on an anchored regex as written', TEST_TIMEOUT, async () => {
    assert.equal((await httpRequest(site.port, '/a')).body, 'regex-rule')
    assert.equal((await httpRequest(site.port, '/hostname')).body, 'default-target')
    assert.notEqual((await httpRequest(site.port, '/aab')).body, 'regex-rule')
    assert.equal((await httpRequest(site.port, '/x', { headers: { 'X-Client': 'bbbbb' } })).body, 'header-rule')
    assert.equal((await httpRequest(site.port, '/hostname', { headers: { 'X-Client': 'bbbbc' } })).body, 'default-target')
  })

  it('routes on bounded repeats past 16 (^/items/[0-9]{1,20}$)', TEST_TIMEOUT, async () => {
    // A fixed-response body, or the name the target echoes in its JSON for other paths.
    const routedTo = async (path: string): Promise<string> => {
      const { body } = await httpRequest(site.port, path)
      return body.startsWith('{') ? (JSON.parse(body) as { name: string }).name : body
    }
    assert.equal(await routedTo('/items/1'), 'items-rule')
    assert.equal(await routedTo(`/items/${'7'.repeat(20)}`), 'items-rule')
    assert.equal(await routedTo(`/items/${'7'.repeat(21)}`), 'default-target')
    assert.equal(await routedTo('/items/'), 'default-target')
    assert.equal(await routedTo('/items/12a'), 'default-target')
    assert.equal(await routedTo('/items/12?x=y'), 'items-rule') // the path only, never the query
  })

  it('answers a catastrophic path for a counted pattern and another client at the same time', TEST_TIMEOUT, async () => {
    const evilPath = `/c/${'a'.repeat(60)}!` // backtracking: about 20 s at 40 `a`s, ×1.4 per `a`
    const [evilResult, otherResult, itemsResult] = await Promise.all([
      httpRequest(site.port, evilPath), httpRequest(site.port, '/hostname'), httpRequest(site.port, '/items/42'),
    ])
    assert.equal(evilResult.status, 200)
    assert.equal(JSON.parse(evilResult.body).url, evilPath) // no rule matches: the default target
    assert.equal(otherResult.body, 'default-target')
    assert.equal(itemsResult.body, 'items-rule')
    assert.equal((await httpRequest(site.port, `/c/${'a'.repeat(60)}`)).body, 'counted-rule')
  })

  it('answers a catastrophic path and another client at the same time', TEST_TIMEOUT, async () => {
    const evil = httpRequest(site.port, evilPath)
    const other = httpRequest(site.port, '/hostname')
    const [evilResult, otherResult] = await Promise.all([evil, other])
    // The regex does not match `…a!`, so the default action forwards it to the target.
    assert.equal(evilResult.status, 200)
    assert.equal(JSON.parse(evilResult.body).url, evilPath)
    assert.equal(otherResult.status, 200)
    assert.equal(otherResult.body, 'default-target')
  })

  it('keeps answering under a burst of catastrophic paths and headers', TEST_TIMEOUT, async () => {
    const burst = Array.from({ length: 20 }, (_, i) => i % 2 === 0
      ? httpRequest(site.port, `/${'a'.repeat(40 + i)}!`)
      : httpRequest(site.port, '/hostname', { headers: { 'X-Client': `${'b'.repeat(40 + i)}!` } }))
    const results = await Promise.all([...burst, httpRequest(site.port, '/hostname')])
    for (const r of results) assert.equal(r.status, 200)
    assert.equal(results.at(-1)!.body, 'default-target')
  })

  describe('the API refuses what AWS excludes', () => {
    const refused: Array<[what: string, condition: RuleCondition, message: RegExp]> = [
      ['a lookahead', { Field: 'path-pattern', PathPatternConfig: { RegexValues: ['^/(?!admin)'] } }, /lookahead/],
      ['a lookbehind', { Field: 'host-header', HostHeaderConfig: { RegexValues: ['(?<=api)\\.example\\.com$'] } }, /lookbehind/],
      ['a backreference', { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Id', RegexValues: ['^(a)\\1$'] } }, /backreference/],
      ['an atomic group', { Field: 'path-pattern', PathPatternConfig: { RegexValues: ['(?>a+)b'] } }, /atomic group/],
      ['a possessive quantifier', { Field: 'path-pattern', PathPatternConfig: { RegexValues: ['^/a++$'] } }, /possessive/],
      ['recursion', { Field: 'path-pattern', PathPatternConfig: { RegexValues: ['(a(?R)?b)'] } }, /recursion/],
      ['a Unicode property', { Field: 'path-pattern', PathPatternConfig: { RegexValues: ['^/\\p{L}+$'] } }, /Unicode property/],
      ['an invalid regex', { Field: 'path-pattern', PathPatternConfig: { RegexValues: ['^/(a'] } }, /is not valid/],
      ['a regex whose repetitions expand past the program bound', { Field: 'path-pattern', PathPatternConfig: { RegexValues: ['^/(a{100}){100}$'] } }, /too complex/],
      ['a regex over 128 characters', { Field: 'path-pattern', PathPatternConfig: { RegexValues: [`^/${'a'.repeat(127)}`] } }, /128/],
    ]
    for (const [what, condition, message] of refused) {
      it(`CreateRule refuses ${what}`, TEST_TIMEOUT, async () => {
        await assert.rejects(alb.elbv2.send(new CreateRuleCommand({
          ListenerArn: site.listenerArn, Priority: 100, Conditions: [condition],
          Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }],
        })), rejectsWith('ValidationError', message))
      })
    }

    it('ModifyRule refuses a lookahead and a backreference, leaving the rule as it was', TEST_TIMEOUT, async () => {
      for (const [source, message] of [['^/(?=a)', /lookahead/], ['^/(a)\\1', /backreference/]] as const) {
        await assert.rejects(alb.elbv2.send(new ModifyRuleCommand({
          RuleArn: ruleArn, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { RegexValues: [source] } }],
        })), rejectsWith('ValidationError', message))
      }
      assert.equal((await httpRequest(site.port, '/aaa')).body, 'regex-rule')
    })
  })
})

describe('RegexValues routing in --workers 2', () => {
  let proc: OpenAlbProcess
  let alb: TestOpenAlb
  let target: TestTarget
  let site: Site

  before(async () => {
    target = await startTarget('worker-target')
    proc = await startOpenAlbProcess({ args: ['--workers', '2'] })
    const clientConfig = { endpoint: proc.url, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 }
    // The support helpers need only the clients.
    alb = { elbv2: new ElasticLoadBalancingV2Client(clientConfig), ec2: new EC2Client(clientConfig) } as unknown as TestOpenAlb
    site = await createSite(alb, { targets: [target] })
    await createRule(alb, site.listenerArn, 10, [
      { Field: 'path-pattern', PathPatternConfig: { RegexValues: ['^/(a+)+$'] } },
    ], [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'regex-rule' } }])
  })
  after(async () => {
    alb?.elbv2.destroy()
    alb?.ec2.destroy()
    await proc?.close()
    await target?.close()
  })

  it('every worker answers catastrophic paths alongside ordinary requests', { timeout: 60_000 }, async () => {
    // Accepted connections per worker (every request below is on a fresh connection).
    const connectionsByWorker = async (): Promise<Map<number, number>> => {
      const res = await fetch(`${proc.url}/_openalb/workers`)
      const { workers } = (await res.json()) as { workers: Array<{ pid: number; connections: number }> }
      return new Map(workers.map((w) => [w.pid, w.connections]))
    }
    // Each worker compiles the rule from its own snapshot; wait until fresh connections see it.
    await waitFor(async () => {
      const results = await Promise.all(Array.from({ length: 6 }, () => httpRequest(site.port, '/aaaa')))
      return results.every((r) => r.body === 'regex-rule') || undefined
    }, 20_000, 'regex rule live in every worker')
    const before = await connectionsByWorker()
    assert.equal(before.size, 2)
    // Workers take connections, not requests, and the kernel picks the worker: send batches of
    // fresh connections until both have served some (at most 20 batches).
    for (let batch = 0; batch < 20; batch++) {
      const results = await Promise.all([
        ...Array.from({ length: 4 }, (_, i) => httpRequest(site.port, `/${'a'.repeat(36 + i)}!`)),
        httpRequest(site.port, '/aaa'),
      ])
      for (const r of results.slice(0, 4)) assert.equal(r.status, 200)
      assert.equal(results[4]!.body, 'regex-rule')
      const now = await connectionsByWorker()
      if ([...now].every(([pid, n]) => n > (before.get(pid) ?? 0))) return
    }
    assert.fail('some worker served none of the requests')
  })
})
