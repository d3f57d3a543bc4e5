import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Slot, SlotSet } from './slot-set.ts'

const members = (set: SlotSet<Slot<number>>): number[] => set.values().map((m) => m.value).sort((a, b) => a - b)

describe('SlotSet', () => {
  it('adds, finds and deletes members; a deleted member can join again', () => {
    const set = new SlotSet<Slot<number>>()
    const [a, b, c] = [new Slot(1), new Slot(2), new Slot(3)]
    set.add(a)
    set.add(b)
    set.add(c)
    set.add(b) // already a member: nothing changes
    assert.equal(set.size, 3)
    assert.equal(set.delete(a), true) // the last member moves into a's place
    assert.equal(set.delete(a), false)
    assert.deepEqual(members(set), [2, 3])
    assert.equal(set.has(a), false)
    assert.equal(set.has(c), true)
    assert.equal(a.slot, -1)
    set.add(a)
    assert.deepEqual(members(set), [1, 2, 3])
  })

  it('lets the caller delete while going through its members', () => {
    const set = new SlotSet<Slot<number>>()
    for (let i = 0; i < 10; i++) set.add(new Slot(i))
    for (const member of set) if (member.value % 2 === 0) set.delete(member)
    assert.deepEqual(members(set), [1, 3, 5, 7, 9])
  })

  it('refuses a member of another set instead of corrupting both', () => {
    const one = new SlotSet<Slot<number>>()
    const two = new SlotSet<Slot<number>>()
    const item = new Slot(7)
    one.add(item)
    assert.throws(() => two.add(item), /member of another set/)
    assert.equal(two.has(item), false)
    assert.equal(one.has(item), true)
    one.delete(item)
    two.add(item)
    assert.equal(two.has(item), true)
  })

  it('agrees with a Set over a long random run of adds and deletes', () => {
    let seed = 42
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    const items = Array.from({ length: 50 }, (_, i) => new Slot(i))
    const set = new SlotSet<Slot<number>>()
    const reference = new Set<Slot<number>>()
    for (let step = 0; step < 20_000; step++) {
      const item = items[random(items.length)]!
      if (random(2) === 0) {
        set.add(item)
        reference.add(item)
      } else {
        assert.equal(set.delete(item), reference.delete(item))
      }
      assert.equal(set.size, reference.size)
    }
    assert.deepEqual(members(set), [...reference].map((m) => m.value).sort((a, b) => a - b))
    for (const item of items) assert.equal(set.has(item), reference.has(item))
  })
})
