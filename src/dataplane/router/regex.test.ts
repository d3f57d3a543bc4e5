/**
 * RegexValues: which patterns are admitted (model/conditions.ts regexValueProblem, shared by
 * the API and the data plane), how an admitted one matches (wildcard.ts compileRegexValues:
 * V8 with its linear fallback, or the Pike VM of regex-vm.ts for bounded repeats past 16),
 * and that matching stays linear on the inputs that make a backtracking engine explode.
 * Without linear matching the "catastrophic" cases below never finish, so the suite fails
 * by its timeout; no timing is asserted. The Pike VM is checked against JS RegExp on
 * generated patterns and subjects (a seeded PRNG, so a failure repeats).
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { LINEAR_REGEX_ENGINE, planRegexValue, regexValueProblem, unsupportedRegexConstruct } from '../../model/conditions.ts'
import { compileRegexProgram, MAX_REGEX_PROGRAM_SIZE } from '../../model/regex-program.ts'
import type { Condition, Rule } from '../../model/resources.ts'
import { seededRandom } from '../../../test/support/random.ts'
import { compileRegexValues } from './wildcard.ts'
import { compileRules } from './matcher.ts'
import { RegexVm } from './regex-vm.ts'

const TIMEOUT = { timeout: 20_000 }

function matches(source: string, subject: string): boolean {
  const problems: string[] = []
  const [re] = compileRegexValues([source], problems)
  assert.deepEqual(problems, [], `${source} should compile`)
  return re!.test(subject)
}

describe('RegexValues admission', () => {
  it('has the linear-time engine on this Node', () => {
    assert.equal(LINEAR_REGEX_ENGINE, true)
  })

  const accepted = [
    '^/api/v[0-9]+/users$',
    '\\.(png|jpe?g|gif)$',
    '^api\\.example\\.com(:[0-9]+)?$',
    '(?<version>v\\d)/',
    '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
    '^/(a+)+$', // catastrophic for a backtracking engine, fine for a linear one
    '(x+x+)+y',
    'a{16}',
    '[(?=]', // the lookahead opener inside a class is three literal characters
    '\\(?=', // an optional literal `(` followed by `=`
    '\\++', // one or more literal `+`
    '\\\\1', // an escaped backslash followed by the digit 1
    '[\\1]', // an octal escape in a class, not a backreference
    'a}+', // `}` that closes no quantifier is a literal
    '(?:a|b)*?c',
    '',
    // Bounded repeats past 16, which V8's linear engine refuses, run on the Pike VM.
    '[a-z]{2,20}',
    'a{17}',
    '\\d{1,32}',
    '(a{4}){5}',
    'a{17,}',
    '^/items/[0-9]{1,20}$',
    '^/[a-z0-9-]{1,63}/[a-z0-9-]{1,63}$',
    `x{0,${(MAX_REGEX_PROGRAM_SIZE - 2) / 2}}`, // exactly at the program-size bound
  ]
  for (const source of accepted) {
    it(`accepts ${JSON.stringify(source)}`, () => assert.equal(regexValueProblem(source), undefined))
  }

  const refused: Array<[source: string, reason: RegExp]> = [
    ['^/(?=admin)', /lookahead/],
    ['^/(?!admin)', /lookahead/],
    ['(?<=/v1)/users', /lookbehind/],
    ['(?<!/v1)/users', /lookbehind/],
    ['^/(a)\\1$', /backreference/],
    ['(?<n>a)\\k<n>', /backreference/],
    ['(a)\\g1', /backreference/],
    ['(?>a+)b', /atomic group/],
    ['a*+', /possessive/],
    ['a++', /possessive/],
    ['a?+', /possessive/],
    ['a{2,3}+', /possessive/],
    ['(?R)', /recursion/],
    ['(a)(?1)', /recursion/],
    ['(?<n>a)(?&n)', /recursion/],
    ['\\p{L}', /Unicode property/],
    ['[\\P{Lu}]', /Unicode property/],
    ['^/(a', /is not valid/],
    ['[z-a]', /is not valid/],
    ['(ab){5}{4}', /is not valid/], // a JS SyntaxError (nothing to repeat), not a 20-fold repeat
    ['(a{100}){100}', /is too complex: its repetitions .* more than 500 states/],
    ['a{99999999999}', /is too complex/],
    [`x{0,${(MAX_REGEX_PROGRAM_SIZE - 2) / 2 + 1}}`, /is too complex/], // one past the bound
    ['[a-z]{1,251}', /is too complex/], // 502 instructions
  ]
  for (const [source, reason] of refused) {
    it(`refuses ${JSON.stringify(source)}`, () => {
      const problem = regexValueProblem(source)
      assert.ok(problem !== undefined, `${source} should be refused`)
      assert.match(problem, reason)
      assert.ok(problem.startsWith(`The regular expression '${source}' `), problem)
    })
  }

  it('runs what V8\'s linear engine can run on V8, bounded repeats past 16 on the Pike VM', () => {
    assert.equal(planRegexValue('^/api/v[0-9]+/users$').kind, 'v8')
    assert.equal(planRegexValue('a{16}').kind, 'v8')
    assert.equal(planRegexValue('a{17}').kind, 'program')
    assert.equal(planRegexValue('^/items/[0-9]{1,20}$').kind, 'program')
    assert.equal(planRegexValue('(a{4}){5}').kind, 'program')
    assert.equal(planRegexValue('(?=a)').kind, 'refused')
  })

  it('names only the first unsupported construct, reading escapes and classes as a RegExp does', () => {
    assert.equal(unsupportedRegexConstruct('[\\]](?=x)'), 'a lookahead assertion')
    assert.equal(unsupportedRegexConstruct('[\\](?=x)]'), undefined)
    assert.equal(unsupportedRegexConstruct('\\\\(?!x)'), 'a lookahead assertion')
  })
})

describe('compileRegexValues', () => {
  it('matches anywhere in the subject unless anchored, case-sensitively', () => {
    assert.equal(matches('v[0-9]+', '/api/v12/users'), true)
    assert.equal(matches('^v[0-9]+', '/api/v12/users'), false)
    assert.equal(matches('^/api/v[0-9]+/users$', '/api/v12/users'), true)
    assert.equal(matches('^/api/v[0-9]+/users$', '/api/v12/users/1'), false)
    assert.equal(matches('^/API/', '/api/x'), false)
    assert.equal(matches('^api\\.example\\.com(:[0-9]+)?$', 'api.example.com:8443'), true)
    assert.equal(matches('^api\\.example\\.com(:[0-9]+)?$', 'api.example.com:'), false)
    assert.equal(matches('^(mobile|tablet)$', 'tablet'), true)
    assert.equal(matches('', 'anything'), true)
  })

  it('matches bounded repeats past 16 on the Pike VM as JS does', () => {
    assert.equal(matches('^/items/[0-9]{1,20}$', '/items/1'), true)
    assert.equal(matches('^/items/[0-9]{1,20}$', `/items/${'9'.repeat(20)}`), true)
    assert.equal(matches('^/items/[0-9]{1,20}$', `/items/${'9'.repeat(21)}`), false)
    assert.equal(matches('^/items/[0-9]{1,20}$', '/items/'), false)
    assert.equal(matches('^/items/[0-9]{1,20}$', '/items/12a'), false)
    assert.equal(matches('[a-z]{2,20}', '/A/b/cd'), true)
    assert.equal(matches('[a-z]{2,20}', '/A/b/c'), false)
    assert.equal(matches('^a{17}$', 'a'.repeat(17)), true)
    assert.equal(matches('^a{17}$', 'a'.repeat(16)), false)
    assert.equal(matches('^a{17}$', 'a'.repeat(18)), false)
    assert.equal(matches('^(a{4}){5}$', 'a'.repeat(20)), true)
    assert.equal(matches('^(a{4}){5}$', 'a'.repeat(21)), false)
    assert.equal(matches('\\bv\\d{1,32}\\b', '/api/v2/x'), true)
    assert.equal(matches('\\bv\\d{1,32}\\b', '/api/xv2/x'), false)
    assert.equal(matches('^(?:[^.]{1,20}\\.)+example\\.com$', 'a.b.example.com'), true)
    assert.equal(matches('^(?:[^.]{1,20}\\.)+example\\.com$', 'example.com'), false)
    assert.equal(matches('^/x{17,}?$', `/${'x'.repeat(17)}`), true) // lazy: the same yes/no
    assert.equal(matches('^/x{17,}?$', `/${'x'.repeat(16)}`), false)
  })

  it('reports a value it cannot admit and leaves it out, so it never matches', () => {
    const problems: string[] = []
    const compiled = compileRegexValues(['(?=a)', '^/ok$', '(', '(a{100}){100}', '[a-z]{2,20}'], problems)
    assert.equal(compiled.length, 2)
    assert.equal(compiled[0]!.test('/ok'), true)
    assert.equal(compiled[1]!.test('/ok'), true)
    assert.equal(compiled[1]!.test('/o'), false)
    assert.equal(problems.length, 3)
    assert.match(problems[0]!, /^regex "\(\?=a\)" never matches: .*lookahead/)
    assert.match(problems[2]!, /^regex "\(a\{100\}\)\{100\}" never matches: .*too complex/)
  })

  it('answers catastrophic-backtracking inputs in linear time', TIMEOUT, () => {
    const evil = `/${'a'.repeat(34)}!`
    assert.equal(matches('^/(a+)+$', evil), false)
    assert.equal(matches('^/(a+)+$', `/${'a'.repeat(34)}`), true)
    assert.equal(matches('^/(a|aa)+$', evil), false)
    assert.equal(matches('^/(a|a?)+$', evil), false)
    assert.equal(matches('^(([a-z])+.)+[A-Z]([a-z])+$', `${'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}!`), false)
    assert.equal(matches('(x+x+)+y', 'x'.repeat(20_000)), false)
    assert.equal(matches('(x+x+)+y', `${'x'.repeat(20_000)}y`), true)
    // A long subject: 64 KiB through the linear engine, many times, still finishes.
    const long = `/${'a'.repeat(65_536)}!`
    for (let i = 0; i < 20; i++) assert.equal(matches('^/(a+)+$', long), false)
  })

  it('answers catastrophic inputs for bounded repeats past 16 (Pike VM) in linear time', TIMEOUT, () => {
    // Each is exponential for a backtracking engine (`^/(a{1,17})+$`: about 20 s at 40 `a`s,
    // ×1.4 per `a`); V8's linear engine refuses them all.
    const evil = `/${'a'.repeat(60)}!`
    assert.equal(planRegexValue('^/(a{1,17})+$').kind, 'program')
    assert.equal(matches('^/(a{1,17})+$', evil), false)
    assert.equal(matches('^/(a{1,17})+$', `/${'a'.repeat(60)}`), true)
    assert.equal(matches('^/(a|a{17})+$', evil), false)
    assert.equal(matches('(x{1,17}x{1,17})+y', 'x'.repeat(20_000)), false)
    assert.equal(matches('(x{1,17}x{1,17})+y', `${'x'.repeat(20_000)}y`), true)
    assert.equal(matches('^(\\w{1,20}\\s?)+$', `${'word '.repeat(2_000)}!`), false)
    const long = `/${'a'.repeat(65_536)}!`
    for (let i = 0; i < 5; i++) assert.equal(matches('^/(a{1,17})+$', long), false)
  })

  it('keeps a whole listener of catastrophic rules answering through the router', TIMEOUT, () => {
    const rule = (priority: number | 'default', conditions: Condition[]): Rule =>
      ({ arn: `r${priority}`, listenerArn: 'l', priority, conditions, actions: [], region: 'us-east-1', tags: [] })
    const rules: Rule[] = [rule('default', [])]
    for (let i = 1; i <= 100; i++) {
      rules.push(rule(i, [
        { field: 'path-pattern', pathPatternConfig: { regexValues: [`^/(a+)+${i}$`, '^/(a|aa)+$'] } },
        { field: 'http-header', httpHeaderConfig: { httpHeaderName: 'x-evil', regexValues: ['^(b+)+$'] } },
      ]))
    }
    const matcher = compileRules(rules)
    assert.deepEqual(matcher.problems, [])
    const evil = {
      method: 'GET', path: `/${'a'.repeat(40)}!`, rawQuery: '',
      rawHeaders: ['Host', 'x.example.com', 'X-Evil', `${'b'.repeat(40)}!`], sourceIp: '10.0.0.1',
    }
    assert.equal(matcher.match(evil).priority, 'default')
    assert.equal(matcher.match({ ...evil, path: `/${'a'.repeat(40)}`, rawHeaders: ['X-Evil', 'bbbb'] }).priority, 1)
  })
})

describe('Pike VM against JS RegExp', () => {
  function vm(source: string): RegexVm {
    const compiled = compileRegexProgram(source)
    assert.equal(compiled.problem, undefined, `${source} should compile`)
    return new RegexVm(compiled.program!)
  }

  function agree(source: string, subjects: readonly string[]): void {
    const re = new RegExp(source)
    const machine = vm(source)
    for (const subject of subjects) {
      assert.equal(machine.test(subject), re.test(subject), `${JSON.stringify(source)} on ${JSON.stringify(subject)}`)
    }
  }

  it('reads JS syntax (Annex B) as RegExp does', () => {
    const subjects = [
      '', 'a', 'ab', 'abc', '\\c', '\\', 'c', '\n', '\r', '\x0a', '\x1f', '\0', '\x08', '8', '\0' + '8', '\x01', '\n1', 'x4', 'uuuu', 'u',
      '{', '}', ']', 'a{,5}', 'a{1,2', 'a-z', '-', '5', 'z', 'B', 'é', '\u2028', '\u00a0', '\ufeff', '\u3000', '\t', ' ',
      '\ud83d\ude00', 'word boundary', 'x y', '_', 'k', 'g', '/api/v1', 'line\nbreak', 'AbC',
    ]
    const sources = [
      '\\cJ', '\\cj', '[\\cJ]', '[\\c_]', '[\\c1]', '\\c', '\\c1', '[\\c]', '\\0', '\\012', '\\08', '[\\1]', '[\\18]', '[\\8]', '\\x4', '\\x0a',
      '\\u{4}', '\\u0075', 'a{,5}', 'a{1,2', '^{', '}', ']', '[]', '[^]', '[]a', '[^]a', '[\\d-z]', '[a-\\d]', '[\\w-]', '[-\\s]',
      '[\\b]', '\\B', '\\b', '^\\b', '\\b$', '.', '^.$', '\\s', '\\S', '^\\s+$', '\\w', '\\W', '\\d', '\\D', '[^\\d\\s]', '[\\D]',
      '(?<name>a)b', '(?:a|b|)c', 'a$', '^a', '^$', '$^', 'a|^b', '(?:^a|b$)', '[\\ud83d]', '\\ud83d\\ude00', '^[^a]$', '[\\-a]',
      '[\\k]', '[\\g]', '\\e', '\\/', '[\\]]', '[a\\]]b', 'line$', '^break', '[à-ÿ]', '\\u00e9', '[\\x00-\\x1f]',
      'a{0}', 'a{0,0}b', '(?:)*', '(?:a*)*', '(a|b?)+c', '(?:a{0,3}){2,}$', 'x*?y??z+?', 'a{2,}?', '^(?:a|ab)(?:c|bcd)$',
    ]
    for (const source of sources) agree(source, subjects)
  })

  // Patterns from a small grammar of the syntax AWS accepts, quantifiers nested so that a
  // backtracking engine stays fast on the short subjects (a quantified group contains no
  // quantifier other than ?-like or a small count), counts past 16 only on single atoms.
  const ATOMS = [
    'a', 'b', 'c', '-', '/', '1', '.', '\\.', '[ab]', '[^a]', '[a-c]', '[^-/]', '\\d', '\\w', '\\s', '\\D', '\\W', '\\S',
    '[\\d-]', '[\\w.]', '\\x61', '\\u0062', '\\-', '\\/', '[\\s]', '\\n', '[\\b]', '\\0', '\\cJ', '[]', '[^]', '{', '}', ']',
    'a{,2}', '[\\cj]', '\\c', '[a-]', '[-a]', '[\\]]', ' ', 'é', '\\u00e9', '[à-ÿ]',
  ]
  const ALPHABET = [
    'a', 'a', 'a', 'b', 'c', '-', '/', '1', '2', '.', ' ', '\n', '\r', '\t', '\u00a0', 'é', '\u2028', '\ufeff', '_', '\0', '\b',
    '\\', '{', '}', ']', 'x', '\ud83d',
  ]

  function generator(seed: number): { pattern: () => string; subject: () => string } {
    const random = seededRandom(seed)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
    const int = (n: number): number => Math.floor(random() * n)
    let group = 0
    const pattern = (depth: number): string => {
      let out = ''
      for (let i = 1 + int(3); i > 0; i--) {
        const r = random()
        if (r < 0.08) {
          out += pick(['^', '$', '\\b', '\\B'])
          continue
        }
        let atom: string
        let single = false
        if (r < 0.25 && depth < 3) {
          atom = `${pick(['(', '(?:', `(?<g${group++}>`])}${pattern(depth + 1)}${random() < 0.3 ? `|${pattern(depth + 1)}` : ''})`
        } else {
          atom = pick(ATOMS)
          single = !/[{}\]]/.test(atom) || atom.startsWith('[')
        }
        const q = random()
        if (atom.startsWith('(') && /[*+?}]/.test(atom.slice(1))) {
          if (q < 0.3) atom += pick(['?', '{0,1}', '{2}', '??'])
        } else if (q < 0.5) {
          // unquantified
        } else if (q < 0.6) atom += '*'
        else if (q < 0.7) atom += '+'
        else if (q < 0.78) atom += '?'
        else if (q < 0.9) {
          const min = int(3)
          atom += pick([`{${min}}`, `{${min},}`, `{${min},${min + int(3)}}`])
        } else if (single) {
          const min = int(4)
          atom += pick([`{${min},${17 + int(5)}}`, '{17}', `{${16 + min},}`])
        }
        if (/[*+?}]$/.test(atom) && random() < 0.2) atom += '?'
        out += atom
      }
      if (random() < 0.15) out += `|${pattern(depth + 1)}`
      return out
    }
    const subject = (): string => {
      if (random() < 0.2) return 'a'.repeat(int(25)) + pick(['', 'b', '1'])
      let s = ''
      for (let n = int(24); n > 0; n--) s += pick(ALPHABET)
      return s
    }
    return { pattern: () => pattern(0), subject }
  }

  it('agrees with RegExp.test on 2,000 generated patterns × 40 subjects', { timeout: 120_000 }, () => {
    const { pattern, subject } = generator(20240611)
    let compared = 0
    let matched = 0
    let programs = 0
    for (let p = 0; p < 2_000; p++) {
      const source = pattern()
      let re: RegExp
      try {
        re = new RegExp(source)
      } catch {
        continue // the grammar can produce a SyntaxError (`^{2}`); the API refuses those
      }
      if (unsupportedRegexConstruct(source) !== undefined) continue
      const machine = vm(source)
      if (planRegexValue(source).kind === 'program') programs++
      for (let k = 0; k < 40; k++) {
        const s = subject()
        const expected = re.test(s)
        assert.equal(machine.test(s), expected, `${JSON.stringify(source)} on ${JSON.stringify(s)}`)
        compared++
        if (expected) matched++
      }
    }
    // The comparison means something only if both answers are common and the VM's own
    // patterns (repeats past 16) are among them.
    assert.ok(compared > 70_000, `${compared}`)
    assert.ok(matched > compared / 5 && matched < (compared * 4) / 5, `${matched} of ${compared}`)
    assert.ok(programs > 100, `${programs}`)
  })
})
