/**
 * RegexValues: which patterns are admitted (model/conditions.ts regexValueProblem, shared by
 * the API and the data plane), how an admitted one matches (wildcard.ts compileRegexValues),
 * and that matching stays linear on the inputs that make a backtracking engine explode.
 * Without the linear engine the "catastrophic" cases below never finish, so the suite fails
 * by its timeout; no timing is asserted.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { LINEAR_REGEX_ENGINE, regexValueProblem, unsupportedRegexConstruct } from '../../model/conditions.ts'
import type { Condition, Rule } from '../../model/resources.ts'
import { compileRegexValues } from './wildcard.ts'
import { compileRules } from './matcher.ts'

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
    ['[a-z]{2,20}', /linear time/], // V8's linear engine replicates bounded repeats up to 16 times
    ['(a{4}){5}', /linear time/],
  ]
  for (const [source, reason] of refused) {
    it(`refuses ${JSON.stringify(source)}`, () => {
      const problem = regexValueProblem(source)
      assert.ok(problem !== undefined, `${source} should be refused`)
      assert.match(problem, reason)
      assert.ok(problem.startsWith(`The regular expression '${source}' `), problem)
    })
  }

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

  it('reports a value it cannot admit and leaves it out, so it never matches', () => {
    const problems: string[] = []
    const compiled = compileRegexValues(['(?=a)', '^/ok$', '(', '[a-z]{2,20}'], problems)
    assert.equal(compiled.length, 1)
    assert.equal(compiled[0]!.test('/ok'), true)
    assert.equal(problems.length, 3)
    assert.match(problems[0]!, /^regex "\(\?=a\)" never matches: .*lookahead/)
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
