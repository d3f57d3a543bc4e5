import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Condition, Rule } from '../../model/resources.ts'
import { compileRules, NoDefaultRuleError, type RequestFacts } from './index.ts'
import { hostSuffixes, pathPrefix } from './matcher.ts'

function rule(priority: number | 'default', conditions: Condition[], arn = `rule-${priority}`): Rule {
  return {
    arn, listenerArn: 'l', priority, conditions, actions: [{ type: 'fixed-response', fixedResponseConfig: { statusCode: '200' } }],
    region: 'us-east-1', tags: [],
  }
}
const DEFAULT = rule('default', [])

function request(over: Partial<RequestFacts> = {}): RequestFacts {
  return { method: 'GET', path: '/', rawQuery: '', rawHeaders: ['Host', 'www.example.com'], sourceIp: '203.0.113.9', ...over }
}

/** One condition per case: does the request satisfy it? */
const cases: Array<{ name: string; condition: Condition; request: Partial<RequestFacts>; expected: boolean }> = [
  // host-header
  { name: 'host exact, case-insensitive', condition: { field: 'host-header', hostHeaderConfig: { values: ['WWW.Example.com'] } }, request: {}, expected: true },
  { name: 'host legacy Values', condition: { field: 'host-header', values: ['www.example.com'] }, request: {}, expected: true },
  { name: 'host wildcard subdomain', condition: { field: 'host-header', hostHeaderConfig: { values: ['*.example.com'] } }, request: {}, expected: true },
  { name: '*.example.com does not match example.com', condition: { field: 'host-header', hostHeaderConfig: { values: ['*.example.com'] } }, request: { rawHeaders: ['host', 'example.com'] }, expected: false },
  { name: 'host ignores :port for Values', condition: { field: 'host-header', hostHeaderConfig: { values: ['api.example.com'] } }, request: { rawHeaders: ['Host', 'api.example.com:8443'] }, expected: true },
  { name: 'host ? is one char', condition: { field: 'host-header', hostHeaderConfig: { values: ['api?.example.com'] } }, request: { rawHeaders: ['Host', 'api2.example.com'] }, expected: true },
  { name: 'host uses the FIRST Host header', condition: { field: 'host-header', hostHeaderConfig: { values: ['b.example.com'] } }, request: { rawHeaders: ['Host', 'a.example.com', 'Host', 'b.example.com'] }, expected: false },
  { name: 'host missing never matches', condition: { field: 'host-header', hostHeaderConfig: { values: ['*'] } }, request: { rawHeaders: [] }, expected: false },
  { name: 'host from HTTP/2 :authority', condition: { field: 'host-header', hostHeaderConfig: { values: ['h2.example.com'] } }, request: { rawHeaders: [':authority', 'h2.example.com:443'] }, expected: true },
  { name: 'host regex sees the port', condition: { field: 'host-header', hostHeaderConfig: { regexValues: ['^api\\.example\\.com:8443$'] } }, request: { rawHeaders: ['Host', 'api.example.com:8443'] }, expected: true },
  { name: 'host regex mismatch', condition: { field: 'host-header', hostHeaderConfig: { regexValues: ['^api\\.'] } }, request: {}, expected: false },
  { name: 'IPv6 host literal with port', condition: { field: 'host-header', hostHeaderConfig: { values: ['[::1]'] } }, request: { rawHeaders: ['Host', '[::1]:8080'] }, expected: true },
  // path-pattern
  { name: 'path wildcard', condition: { field: 'path-pattern', pathPatternConfig: { values: ['/img/*'] } }, request: { path: '/img/a.png' }, expected: true },
  { name: 'path is case-sensitive', condition: { field: 'path-pattern', pathPatternConfig: { values: ['/img/*'] } }, request: { path: '/IMG/a.png' }, expected: false },
  { name: 'path never sees the query', condition: { field: 'path-pattern', pathPatternConfig: { values: ['*debug*'] } }, request: { path: '/x', rawQuery: 'debug=1' }, expected: false },
  { name: 'path is not decoded', condition: { field: 'path-pattern', pathPatternConfig: { values: ['/a b'] } }, request: { path: '/a%20b' }, expected: false },
  { name: 'path legacy Values', condition: { field: 'path-pattern', values: ['/api/*'] }, request: { path: '/api/v1' }, expected: true },
  { name: 'path one of several values', condition: { field: 'path-pattern', pathPatternConfig: { values: ['/a', '/b', '/c*'] } }, request: { path: '/cat' }, expected: true },
  { name: 'path regex', condition: { field: 'path-pattern', pathPatternConfig: { regexValues: ['^/v[0-9]+/users$'] } }, request: { path: '/v12/users' }, expected: true },
  { name: 'path control char not matched by *', condition: { field: 'path-pattern', pathPatternConfig: { values: ['/x*'] } }, request: { path: '/x\u0001' }, expected: false },
  // http-header
  { name: 'header name and value case-insensitive', condition: { field: 'http-header', httpHeaderConfig: { httpHeaderName: 'user-agent', values: ['*MOBILE*'] } }, request: { rawHeaders: ['User-Agent', 'foo Mobile bar'] }, expected: true },
  { name: 'header missing', condition: { field: 'http-header', httpHeaderConfig: { httpHeaderName: 'X-Env', values: ['*'] } }, request: {}, expected: false },
  { name: 'repeated header tried instance by instance', condition: { field: 'http-header', httpHeaderConfig: { httpHeaderName: 'X-Env', values: ['beta'] } }, request: { rawHeaders: ['X-Env', 'prod', 'x-env', 'beta'] }, expected: true },
  { name: 'repeated header is not comma-joined', condition: { field: 'http-header', httpHeaderConfig: { httpHeaderName: 'X-Env', values: ['prod, beta'] } }, request: { rawHeaders: ['X-Env', 'prod', 'X-Env', 'beta'] }, expected: false },
  { name: 'header regex', condition: { field: 'http-header', httpHeaderConfig: { httpHeaderName: 'X-Version', regexValues: ['^v[2-3]$'] } }, request: { rawHeaders: ['x-version', 'v3'] }, expected: true },
  // http-request-method
  { name: 'method exact', condition: { field: 'http-request-method', httpRequestMethodConfig: { values: ['GET', 'HEAD'] } }, request: { method: 'HEAD' }, expected: true },
  { name: 'method is case-sensitive', condition: { field: 'http-request-method', httpRequestMethodConfig: { values: ['get'] } }, request: { method: 'GET' }, expected: false },
  { name: 'custom method', condition: { field: 'http-request-method', httpRequestMethodConfig: { values: ['CUSTOM_METHOD'] } }, request: { method: 'CUSTOM_METHOD' }, expected: true },
  // query-string
  { name: 'query key/value', condition: { field: 'query-string', queryStringConfig: { values: [{ key: 'version', value: 'v1' }] } }, request: { rawQuery: 'a=1&version=v1' }, expected: true },
  { name: 'query case-insensitive', condition: { field: 'query-string', queryStringConfig: { values: [{ key: 'Version', value: 'V1' }] } }, request: { rawQuery: 'version=v1' }, expected: true },
  { name: 'query key must pair with its own value', condition: { field: 'query-string', queryStringConfig: { values: [{ key: 'version', value: 'v1' }] } }, request: { rawQuery: 'version=v2&other=v1' }, expected: false },
  { name: 'query value without key matches any key', condition: { field: 'query-string', queryStringConfig: { values: [{ value: 'example' }] } }, request: { rawQuery: 'x=1&anything=example' }, expected: true },
  { name: 'query wildcard value', condition: { field: 'query-string', queryStringConfig: { values: [{ key: 'lang', value: 'en-*' }] } }, request: { rawQuery: 'lang=en-GB' }, expected: true },
  { name: 'query escaped * is literal', condition: { field: 'query-string', queryStringConfig: { values: [{ key: 'q', value: 'a\\*' }] } }, request: { rawQuery: 'q=abc' }, expected: false },
  { name: 'query escaped * matches *', condition: { field: 'query-string', queryStringConfig: { values: [{ key: 'q', value: 'a\\*' }] } }, request: { rawQuery: 'q=a*' }, expected: true },
  { name: 'query compares percent-decoded', condition: { field: 'query-string', queryStringConfig: { values: [{ key: 'v', value: 'a b' }] } }, request: { rawQuery: 'v=a%20b' }, expected: true },
  { name: 'query decoded key', condition: { field: 'query-string', queryStringConfig: { values: [{ key: 'k&1', value: 'x' }] } }, request: { rawQuery: 'k%261=x' }, expected: true },
  { name: 'query + is not a space', condition: { field: 'query-string', queryStringConfig: { values: [{ key: 'v', value: 'a b' }] } }, request: { rawQuery: 'v=a+b' }, expected: false },
  { name: 'query bad escape kept literal', condition: { field: 'query-string', queryStringConfig: { values: [{ key: 'v', value: '100%zz' }] } }, request: { rawQuery: 'v=100%zz' }, expected: true },
  { name: 'query key without =', condition: { field: 'query-string', queryStringConfig: { values: [{ key: 'debug', value: '*' }] } }, request: { rawQuery: 'debug' }, expected: true },
  { name: 'query empty', condition: { field: 'query-string', queryStringConfig: { values: [{ value: '*' }] } }, request: { rawQuery: '' }, expected: false },
  { name: 'query one of several pairs', condition: { field: 'query-string', queryStringConfig: { values: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] } }, request: { rawQuery: 'b=2' }, expected: true },
  // source-ip
  { name: 'source-ip v4', condition: { field: 'source-ip', sourceIpConfig: { values: ['203.0.113.0/24'] } }, request: {}, expected: true },
  { name: 'source-ip v4-mapped peer', condition: { field: 'source-ip', sourceIpConfig: { values: ['203.0.113.0/24'] } }, request: { sourceIp: '::ffff:203.0.113.9' }, expected: true },
  { name: 'source-ip miss', condition: { field: 'source-ip', sourceIpConfig: { values: ['192.0.2.0/24', '198.51.100.10/32'] } }, request: {}, expected: false },
  { name: 'source-ip v6', condition: { field: 'source-ip', sourceIpConfig: { values: ['2001:db8::/32'] } }, request: { sourceIp: '2001:db8::42' }, expected: true },
  { name: 'source-ip ignores X-Forwarded-For', condition: { field: 'source-ip', sourceIpConfig: { values: ['192.0.2.0/24'] } }, request: { rawHeaders: ['X-Forwarded-For', '192.0.2.1'] }, expected: false },
]

