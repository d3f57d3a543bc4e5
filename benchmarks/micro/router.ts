/**
 * Micro-benchmark: rule matching with 100 rules where only the last numbered rule
 * matches (the worst realistic case), plus the wildcard matcher against an equivalent
 * precompiled RegExp. Plain node, process.hrtime.bigint, no dependencies.
 *   npx tsc -p tsconfig.json && node dist/benchmarks/micro/router.js
 */
import type { Condition, Rule } from '../../src/model/resources.ts'
import { compileRules, type RequestFacts } from '../../src/dataplane/router/index.ts'
import { compileWildcard } from '../../src/dataplane/router/wildcard.ts'

function rule(priority: number | 'default', conditions: Condition[]): Rule {
  return { arn: `r${priority}`, listenerArn: 'l', priority, conditions, actions: [], region: 'us-east-1', tags: [] }
}

function measure(name: string, fn: () => unknown, iterations = 1_000_000): void {
  for (let i = 0; i < 10_000; i++) fn() // warm up
  const start = process.hrtime.bigint()
  let sink = 0
  for (let i = 0; i < iterations; i++) if (fn()) sink++
  const ns = Number(process.hrtime.bigint() - start)
  const opsPerSec = (iterations / ns) * 1e9
  console.log(`${name.padEnd(52)} ${Math.round(opsPerSec).toLocaleString('en-US').padStart(14)} ops/s  ${(ns / iterations).toFixed(1).padStart(8)} ns/op  (${sink})`)
}

const rules: Rule[] = [rule('default', [])]
for (let i = 1; i <= 100; i++) {
  rules.push(rule(i, [
    { field: 'host-header', hostHeaderConfig: { values: [`svc${i}.example.com`, `*.svc${i}.example.org`] } },
    { field: 'path-pattern', pathPatternConfig: { values: [`/api/v${i}/*`] } },
    { field: 'http-header', httpHeaderConfig: { httpHeaderName: 'x-tenant', values: [`tenant-${i}`, 'beta-*'] } },
  ]))
}
const matcher = compileRules(rules)
const lastHit: RequestFacts = {
  method: 'GET', path: '/api/v100/users/42', rawQuery: 'a=1&b=2',
  rawHeaders: ['Host', 'svc100.example.com', 'User-Agent', 'curl/8.0', 'Accept', '*/*', 'X-Tenant', 'tenant-100'],
  sourceIp: '10.0.0.1',
}
const miss: RequestFacts = { ...lastHit, rawHeaders: ['Host', 'nobody.example.net', 'Accept', '*/*'] }
if (matcher.match(lastHit).priority !== 100 || matcher.match(miss).priority !== 'default') throw new Error('benchmark setup is wrong')

const queryRules: Rule[] = [rule('default', [])]
for (let i = 1; i <= 100; i++) {
  queryRules.push(rule(i, [
    { field: 'query-string', queryStringConfig: { values: [{ key: 'version', value: `v${i}` }] } },
    { field: 'source-ip', sourceIpConfig: { values: ['10.0.0.0/8', '2001:db8::/32'] } },
  ]))
}
const queryMatcher = compileRules(queryRules)
const queryHit: RequestFacts = { ...lastHit, rawQuery: 'x=1&version=v100&y=%20', sourceIp: '::ffff:10.1.2.3' }
if (queryMatcher.match(queryHit).priority !== 100) throw new Error('benchmark setup is wrong')

// Host-based routing: 100 rules of one host (or subdomain wildcard) each, the last matching.
const hostRules: Rule[] = [rule('default', [])]
for (let i = 1; i <= 100; i++) {
  hostRules.push(rule(i, [{ field: 'host-header', hostHeaderConfig: { values: [`app${i}.example.com`, `*.app${i}.example.org`] } }]))
}
const hostMatcher = compileRules(hostRules)
const hostHit: RequestFacts = { ...lastHit, rawHeaders: ['Host', 'App100.example.com:8080', 'Accept', '*/*'] }
if (hostMatcher.match(hostHit).priority !== 100) throw new Error('benchmark setup is wrong')

measure('100 host rules, last matches', () => hostMatcher.match(hostHit))
measure('100 host+path+header rules, last matches', () => matcher.match(lastHit))
measure('100 host+path+header rules, none matches', () => matcher.match(miss))
measure('100 query+source-ip rules, last matches', () => queryMatcher.match(queryHit))

// Hand-written wildcard vs an equivalent RegExp (the brief's open question).
const subjects = ['/api/v2/users/42/orders', '/static/img/logo.png', '/api/v2/x', '/nope']
const glob = compileWildcard('/api/v?/*/orders', { caseInsensitive: false, backslashEscapes: false })
const re = /^\/api\/v[\x20-\x7e][\x20-\x7e]*\/orders$/
const globPrefix = compileWildcard('/static/*', { caseInsensitive: false, backslashEscapes: false })
const rePrefix = /^\/static\/[\x20-\x7e]*$/
const globHost = compileWildcard('*.example.com', { caseInsensitive: true, backslashEscapes: false })
const reHost = /^[\x20-\x7e]*\.example\.com$/i
let k = 0
measure('compileWildcard         /api/v?/*/orders', () => glob(subjects[k++ & 3]!))
measure('plain RegExp            /api/v?/*/orders', () => re.test(subjects[k++ & 3]!))
measure('compileWildcard         /static/*', () => globPrefix(subjects[k++ & 3]!))
measure('plain RegExp            /static/*', () => rePrefix.test(subjects[k++ & 3]!))
const hosts = ['API.Example.com', 'example.com', 'a.b.example.com', 'example.org']
measure('compileWildcard         *.example.com ci', () => globHost(hosts[k++ & 3]!))
measure('plain RegExp            *.example.com ci', () => reHost.test(hosts[k++ & 3]!))
