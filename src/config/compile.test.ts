import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { View } from '../store/store.ts'
import type { Kind, Records } from '../model/resources.ts'
import { compileSnapshot } from './compile.ts'
import { ConfigWatcher } from './watch.ts'

const HC = { enabled: true, intervalSeconds: 30, timeoutSeconds: 5, healthyThresholdCount: 5, unhealthyThresholdCount: 2 }

function view(records: Partial<{ [K in Kind]: Array<Records[K]> }>): View {
  return {
    get: (kind, id) => (records[kind] as Array<{ arn?: string; id?: string; key?: string }> | undefined)
      ?.find((r) => (r.arn ?? r.id ?? r.key) === id) as never,
    list: (kind) => [...((records[kind] ?? []) as never[])],
  }
}

const lb = (name: string, createdTime: number, attributes: Record<string, string> = {}) => ({
  arn: `lb-${name}`, name, dnsName: `${name}-1.us-east-1.elb.localhost`, canonicalHostedZoneId: 'Z', createdTime, scheme: 'internet-facing' as const,
  type: 'application' as const, ipAddressType: 'ipv4', vpcId: 'vpc', zones: [], securityGroups: [], attributes, region: 'us-east-1', tags: [],
})
const listener = (name: string, port: number, createdTime: number) => ({
  arn: `l-${name}`, loadBalancerArn: `lb-${name}`, port, protocol: 'HTTP', certificateArns: [], attributes: {}, createdTime, region: 'us-east-1', tags: [],
})
const defaultRule = (name: string, tg: string) => ({
  arn: `r-${name}`, listenerArn: `l-${name}`, priority: 'default' as const, conditions: [],
  actions: [{ type: 'forward' as const, targetGroupArn: tg }], region: 'us-east-1', tags: [],
})
const tg = (arn: string, targetType: 'ip' | 'instance' = 'ip', attributes: Record<string, string> = {}) => ({
  arn, name: arn, protocol: 'HTTP', port: 80, targetType, healthCheck: HC, attributes, createdTime: 0, region: 'us-east-1', tags: [],
})

describe('compileSnapshot', () => {
  it('shares a port between load balancers, first opener first, and parses attributes once', () => {
    const snapshot = compileSnapshot(view({
      loadBalancer: [lb('b', 2, { 'idle_timeout.timeout_seconds': '7', 'routing.http.xff_header_processing.mode': 'remove' }), lb('a', 1)],
      listener: [listener('b', 80, 20), listener('a', 80, 10)],
      rule: [defaultRule('a', 'tg-a'), defaultRule('b', 'tg-b')],
      targetGroup: [tg('tg-a'), tg('tg-b'), tg('tg-idle')],
    }), 5, 1000)
    const binding = snapshot.ports.get(80)!
    assert.deepEqual(binding.listeners.map((l) => l.arn), ['l-a', 'l-b'])
    assert.equal(binding.byHost.get('b-1.us-east-1.elb.localhost')?.arn, 'l-b')
    assert.equal(binding.listeners[1]!.loadBalancer.idleTimeoutMs, 7000)
    assert.equal(binding.listeners[1]!.loadBalancer.xffMode, 'remove')
    assert.equal(binding.listeners[0]!.loadBalancer.xffMode, 'append')
    assert.equal(snapshot.targetGroups.get('tg-a')!.inUse, true)
    assert.equal(snapshot.targetGroups.get('tg-idle')!.inUse, false)
    assert.equal(snapshot.revision, 5)
  })

  it('resolves targets: drained ones leave, draining ones say until when, stopped instances are excluded', () => {
    const now = 100_000
    const snapshot = compileSnapshot(view({
      targetGroup: [tg('ips', 'ip', { 'deregistration_delay.timeout_seconds': '10' }), tg('vms', 'instance')],
      registration: [
        { key: 'ips|127.0.0.1|1', targetGroupArn: 'ips', targetId: '127.0.0.1', port: 1, registeredAt: 0 },
        { key: 'ips|127.0.0.1|2', targetGroupArn: 'ips', targetId: '127.0.0.1', port: 2, registeredAt: 0, deregisteredAt: now - 5000 },
        { key: 'ips|127.0.0.1|3', targetGroupArn: 'ips', targetId: '127.0.0.1', port: 3, registeredAt: 0, deregisteredAt: now - 20_000 },
        { key: 'vms|i-1|80', targetGroupArn: 'vms', targetId: 'i-1', port: 80, registeredAt: 0 },
        { key: 'vms|i-2|80', targetGroupArn: 'vms', targetId: 'i-2', port: 80, registeredAt: 0 },
      ],
      instance: [
        { id: 'i-1', privateIpAddress: '127.0.0.9', state: 'running', launchTime: 0 } as Records['instance'],
        { id: 'i-2', privateIpAddress: '127.0.0.10', state: 'stopping', launchTime: 0, stateChangedAt: now - 100 } as Records['instance'],
      ],
    }), 1, now)
    const ips = snapshot.targetGroups.get('ips')!.targets
    assert.deepEqual(ips.map((t) => [t.port, t.drainingUntil]), [[1, undefined], [2, now + 5000]])
    const vms = snapshot.targetGroups.get('vms')!.targets
    assert.deepEqual(vms.map((t) => [t.host, t.excluded]), [['127.0.0.9', undefined], ['127.0.0.10', 'stopped']])
    // The next time-derived change: the stopping instance settles (300 ms after it started stopping).
    assert.equal(snapshot.nextTimeChangeAt, now + 200)
  })

  it('skips a listener whose default rule is missing rather than failing the whole snapshot', () => {
    const snapshot = compileSnapshot(view({ loadBalancer: [lb('a', 1)], listener: [listener('a', 81, 1)] }), 1, 0)
    assert.equal(snapshot.ports.size, 0)
  })
})

describe('ConfigWatcher', () => {
  it('coalesces a burst of changes into one compile and skips unchanged revisions', async () => {
    let revision = 1
    const subscribers: Array<(revision: number) => void> = []
    const store = { ...view({}), get revision() { return revision }, onChange: (cb: (r: number) => void) => { subscribers.push(cb); return () => {} } }
    const watcher = new ConfigWatcher(store)
    const seen: number[] = []
    watcher.subscribe((s) => seen.push(s.revision))
    watcher.start()
    for (revision = 2; revision <= 4; revision++) for (const cb of subscribers) cb(revision)
    revision = 4
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    for (const cb of subscribers) cb(4) // same revision again: nothing to do
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(seen, [1, 4])
    watcher.close()
  })
})
