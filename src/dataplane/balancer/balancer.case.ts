/**
 * @module dataplane/balancer/balancer.case
 * The conformance suite every Balancer passes (STYLE.md habit 4, as Hono's
 * common.case.test.ts): each implementation's test calls runBalancerConformance.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Balancer, BalancerOptions } from './balancer.ts'
import type { TargetState } from '../upstream/target-state.ts'

export function makeTarget(id: string, over: Partial<TargetState> = {}): TargetState {
  return {
    key: `tg|${id}|80`, targetGroupArn: 'tg', targetId: id, host: '127.0.0.1', port: 80,
    flags: 0, outstanding: 0, upgraded: 0, healthySince: 0, ...over,
  }
}

export function makeTargets(...ids: string[]): TargetState[] {
  return ids.map((id) => makeTarget(id))
}

/** A deterministic [0, 1) source (mulberry32), shared with the fuzz tests. */
import { seededRandom } from '../../../test/support/random.ts'
export { seededRandom }

export function runBalancerConformance(algorithm: BalancerOptions['algorithm'], make: (options: BalancerOptions) => Balancer): void {
  const options = (over: Partial<BalancerOptions> = {}): BalancerOptions => ({ algorithm, slowStartMs: 0, random: seededRandom(7), ...over })
  const ctx = { now: 1_000_000 }

  describe(`Balancer conformance: ${algorithm}`, () => {
    it('reports its algorithm', () => {
      assert.equal(make(options()).algorithm, algorithm)
    })

    it('returns undefined for an empty list and never throws', () => {
      assert.equal(make(options()).pick([], ctx), undefined)
    })

    it('always picks a member of the list and increments outstanding', () => {
      const balancer = make(options())
      const targets = makeTargets('a', 'b', 'c')
      for (let i = 0; i < 30; i++) {
        const t = balancer.pick(targets, ctx)
        assert.ok(t && targets.includes(t))
      }
      assert.equal(targets.reduce((sum, t) => sum + t.outstanding, 0), 30)
    })

    it('release decrements outstanding, never below zero', () => {
      const balancer = make(options())
      const targets = makeTargets('a')
      const t = balancer.pick(targets, ctx)!
      assert.equal(t.outstanding, 1)
      balancer.release(t, 'ok')
      assert.equal(t.outstanding, 0)
      balancer.release(t, 'connect_error')
      assert.equal(t.outstanding, 0)
    })

    it('keeps working when the routable list shrinks and grows between picks', () => {
      const balancer = make(options())
      const [a, b, c, d] = makeTargets('a', 'b', 'c', 'd')
      for (const list of [[a!, b!, c!, d!], [a!], [c!, d!], [a!, b!, c!, d!], [b!]]) {
        for (let i = 0; i < 5; i++) {
          const t = balancer.pick(list, ctx)
          assert.ok(t && list.includes(t))
          balancer.release(t, 'ok')
        }
      }
    })

    it('spreads load over every target when requests complete at once', () => {
      const balancer = make(options())
      const targets = makeTargets('a', 'b', 'c', 'd')
      const counts = new Map<string, number>()
      for (let i = 0; i < 400; i++) {
        const t = balancer.pick(targets, ctx)!
        counts.set(t.targetId, (counts.get(t.targetId) ?? 0) + 1)
        balancer.release(t, 'ok')
      }
      for (const t of targets) assert.ok((counts.get(t.targetId) ?? 0) >= 60, `${t.targetId} got ${counts.get(t.targetId)}`)
    })
  })
}
