import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createBalancer } from './balancer.ts'
import { FULL_WEIGHT, RoundRobinBalancer, slowStartWeight } from './round-robin.ts'
import { makeTarget, makeTargets, runBalancerConformance } from './balancer.case.ts'

runBalancerConformance('round_robin', (options) => createBalancer(options))
runBalancerConformance('round_robin', (options) => createBalancer({ ...options, slowStartMs: 30_000 }))

const ids = (picks: Array<{ targetId: string } | undefined>): string => picks.map((t) => t?.targetId ?? '-').join('')

describe('round_robin', () => {
  it('goes through the targets in sequence', () => {
    const balancer = new RoundRobinBalancer(0)
    const targets = makeTargets('A', 'B', 'C')
    const picks = Array.from({ length: 7 }, () => balancer.pick(targets, { now: 0 }))
    assert.equal(ids(picks), 'ABCABCA')
  })

  it('continues the rotation when the list changes (no restart at the first target)', () => {
    const balancer = new RoundRobinBalancer(0)
    const [a, b, c, d, e] = makeTargets('A', 'B', 'C', 'D', 'E')
    const seq: string[] = []
    for (let i = 0; i < 2; i++) seq.push(balancer.pick([a!, b!, c!, d!], { now: 0 })!.targetId)
    // B leaves: the rotation goes on with B's successor C, not back to A nor past C.
    for (let i = 0; i < 4; i++) seq.push(balancer.pick([a!, c!, d!], { now: 0 })!.targetId)
    // E joins after D: it is reached in turn.
    for (let i = 0; i < 4; i++) seq.push(balancer.pick([a!, c!, d!, e!], { now: 0 })!.targetId)
    assert.deepEqual(seq.join(''), 'AB' + 'CDAC' + 'DEAC')
  })

  // Distribution tables (STYLE.md §2, undici balanced-pool): weights from slow start, exact SWRR counts.
  const slowStartMs = 100_000
  const now = 1_000_000
  const table = [
    { name: 'no target ramping: plain rotation', since: [0, 0, 0], picks: 9, expected: [3, 3, 3], firstPicks: 'ABCABCABC' },
    { name: 'C at 50% of its ramp gets half a share', since: [0, 0, now - 50_000], picks: 250, expected: [100, 100, 50], firstPicks: 'ABCAB' },
    { name: 'C at 10% of its ramp', since: [0, 0, now - 10_000], picks: 2100, expected: [1000, 1000, 100], firstPicks: 'ABABA' },
    { name: 'C just became healthy: weight 1 of 1000', since: [0, 0, now], picks: 2001, expected: [1000, 1000, 1], firstPicks: 'ABABA' },
    { name: 'ramp over: full share again', since: [0, 0, now - slowStartMs], picks: 300, expected: [100, 100, 100], firstPicks: 'ABCAB' },
    { name: 'everyone ramping (registered together): no slow start', since: [now - 1000, now - 2000, now - 3000], picks: 300, expected: [100, 100, 100], firstPicks: 'ABCAB' },
  ]
  for (const row of table) {
    it(`slow start: ${row.name}`, () => {
      const balancer = new RoundRobinBalancer(slowStartMs)
      const targets = ['A', 'B', 'C'].map((id, i) => makeTarget(id, { healthySince: row.since[i]! }))
      const picks = Array.from({ length: row.picks }, () => {
        const t = balancer.pick(targets, { now })!
        balancer.release(t, 'ok')
        return t
      })
      assert.equal(ids(picks.slice(0, 5)), row.firstPicks.slice(0, 5))
      const counts = ['A', 'B', 'C'].map((id) => picks.filter((t) => t.targetId === id).length)
      assert.deepEqual(counts, row.expected)
    })
  }

  it('slow start share grows linearly with time', () => {
    const target = makeTarget('C', { healthySince: 0 })
    const shares = [0, 25_000, 50_000, 75_000, 100_000, 200_000].map((now) => slowStartWeight(target, now, 100_000))
    assert.deepEqual(shares, [1, 250, 500, 750, FULL_WEIGHT, FULL_WEIGHT])
    assert.equal(slowStartWeight(target, 5, 0), FULL_WEIGHT)
  })
})
