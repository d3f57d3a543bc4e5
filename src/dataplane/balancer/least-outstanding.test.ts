import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createBalancer } from './balancer.ts'
import { LeastOutstandingBalancer } from './least-outstanding.ts'
import { makeTarget, makeTargets, runBalancerConformance } from './balancer.case.ts'

runBalancerConformance('least_outstanding_requests', (options) => createBalancer(options))

describe('least_outstanding_requests', () => {
  const table = [
    { name: 'fewest in flight wins', outstanding: [3, 1, 2], picks: 1, expected: 'B' },
    // B 1→2 ties C (2); the scan of pick 2 starts at B, so B takes the tie; pick 3 starts at C…
    { name: 'requests that never finish fill the gaps', outstanding: [3, 1, 2], picks: 6, expected: 'BBCABC' },
    { name: 'idle targets take turns', outstanding: [0, 0, 0], picks: 6, expected: 'ABCABC' },
  ]
  for (const row of table) {
    it(row.name, () => {
      const balancer = new LeastOutstandingBalancer()
      const targets = ['A', 'B', 'C'].map((id, i) => makeTarget(id, { outstanding: row.outstanding[i]! }))
      const seq = Array.from({ length: row.picks }, () => balancer.pick(targets, { now: 0 })!.targetId).join('')
      assert.equal(seq, row.expected)
    })
  }

  it('a slow target receives less while it holds requests (release frees it)', () => {
    const balancer = new LeastOutstandingBalancer()
    const targets = makeTargets('fast', 'slow')
    const counts = { fast: 0, slow: 0 }
    let held: ReturnType<typeof balancer.pick>
    for (let i = 0; i < 100; i++) {
      const t = balancer.pick(targets, { now: 0 })!
      counts[t.targetId as 'fast' | 'slow']++
      if (t.targetId === 'slow') {
        // The slow target finishes a request only every fifth pick.
        if (held) balancer.release(held, 'ok')
        held = t
      } else {
        balancer.release(t, 'ok')
      }
      if (i % 5 === 4 && held) { balancer.release(held, 'ok'); held = undefined }
    }
    assert.ok(counts.fast > counts.slow * 2, JSON.stringify(counts))
  })
})
