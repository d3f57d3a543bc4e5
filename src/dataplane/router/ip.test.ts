import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { cidrContains, parseCidr, parseIp, type ParsedIp } from './ip.ts'

const fresh = (): ParsedIp => ({ kind: 0, v4: 0, v6: new Uint32Array(4) })

describe('parseIp', () => {
  const table: Array<[string, 0 | 4 | 6, string?]> = [
    ['10.1.2.3', 4],
    ['255.255.255.255', 4],
    ['256.1.1.1', 0],
    ['1.2.3', 0],
    ['1.2.3.4.5', 0],
    ['01.2.3.4', 0],
    ['::ffff:10.1.2.3', 4],
    ['::FFFF:0a01:0203', 4],
    ['::1', 6, '0,0,0,1'],
    ['::', 6, '0,0,0,0'],
    ['2001:db8::1', 6, `${0x20010db8},0,0,1`],
    ['2001:db8:0:0:0:0:0:1', 6, `${0x20010db8},0,0,1`],
    ['fe80::1%eth0', 6, `${0xfe800000},0,0,1`],
    ['1::2::3', 0],
    ['1:2:3:4:5:6:7:8:9', 0],
    ['1:', 0],
    ['::64:ff9b:1.2.3.4', 6],
    ['example.com', 0],
    ['', 0],
  ]
  for (const [text, kind, words] of table) {
    it(`${JSON.stringify(text)} → kind ${kind}`, () => {
      const ip = parseIp(text, fresh())
      assert.equal(ip.kind, kind)
      if (words !== undefined) assert.equal([...ip.v6].join(','), words)
    })
  }
  it('maps ::ffff:a.b.c.d to the IPv4 number', () => {
    assert.equal(parseIp('::ffff:192.0.2.1', fresh()).v4, 0xc0000201)
  })
})

describe('cidrContains', () => {
  const table: Array<[cidr: string, ip: string, expected: boolean]> = [
    ['192.0.2.0/24', '192.0.2.77', true],
    ['192.0.2.0/24', '192.0.3.1', false],
    ['192.0.2.0/24', '::ffff:192.0.2.77', true],
    ['198.51.100.10/32', '198.51.100.10', true],
    ['198.51.100.10/32', '198.51.100.11', false],
    ['198.51.100.10', '198.51.100.10', true],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['10.1.2.3/8', '10.200.0.1', true],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['2001:db8::/127', '2001:db8::1', true],
    ['2001:db8::/127', '2001:db8::2', false],
    ['::/0', '2001:db8::1', true],
    ['::/0', '10.0.0.1', false],
    ['::/0', '::ffff:10.0.0.1', false],
    ['10.0.0.0/8', '2001:db8::1', false],
    ['::ffff:10.0.0.0/104', '10.9.9.9', true],
    ['::ffff:10.0.0.0/104', '11.9.9.9', false],
  ]
  for (const [cidrText, ipText, expected] of table) {
    it(`${cidrText} ∋ ${ipText} → ${expected}`, () => {
      const cidr = parseCidr(cidrText)
      assert.ok(cidr)
      assert.equal(cidrContains(cidr, parseIp(ipText, fresh())), expected)
    })
  }
  it('rejects malformed CIDRs', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/x', '::/129', 'nope/8', '1.2.3.4/-1']) {
      assert.equal(parseCidr(bad), undefined, bad)
    }
  })
})