describe('conditions', () => {
  for (const c of cases) {
    it(`${c.name} → ${c.expected}`, () => {
      const matcher = compileRules([rule(1, [c.condition]), DEFAULT])
      assert.deepEqual(matcher.problems, [])
      const matched = matcher.match(request(c.request))
      assert.equal(matched.priority === 1, c.expected)
    })
  }
})

describe('compileRules', () => {
  it('requires a default rule', () => {
    assert.throws(() => compileRules([rule(1, [])]), NoDefaultRuleError)
  })

  it('evaluates by priority, lowest first, default last, whatever the input order', () => {
    const host = (v: string): Condition => ({ field: 'host-header', hostHeaderConfig: { values: [v] } })
    const matcher = compileRules([
      DEFAULT,
      rule(30, [host('*.example.com')]),
      rule(5, [host('www.example.com')]),
      rule(10, [host('*')]),
    ])
    assert.equal(matcher.match(request()).priority, 5)
    assert.equal(matcher.match(request({ rawHeaders: ['Host', 'img.example.com'] })).priority, 10)
    assert.equal(matcher.match(request({ rawHeaders: [] })).priority, 'default')
  })

  it('ANDs conditions and ORs values', () => {
    const matcher = compileRules([
      rule(1, [
        { field: 'path-pattern', pathPatternConfig: { values: ['/api/*', '/v2/*'] } },
        { field: 'http-request-method', httpRequestMethodConfig: { values: ['POST'] } },
        { field: 'http-header', httpHeaderConfig: { httpHeaderName: 'x-a', values: ['1'] } },
        { field: 'http-header', httpHeaderConfig: { httpHeaderName: 'x-b', values: ['2'] } },
      ]),
      DEFAULT,
    ])
    const ok = request({ method: 'POST', path: '/v2/x', rawHeaders: ['X-A', '1', 'X-B', '2'] })
    assert.equal(matcher.match(ok).priority, 1)
    assert.equal(matcher.match({ ...ok, method: 'GET' }).priority, 'default')
    assert.equal(matcher.match({ ...ok, path: '/v3/x' }).priority, 'default')
    assert.equal(matcher.match({ ...ok, rawHeaders: ['X-A', '1'] }).priority, 'default')
  })

  it('derives facts per request, not per matcher (no state leaks between calls)', () => {
    const matcher = compileRules([
      rule(1, [{ field: 'host-header', hostHeaderConfig: { values: ['a.example.com'] } }, { field: 'query-string', queryStringConfig: { values: [{ key: 'k', value: 'v' }] } }, { field: 'source-ip', sourceIpConfig: { values: ['10.0.0.0/8'] } }]),
      DEFAULT,
    ])
    const hit = request({ rawHeaders: ['Host', 'a.example.com'], rawQuery: 'k=v', sourceIp: '10.1.1.1' })
    assert.equal(matcher.match(hit).priority, 1)
    assert.equal(matcher.match({ ...hit, rawHeaders: ['Host', 'b.example.com'] }).priority, 'default')
    assert.equal(matcher.match({ ...hit, rawQuery: 'k=w' }).priority, 'default')
    assert.equal(matcher.match({ ...hit, sourceIp: '11.1.1.1' }).priority, 'default')
    assert.equal(matcher.match(hit).priority, 1)
  })

  it('keeps input order for equal priorities and ignores a second default', () => {
    const a = rule(7, [], 'a')
    const b = rule(7, [], 'b')
    const matcher = compileRules([a, b, DEFAULT, rule('default', [], 'other-default')])
    assert.equal(matcher.match(request()).arn, 'a')
    assert.equal(matcher.problems.length, 1)
  })

  it('a value that cannot compile never matches and is reported', () => {
    const matcher = compileRules([
      rule(1, [{ field: 'source-ip', sourceIpConfig: { values: ['not-a-cidr'] } }]),
      rule(2, [{ field: 'path-pattern', pathPatternConfig: { regexValues: ['('] } }]),
      DEFAULT,
    ])
    assert.equal(matcher.match(request()).priority, 'default')
    assert.equal(matcher.problems.length, 2)
  })
})

