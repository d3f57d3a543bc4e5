/**
 * @module dataplane/router/regex-vm
 * A Pike VM (Thompson NFA simulation with thread lists, as in RE2) that answers `test()` for
 * a RegexProgram (model/regex-program.ts): for the RegexValues V8's linear-time engine refuses.
 *
 * Linear by construction: each subject character advances every live thread once, and a
 * thread is one instruction, kept at most once per step (the generation marks), so a test
 * costs O(subject length × program size), the program size being capped at compile time
 * (MAX_REGEX_PROGRAM_SIZE). There is no backtracking to blow up.
 *
 * Search semantics are JS `test` without flags: the match may start anywhere, a new thread
 * starting at every position, unless every alternative begins with `^`. Only yes/no is asked,
 * so threads carry no captures and the first MATCH reached ends the test.
 *
 * A RegexVm allocates its thread lists, marks and ε-stack once; `test` allocates nothing.
 * It is not re-entrant, which a synchronous call on one thread never needs.
 *
 * Measured on Node 20.20 (benchmarks/micro/regex.ts, 2 loaded cores): 75-400 ns per `test()`
 * on 10-40 character paths and hosts (V8's backtracking engine: 20-90 ns, hence V8 first for
 * what its linear engine can take over); about 10 ns per live thread per character, so
 * `[0-9]{1,20}x$` costs 3.6 ms on a 16 KB path of digits (220 ns per character) where V8's
 * linear engine needs about 17 ms for the smaller `[0-9]{1,16}x$` (1,060 ns per character).
 */
import {
  OP_CHAR, OP_END, OP_JUMP, OP_MATCH, OP_SET, OP_SPLIT, OP_START, OP_WORD_BOUNDARY,
  type RegexProgram,
} from '../../model/regex-program.ts'

/** Marks are generation numbers; past this one they are cleared and the count restarts. */
const MAX_GENERATION = 0x3fffffff

function isWordCode(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f
}

export class RegexVm {
  readonly source: string
  readonly #ops: Int32Array
  readonly #args: Int32Array
  readonly #alternates: Int32Array
  readonly #asciiBits: Uint32Array
  readonly #wideRanges: Int32Array
  readonly #wideStart: Int32Array
  readonly #anchoredAtStart: boolean
  readonly #firstSet: number
  /** Threads (instruction indexes) alive before and after the current character. */
  readonly #current: Int32Array
  readonly #next: Int32Array
  /** marks[pc] === generation: pc is already on the list being built. */
  readonly #marks: Int32Array
  readonly #stack: Int32Array
  #generation = 0
  /**
   * Precomputed ε-closures: for an entry pc (0, or the instruction after a consuming one) whose
   * closure passes no assertion, the consuming instructions it reaches are
   * closureList[closureStart[pc] .. closureStart[pc] + closureLength[pc]), and closureMatch[pc]
   * says whether it reaches MATCH. closureStart[pc] = -1: follow the ε-moves at run time.
   */
  readonly #closureStart: Int32Array
  readonly #closureLength: Int32Array
  readonly #closureMatch: Uint8Array
  readonly #closureList: Int32Array

  constructor(program: RegexProgram) {
    this.source = program.source
    this.#ops = program.ops
    this.#args = program.args
    this.#alternates = program.alternates
    this.#asciiBits = program.asciiBits
    this.#wideRanges = program.wideRanges
    this.#wideStart = program.wideStart
    this.#anchoredAtStart = program.anchoredAtStart
    this.#firstSet = program.firstSet ?? -1
    const size = program.ops.length
    this.#current = new Int32Array(size)
    this.#next = new Int32Array(size)
    this.#marks = new Int32Array(size)
    this.#stack = new Int32Array(size)
    const closures = precomputeClosures(program)
    this.#closureStart = closures.start
    this.#closureLength = closures.length
    this.#closureMatch = closures.match
    this.#closureList = closures.list
  }

