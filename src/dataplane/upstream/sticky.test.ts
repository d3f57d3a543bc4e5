import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  appStickyCookies, decodeSticky, encodeSticky, isChromium80Plus, lbStickyCookies, pickTargetGroup, readAppStickyValue,
  readCookie, readLbStickyValue, responseSetsCookie, tgStickyCookies, STICKY_COOKIE_LIFETIME_MS,
} from './sticky.ts'

const KEY = Buffer.alloc(32, 7)
const OTHER_KEY = Buffer.alloc(32, 8)
const NOW = Date.UTC(2024, 0, 1, 12, 0, 0)

describe('encodeSticky / decodeSticky', () => {
  it('round-trips the payload until stickyUntil', () => {
    const value = encodeSticky(KEY, 'tg|i-123|80', NOW + 1000)
    assert.match(value, /^[A-Za-z0-9+/]+=*$/)
    assert.equal(decodeSticky(KEY, value, NOW), 'tg|i-123|80')
    assert.equal(decodeSticky(KEY, value, NOW + 999), 'tg|i-123|80')
  })

  it('is opaque: the payload does not appear and two encodings differ', () => {
    const a = encodeSticky(KEY, 'tg|10.0.0.1|80', NOW + 1000)
    const b = encodeSticky(KEY, 'tg|10.0.0.1|80', NOW + 1000)
    assert.notEqual(a, b)
    assert.ok(!Buffer.from(a, 'base64').toString('latin1').includes('10.0.0.1'))
  })

  const rejected: Array<[string, (v: string) => string | undefined, number?]> = [
    ['missing', () => undefined],
    ['empty', () => ''],
    ['garbage', () => 'not base64 at all !!!'.repeat(4)],
    ['truncated', (v) => v.slice(0, 40)],
    ['tampered', (v) => (v[20] === 'A' ? `${v.slice(0, 20)}B${v.slice(21)}` : `${v.slice(0, 20)}A${v.slice(21)}`)],
    ['expired', (v) => v, NOW + 1000],
    ['long expired', (v) => v, NOW + 10_000_000],
  ]
  for (const [name, mutate, at] of rejected) {
    it(`undefined when ${name}`, () => {
      const value = encodeSticky(KEY, 'payload', NOW + 1000)
      assert.equal(decodeSticky(KEY, mutate(value), at ?? NOW), undefined)
    })
  }

  it('undefined under another key (rotation)', () => {
    assert.equal(decodeSticky(OTHER_KEY, encodeSticky(KEY, 'p', NOW + 1000), NOW), undefined)
  })

  it('refuses a key of the wrong size', () => {
    assert.throws(() => encodeSticky(Buffer.alloc(16), 'p', NOW), RangeError)
    assert.equal(decodeSticky(Buffer.alloc(16), encodeSticky(KEY, 'p', NOW + 1), NOW), undefined)
  })

  it('is reproducible with an injected IV', () => {
    const iv = Buffer.alloc(12, 1)
    assert.equal(encodeSticky(KEY, 'x', NOW, iv), encodeSticky(KEY, 'x', NOW, iv))
  })
})

describe('Set-Cookie values', () => {
  const expires = new Date(NOW + STICKY_COOKIE_LIFETIME_MS).toUTCString()

  it('AWSALB + AWSALBCORS: same value, 7-day Expires, Path=/, CORS variant SameSite=None; Secure', () => {
    const [lb, cors] = lbStickyCookies(KEY, 'tg|i-1|80', NOW, 86_400)
    const value = /^AWSALB=([^;]+); Expires=([^;]+); Path=\/$/.exec(lb)
    assert.ok(value, lb)
    assert.equal(value[2], expires)
    assert.equal(expires, 'Mon, 08 Jan 2024 12:00:00 GMT')
    assert.equal(cors, `AWSALBCORS=${value[1]}; Expires=${expires}; Path=/; SameSite=None; Secure`)
    // Stickiness validity is the duration, not the cookie's 7 days.
    assert.equal(decodeSticky(KEY, value[1], NOW + 86_399_000), 'tg|i-1|80')
    assert.equal(decodeSticky(KEY, value[1], NOW + 86_400_000), undefined)
  })

  it('AWSALBTG + AWSALBTGCORS carry the target group ARN', () => {
    const arn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/0123456789abcdef'
    const [tg, cors] = tgStickyCookies(KEY, arn, NOW, 60)
    const value = /^AWSALBTG=([^;]+); Expires=[^;]+; Path=\/$/.exec(tg)![1]!
    assert.ok(cors.startsWith(`AWSALBTGCORS=${value}; `) && cors.endsWith('; SameSite=None; Secure'))
    assert.equal(decodeSticky(KEY, value, NOW), arn)
  })

  it('AWSALBAPP-0 only for a small value, with SameSite only when asked', () => {
    const plain = appStickyCookies(KEY, 'tg|i-1|80', NOW, 60, false)
    assert.equal(plain.length, 1)
    assert.match(plain[0]!, /^AWSALBAPP-0=[^;]+; Expires=[^;]+; Path=\/$/)
    assert.match(appStickyCookies(KEY, 'tg|i-1|80', NOW, 60, true)[0]!, /; SameSite=None; Secure$/)
  })

  it('AWSALBAPP shards a value over 4K and reads it back', () => {
    const big = 'k'.repeat(5000)
    const cookies = appStickyCookies(KEY, big, NOW, 60, false)
    assert.equal(cookies.length, 2)
    const pairs = cookies.map((c) => c.slice(0, c.indexOf(';'))).join('; ')
    assert.equal(decodeSticky(KEY, readAppStickyValue(['Cookie', pairs]), NOW), big)
    assert.deepEqual(appStickyCookies(KEY, 'k'.repeat(20_000), NOW, 60, false), [])
  })
})

