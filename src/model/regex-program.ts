/**
 * @module model/regex-program
 * A RegexValue (spec §5.4) compiled to a Thompson NFA program, for patterns V8's linear-time
 * engine refuses: V8 (Node 20) will not run a bounded repeat whose counts, nested, exceed 16
 * (`[a-z]{2,20}`, `a{17}`, `\d{1,32}`), yet AWS accepts them. dataplane/router/regex-vm.ts
 * runs the program as a Pike VM (RE2's thread-list simulation), linear in the subject.
 *
 * The program lives in the model, not the data plane, because the API must refuse exactly the
 * patterns the data plane cannot compile (the same rule regexValueProblem follows for V8).
 *
 * Syntax and meaning are JavaScript's for `new RegExp(source)` without flags (ECMA-262 with
 * Annex B, which is what every RegexValue ran as before): UTF-16 code units, `.` is anything
 * but a line terminator, `^`/`$` are the ends of the subject, `\d \w \s` as in JS, `]`, `{`,
 * `}` literal where they open or close nothing, legacy octal escapes, `\cX`. Captures are
 * parsed and ignored: only a yes/no answer is ever asked. Lookaround, backreferences and the
 * other constructs AWS refuses are not representable; the parser refuses them (the API has
 * already named them, conditions.ts unsupportedRegexConstruct).
 *
 * Laziness (`*?`) and JS's empty-iteration check change which match is found, never whether
 * one exists, so both compile like their greedy forms.
 */

/** Instruction opcodes. CHAR and SET consume one code unit; the others are ε-moves. */
export const OP_CHAR = 0
export const OP_SET = 1
export const OP_SPLIT = 2
export const OP_JUMP = 3
export const OP_START = 4
export const OP_END = 5
export const OP_WORD_BOUNDARY = 6
export const OP_NOT_WORD_BOUNDARY = 7
export const OP_MATCH = 8

/**
 * MAX_REGEX_PROGRAM_SIZE bounds the instructions one RegexValue may compile to: memory, and the
 * cost per subject character, since a Pike VM step visits each instruction at most once.
 * `\d{1,32}` is 64 instructions, a UUID pattern 39, `^/[a-z0-9-]{1,63}/[a-z0-9-]{1,63}$` 255,
 * `[0-9a-f]{1,249}` 498; `(a{100}){100}` (10,000) is refused. Measured on Node 20.20 (2 loaded
 * cores, benchmarks/micro/regex.ts) on a 16 KB subject, the longest request line ALB takes:
 * the worst programs at this bound cost 40-130 ms (`[0-9a-f]{1,249}z` 42-49 ms, `(?:a?){249}b`
 * 87-92 ms, `(?:\Ba?){165}b` 107-129 ms; runs vary with load), the range V8's own linear engine
 * already costs on 16-fold repeats it admits (`(?:a?){16}b` 18-21 ms, `(?:a|\w){16}b` 75-93 ms,
 * `(?:(?:a|b|\w|.)?){16}c` 151-183 ms). At 1,000 the worst doubled (230 ms). An OpenALB limit
 * (UNVERIFIED: AWS documents none beyond the 128-character value length).
 */
export const MAX_REGEX_PROGRAM_SIZE = 500

/** One compiled RegexValue; the typed arrays are read by the VM, never written. */
export interface RegexProgram {
  readonly source: string
  /** Opcode per instruction. */
  readonly ops: Int32Array
  /** CHAR: the code unit; SET: the set's index; SPLIT / JUMP: the (first) target. */
  readonly args: Int32Array
  /** SPLIT: the second target. */
  readonly alternates: Int32Array
  /** Per set, 4 words: bit `c` set when code unit `c` < 128 is in the set. */
  readonly asciiBits: Uint32Array
  /** Per set, inclusive [low, high] pairs for code units ≥ 128, sorted. */
  readonly wideRanges: Int32Array
  /** Set k's pairs are wideRanges[wideStart[k] .. wideStart[k + 1]). */
  readonly wideStart: Int32Array
  /** Every match begins at position 0 (every alternative starts with `^`). */
  readonly anchoredAtStart: boolean
  /**
   * Code units that can begin a match (a superset), or undefined when a match may begin with no
   * character at all. Lets the VM skip positions where no match can start.
   */
  readonly firstSet: number | undefined
}

export type RegexProgramResult =
  | { readonly program: RegexProgram; readonly problem?: undefined }
  | { readonly program?: undefined; readonly problem: string }

