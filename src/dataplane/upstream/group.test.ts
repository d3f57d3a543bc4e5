import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { CompiledTargetGroup } from '../../config/snapshot.ts'
import { makeTarget } from '../balancer/balancer.case.ts'
import { TargetGroupRuntime } from './group.ts'
import { TargetEntry } from './registry.ts'
import { HealthFlag } from './target-state.ts'

const compiled = { algorithm: 'round_robin', slowStartMs: 0, minHealthyCount: 1, minHealthyPercent: 0 } as CompiledTargetGroup
const ids = (targets: readonly { targetId: string }[]): string => targets.map((t) => t.targetId).join('')

describe('TargetGroupRuntime', () => {
  it('routes by each health change: the flags at once, the pick lists when next read', () => {
    const entries = ['A', 'B', 'C'].map((id) => new TargetEntry(makeTarget(id)))
    const [a, b, c] = entries as [TargetEntry, TargetEntry, TargetEntry]
    const group = new TargetGroupRuntime(compiled, () => 0.5)
    group.update(compiled, entries)
    assert.equal(ids(group.candidates()), 'ABC')

    b.healthFlags = HealthFlag.FailedActive
    group.invalidate(b)
    assert.equal(b.state.flags, HealthFlag.FailedActive)
    assert.equal(ids(group.candidates()), 'AC')

    // Every target unhealthy: the group fails open to all that are not draining (spec §4.5).
    a.healthFlags = HealthFlag.FailedActive
    group.invalidate(a)
    c.healthFlags = HealthFlag.FailedActive
    c.configFlags = HealthFlag.Draining
    group.invalidate(c)
    assert.equal(ids(group.candidates()), 'AB')
    assert.equal(group.hasTargets, true)

    for (const entry of entries) {
      entry.healthFlags = 0
      group.invalidate(entry)
    }
    assert.equal(ids(group.routable), 'AB')
    assert.equal(ids(group.candidates()), 'AB')
  })
})
