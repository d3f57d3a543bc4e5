import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { InvalidInput, type WireObject } from './actions.ts'
import { isCidr, parseConditions, wireCondition } from './conditions.ts'

function rejects(fn: () => unknown, code: string, message?: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvalidInput, `expected InvalidInput, got ${String(err)}`)
    assert.equal(err.code, code, err.message)
    if (typeof message === 'string') assert.equal(err.message, message)
    else if (message !== undefined) assert.match(err.message, message)
    return true
  })
}

describe('parseConditions', () => {
  it('echoes legacy Values both at the top level and in the field config', () => {
    const [condition] = parseConditions([{ Field: 'path-pattern', Values: ['/img/*'] }])
    const wire = wireCondition(condition!)
    assert.deepEqual(wire['Values'], ['/img/*'])
    assert.deepEqual(wire['PathPatternConfig'], { Values: ['/img/*'], RegexValues: undefined })
  })

  it('echoes a config-only condition without top-level Values', () => {
    const [condition] = parseConditions([{ Field: 'host-header', HostHeaderConfig: { Values: ['*.example.com', 'a.example.org'] } }])
    const wire = wireCondition(condition!)
    assert.equal(wire['Values'], undefined)
    assert.deepEqual(wire['HostHeaderConfig'], { Values: ['*.example.com', 'a.example.org'], RegexValues: undefined })
  })

  it('reads every field type', () => {
    const conditions = parseConditions([
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Env', Values: ['dev'] } },
      { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET'] } },
      { Field: 'query-string', QueryStringConfig: { Values: [{ Value: 'v1' }] } },
      { Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.0/8'] } },
      { Field: 'path-pattern', PathPatternConfig: { RegexValues: ['^/api/v[0-9]+$'] } },
    ])
    assert.deepEqual(conditions.map((c) => c.field), ['http-header', 'http-request-method', 'query-string', 'source-ip', 'path-pattern'])
    assert.deepEqual(wireCondition(conditions[2]!)['QueryStringConfig'], { Values: [{ Key: undefined, Value: 'v1' }] })
  })

  it('allows several http-header and query-string conditions', () => {
    assert.doesNotThrow(() => parseConditions([
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'A', Values: ['1'] } },
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'B', Values: ['2'] } },
      { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'a', Value: '1' }] } },
      { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'b', Value: '2' }] } },
    ]))
  })

  const invalid: ReadonlyArray<{ name: string; conditions: WireObject[]; code?: string; message?: string | RegExp }> = [
    { name: 'unknown field', conditions: [{ Field: 'cookie', Values: ['x'] }], message: /Condition field 'cookie' must be one of/ },
    { name: 'legacy Values on http-header', conditions: [{ Field: 'http-header', Values: ['x'] }], message: "The 'Values' field is not compatible with 'http-header'" },
    { name: 'legacy Values on source-ip', conditions: [{ Field: 'source-ip', Values: ['10.0.0.0/8'] }], message: "The 'Values' field is not compatible with 'source-ip'" },
    { name: 'empty legacy Values', conditions: [{ Field: 'path-pattern', Values: [] }], message: 'A condition value must be specified' },
    { name: 'no values at all', conditions: [{ Field: 'host-header' }], message: 'A condition value must be specified' },
    { name: 'empty config values', conditions: [{ Field: 'http-request-method', HttpRequestMethodConfig: { Values: [] } }], message: 'A condition value must be specified' },
    { name: 'empty string value', conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [''] } }], message: 'A condition value must be specified' },
    { name: 'two legacy values', conditions: [{ Field: 'host-header', Values: ['a.example.com', 'b.example.com'] }] },
    { name: 'legacy and config together', conditions: [{ Field: 'host-header', Values: ['a.example.com'], HostHeaderConfig: { Values: ['b.example.com'] } }] },
    { name: 'config of another field', conditions: [{ Field: 'host-header', PathPatternConfig: { Values: ['/'] } }] },
    { name: 'two host-header conditions', conditions: [{ Field: 'host-header', Values: ['a.example.com'] }, { Field: 'host-header', Values: ['b.example.com'] }] },
    { name: 'two path-pattern conditions', conditions: [{ Field: 'path-pattern', Values: ['/a'] }, { Field: 'path-pattern', Values: ['/b'] }] },
    { name: 'six condition values', conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/1', '/2', '/3', '/4', '/5', '/6'] } }] },
    { name: 'six values across conditions', conditions: [
      { Field: 'path-pattern', PathPatternConfig: { Values: ['/1', '/2', '/3'] } },
      { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET', 'PUT', 'POST'] } },
    ] },
    { name: 'six wildcards', conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*/*/*', '/a/*/*/*'] } }] },
    { name: 'host value too long', conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [`${'a'.repeat(125)}.com`] } }] },
    { name: 'host with bad characters', conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['a_b.example.com'] } }] },
    { name: 'host without a dot', conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['localhost'] } }] },
    { name: 'path with a space', conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/a b'] } }] },
    { name: 'http-header named Host', conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'host', Values: ['x'] } }] },
    { name: 'http-header name with wildcard', conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-*', Values: ['x'] } }] },
    { name: 'http-header name too long', conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X'.repeat(41), Values: ['x'] } }] },
    { name: 'http-header without name', conditions: [{ Field: 'http-header', HttpHeaderConfig: { Values: ['x'] } }] },
    { name: 'lowercase method', conditions: [{ Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['get'] } }] },
    { name: 'query-string pair without value', conditions: [{ Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'a' }] } }], message: 'A condition value must be specified' },
    { name: 'source-ip not a CIDR', conditions: [{ Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.1'] } }] },
    { name: 'source-ip broadcast host', conditions: [{ Field: 'source-ip', SourceIpConfig: { Values: ['255.255.255.255/32'] } }] },
    { name: 'regex with lookahead', conditions: [{ Field: 'path-pattern', PathPatternConfig: { RegexValues: ['^/(?=a)'] } }] },
    { name: 'regex that does not compile', conditions: [{ Field: 'path-pattern', PathPatternConfig: { RegexValues: ['^/(a'] } }] },
  ]
  for (const c of invalid) {
    it(`rejects ${c.name}`, () => rejects(() => parseConditions(c.conditions), c.code ?? 'ValidationError', c.message))
  }
})

describe('isCidr', () => {
  const cases: ReadonlyArray<[string, boolean]> = [
    ['10.0.0.0/8', true], ['192.168.1.1/32', true], ['0.0.0.0/0', true], ['2001:db8::/32', true], ['::/0', true],
    ['::ffff:10.0.0.0/104', true], ['10.0.0.0/33', false], ['10.0.0/8', false], ['256.0.0.0/8', false], ['10.0.0.0', false],
    ['2001:db8:::/32', false], ['2001:db8::/129', false], ['1:2:3:4:5:6:7:8:9/64', false], ['x/8', false],
  ]
  for (const [value, expected] of cases) it(`${value} → ${expected}`, () => assert.equal(isCidr(value), expected))
})