// ------------------------------------------------------------------ character sets
// A set is a sorted list of disjoint inclusive ranges flattened as [lo0, hi0, lo1, hi1, …].

const MAX_CODE_UNIT = 0xffff

function normalize(ranges: readonly number[]): number[] {
  const pairs: Array<[number, number]> = []
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!])
  pairs.sort((a, b) => a[0] - b[0])
  const out: number[] = []
  for (const [lo, hi] of pairs) {
    if (out.length > 0 && lo <= out[out.length - 1]! + 1) out[out.length - 1] = Math.max(out[out.length - 1]!, hi)
    else out.push(lo, hi)
  }
  return out
}

function negate(ranges: readonly number[]): number[] {
  const set = normalize(ranges)
  const out: number[] = []
  let next = 0
  for (let i = 0; i < set.length; i += 2) {
    if (set[i]! > next) out.push(next, set[i]! - 1)
    next = set[i + 1]! + 1
  }
  if (next <= MAX_CODE_UNIT) out.push(next, MAX_CODE_UNIT)
  return out
}

const DIGITS = [0x30, 0x39]
const WORD = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a]
/** ECMA-262 WhiteSpace and LineTerminator, the code units `\s` matches. */
const SPACE = [
  0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a,
  0x2028, 0x2029, 0x202f, 0x202f, 0x205f, 0x205f, 0x3000, 0x3000, 0xfeff, 0xfeff,
]
/** Without the `s` flag, `.` matches anything but a LineTerminator. */
const DOT = negate([0x0a, 0x0a, 0x0d, 0x0d, 0x2028, 0x2029])

const CLASS_ESCAPES: Readonly<Record<string, readonly number[]>> = {
  d: DIGITS, D: negate(DIGITS), w: WORD, W: negate(WORD), s: SPACE, S: negate(SPACE),
}
const CONTROL_ESCAPES: Readonly<Record<string, number>> = { f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b }

// ------------------------------------------------------------------ syntax tree

type Node =
  | { readonly kind: 'set'; readonly ranges: readonly number[] }
  | { readonly kind: 'assert'; readonly op: number }
  | { readonly kind: 'concat'; readonly items: readonly Node[] }
  | { readonly kind: 'alternation'; readonly items: readonly Node[] }
  | { readonly kind: 'repeat'; readonly item: Node; readonly min: number; readonly max: number }

/** Thrown by the parser and compiler; compileRegexProgram turns it into a problem text. */
class Unsupported extends Error {}

const BRACE_QUANTIFIER = /\{(\d+)(,(\d*))?\}/y
const HEX2 = /[0-9A-Fa-f]{2}/y
const HEX4 = /[0-9A-Fa-f]{4}/y

function isOctal(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '7'
}

function single(code: number): Node {
  return { kind: 'set', ranges: [code, code] }
}

class Parser {
  readonly #s: string
  #i = 0

  constructor(source: string) {
    this.#s = source
  }

