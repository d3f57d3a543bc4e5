/**
 * The pieces of `--workers` that need no processes: a Replica fed the Store's change sets
 * through JSON (as IPC carries them) lists every kind exactly as the Store does, and a
 * RemoteHealth's local passive mark is taken and undone as the primary decides.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { KINDS } from '../model/resources.ts'
import { Store, type Backend, type Change, type LoadedRow } from '../store/store.ts'
import { HealthFlag } from '../dataplane/upstream/target-state.ts'
import { Replica } from './replica.ts'
import { RemoteHealth } from './health.ts'

/** A backend in memory that keeps rows in creation order, as the SQLite backend does. */
function memoryBackend(): Backend {
  return {
    load: async () => ({ revision: 0, rows: [] as LoadedRow[] }),
    commit: async () => {},
    clear: async () => {},
    close: async () => {},
  }
}

const viaIpc = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T

describe('Replica', () => {
  it('lists every kind in the same order as the Store after puts, updates, deletes and clear', async () => {
    const store = await Store.open(memoryBackend())
    const replica = new Replica(0, [])
    const revisions: number[] = []
    replica.onChange((revision) => revisions.push(revision))
    store.onChange((revision, changes: readonly Change[]) => replica.apply(revision, viaIpc(changes)))
    const same = (): void => {
      for (const kind of KINDS) assert.deepEqual(replica.list(kind), viaIpc(store.list(kind)), kind)
      assert.equal(replica.revision, store.revision)
    }
    const tag = (n: number): never => ({ n }) as never
    await store.tx((tx) => { tx.put('loadBalancer', 'a', tag(1)); tx.put('loadBalancer', 'b', tag(2)); tx.put('rule', 'r', tag(3)) })
    same()
    // An update keeps its place; a delete and a re-put moves the record to the end.
    await store.tx((tx) => { tx.put('loadBalancer', 'a', tag(4)); tx.delete('rule', 'r') })
    same()
    await store.tx((tx) => { tx.delete('loadBalancer', 'a'); tx.put('loadBalancer', 'c', tag(5)) })
    await store.tx((tx) => tx.put('loadBalancer', 'a', tag(6)))
    same()
    assert.deepEqual(replica.list('loadBalancer'), [tag(2), tag(5), tag(6)])
    // A new worker starts from the dump and ends up identical.
    const fresh = new Replica(replica.revision, viaIpc(replica.rows()))
    for (const kind of KINDS) assert.deepEqual(fresh.list(kind), replica.list(kind))
    assert.deepEqual(fresh.get('loadBalancer', 'c'), tag(5))
    await store.clear()
    same()
    assert.deepEqual(revisions, [1, 2, 3, 4, 5])
    // A change set seen twice (or out of date) is ignored.
    replica.apply(2, [{ kind: 'loadBalancer', id: 'z', data: tag(9) }])
    assert.equal(replica.get('loadBalancer', 'z'), undefined)
  })
})

describe('RemoteHealth', () => {
  it('holds the primary verdicts, marks a passive failure at once and lets the primary undo it', () => {
    const changed: string[] = []
    const sent: string[] = []
    const health = new RemoteHealth((key) => changed.push(key), (key) => sent.push(key))
    assert.equal(health.flags('k'), 0)
    assert.equal(health.live('k'), undefined)
    health.receive([{ key: 'k', flags: 0, live: { state: 'healthy' } }])
    assert.deepEqual(changed, ['k'])
    health.reportPassiveFailure('k')
    assert.equal(health.flags('k'), HealthFlag.FailedPassive, 'taken out in this worker at once')
    assert.deepEqual(sent, ['k'], 'and reported to the primary')
    // The primary's answer wins, whichever it is.
    health.receive([{ key: 'k', flags: 0, live: { state: 'healthy' } }])
    assert.equal(health.flags('k'), 0)
    // Not watched by the primary, or checks disabled: nothing to report (nothing would bring it back).
    health.reportPassiveFailure('unknown')
    health.receive([{ key: 'd', flags: 0, live: { state: 'unavailable', reason: 'Target.HealthCheckDisabled' } }])
    health.reportPassiveFailure('d')
    assert.equal(health.flags('d'), 0)
    assert.deepEqual(sent, ['k'])
    // The primary stops watching a key.
    health.receive([{ key: 'k', flags: 0, live: null }])
    assert.equal(health.live('k'), undefined)
  })
})
