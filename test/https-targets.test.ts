/**
 * HTTPS target groups (spec §3.2, issue 4): the ALB speaks TLS to the targets and does not
 * validate their certificates (a self-signed one for an unrelated name is fine), for
 * requests, WebSocket upgrades and HTTPS health checks.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import {
  CreateLoadBalancerCommand, CreateTargetGroupCommand, DescribeTargetHealthCommand, RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2'
import { startTestOpenAlb, type TestOpenAlb } from './support/openalb.ts'
import { createListener, freePort, httpRequest, rawExchange, waitFor } from './support/dataplane.ts'
import { defaultSubnets } from './support/network.ts'
import { selfSigned } from './support/openssl.ts'

describe('HTTPS target groups: TLS to targets, certificates not validated', () => {
  let alb: TestOpenAlb
  let target: Server
  let port: number
  const seen: Array<{ url: string; encrypted: boolean; protocol: string | null; userAgent: string | undefined }> = []

  before(async () => {
    alb = await startTestOpenAlb()
    const cert = selfSigned('not-the-target-name.invalid')
    target = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
      const socket = req.socket as TLSSocket
      seen.push({ url: req.url ?? '', encrypted: socket.encrypted === true, protocol: socket.getProtocol(), userAgent: req.headers['user-agent'] })
      res.setHeader('Content-Type', 'text/plain')
      res.end(`tls-target ${req.headers['x-forwarded-proto']}`)
    })
    target.on('upgrade', (_req, socket: Socket, head: Buffer) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n')
      const echo = (chunk: Buffer): void => { socket.end(Buffer.concat([Buffer.from('echo:'), chunk])) }
      // Bytes that arrived with the request head come as `head`.
      if (head.length > 0) echo(head)
      else socket.once('data', echo)
    })
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve))
    const subnets = await defaultSubnets(alb)
    const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'tls-targets', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
    const vpcId = (await alb.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0]!.VpcId!
    const tg = (await alb.elbv2.send(new CreateTargetGroupCommand({
      Name: 'tls-targets', Protocol: 'HTTPS', Port: 443, VpcId: vpcId, TargetType: 'ip',
      HealthCheckProtocol: 'HTTPS', HealthCheckPath: '/health', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2,
    }))).TargetGroups![0]!.TargetGroupArn!
    await alb.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: '127.0.0.1', Port: (target.address() as AddressInfo).port }] }))
    port = await freePort()
    await createListener(alb, lb.LoadBalancerArn!, port, [{ Type: 'forward', TargetGroupArn: tg }])
    await waitFor(async () => {
      const health = await alb.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }))
      return health.TargetHealthDescriptions?.[0]?.TargetHealth?.State === 'healthy' ? true : undefined
    }, 10_000, 'HTTPS health check passes')
  })
  after(async () => {
    await alb.close()
    await new Promise<void>((resolve) => { target.close(() => resolve()); target.closeAllConnections() })
  })

  it('health-checks over TLS without validating the certificate', () => {
    const check = seen.find((s) => s.url === '/health')
    assert.ok(check !== undefined)
    assert.equal(check.encrypted, true)
    assert.equal(check.userAgent, 'ELB-HealthChecker/2.0')
  })

  it('forwards requests over TLS to a target with a self-signed certificate for another name', async () => {
    const res = await waitFor(async () => {
      const r = await httpRequest(port, '/page')
      return r.status === 200 ? r : undefined
    }, 10_000, 'listener live')
    assert.equal(res.body, 'tls-target http')
    const request = seen.find((s) => s.url === '/page')
    assert.equal(request?.encrypted, true)
    assert.match(request?.protocol ?? '', /^TLSv1\.[23]$/)
    // Keep-alive towards the target: a second request works too.
    assert.equal((await httpRequest(port, '/page')).body, 'tls-target http')
  })

  it('proxies a WebSocket upgrade to the target over TLS', async () => {
    const reply = await rawExchange(port, 'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\nhello')
    assert.match(reply, /^HTTP\/1\.1 101 Switching Protocols\r\n[\s\S]*\r\n\r\necho:hello$/)
  })
})