  parse(): Node {
    const node = this.#disjunction()
    if (this.#i < this.#s.length) throw new Unsupported(`an unmatched ')' at offset ${this.#i}`)
    return node
  }

  #disjunction(): Node {
    const items = [this.#alternative()]
    while (this.#s[this.#i] === '|') {
      this.#i++
      items.push(this.#alternative())
    }
    return items.length === 1 ? items[0]! : { kind: 'alternation', items }
  }

  #alternative(): Node {
    const items: Node[] = []
    while (this.#i < this.#s.length && this.#s[this.#i] !== '|' && this.#s[this.#i] !== ')') items.push(this.#term())
    return items.length === 1 ? items[0]! : { kind: 'concat', items }
  }

  #term(): Node {
    const s = this.#s
    const c = s[this.#i]!
    switch (c) {
      case '^':
        this.#i++
        return { kind: 'assert', op: OP_START }
      case '$':
        this.#i++
        return { kind: 'assert', op: OP_END }
      case '\\': {
        const next = s[this.#i + 1]
        if (next === 'b' || next === 'B') {
          this.#i += 2
          return { kind: 'assert', op: next === 'b' ? OP_WORD_BOUNDARY : OP_NOT_WORD_BOUNDARY }
        }
        return this.#quantified(this.#atomEscape())
      }
      case '(':
        return this.#quantified(this.#group())
      case '.':
        this.#i++
        return this.#quantified({ kind: 'set', ranges: DOT })
      case '[':
        return this.#quantified(this.#characterClass())
      case '*':
      case '+':
      case '?':
        throw new Unsupported(`a quantifier with nothing to repeat at offset ${this.#i}`)
      case '{':
        BRACE_QUANTIFIER.lastIndex = this.#i
        if (BRACE_QUANTIFIER.test(s)) throw new Unsupported(`a quantifier with nothing to repeat at offset ${this.#i}`)
        this.#i++
        return this.#quantified(single(0x7b)) // Annex B: a `{` that opens no quantifier is literal
      default:
        this.#i++
        return this.#quantified(single(c.charCodeAt(0)))
    }
  }

  #quantified(item: Node): Node {
    const s = this.#s
    let min: number
    let max: number
    const c = s[this.#i]
    if (c === '*') {
      min = 0
      max = Infinity
      this.#i++
    } else if (c === '+') {
      min = 1
      max = Infinity
      this.#i++
    } else if (c === '?') {
      min = 0
      max = 1
      this.#i++
    } else if (c === '{') {
      BRACE_QUANTIFIER.lastIndex = this.#i
      const m = BRACE_QUANTIFIER.exec(s)
      if (m === null) return item // a literal `{`, parsed as the next term
      min = Number(m[1])
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3])
      if (min > max) throw new Unsupported('a {n,m} quantifier whose numbers are out of order')
      this.#i = BRACE_QUANTIFIER.lastIndex
    } else {
      return item
    }
    if (s[this.#i] === '?') this.#i++ // lazy: the same yes/no answer
    return { kind: 'repeat', item, min, max }
  }

  #group(): Node {
    const s = this.#s
    this.#i++ // (
    if (s[this.#i] === '?') {
      if (s[this.#i + 1] === ':') {
        this.#i += 2
      } else if (s[this.#i + 1] === '<' && s[this.#i + 2] !== '=' && s[this.#i + 2] !== '!') {
        const close = s.indexOf('>', this.#i)
        if (close < 0) throw new Unsupported('an unterminated group name')
        this.#i = close + 1 // a named capture: the name does not matter for a yes/no match
      } else {
        throw new Unsupported(`the group '(?${s[this.#i + 1] ?? ''}' at offset ${this.#i - 1}`)
      }
    }
    const inner = this.#disjunction()
    if (s[this.#i] !== ')') throw new Unsupported('an unterminated group')
    this.#i++
    return inner
  }

  /** After `\` outside a class (AtomEscape, Annex B). */
  #atomEscape(): Node {
    const s = this.#s
    const e = s[this.#i + 1]
    if (e === undefined) throw new Unsupported('a trailing backslash')
    const set = CLASS_ESCAPES[e]
    if (set !== undefined) {
      this.#i += 2
      return { kind: 'set', ranges: set }
    }
    if ((e >= '1' && e <= '9') || e === 'k' || e === 'p' || e === 'P') throw new Unsupported(`the escape '\\${e}'`)
    return single(this.#characterEscape(false))
  }

  /**
   * A CharacterEscape (or ClassEscape when inClass) at `\`: returns its code unit and moves past
   * it. `\c` without a control letter is a literal backslash (the `c` is read next).
   */
  #characterEscape(inClass: boolean): number {
    const s = this.#s
    const e = s[this.#i + 1]!
    const control = CONTROL_ESCAPES[e]
    if (control !== undefined) {
      this.#i += 2
      return control
    }
    if (e === 'c') {
      const letter = s[this.#i + 2] ?? ''
      if (/^[A-Za-z]$/.test(letter) || (inClass && /^[0-9_]$/.test(letter))) {
        this.#i += 3
        return letter.charCodeAt(0) % 32
      }
      this.#i++
      return 0x5c
    }
    if (isOctal(e)) {
      // LegacyOctalEscapeSequence (Annex B): up to three octal digits, at most 0o377.
      let value = 0
      let j = this.#i + 1
      while (j < this.#i + 4 && isOctal(s[j]) && value * 8 + Number(s[j]) <= 0o377) value = value * 8 + Number(s[j++])
      this.#i = j
      return value
    }
    if (e === 'x' || e === 'u') {
      const hex = e === 'x' ? HEX2 : HEX4
      hex.lastIndex = this.#i + 2
      if (hex.test(s)) {
        const value = parseInt(s.slice(this.#i + 2, hex.lastIndex), 16)
        this.#i = hex.lastIndex
        return value
      }
    }
    this.#i += 2 // IdentityEscape: the character itself (`\.`, `\-`, `\x` without hex digits, `\8`)
    return e.charCodeAt(0)
  }

  #characterClass(): Node {
    const s = this.#s
    this.#i++ // [
    const negated = s[this.#i] === '^'
    if (negated) this.#i++
    const ranges: number[] = []
    for (;;) {
      if (this.#i >= s.length) throw new Unsupported('an unterminated character class')
      if (s[this.#i] === ']') {
        this.#i++
        break
      }
      const from = this.#classAtom()
      if (s[this.#i] === '-' && this.#i + 1 < s.length && s[this.#i + 1] !== ']') {
        this.#i++
        const to = this.#classAtom()
        if (typeof from === 'number' && typeof to === 'number') {
          if (from > to) throw new Unsupported('a character class range out of order')
          ranges.push(from, to)
        } else {
          // Annex B: a range with a class escape at either end is the two sets and a literal `-`.
          for (const atom of [from, 0x2d, to]) {
            if (typeof atom === 'number') ranges.push(atom, atom)
            else ranges.push(...atom)
          }
        }
      } else if (typeof from === 'number') {
        ranges.push(from, from)
      } else {
        ranges.push(...from)
      }
    }
    return { kind: 'set', ranges: negated ? negate(ranges) : normalize(ranges) }
  }

  /** One class member: a code unit, or the ranges of `\d`-like escapes. */
  #classAtom(): number | readonly number[] {
    const s = this.#s
    if (s[this.#i] !== '\\') return s.charCodeAt(this.#i++)
    const e = s[this.#i + 1]
    if (e === undefined) throw new Unsupported('a trailing backslash')
    const set = CLASS_ESCAPES[e]
    if (set !== undefined) {
      this.#i += 2
      return set
    }
    if (e === 'b') {
      this.#i += 2
      return 0x08
    }
    if (e === 'p' || e === 'P') throw new Unsupported(`the escape '\\${e}'`)
    return this.#characterEscape(true)
  }
}

// ------------------------------------------------------------------ compiler

/** Instructions `node` compiles to (Infinity-safe: counts are multiplied as numbers). */
function programSize(node: Node): number {
  switch (node.kind) {
    case 'set':
    case 'assert':
      return 1
    case 'concat':
      return node.items.reduce((n, item) => n + programSize(item), 0)
    case 'alternation':
      return node.items.reduce((n, item) => n + programSize(item), 0) + 2 * (node.items.length - 1)
    case 'repeat': {
      const item = programSize(node.item)
      if (node.max === Infinity) return node.min === 0 ? item + 2 : node.min * item + 1
      return node.min * item + (node.max - node.min) * (item + 1)
    }
  }
}

/** Whether every path through `node` asserts `^` before anything else. */
function startsWithStartAssertion(node: Node): boolean {
  switch (node.kind) {
    case 'assert':
      return node.op === OP_START
    case 'set':
      return false
    case 'concat':
      return node.items.length > 0 && startsWithStartAssertion(node.items[0]!)
    case 'alternation':
      return node.items.every(startsWithStartAssertion)
    case 'repeat':
      return node.min > 0 && startsWithStartAssertion(node.item)
  }
}

class Emitter {
  readonly ops: number[] = []
  readonly args: number[] = []
  readonly alternates: number[] = []
  readonly sets: Array<readonly number[]> = []
  readonly #setIndex = new Map<string, number>()

  emit(op: number, arg = 0, alternate = 0): number {
    this.ops.push(op)
    this.args.push(arg)
    this.alternates.push(alternate)
    return this.ops.length - 1
  }

  get pc(): number {
    return this.ops.length
  }

  node(node: Node): void {
    switch (node.kind) {
      case 'set': {
        const r = node.ranges
        if (r.length === 2 && r[0] === r[1]) {
          this.emit(OP_CHAR, r[0])
          return
        }
        const key = r.join(',')
        let index = this.#setIndex.get(key)
        if (index === undefined) {
          index = this.sets.length
          this.sets.push(r)
          this.#setIndex.set(key, index)
        }
        this.emit(OP_SET, index)
        return
      }
      case 'assert':
        this.emit(node.op)
        return
      case 'concat':
        for (const item of node.items) this.node(item)
        return
      case 'alternation': {
        const jumps: number[] = []
        node.items.forEach((item, i) => {
          if (i === node.items.length - 1) {
            this.node(item)
            return
          }
          const split = this.emit(OP_SPLIT, this.pc + 1)
          this.node(item)
          jumps.push(this.emit(OP_JUMP))
          this.alternates[split] = this.pc
        })
        for (const jump of jumps) this.args[jump] = this.pc
        return
      }
      case 'repeat': {
        const { item, min, max } = node
        if (max === Infinity) {
          if (min === 0) {
            // L: split body, out; body; jump L; out:
            const split = this.emit(OP_SPLIT, this.pc + 1)
            this.node(item)
            this.emit(OP_JUMP, split)
            this.alternates[split] = this.pc
          } else {
            // x{n,} = x{n-1} x+ (L: body; split L, out)
            for (let i = 0; i < min - 1; i++) this.node(item)
            const body = this.pc
            this.node(item)
            this.emit(OP_SPLIT, body, this.pc + 1)
          }
          return
        }
        for (let i = 0; i < min; i++) this.node(item)
        // x{0,k}: k times "split body, out; body", every split leaving to the same out.
        const splits: number[] = []
        for (let i = min; i < max; i++) {
          splits.push(this.emit(OP_SPLIT, this.pc + 1))
          this.node(item)
        }
        for (const split of splits) this.alternates[split] = this.pc
      }
    }
  }
}

function encodeSets(sets: ReadonlyArray<readonly number[]>): Pick<RegexProgram, 'asciiBits' | 'wideRanges' | 'wideStart'> {
  const asciiBits = new Uint32Array(sets.length * 4)
  const wide: number[] = []
  const wideStart = new Int32Array(sets.length + 1)
  sets.forEach((ranges, k) => {
    wideStart[k] = wide.length
    for (let i = 0; i < ranges.length; i += 2) {
      const lo = ranges[i]!
      const hi = ranges[i + 1]!
      for (let c = lo; c <= Math.min(hi, 127); c++) asciiBits[k * 4 + (c >> 5)]! |= 1 << (c & 31)
      if (hi >= 128) wide.push(Math.max(lo, 128), hi)
    }
  })
  wideStart[sets.length] = wide.length
  return { asciiBits, wideRanges: Int32Array.from(wide), wideStart }
}

/**
 * The union of the sets of the consuming instructions reachable from pc 0 by ε-moves, treating
 * every assertion as passable, as a set index; undefined when MATCH is reachable that way.
 */
function firstSetOf(emitter: Emitter): number | undefined {
  const seen = new Set<number>()
  const ranges: number[] = []
  const stack = [0]
  while (stack.length > 0) {
    const pc = stack.pop()!
    if (seen.has(pc)) continue
    seen.add(pc)
    const op = emitter.ops[pc]!
    if (op === OP_MATCH) return undefined
    if (op === OP_CHAR) ranges.push(emitter.args[pc]!, emitter.args[pc]!)
    else if (op === OP_SET) ranges.push(...emitter.sets[emitter.args[pc]!]!)
    else if (op === OP_JUMP) stack.push(emitter.args[pc]!)
    else if (op === OP_SPLIT) stack.push(emitter.args[pc]!, emitter.alternates[pc]!)
    else stack.push(pc + 1)
  }
  emitter.sets.push(normalize(ranges))
  return emitter.sets.length - 1
}

/**
 * compileRegexProgram parses `source` as a JS RegExp without flags and compiles it, or says why
 * it cannot: a construct outside the supported syntax, or a program over MAX_REGEX_PROGRAM_SIZE
 * (the problem text completes "The regular expression '…' …").
 */
export function compileRegexProgram(source: string): RegexProgramResult {
  let tree: Node
  try {
    tree = new Parser(source).parse()
  } catch (err) {
    if (err instanceof Unsupported) return { problem: `uses ${err.message}, which is not supported` }
    throw err
  }
  const size = programSize(tree) + 1
  if (size > MAX_REGEX_PROGRAM_SIZE) {
    // Our limit and text (UNVERIFIED: AWS documents no such limit, so its message is unknown).
    return { problem: `is too complex: its repetitions ({n}, {n,m}, {n,}) expand to more than ${MAX_REGEX_PROGRAM_SIZE} states` }
  }
  const emitter = new Emitter()
  emitter.node(tree)
  emitter.emit(OP_MATCH)
  const firstSet = firstSetOf(emitter)
  return {
    program: {
      source,
      ops: Int32Array.from(emitter.ops),
      args: Int32Array.from(emitter.args),
      alternates: Int32Array.from(emitter.alternates),
      ...encodeSets(emitter.sets),
      anchoredAtStart: startsWithStartAssertion(tree),
      firstSet,
    },
  }
}
