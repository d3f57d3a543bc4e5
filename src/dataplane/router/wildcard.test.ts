import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { compileWildcard } from './wildcard.ts'

const CS = { caseInsensitive: false, backslashEscapes: false } as const
const CI = { caseInsensitive: true, backslashEscapes: false } as const
const QS = { caseInsensitive: true, backslashEscapes: true } as const

describe('compileWildcard', () => {
  const table: Array<[pattern: string, options: typeof CS | typeof CI | typeof QS, subject: string, expected: boolean]> = [
    // exact
    ['/img', CS, '/img', true],
    ['/img', CS, '/IMG', false],
    ['/img', CS, '/img/', false],
    ['Example.COM', CI, 'example.com', true],
    ['example.com', CI, 'EXAMPLE.com', true],
    ['example.com', CI, 'example.co', false],
    // prefix*
    ['/img/*', CS, '/img/', true],
    ['/img/*', CS, '/img/a/b.png', true],
    ['/img/*', CS, '/img', false],
    ['/img/*', CS, '/Img/a', false],
    ['/img/*', CS, '/img/a\x01', false],
    ['/img/*', CS, '/img/\x7f', false],
    ['/img/*', CS, '/img/caf\u00e9', false],
    // *suffix
    ['*.example.com', CI, 'test.example.com', true],
    ['*.example.com', CI, 'a.b.EXAMPLE.COM', true],
    ['*.example.com', CI, 'example.com', false],
    ['*.example.com', CI, '.example.com', true],
    ['*.png', CS, '\x00.png', false],
    // ?
    ['/a?c', CS, '/abc', true],
    ['/a?c', CS, '/ac', false],
    ['/a?c', CS, '/abbc', false],
    ['/a?c', CS, '/a\tc', false],
    ['/a?c', CS, '/a c', true],
    // general
    ['/a*b*c', CS, '/axxbyyc', true],
    ['/a*b*c', CS, '/abc', true],
    ['/a*b*c', CS, '/acb', false],
    ['*', CS, '', true],
    ['*', CS, 'anything at all', true],
    ['*', CS, 'bad\nbyte', false],
    ['**', CS, 'x', true],
    ['?*', CS, '', false],
    ['a*a*a*a*b', CS, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', false],
    ['*api*', CI, 'X-API-Client', true],
    ['v?.*', CI, 'V2.1', true],
    ['*b?', CS, 'abab', false],
    ['*b?', CS, 'abbc', true],
    ['*b?', CS, 'abac', false],
    // query-string escapes: \* and \? are literal
    ['a\\*b', QS, 'a*b', true],
    ['a\\*b', QS, 'axxb', false],
    ['what\\?', QS, 'WHAT?', true],
    ['what\\?', QS, 'whatx', false],
    ['a\\\\b', QS, 'a\\b', true],
    ['*\\**', QS, 'x*y', true],
    ['*\\**', QS, 'xy', false],
    // without escapes a backslash is an ordinary character
    ['a\\*', CS, 'a\\bc', true],
  ]
  for (const [pattern, options, subject, expected] of table) {
    it(`${JSON.stringify(pattern)} ${options === CS ? 'cs' : options === CI ? 'ci' : 'qs'} ${JSON.stringify(subject)} → ${expected}`, () => {
      assert.equal(compileWildcard(pattern, options)(subject), expected)
    })
  }
})

describe('compiled matcher agrees with the reference globMatch', () => {
  it('on generated patterns and subjects (deterministic)', async () => {
    const { globMatch, tokenize } = await import('./wildcard.ts')
    let seed = 12345
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n }
    const patternChars = ['a', 'B', '/', '.', '*', '?', '\\']
    const subjectChars = ['a', 'A', 'b', 'B', '/', '.', '*', '?', '\\', '\x01', '\u00e9']
    for (let i = 0; i < 3000; i++) {
      const pattern = Array.from({ length: 1 + rnd(6) }, () => patternChars[rnd(patternChars.length)]).join('')
      const subject = Array.from({ length: rnd(8) }, () => subjectChars[rnd(subjectChars.length)]).join('')
      for (const options of [CS, CI, QS]) {
        const expected = globMatch(tokenize(pattern, options), subject, options.caseInsensitive)
        assert.equal(compileWildcard(pattern, options)(subject), expected, `${JSON.stringify(pattern)} ${JSON.stringify(subject)} ${JSON.stringify(options)}`)
      }
    }
  })
})
