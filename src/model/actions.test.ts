import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  InvalidInput, checkActionsForListener, parseActions, wireAction, type WireObject,
} from './actions.ts'

const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/a/0123456789abcdef'
const TG2 = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/b/0123456789abcdef'

function rejects(fn: () => unknown, code: string, message?: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvalidInput, `expected InvalidInput, got ${String(err)}`)
    assert.equal(err.code, code, err.message)
    if (typeof message === 'string') assert.equal(err.message, message)
    else if (message !== undefined) assert.match(err.message, message)
    return true
  })
}

describe('parseActions', () => {
  it('normalises a single-target-group forward the way AWS echoes it', () => {
    const [action] = parseActions([{ Type: 'forward', TargetGroupArn: TG }], 'defaultActions')
    assert.deepEqual(wireAction(action!), {
      Type: 'forward', TargetGroupArn: TG, AuthenticateOidcConfig: undefined, AuthenticateCognitoConfig: undefined, Order: undefined,
      RedirectConfig: undefined, FixedResponseConfig: undefined,
      ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false, DurationSeconds: undefined } },
      JwtValidationConfig: undefined,
    })
  })

  it('keeps weights and stickiness of a weighted forward, without a top-level TargetGroupArn', () => {
    const [action] = parseActions([{
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: [{ TargetGroupArn: TG, Weight: '10' }, { TargetGroupArn: TG2 }],
        TargetGroupStickinessConfig: { Enabled: 'true', DurationSeconds: '60' },
      },
    }], 'actions')
    assert.equal(action!.targetGroupArn, undefined)
    assert.deepEqual(action!.forwardConfig, {
      targetGroups: [{ targetGroupArn: TG, weight: 10 }, { targetGroupArn: TG2, weight: 1 }],
      targetGroupStickinessConfig: { enabled: true, durationSeconds: 60 },
    })
  })

  it('fills the redirect defaults that Describe echoes', () => {
    const [action] = parseActions([{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }], 'actions')
    assert.deepEqual(action!.redirectConfig, { protocol: 'HTTPS', port: '443', host: '#{host}', path: '/#{path}', query: '#{query}', statusCode: 'HTTP_301' })
  })

  it('accepts an authentication action before the terminal action', () => {
    const actions = parseActions([
      { Type: 'fixed-response', Order: '2', FixedResponseConfig: { StatusCode: '200' } },
      { Type: 'authenticate-cognito', Order: '1', AuthenticateCognitoConfig: { UserPoolArn: 'arn:pool', UserPoolClientId: 'c', UserPoolDomain: 'd' } },
    ], 'actions')
    assert.equal(actions[1]!.authenticateCognitoConfig?.['SessionCookieName'], 'AWSELBAuthSessionCookie')
    assert.equal(actions[1]!.authenticateCognitoConfig?.['SessionTimeout'], 604800)
    assert.doesNotThrow(() => checkActionsForListener(actions, 'HTTPS'))
    rejects(() => checkActionsForListener(actions, 'HTTP'), 'InvalidLoadBalancerAction')
  })

  it('reuses the stored OIDC client secret with UseExistingClientSecret and never echoes it', () => {
    const oidc = { Issuer: 'https://i', AuthorizationEndpoint: 'https://a', TokenEndpoint: 'https://t', UserInfoEndpoint: 'https://u', ClientId: 'id' }
    const first = parseActions([
      { Type: 'authenticate-oidc', Order: '1', AuthenticateOidcConfig: { ...oidc, ClientSecret: 's3cret' } },
      { Type: 'forward', Order: '2', TargetGroupArn: TG },
    ], 'actions')
    const second = parseActions([
      { Type: 'authenticate-oidc', Order: '1', AuthenticateOidcConfig: { ...oidc, UseExistingClientSecret: 'true' } },
      { Type: 'forward', Order: '2', TargetGroupArn: TG },
    ], 'actions', { previous: first })
    assert.equal(second[0]!.authenticateOidcConfig?.['ClientSecret'], 's3cret')
    const wire = wireAction(second[0]!)['AuthenticateOidcConfig'] as Record<string, unknown>
    assert.equal(wire['ClientSecret'], undefined)
    assert.equal(wire['Scope'], 'openid')
    rejects(() => parseActions([{ Type: 'authenticate-oidc', Order: '1', AuthenticateOidcConfig: oidc }, { Type: 'forward', Order: '2', TargetGroupArn: TG }], 'actions'),
      'InvalidLoadBalancerAction', "For actions of type 'authenticate-oidc', you must specify the following fields: 'ClientSecret'")
  })

  const invalid: ReadonlyArray<{ name: string; actions: WireObject[]; code: string; message?: string | RegExp }> = [
    { name: 'unknown type', actions: [{ Type: 'drop' }], code: 'ValidationError', message: /Value 'drop' at 'actions.1.member.type'.*enum value set/ },
    { name: 'redirect without config', actions: [{ Type: 'redirect' }], code: 'InvalidLoadBalancerAction', message: "For actions of type 'redirect', you must specify the following fields: 'RedirectConfig'" },
    { name: 'fixed-response without config', actions: [{ Type: 'fixed-response' }], code: 'InvalidLoadBalancerAction', message: "For actions of type 'fixed-response', you must specify the following fields: 'FixedResponseConfig'" },
    { name: 'forward without target', actions: [{ Type: 'forward' }], code: 'InvalidLoadBalancerAction' },
    { name: 'config of another type', actions: [{ Type: 'forward', TargetGroupArn: TG, RedirectConfig: { StatusCode: 'HTTP_301' } }], code: 'InvalidLoadBalancerAction' },
    { name: 'weight above 999', actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG, Weight: '1000' }] } }], code: 'ValidationError' },
    { name: 'negative weight', actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG, Weight: '-1' }] } }], code: 'ValidationError' },
    { name: 'six target groups', actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [1, 2, 3, 4, 5, 6].map((n) => ({ TargetGroupArn: `${TG}${n}` })) } }], code: 'InvalidLoadBalancerAction' },
    { name: 'same target group twice', actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG }, { TargetGroupArn: TG }] } }], code: 'InvalidLoadBalancerAction' },
    { name: 'TargetGroupArn differing from ForwardConfig', actions: [{ Type: 'forward', TargetGroupArn: TG, ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG2 }] } }], code: 'InvalidLoadBalancerAction' },
    { name: 'stickiness enabled without duration', actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG }], TargetGroupStickinessConfig: { Enabled: 'true' } } }], code: 'ValidationError' },
    { name: 'stickiness duration too long', actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG }], TargetGroupStickinessConfig: { Enabled: 'true', DurationSeconds: '604801' } } }], code: 'ValidationError' },
    { name: 'redirect protocol', actions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'FTP', StatusCode: 'HTTP_301' } }], code: 'ValidationError', message: /Member must satisfy regular expression pattern: \^\(HTTPS\?\|#\\\{protocol\\\}\)\$/ },
    { name: 'redirect port', actions: [{ Type: 'redirect', RedirectConfig: { Port: '70000', StatusCode: 'HTTP_301' } }], code: 'ValidationError' },
    { name: 'redirect path without slash', actions: [{ Type: 'redirect', RedirectConfig: { Path: 'x', StatusCode: 'HTTP_301' } }], code: 'ValidationError' },
    { name: 'redirect query with ?', actions: [{ Type: 'redirect', RedirectConfig: { Host: 'h.example.com', Query: '?a=1', StatusCode: 'HTTP_301' } }], code: 'ValidationError' },
    { name: 'redirect status', actions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', StatusCode: 'HTTP_307' } }], code: 'ValidationError' },
    { name: 'redirect without status', actions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS' } }], code: 'ValidationError' },
    { name: 'redirect loop', actions: [{ Type: 'redirect', RedirectConfig: { Query: 'a=1', StatusCode: 'HTTP_302' } }], code: 'InvalidLoadBalancerAction' },
    { name: 'fixed-response status', actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '302' } }], code: 'ValidationError', message: /\^\(2\|4\|5\)\\d\\d\$/ },
    { name: 'fixed-response content type', actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'image/png' } }], code: 'InvalidLoadBalancerAction' },
    { name: 'fixed-response body too long', actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', MessageBody: 'x'.repeat(1025) } }], code: 'ValidationError' },
    { name: 'order out of range', actions: [{ Type: 'forward', Order: '50001', TargetGroupArn: TG }], code: 'ValidationError' },
    { name: 'no terminal action', actions: [{ Type: 'authenticate-cognito', AuthenticateCognitoConfig: { UserPoolArn: 'p', UserPoolClientId: 'c', UserPoolDomain: 'd' } }], code: 'InvalidLoadBalancerAction' },
    { name: 'two terminal actions', actions: [{ Type: 'forward', Order: '1', TargetGroupArn: TG }, { Type: 'fixed-response', Order: '2', FixedResponseConfig: { StatusCode: '200' } }], code: 'InvalidLoadBalancerAction' },
    { name: 'multiple actions without order', actions: [{ Type: 'authenticate-cognito', AuthenticateCognitoConfig: { UserPoolArn: 'p', UserPoolClientId: 'c', UserPoolDomain: 'd' } }, { Type: 'forward', TargetGroupArn: TG }], code: 'ValidationError' },
    { name: 'terminal action not last', actions: [{ Type: 'authenticate-cognito', Order: '3', AuthenticateCognitoConfig: { UserPoolArn: 'p', UserPoolClientId: 'c', UserPoolDomain: 'd' } }, { Type: 'forward', Order: '2', TargetGroupArn: TG }], code: 'InvalidLoadBalancerAction' },
    { name: 'jwt endpoint not https', actions: [{ Type: 'jwt-validation', Order: '1', JwtValidationConfig: { JwksEndpoint: 'http://x', Issuer: 'i' } }, { Type: 'forward', Order: '2', TargetGroupArn: TG }], code: 'ValidationError' },
  ]
  for (const c of invalid) {
    it(`rejects ${c.name} with ${c.code}`, () => rejects(() => parseActions(c.actions, 'actions'), c.code, c.message))
  }

  it('refuses a redirect from HTTPS to HTTP on an HTTPS listener only', () => {
    const actions = parseActions([{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTP', StatusCode: 'HTTP_301' } }], 'actions')
    assert.doesNotThrow(() => checkActionsForListener(actions, 'HTTP'))
    rejects(() => checkActionsForListener(actions, 'HTTPS'), 'InvalidLoadBalancerAction')
  })
})
