import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createBalancer } from './balancer.ts'
import { WeightedRandomBalancer } from './weighted-random.ts'
import { makeTargets, runBalancerConformance, seededRandom } from './balancer.case.ts'

runBalancerConformance('weighted_random', (options) => createBalancer(options))

describe('weighted_random', () => {
  it('maps the injected random numbers onto the list', () => {
    const numbers = [0, 0.34, 0.67, 0.999, 1, -0.5]
    const balancer = new WeightedRandomBalancer(() => numbers.shift()!)
    const targets = makeTargets('A', 'B', 'C')
    const seq = Array.from({ length: 6 }, () => balancer.pick(targets, { now: 0 })!.targetId).join('')
    assert.equal(seq, 'ABCCCA')
  })

  it('is even over many picks (seeded)', () => {
    const balancer = new WeightedRandomBalancer(seededRandom(42))
    const targets = makeTargets('A', 'B', 'C', 'D')
    const counts = new Map<string, number>()
    for (let i = 0; i < 40_000; i++) {
      const t = balancer.pick(targets, { now: 0 })!
      counts.set(t.targetId, (counts.get(t.targetId) ?? 0) + 1)
    }
    for (const t of targets) {
      const ratio = counts.get(t.targetId)! / 40_000
      assert.ok(Math.abs(ratio - 0.25) < 0.01, `${t.targetId}: ${ratio}`)
    }
  })

  it('ignores slow start (AWS forbids it with weighted_random)', () => {
    const balancer = createBalancer({ algorithm: 'weighted_random', slowStartMs: 60_000, random: () => 0.9 })
    const targets = makeTargets('A', 'B')
    targets[1]!.healthySince = 1000
    assert.equal(balancer.pick(targets, { now: 1000 })!.targetId, 'B')
  })
})
