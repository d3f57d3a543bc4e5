import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { HealthCheck } from '../../model/resources.ts'
import {
  begin, healthOf, parseCodes, step, stepConfig, INITIAL_COUNTERS,
  type HealthChange, type HealthCounters, type ProbeResult, type StepConfig,
} from './thresholds.ts'

const HC: HealthCheck = {
  enabled: true, protocol: 'HTTP', port: 'traffic-port', path: '/', intervalSeconds: 30, timeoutSeconds: 5,
  healthyThresholdCount: 3, unhealthyThresholdCount: 2, matcher: { httpCode: '200' },
}
const CONFIG: StepConfig = stepConfig(HC)

// Shorthand probe results for the tables.
const P: ProbeResult = { kind: 'response', code: 200 }
const N404: ProbeResult = { kind: 'response', code: 404 }
const N503: ProbeResult = { kind: 'response', code: 503 }
const T: ProbeResult = { kind: 'timeout' }
const F: ProbeResult = { kind: 'failed', cause: 'ECONNREFUSED' }

interface Expect { state: string; change: HealthChange; reason?: string; description?: string }

function run(results: readonly ProbeResult[], config: StepConfig = CONFIG, from: HealthCounters = begin(INITIAL_COUNTERS)) {
  const seen: Expect[] = []
  let counters = from
  for (const result of results) {
    const s = step(counters, result, config)
    counters = s.next
    seen.push({
      state: s.health.state, change: s.change,
      ...(s.health.reason !== undefined ? { reason: s.health.reason } : {}),
      ...(s.health.description !== undefined ? { description: s.health.description } : {}),
    })
  }
  return { seen, counters }
}

