import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Agent, createServer, request } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import type { View } from '../store/store.ts'
import type { Kind, Records } from '../model/resources.ts'
import { compileSnapshot } from '../config/compile.ts'
import { DataPlane } from './dataplane.ts'

function view(records: Partial<{ [K in Kind]: Array<Records[K]> }>): View {
  return {
    get: (kind, id) => (records[kind] as Array<{ arn?: string; id?: string; key?: string }> | undefined)
      ?.find((r) => (r.arn ?? r.id ?? r.key) === id) as never,
    list: (kind) => [...((records[kind] ?? []) as never[])],
  }
}

async function freePort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('DataPlane (injected clock)', () => {
  const target = createServer((_req, res) => res.end('ok'))
  let now = 1_000_000
  const dataPlane = new DataPlane({ bind: '127.0.0.1', log: () => {}, clock: () => now })
  after(async () => {
    await dataPlane.close()
    await new Promise<void>((resolve) => { target.close(() => resolve()); target.closeAllConnections() })
  })

  it('closes a client connection gracefully once it outlives client_keep_alive.seconds', async () => {
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve))
    const targetPort = (target.address() as AddressInfo).port
    const port = await freePort()
    const records = view({
      loadBalancer: [{
        arn: 'lb', name: 'lb', dnsName: 'lb-1.us-east-1.elb.localhost', canonicalHostedZoneId: 'Z', createdTime: 0, scheme: 'internet-facing',
        type: 'application', ipAddressType: 'ipv4', vpcId: 'vpc', zones: [], securityGroups: [], attributes: { 'client_keep_alive.seconds': '60' },
        region: 'us-east-1', tags: [],
      }],
      listener: [{ arn: 'l', loadBalancerArn: 'lb', port, protocol: 'HTTP', certificateArns: [], attributes: {}, createdTime: 0, region: 'us-east-1', tags: [] }],
      rule: [{ arn: 'r', listenerArn: 'l', priority: 'default', conditions: [], actions: [{ type: 'forward', targetGroupArn: 'tg' }], region: 'us-east-1', tags: [] }],
      targetGroup: [{
        arn: 'tg', name: 'tg', protocol: 'HTTP', port: 80, targetType: 'ip', attributes: {}, createdTime: 0, region: 'us-east-1', tags: [],
        healthCheck: { enabled: true, intervalSeconds: 30, timeoutSeconds: 5, healthyThresholdCount: 5, unhealthyThresholdCount: 2 },
      }],
      registration: [{ key: `tg|127.0.0.1|${targetPort}`, targetGroupArn: 'tg', targetId: '127.0.0.1', port: targetPort, registeredAt: 0 }],
    })
    await dataPlane.apply(compileSnapshot(records, 1, now))
    assert.deepEqual(dataPlane.ports, [port])
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const get = (): Promise<{ connection: string | undefined; local: number | undefined }> => new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        res.resume()
        res.on('end', () => resolve({ connection: res.headers.connection, local: req.socket?.localPort }))
      })
      req.on('error', reject)
      req.end()
    })
    const first = await get()
    assert.equal(first.connection, 'keep-alive')
    now += 30_000
    const second = await get()
    assert.equal(second.local, first.local, 'same connection reused')
    assert.equal(second.connection, 'keep-alive')
    now += 31_000
    const third = await get()
    assert.equal(third.local, first.local)
    assert.equal(third.connection, 'close', 'older than 60 s: graceful close')
    agent.destroy()
  })
})