  #inSet(set: number, c: number): boolean {
    if (c < 128) return ((this.#asciiBits[(set << 2) | (c >> 5)]! >>> (c & 31)) & 1) === 1
    const ranges = this.#wideRanges
    for (let i = this.#wideStart[set]!, end = this.#wideStart[set + 1]!; i < end; i += 2) {
      if (c < ranges[i]!) return false
      if (c <= ranges[i + 1]!) return true
    }
    return false
  }

  #nextGeneration(): number {
    if (this.#generation >= MAX_GENERATION) {
      this.#marks.fill(0)
      this.#generation = 0
    }
    return ++this.#generation
  }

  /**
   * Adds the thread at `pc` and everything reachable from it by ε-moves at `position` to
   * `list` (already holding `length` threads); returns the new length, or -1 on MATCH.
   */
  #add(list: Int32Array, length: number, pc: number, subject: string, position: number, generation: number): number {
    const marks = this.#marks
    const from = this.#closureStart[pc]!
    if (from >= 0) {
      if (this.#closureMatch[pc] === 1) return -1
      const closure = this.#closureList
      for (let k = from, end = from + this.#closureLength[pc]!; k < end; k++) {
        const q = closure[k]!
        if (marks[q] !== generation) {
          marks[q] = generation
          list[length++] = q
        }
      }
      return length
    }
    if (marks[pc] === generation) return length
    const ops = this.#ops
    const stack = this.#stack
    marks[pc] = generation
    stack[0] = pc
    let sp = 1
    while (sp > 0) {
      const at = stack[--sp]!
      let follow = -1
      let also = -1
      switch (ops[at]) {
        case OP_CHAR:
        case OP_SET:
          list[length++] = at
          break
        case OP_MATCH:
          return -1
        case OP_JUMP:
          follow = this.#args[at]!
          break
        case OP_SPLIT:
          follow = this.#args[at]!
          also = this.#alternates[at]!
          break
        case OP_START:
          if (position === 0) follow = at + 1
          break
        case OP_END:
          if (position === subject.length) follow = at + 1
          break
        default: {
          const before = position > 0 && isWordCode(subject.charCodeAt(position - 1))
          const after = position < subject.length && isWordCode(subject.charCodeAt(position))
          if ((before !== after) === (ops[at] === OP_WORD_BOUNDARY)) follow = at + 1
        }
      }
      if (follow >= 0 && marks[follow] !== generation) {
        marks[follow] = generation
        stack[sp++] = follow
      }
      if (also >= 0 && marks[also] !== generation) {
        marks[also] = generation
        stack[sp++] = also
      }
    }
    return length
  }