const INIT = { state: 'initial', reason: 'Elb.InitialHealthChecking', description: 'Initial health checks in progress' } as const
const HEALTHY = { state: 'healthy' } as const
const MISMATCH_404 = { state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [404]' } as const
const MISMATCH_503 = { state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [503]' } as const
const TIMEOUT = { state: 'unhealthy', reason: 'Target.Timeout', description: 'Request timed out' } as const
const FAILED = { state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed' } as const

describe('health thresholds (pure machine)', () => {
  it('shows RegistrationInProgress before the first probe and InitialHealthChecking after', () => {
    assert.deepEqual(healthOf(INITIAL_COUNTERS), {
      state: 'initial', reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress',
    })
    assert.deepEqual(healthOf(begin(INITIAL_COUNTERS)), INIT)
    assert.equal(begin(begin(INITIAL_COUNTERS)).started, true)
  })

  // Healthy threshold 3, unhealthy threshold 2 (CONFIG).
  const table: Array<{ name: string; results: ProbeResult[]; expected: Expect[] }> = [
    {
      name: 'a new target needs ONE pass to become healthy (UG)',
      results: [P, P],
      expected: [{ ...HEALTHY, change: 'changed' }, { ...HEALTHY, change: 'unchanged' }],
    },
    {
      name: 'initial → unhealthy after UnhealthyThresholdCount failures, reason of the last failure',
      results: [N404, N404, N404],
      expected: [{ ...INIT, change: 'pending' }, { ...MISMATCH_404, change: 'changed' }, { ...MISMATCH_404, change: 'unchanged' }],
    },
    {
      name: 'initial: one failure then one pass is healthy',
      results: [T, P],
      expected: [{ ...INIT, change: 'pending' }, { ...HEALTHY, change: 'changed' }],
    },
    {
      name: 'healthy → unhealthy needs consecutive failures; a pass in between resets the count',
      results: [P, T, P, T, T],
      expected: [
        { ...HEALTHY, change: 'changed' }, { ...HEALTHY, change: 'pending' }, { ...HEALTHY, change: 'unchanged' },
        { ...HEALTHY, change: 'pending' }, { ...TIMEOUT, change: 'changed' },
      ],
    },
    {
      name: 'unhealthy → healthy after HealthyThresholdCount consecutive passes, keeping the reason meanwhile',
      results: [F, F, P, P, P],
      expected: [
        { ...INIT, change: 'pending' }, { ...FAILED, change: 'changed' },
        { ...FAILED, change: 'pending' }, { ...FAILED, change: 'pending' }, { ...HEALTHY, change: 'changed' },
      ],
    },
    {
      name: 'a failure while recovering restarts the healthy count',
      results: [F, F, P, P, N503, P, P, P],
      expected: [
        { ...INIT, change: 'pending' }, { ...FAILED, change: 'changed' },
        { ...FAILED, change: 'pending' }, { ...FAILED, change: 'pending' },
        { ...MISMATCH_503, change: 'unchanged' },
        { ...MISMATCH_503, change: 'pending' }, { ...MISMATCH_503, change: 'pending' }, { ...HEALTHY, change: 'changed' },
      ],
    },
    {
      name: 'the reason follows the latest failure while unhealthy',
      results: [T, T, F, N404],
      expected: [
        { ...INIT, change: 'pending' }, { ...TIMEOUT, change: 'changed' },
        { ...FAILED, change: 'unchanged' }, { ...MISMATCH_404, change: 'unchanged' },
      ],
    },
    {
      name: 'mixed failure kinds count together toward the threshold',
      results: [P, T, N404],
      expected: [{ ...HEALTHY, change: 'changed' }, { ...HEALTHY, change: 'pending' }, { ...MISMATCH_404, change: 'changed' }],
    },
  ]
  for (const row of table) {
    it(row.name, () => {
      assert.deepEqual(run(row.results).seen, row.expected)
    })
  }

  it('applies changed thresholds to the running counts', () => {
    const { counters } = run([F, F, P])
    assert.equal(counters.state, 'unhealthy')
    assert.equal(counters.successes, 1)
    const lower = stepConfig({ ...HC, healthyThresholdCount: 2 })
    assert.equal(step(counters, P, lower).change, 'changed')
    assert.equal(step(counters, P, CONFIG).change, 'pending')
  })

  it('uses the matcher of the configuration', () => {
    const redirects = stepConfig({ ...HC, matcher: { httpCode: '200,301-302' } })
    assert.deepEqual(run([{ kind: 'response', code: 302 }], redirects).seen, [{ ...HEALTHY, change: 'changed' }])
    assert.deepEqual(run([{ kind: 'response', code: 200 }], redirects).seen, [{ ...HEALTHY, change: 'changed' }])
    assert.equal(run([{ kind: 'response', code: 303 }], redirects).seen[0]?.change, 'pending')
    // No Matcher → "200" (spec §3.1).
    const { matcher: _omit, ...noMatcher } = HC
    assert.equal(run([{ kind: 'response', code: 204 }], stepConfig(noMatcher)).seen[0]?.change, 'pending')
  })

  it('GRPC groups match grpc-status against GrpcCode, default 12', () => {
    const { matcher: _omit, ...noMatcher } = HC
    const grpcDefault = stepConfig(noMatcher, 'GRPC')
    assert.equal(grpcDefault.success.matches(12), true)
    assert.equal(grpcDefault.success.matches(0), false)
    const grpc = stepConfig({ ...HC, matcher: { grpcCode: '0-5' } }, 'GRPC')
    assert.equal(grpc.success.matches(0), true)
    assert.equal(grpc.success.matches(5), true)
    assert.equal(grpc.success.matches(12), false)
    assert.deepEqual(run([{ kind: 'response', code: 12 }, { kind: 'response', code: 14 }], grpc).seen[1], {
      state: 'unhealthy', change: 'changed', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [14]',
    })
  })
})

describe('matcher parsing', () => {
  const cases: Array<{ text: string; min: number; max: number; yes: number[]; no: number[] }> = [
    { text: '200', min: 200, max: 499, yes: [200], no: [199, 201, 404] },
    { text: '200,202', min: 200, max: 499, yes: [200, 202], no: [201, 203] },
    { text: '200-299', min: 200, max: 499, yes: [200, 250, 299], no: [300, 199] },
    { text: '200,301-302', min: 200, max: 499, yes: [200, 301, 302], no: [300, 303, 201] },
    { text: ' 200 , 404 - 405 ', min: 200, max: 499, yes: [200, 404, 405], no: [403] },
    { text: '499', min: 200, max: 499, yes: [499], no: [500] },
    { text: '0-99', min: 0, max: 99, yes: [0, 12, 99], no: [100] },
    { text: '12', min: 0, max: 99, yes: [12], no: [0, 2] },
    { text: '0,2-4', min: 0, max: 99, yes: [0, 2, 3, 4], no: [1, 5] },
  ]
  for (const c of cases) {
    it(`"${c.text}" in ${c.min}-${c.max}`, () => {
      const matcher = parseCodes(c.text, c.min, c.max)
      assert.ok(matcher)
      for (const code of c.yes) assert.equal(matcher.matches(code), true, `${code} should match`)
      for (const code of c.no) assert.equal(matcher.matches(code), false, `${code} should not match`)
    })
  }

  for (const [text, min, max] of [
    ['', 200, 499], ['abc', 200, 499], ['199', 200, 499], ['500', 200, 499], ['300-200', 200, 499],
    ['200,', 200, 499], ['200-', 200, 499], ['100', 0, 99], ['1000', 0, 999], ['2x0', 200, 499],
  ] as const) {
    it(`rejects "${text}" for ${min}-${max}`, () => {
      assert.equal(parseCodes(text, min, max), undefined)
    })
  }

  it('falls back to the default matcher when the stored one cannot be parsed', () => {
    const config = stepConfig({ ...HC, matcher: { httpCode: 'garbage' } })
    assert.equal(config.success.matches(200), true)
    assert.equal(config.success.matches(201), false)
  })
})