describe('path prefixes checked before the conditions', () => {
  const path = (values: string[], regexValues?: string[]): Condition => ({ field: 'path-pattern', pathPatternConfig: { values, ...(regexValues ? { regexValues } : {}) } })

  it('takes what every value of a path condition starts with, the longest over AND\'d conditions, none with regexes', () => {
    assert.equal(pathPrefix([path(['/api/v1/*'])]), '/api/v1/')
    assert.equal(pathPrefix([path(['/api/v1/*', '/api/v2/*', '/api/legacy'])]), '/api/')
    assert.equal(pathPrefix([path(['/img/?.png'])]), '/img/')
    assert.equal(pathPrefix([path(['*.png'])]), '')
    assert.equal(pathPrefix([path(['/a/*'], ['^/b'])]), '')
    assert.equal(pathPrefix([{ field: 'path-pattern', values: ['/legacy/*'] }]), '/legacy/')
    assert.equal(pathPrefix([{ field: 'host-header', hostHeaderConfig: { values: ['a.example.com'] } }, path(['/x*', '/xy*'])]), '/x')
    assert.equal(pathPrefix([]), '')
  })

  it('picks the same rule as evaluating every condition, among rules with and without prefixes', () => {
    const host = (value: string): Condition => ({ field: 'host-header', hostHeaderConfig: { values: [value] } })
    const rules = [DEFAULT]
    for (let i = 1; i <= 40; i++) rules.push(rule(i, [path([`/svc-${i}/*`, `/svc-${i}`])]))
    rules.push(rule(41, [host('only.example.com')]))
    rules.push(rule(42, [path(['/svc-7/*'], ['^/svc-3'])]))
    rules.push(rule(43, [path(['*/deep'])]))
    rules.push(rule(44, [path(['/'])]))
    const matcher = compileRules(rules)
    const pick = (p: string, hostName = 'www.example.com'): string | number => matcher.match(request({ path: p, rawHeaders: ['Host', hostName] })).priority
    assert.equal(pick('/svc-1/a'), 1)
    assert.equal(pick('/svc-12'), 12)
    assert.equal(pick('/svc-40/x/y'), 40)
    assert.equal(pick('/svc-1'), 1)
    assert.equal(pick('/svc-12x'), 'default') // neither `/svc-1/*` nor `/svc-12` nor `/svc-12/*`
    assert.equal(pick('/svc-12x', 'only.example.com'), 41)
    assert.equal(pick('/svc-3x'), 42) // the regex value matches anywhere: no prefix to check
    assert.equal(pick('/a/b/deep'), 43)
    assert.equal(pick('/'), 44)
    assert.equal(pick(''), 'default')
  })
})

