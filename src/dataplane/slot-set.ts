/**
 * @module dataplane/slot-set
 * SlotSet: the set the data plane keeps what comes and goes per request or per connection in
 * (requests in flight on a target, client and target connections), instead of a `Set`.
 *
 * Why not `Set`: V8 stores a Set in an ordered hash table that it replaces (grows, shrinks or
 * compacts) every few adds and deletes, and the replaced table keeps both its entries and a
 * pointer to its successor (so that live iterators can follow). A Set that has lived long
 * enough to be in the old generation (any listener's or target's) therefore starts a chain:
 * the dead old table keeps the next young table alive through every scavenge (old-to-new
 * pointers are roots for the scavenger), that one gets promoted and keeps the next, and with
 * them everything their entries reference — every request's objects. Measured on the proxy
 * (benchmarks/micro/proxy-load.ts with a sampling heap profile of what survives scavenges):
 * ~2 MB promoted per scavenge, a full mark-compact every 0.3–0.9 s, and user CPU per request
 * half again as high after an idle gap shrank the old-generation limit. An array that only
 * grows, with each member remembering its index, never replaces its backing store on delete.
 */

/** A member of at most one SlotSet at a time: the set keeps the member's index here (-1: in none). */
export interface Slotted {
  slot: number
}

export class SlotSet<T extends Slotted> implements Iterable<T> {
  /** Members in [0, size); the array's length never shrinks, so deletes never reallocate it. */
  readonly #items: (T | undefined)[] = []
  #size = 0

  get size(): number {
    return this.#size
  }

  /** Adds `item` (a no-op when it is already a member). */
  add(item: T): void {
    if (this.has(item)) return
    // Its slot would be overwritten and the other set would lose track of it.
    if (item.slot !== -1) throw new Error('SlotSet: the item is a member of another set')
    item.slot = this.#size
    if (this.#size === this.#items.length) this.#items.push(item)
    else this.#items[this.#size] = item
    this.#size++
  }

  /** Removes `item`: the last member takes its place. */
  delete(item: T): boolean {
    if (!this.has(item)) return false
    const index = item.slot
    const last = this.#items[--this.#size]!
    this.#items[index] = last
    last.slot = index
    this.#items[this.#size] = undefined
    item.slot = -1
    return true
  }

  has(item: T): boolean {
    const index = item.slot
    return index >= 0 && index < this.#size && this.#items[index] === item
  }

  /** The members now, as a copy: the caller may add or delete while going through it. */
  values(): T[] {
    return this.#items.slice(0, this.#size) as T[]
  }

  [Symbol.iterator](): Iterator<T> {
    return this.values()[Symbol.iterator]()
  }
}

/** A value that cannot carry a slot itself (a socket, a session) wrapped to be a SlotSet member. */
export class Slot<V> implements Slotted {
  slot = -1
  readonly value: V

  constructor(value: V) {
    this.value = value
  }
}
