import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Registration } from './resources.ts'
import { registrationExpired, registrationKey, targetHealth, type TargetHealth, type TargetHealthInput } from './target-health.ts'

const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef'
const registered: Registration = { key: registrationKey(TG, 'i-1', 80), targetGroupArn: TG, targetId: 'i-1', port: 80, registeredAt: 1_000 }
const draining: Registration = { ...registered, deregisteredAt: 5_000 }

const base: TargetHealthInput = { registration: registered, healthCheckEnabled: true, inUse: true, instanceState: 'running' }

const DRAINING: TargetHealth = { state: 'draining', reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress' }
const STOPPED: TargetHealth = { state: 'unused', reason: 'Target.InvalidState', description: 'Target is in the stopped state' }
const TERMINATED: TargetHealth = { state: 'unused', reason: 'Target.InvalidState', description: 'Target is in the terminated state' }
const NOT_IN_USE: TargetHealth = { state: 'unused', reason: 'Target.NotInUse', description: 'Target group is not configured to receive traffic from the load balancer' }
const DISABLED: TargetHealth = { state: 'unavailable', reason: 'Target.HealthCheckDisabled', description: 'Health checks are disabled' }
const INITIAL: TargetHealth = { state: 'initial', reason: 'Elb.RegistrationInProgress', description: 'Target registration is in progress' }

describe('targetHealth', () => {
  const cases: Array<{ name: string; input: Partial<TargetHealthInput>; expected: TargetHealth }> = [
    { name: 'a fresh registration in a used group is initial', input: {}, expected: INITIAL },
    { name: 'draining wins over everything', input: { registration: draining, instanceState: 'stopped', inUse: false, healthCheckEnabled: false, observed: { state: 'healthy' } }, expected: DRAINING },
    { name: 'stopped instance', input: { instanceState: 'stopped' }, expected: STOPPED },
    { name: 'stopping instance counts as stopped', input: { instanceState: 'stopping' }, expected: STOPPED },
    { name: 'terminated instance', input: { instanceState: 'terminated' }, expected: TERMINATED },
    { name: 'shutting-down instance counts as terminated', input: { instanceState: 'shutting-down' }, expected: TERMINATED },
    { name: 'vanished instance counts as terminated', input: { instanceState: 'missing' }, expected: TERMINATED },
    { name: 'stopped instance wins over an unused group', input: { instanceState: 'stopped', inUse: false }, expected: STOPPED },
    { name: 'unused group', input: { inUse: false, observed: { state: 'healthy' } }, expected: NOT_IN_USE },
    { name: 'unused group wins over disabled checks', input: { inUse: false, healthCheckEnabled: false }, expected: NOT_IN_USE },
    { name: 'health checks disabled', input: { healthCheckEnabled: false, observed: { state: 'healthy' } }, expected: DISABLED },
    { name: 'ip targets have no instance state', input: { instanceState: undefined }, expected: INITIAL },
    { name: 'observed healthy has no reason or description', input: { observed: { state: 'healthy', reason: 'ignored', description: 'ignored' } }, expected: { state: 'healthy' } },
    {
      name: 'observed unhealthy passes reason and description through',
      input: { observed: { state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [404]' } },
      expected: { state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [404]' },
    },
    {
      name: 'observed initial checking',
      input: { observed: { state: 'initial', reason: 'Elb.InitialHealthChecking', description: 'Initial health checks in progress' } },
      expected: { state: 'initial', reason: 'Elb.InitialHealthChecking', description: 'Initial health checks in progress' },
    },
    { name: 'pending instance (restarting) is still checked', input: { instanceState: 'pending' }, expected: INITIAL },
  ]
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(targetHealth({ ...base, ...c.input }), c.expected))
  }
})

describe('registrationExpired', () => {
  const cases: Array<{ name: string; registration: Registration; delay: number; now: number; expected: boolean }> = [
    { name: 'registered targets never expire', registration: registered, delay: 0, now: 10_000_000, expected: false },
    { name: 'draining within the delay', registration: draining, delay: 300, now: 5_000 + 299_999, expected: false },
    { name: 'draining at the end of the delay', registration: draining, delay: 300, now: 5_000 + 300_000, expected: true },
    { name: 'zero delay expires at once', registration: draining, delay: 0, now: 5_000, expected: true },
  ]
  for (const c of cases) {
    it(c.name, () => assert.equal(registrationExpired(c.registration, c.delay, c.now), c.expected))
  }
})