  /** Whether the pattern matches somewhere in `subject` (RegExp.prototype.test, no flags). */
  test(subject: string): boolean {
    const n = subject.length
    const ops = this.#ops
    const args = this.#args
    const asciiBits = this.#asciiBits
    const closureStart = this.#closureStart
    const closureLength = this.#closureLength
    const closureMatch = this.#closureMatch
    const closureList = this.#closureList
    const marks = this.#marks
    const anchored = this.#anchoredAtStart
    const firstSet = this.#firstSet
    let current = this.#current
    let next = this.#next
    let count = this.#add(current, 0, 0, subject, 0, this.#nextGeneration())
    if (count < 0) return true
    // Threads other than those of a match starting at the current position.
    let live = anchored ? count : 0
    for (let i = 0; i < n; i++) {
      if (live === 0) {
        // Only threads of a match starting here are left.
        if (anchored) return false
        if (firstSet >= 0) {
          // Skip to the next position where a match can start (its first character).
          let j = i
          while (j < n && !this.#inSet(firstSet, subject.charCodeAt(j))) j++
          if (j === n) return false
          if (j !== i) {
            i = j
            count = this.#add(current, 0, 0, subject, i, this.#nextGeneration())
            if (count < 0) return true
          }
        }
      }
      const c = subject.charCodeAt(i)
      const generation = this.#nextGeneration()
      let length = 0
      for (let t = 0; t < count; t++) {
        const pc = current[t]!
        const arg = args[pc]!
        if (ops[pc] === OP_CHAR) {
          if (arg !== c) continue
        } else if (c < 128) {
          if (((asciiBits[(arg << 2) | (c >> 5)]! >>> (c & 31)) & 1) === 0) continue
        } else if (!this.#inSet(arg, c)) {
          continue
        }
        // The thread moves past its character: add its successor's ε-closure (#add's fast
        // path, inlined with the set test: 8.4 → 4.8 µs per character at 500 live threads).
        const entry = pc + 1
        const from = closureStart[entry]!
        if (from < 0) {
          length = this.#add(next, length, entry, subject, i + 1, generation)
          if (length < 0) return true
          continue
        }
        if (closureMatch[entry] === 1) return true
        for (let k = from, end = from + closureLength[entry]!; k < end; k++) {
          const q = closureList[k]!
          if (marks[q] !== generation) {
            marks[q] = generation
            next[length++] = q
          }
        }
      }
      live = length
      if (!anchored) {
        length = this.#add(next, length, 0, subject, i + 1, generation)
        if (length < 0) return true
      }
      const swap = current
      current = next
      next = swap
      count = length
    }
    return false
  }
}

/**
 * Longest precomputed closure. A precomputed closure is walked whole even when other threads
 * have already added its members, so long ones would make a step quadratic in the program
 * (`(?:a?){499}b`: every closure holds every later `a`; 23 µs per character when all were
 * precomputed). Longer closures are walked at run time, where the marks stop each walk at
 * what this step has already added, keeping a step linear in the program size.
 */
const MAX_PRECOMPUTED_CLOSURE = 4

/**
 * precomputeClosures: the ε-closure of every entry pc that passes no assertion and reaches at
 * most MAX_PRECOMPUTED_CLOSURE consuming instructions, so the VM adds a thread's successors
 * with one short loop instead of walking SPLITs and JUMPs on every character. Other entries
 * are left to the run-time walk, which gives the same answer.
 */
function precomputeClosures(program: RegexProgram): { start: Int32Array; length: Int32Array; match: Uint8Array; list: Int32Array } {
  const { ops, args, alternates } = program
  const size = ops.length
  const start = new Int32Array(size + 1).fill(-1)
  const length = new Int32Array(size + 1)
  const match = new Uint8Array(size + 1)
  const list: number[] = []
  const entries = [0]
  for (let pc = 0; pc < size; pc++) if (ops[pc] === OP_CHAR || ops[pc] === OP_SET) entries.push(pc + 1)
  const seen = new Int32Array(size).fill(-1)
  for (const entry of entries) {
    if (start[entry] !== -1) continue
    const reached: number[] = []
    let reachesMatch = false
    let assertion = false
    const stack = [entry]
    seen[entry] = entry
    while (stack.length > 0 && !assertion && reached.length <= MAX_PRECOMPUTED_CLOSURE) {
      const pc = stack.pop()!
      const op = ops[pc]!
      const push = (to: number): void => {
        if (seen[to] !== entry) {
          seen[to] = entry
          stack.push(to)
        }
      }
      if (op === OP_CHAR || op === OP_SET) reached.push(pc)
      else if (op === OP_MATCH) reachesMatch = true
      else if (op === OP_JUMP) push(args[pc]!)
      else if (op === OP_SPLIT) {
        push(args[pc]!)
        push(alternates[pc]!)
      } else assertion = true
    }
    if (assertion || reached.length > MAX_PRECOMPUTED_CLOSURE) continue
    start[entry] = list.length
    length[entry] = reached.length
    match[entry] = reachesMatch ? 1 : 0
    list.push(...reached)
  }
  return { start, length, match, list: Int32Array.from(list) }
}