describe('readCookie', () => {
  const table: Array<[headers: string[], name: string, expected: string | undefined]> = [
    [['Cookie', 'a=1; AWSALB=xyz; b=2'], 'AWSALB', 'xyz'],
    [['cookie', 'AWSALBCORS=cors; AWSALB=lb'], 'AWSALB', 'lb'],
    [['Cookie', 'AWSALBCORS=cors'], 'AWSALB', undefined],
    [['Cookie', 'a=1', 'COOKIE', 'AWSALB=second-header'], 'AWSALB', 'second-header'],
    [['Cookie', 'awsalb=lower'], 'AWSALB', undefined],
    [['Cookie', 'AWSALB="quoted"'], 'AWSALB', 'quoted'],
    [['Cookie', 'AWSALB=a%2Bb'], 'AWSALB', 'a%2Bb'],
    [['Cookie', 'AWSALB=first; AWSALB=second'], 'AWSALB', 'first'],
    [['Cookie', '  AWSALB=spaced  ;x=1'], 'AWSALB', 'spaced'],
    [['X-Cookie', 'AWSALB=no'], 'AWSALB', undefined],
    [[], 'AWSALB', undefined],
  ]
  for (const [headers, name, expected] of table) {
    it(`${JSON.stringify(headers)} ${name} → ${expected}`, () => assert.equal(readCookie(headers, name), expected))
  }
  it('falls back to AWSALBCORS when AWSALB was dropped', () => {
    assert.equal(readLbStickyValue(['Cookie', 'AWSALBCORS=cors']), 'cors')
  })
})

describe('app cookie detection', () => {
  it('sees the configured cookie in Set-Cookie', () => {
    assert.equal(responseSetsCookie(['a=1', 'SESSION=abc; Path=/'], 'SESSION'), true)
    assert.equal(responseSetsCookie('SESSION=abc', 'SESSION'), true)
    assert.equal(responseSetsCookie(['SESSIONID=abc'], 'SESSION'), false)
    assert.equal(responseSetsCookie(undefined, 'SESSION'), false)
  })
  it('recognises Chromium 80+', () => {
    assert.equal(isChromium80Plus('Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'), true)
    assert.equal(isChromium80Plus('Mozilla/5.0 Chrome/79.0.3945.130'), false)
    assert.equal(isChromium80Plus('Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0'), false)
    assert.equal(isChromium80Plus(undefined), false)
  })
})

describe('pickTargetGroup', () => {
  const tg = (arn: string, weight?: number) => ({ targetGroupArn: arn, ...(weight === undefined ? {} : { weight }) })
  const table: Array<{ name: string; groups: ReturnType<typeof tg>[]; randoms: number[]; expected: Array<string | undefined> }> = [
    { name: 'single group without weight', groups: [tg('a')], randoms: [0.5], expected: ['a'] },
    { name: 'single group of weight 0', groups: [tg('a', 0)], randoms: [0.5], expected: [undefined] },
    { name: '80/20 split by interval', groups: [tg('blue', 80), tg('green', 20)], randoms: [0, 0.79, 0.8, 0.999], expected: ['blue', 'blue', 'green', 'green'] },
    { name: 'weight 0 is never chosen', groups: [tg('a', 0), tg('b', 1), tg('c', 0)], randoms: [0, 0.5, 0.999999, 1], expected: ['b', 'b', 'b', 'b'] },
    { name: 'all zero', groups: [tg('a', 0), tg('b', 0)], randoms: [0.3], expected: [undefined] },
    { name: 'max weights', groups: [tg('a', 999), tg('b', 999)], randoms: [0.4999, 0.5], expected: ['a', 'b'] },
  ]
  for (const row of table) {
    it(row.name, () => {
      for (let i = 0; i < row.randoms.length; i++) {
        assert.equal(pickTargetGroup({ targetGroups: row.groups }, () => row.randoms[i]!), row.expected[i], `random ${row.randoms[i]}`)
      }
    })
  }
  it('splits proportionally over many picks', () => {
    let seed = 1
    const random = () => { seed = (seed * 16807) % 2147483647; return (seed - 1) / 2147483646 }
    const counts = { a: 0, b: 0, c: 0 }
    for (let i = 0; i < 30_000; i++) counts[pickTargetGroup({ targetGroups: [tg('a', 1), tg('b', 2), tg('c', 3)] }, random) as 'a' | 'b' | 'c']++
    assert.ok(Math.abs(counts.a / 30_000 - 1 / 6) < 0.01 && Math.abs(counts.b / 30_000 - 2 / 6) < 0.01, JSON.stringify(counts))
  })
})