describe('host suffixes checked before the conditions', () => {
  const host = (values: string[], regexValues?: string[]): Condition => ({ field: 'host-header', hostHeaderConfig: { values, ...(regexValues ? { regexValues } : {}) } })

  it('takes each value\'s literal end, folded; none with a trailing wildcard or regexes', () => {
    assert.deepEqual(hostSuffixes([host(['API.Example.com'])]), ['api.example.com'])
    assert.deepEqual(hostSuffixes([host(['*.example.com', 'example.com'])]), ['.example.com', 'example.com'])
    assert.deepEqual(hostSuffixes([host(['api?.example.com'])]), ['.example.com'])
    assert.deepEqual(hostSuffixes([host(['api.*'])]), [])
    assert.deepEqual(hostSuffixes([host(['a.example.com'], ['^b\\.'])]), [])
    assert.deepEqual(hostSuffixes([{ field: 'host-header', values: ['legacy.example.com'] }]), ['legacy.example.com'])
    assert.deepEqual(hostSuffixes([{ field: 'path-pattern', pathPatternConfig: { values: ['/x'] } }]), [])
  })

  it('picks the same rule as evaluating every condition, among rules with and without suffixes', () => {
    const rules = [DEFAULT]
    for (let i = 1; i <= 30; i++) rules.push(rule(i, [host([`app${i}.example.com`, `*.app${i}.example.org`])]))
    rules.push(rule(31, [host(['*.example.net'], ['^special\\.'])]))
    rules.push(rule(32, [host(['api.*'])]))
    rules.push(rule(33, [{ field: 'path-pattern', pathPatternConfig: { values: ['/only'] } }]))
    const matcher = compileRules(rules)
    const pick = (hostHeader: string | undefined, p = '/'): string | number =>
      matcher.match(request({ path: p, rawHeaders: hostHeader === undefined ? [] : ['Host', hostHeader] })).priority
    assert.equal(pick('app1.example.com'), 1)
    assert.equal(pick('APP12.Example.COM:8080'), 12)
    assert.equal(pick('x.y.app30.example.org'), 30)
    assert.equal(pick('app30.example.org'), 'default') // `*.` needs a label in front
    assert.equal(pick('special.example.com'), 31) // the regex value: no suffix to check
    assert.equal(pick('other.example.net'), 31)
    assert.equal(pick('api.example.org'), 32)
    assert.equal(pick('app100.example.com'), 'default')
    assert.equal(pick(undefined, '/only'), 33)
    assert.equal(pick(undefined), 'default')
  })
})
