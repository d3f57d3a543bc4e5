/**
 * ProtocolVersion HTTP2 target groups (spec §7.9, issue 4): HTTP/2 requests from clients go
 * to the target over HTTP/2 (h2 with prior knowledge to an HTTP target group); HTTP/1.1
 * requests are refused with 464.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { createServer, type Http2Server } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm'
import { CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2'
import { startTestOpenAlb, TEST_CREDENTIALS, TEST_REGION, type TestOpenAlb } from './support/openalb.ts'
import { freePort, waitFor } from './support/dataplane.ts'
import { defaultSubnets } from './support/network.ts'
import { certificateFiles, curl, type CertificateFiles } from './support/tls.ts'

describe('HTTP2 target groups: h2 to the targets', () => {
  let alb: TestOpenAlb
  let acm: ACMClient
  let cert: CertificateFiles
  let target: Http2Server
  let port: number
  const seen: Array<{ version: string; method: string; authority: string | undefined; body: string }> = []

  before(async () => {
    alb = await startTestOpenAlb()
    acm = new ACMClient({ endpoint: alb.apiUrl, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 })
    target = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (c: string) => { body += c })
      req.on('end', () => {
        seen.push({ version: req.httpVersion, method: req.method, authority: req.headers[':authority'], body })
        res.setHeader('x-target', 'h2')
        res.end(`h2 target saw HTTP/${req.httpVersion} ${req.headers['x-forwarded-proto']}`)
      })
    })
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve))
    cert = certificateFiles('h2t.test')
    const arn = (await acm.send(new ImportCertificateCommand({ Certificate: Buffer.from(cert.certPem), PrivateKey: Buffer.from(cert.keyPem) }))).CertificateArn!
    const subnets = await defaultSubnets(alb)
    const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'h2t', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
    const vpcId = (await alb.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0]!.VpcId!
    const tg = (await alb.elbv2.send(new CreateTargetGroupCommand({
      Name: 'h2t', Protocol: 'HTTP', ProtocolVersion: 'HTTP2', Port: 80, VpcId: vpcId, TargetType: 'ip',
    }))).TargetGroups![0]!.TargetGroupArn!
    await alb.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: '127.0.0.1', Port: (target.address() as AddressInfo).port }] }))
    port = await freePort()
    await alb.elbv2.send(new CreateListenerCommand({
      LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTPS', Port: port, Certificates: [{ CertificateArn: arn }],
      DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }],
    }))
    await waitFor(async () => (await curl(['-k', '--http2', `https://127.0.0.1:${port}/`])).code === 0 ? true : undefined, 10_000, 'listener live')
  })
  after(async () => {
    acm.destroy()
    await alb.close()
    await new Promise<void>((resolve) => target.close(() => resolve()))
    rmSync(cert.dir, { recursive: true, force: true })
  })

  it('forwards HTTP/2 requests to the target over HTTP/2, bodies and response headers included', async () => {
    const r = await curl(['-k', '--http2', '-i', '--data-binary', 'payload', '-H', 'Host: h2t.test', `https://127.0.0.1:${port}/post`])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^HTTP\/2 200/)
    assert.match(r.stdout, /\r\nx-target: h2\r\n/)
    assert.match(r.stdout, /h2 target saw HTTP\/2\.0 https$/)
    const last = seen.at(-1)!
    assert.deepEqual(last, { version: '2.0', method: 'POST', authority: `h2t.test:${port}`, body: 'payload' })
  })

  it('refuses HTTP/1.1 requests with 464', async () => {
    const r = await curl(['-k', '--http1.1', '-o', '/dev/null', '-w', '%{http_code}', `https://127.0.0.1:${port}/`])
    assert.equal(r.stdout, '464')
  })
})
