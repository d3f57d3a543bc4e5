import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { INSTANCE_TRANSITION_MS, currentInstanceState, instanceSettlesAt, instanceStateCode } from './instance-state.ts'

describe('currentInstanceState', () => {
  const launchTime = 1_000_000

  it('settles each transitional state after the transition time, and not before', () => {
    const table = [
      ['pending', 'running'],
      ['stopping', 'stopped'],
      ['shutting-down', 'terminated'],
    ] as const
    for (const [from, to] of table) {
      const instance = { state: from, launchTime, stateChangedAt: launchTime + 5000 }
      assert.equal(currentInstanceState(instance, launchTime + 5000), from)
      assert.equal(currentInstanceState(instance, launchTime + 5000 + INSTANCE_TRANSITION_MS - 1), from)
      assert.equal(currentInstanceState(instance, launchTime + 5000 + INSTANCE_TRANSITION_MS), to)
      assert.equal(instanceSettlesAt(instance, launchTime + 5000), launchTime + 5000 + INSTANCE_TRANSITION_MS)
      assert.equal(instanceSettlesAt(instance, launchTime + 5000 + INSTANCE_TRANSITION_MS), undefined)
    }
  })

  it('leaves settled states alone and falls back on launchTime', () => {
    for (const state of ['running', 'stopped', 'terminated'] as const) {
      assert.equal(currentInstanceState({ state, launchTime }, launchTime + 10 * INSTANCE_TRANSITION_MS), state)
      assert.equal(instanceSettlesAt({ state, launchTime }, launchTime), undefined)
    }
    assert.equal(currentInstanceState({ state: 'pending', launchTime }, launchTime + 1), 'pending')
    assert.equal(currentInstanceState({ state: 'pending', launchTime }, launchTime + INSTANCE_TRANSITION_MS), 'running')
  })

  it('honours a custom transition time', () => {
    assert.equal(currentInstanceState({ state: 'stopping', launchTime }, launchTime + 50, 40), 'stopped')
    assert.equal(currentInstanceState({ state: 'stopping', launchTime }, launchTime + 50, 60), 'stopping')
  })

  it('prints EC2 state codes', () => {
    assert.deepEqual(
      (['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped'] as const).map(instanceStateCode),
      [0, 16, 32, 48, 64, 80],
    )
  })
})
