import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { PassiveFailures, isPassiveFailure } from './passive.ts'

describe('PassiveFailures', () => {
  it('only a check started after the failure clears it', () => {
    const passive = new PassiveFailures()
    assert.equal(passive.fail('t', 5), true, 'newly failed')
    assert.equal(passive.fail('t', 6), false, 'already failed; the failure point moves to 6')
    assert.equal(passive.passed('t', 5), false, 'a check started before the failure cannot vouch for it')
    assert.equal(passive.passed('t', 6), false)
    assert.equal(passive.failed('t'), true)
    assert.equal(passive.passed('t', 7), true)
    assert.equal(passive.failed('t'), false)
    assert.equal(passive.passed('t', 8), false, 'nothing to clear')
  })

  it('forgets one key or all', () => {
    const passive = new PassiveFailures()
    passive.fail('a', 1)
    passive.fail('b', 1)
    passive.forget('a')
    assert.equal(passive.failed('a'), false)
    assert.equal(passive.failed('b'), true)
    passive.clear()
    assert.equal(passive.failed('b'), false)
  })
})

describe('isPassiveFailure', () => {
  const withCode = (code: string): Error => Object.assign(new Error('x'), { code })
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']) {
    it(`${code} is a passive failure`, () => assert.equal(isPassiveFailure(withCode(code)), true))
  }
  for (const code of ['ETIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_ABORTED', 'ERR_TLS_CERT_ALTNAME_INVALID']) {
    it(`${code} is not`, () => assert.equal(isPassiveFailure(withCode(code)), false))
  }
  it('follows cause chains, never messages', () => {
    assert.equal(isPassiveFailure(new Error('outer', { cause: new Error('mid', { cause: withCode('ECONNRESET') }) })), true)
    assert.equal(isPassiveFailure(new Error('connect ECONNREFUSED 127.0.0.1:1')), false)
    assert.equal(isPassiveFailure('ECONNREFUSED'), false)
    assert.equal(isPassiveFailure(null), false)
  })
})
