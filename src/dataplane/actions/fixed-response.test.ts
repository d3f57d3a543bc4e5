import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { fixedResponse } from './fixed-response.ts'

describe('fixedResponse', () => {
  const table = [
    { config: { statusCode: '200', contentType: 'text/plain', messageBody: 'OK' }, status: 200, type: 'text/plain; charset=utf-8', body: 'OK' },
    { config: { statusCode: '404', contentType: 'application/json', messageBody: '{"error":"nope"}' }, status: 404, type: 'application/json; charset=utf-8', body: '{"error":"nope"}' },
    { config: { statusCode: '503' }, status: 503, type: 'text/plain; charset=utf-8', body: '' },
    { config: { statusCode: '200', contentType: 'text/html', messageBody: 'héllo' }, status: 200, type: 'text/html; charset=utf-8', body: 'héllo' },
  ]
  for (const c of table) {
    it(`${c.config.statusCode} ${c.config.contentType ?? '(no type)'}`, () => {
      const r = fixedResponse(c.config)
      assert.equal(r.status, c.status)
      assert.equal(r.headers['content-type'], c.type)
      assert.equal(r.body.toString('utf8'), c.body)
      assert.equal(r.headers['content-length'], String(Buffer.byteLength(c.body)))
    })
  }
  it('returns the same prepared response for the same config', () => {
    const config = { statusCode: '200', messageBody: 'x' }
    assert.equal(fixedResponse(config), fixedResponse(config))
  })
})
