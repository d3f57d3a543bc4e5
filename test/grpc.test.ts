/**
 * gRPC through an HTTPS listener (spec §7.9, issue 4): a @grpc/grpc-js client calls a
 * @grpc/grpc-js target behind a GRPC target group (h2 to the target, trailers end to end),
 * the GRPC health check with the default GrpcCode matcher, the 464 cases of the protocol
 * table, and the ALB's own errors in gRPC form (spec §7.5).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm'
import {
  CreateListenerCommand, CreateLoadBalancerCommand, CreateRuleCommand, CreateTargetGroupCommand, DescribeTargetHealthCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2'
import { startTestOpenAlb, TEST_CREDENTIALS, TEST_REGION, type TestOpenAlb } from './support/openalb.ts'
import { createTargetGroup, freePort, startTarget, waitFor, type TestTarget } from './support/dataplane.ts'
import { defaultSubnets } from './support/network.ts'
import { certificateFiles, curl, type CertificateFiles } from './support/tls.ts'

const PROTO = `syntax = "proto3";
package helloworld;
service Greeter {
  rpc SayHello (HelloRequest) returns (HelloReply);
  rpc SayHellos (HelloRequest) returns (stream HelloReply);
}
message HelloRequest { string name = 1; }
message HelloReply { string message = 1; }
`

interface HelloReply { message: string }
type GreeterClient = grpc.Client & {
  SayHello(req: { name: string }, cb: (err: grpc.ServiceError | null, reply?: HelloReply) => void): void
  SayHellos(req: { name: string }): grpc.ClientReadableStream<HelloReply>
}

describe('gRPC through the load balancer (@grpc/grpc-js)', () => {
  let alb: TestOpenAlb
  let acm: ACMClient
  let cert: CertificateFiles
  let protoDir: string
  let server: grpc.Server
  let plain: TestTarget
  let port: number
  let grpcTargetGroup: string
  let Greeter: grpc.ServiceClientConstructor

  function client(): GreeterClient {
    return new Greeter(`127.0.0.1:${port}`, grpc.credentials.createSsl(Buffer.from(cert.certPem)), {
      'grpc.ssl_target_name_override': 'grpc.test', 'grpc.default_authority': 'grpc.test',
    }) as unknown as GreeterClient
  }

  before(async () => {
    alb = await startTestOpenAlb()
    acm = new ACMClient({ endpoint: alb.apiUrl, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 })
    protoDir = mkdtempSync(join(tmpdir(), 'openalb-proto-'))
    writeFileSync(join(protoDir, 'hello.proto'), PROTO)
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(join(protoDir, 'hello.proto'))) as unknown as { helloworld: { Greeter: grpc.ServiceClientConstructor } }
    Greeter = pkg.helloworld.Greeter
    server = new grpc.Server()
    server.addService(Greeter.service, {
      SayHello: (call: grpc.ServerUnaryCall<{ name: string }, HelloReply>, cb: grpc.sendUnaryData<HelloReply>) => {
        const proto = call.metadata.get('x-forwarded-proto')[0]
        cb(null, { message: `Hello ${call.request.name} via ${String(proto)}` })
      },
      SayHellos: (call: grpc.ServerWritableStream<{ name: string }, HelloReply>) => {
        for (let i = 1; i <= 3; i++) call.write({ message: `${call.request.name} #${i}` })
        call.end()
      },
    })
    const targetPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => err ? reject(err) : resolve(p)))
    plain = await startTarget('http1-target')

    cert = certificateFiles('grpc.test')
    const arn = (await acm.send(new ImportCertificateCommand({ Certificate: Buffer.from(cert.certPem), PrivateKey: Buffer.from(cert.keyPem) }))).CertificateArn!
    const subnets = await defaultSubnets(alb)
    const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'grpc', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
    const vpcId = (await alb.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0]!.VpcId!
    const grpcGroup = async (name: string): Promise<string> => (await alb.elbv2.send(new CreateTargetGroupCommand({
      Name: name, Protocol: 'HTTP', ProtocolVersion: 'GRPC', Port: 50051, VpcId: vpcId, TargetType: 'ip',
      HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2,
    }))).TargetGroups![0]!.TargetGroupArn!
    grpcTargetGroup = await grpcGroup('grpc-tg')
    await alb.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: grpcTargetGroup, Targets: [{ Id: '127.0.0.1', Port: targetPort }] }))
    const emptyGroup = await grpcGroup('grpc-empty')
    const http1Group = await createTargetGroup(alb, 'grpc-http1', [plain])
    port = await freePort()
    const listenerArn = (await alb.elbv2.send(new CreateListenerCommand({
      LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTPS', Port: port, Certificates: [{ CertificateArn: arn }],
      DefaultActions: [{ Type: 'forward', TargetGroupArn: grpcTargetGroup }],
    }))).Listeners![0]!.ListenerArn!
    // gRPC routing by package/service (spec §7.9): path-pattern on /package.service/*.
    await alb.elbv2.send(new CreateRuleCommand({
      ListenerArn: listenerArn, Priority: 1, Conditions: [{ Field: 'path-pattern', Values: ['/empty.Greeter/*'] }],
      Actions: [{ Type: 'forward', TargetGroupArn: emptyGroup }],
    }))
    await alb.elbv2.send(new CreateRuleCommand({
      ListenerArn: listenerArn, Priority: 2, Conditions: [{ Field: 'path-pattern', Values: ['/plain/*'] }],
      Actions: [{ Type: 'forward', TargetGroupArn: http1Group }],
    }))
    await waitFor(async () => (await curl(['-k', '--http2', '-o', '/dev/null', '-w', '%{http_code}', `https://127.0.0.1:${port}/plain/x`])).stdout === '200' ? true : undefined, 10_000, 'listener live')
  })
  after(async () => {
    acm.destroy()
    await alb.close()
    server.forceShutdown()
    await plain.close()
    rmSync(cert.dir, { recursive: true, force: true })
    rmSync(protoDir, { recursive: true, force: true })
  })

  it('calls a unary and a server-streaming method of a gRPC target through the HTTPS listener', async () => {
    const c = client()
    try {
      const reply = await new Promise<HelloReply>((resolve, reject) => c.SayHello({ name: 'ALB' }, (err, r) => err ? reject(err) : resolve(r!)))
      assert.equal(reply.message, 'Hello ALB via https')
      const messages: string[] = []
      await new Promise<void>((resolve, reject) => {
        const stream = c.SayHellos({ name: 'stream' })
        stream.on('data', (m: HelloReply) => messages.push(m.message))
        stream.on('end', resolve)
        stream.on('error', reject)
      })
      assert.deepEqual(messages, ['stream #1', 'stream #2', 'stream #3'])
    } finally {
      c.close()
    }
  })

  it('health-checks the gRPC target: /AWS.ALB/healthcheck answers 12 UNIMPLEMENTED, the default GrpcCode', async () => {
    await waitFor(async () => {
      const health = await alb.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: grpcTargetGroup }))
      return health.TargetHealthDescriptions?.[0]?.TargetHealth?.State === 'healthy' ? true : undefined
    }, 10_000, 'gRPC target healthy')
  })

  it('answers 464 when the request protocol does not fit the target group (spec §7.9)', async () => {
    const status = async (args: string[], path = '/helloworld.Greeter/SayHello'): Promise<string> =>
      (await curl(['-k', '-o', '/dev/null', '-w', '%{http_code}', ...args, `https://127.0.0.1:${port}${path}`])).stdout
    assert.equal(await status(['--http1.1', '-X', 'POST', '-H', 'content-type: application/grpc']), '464', 'HTTP/1.1 → GRPC target group')
    assert.equal(await status(['--http2']), '464', 'HTTP/2 GET → GRPC target group')
    assert.equal(await status(['--http2', '-X', 'POST', '-H', 'content-type: application/grpc', '--data-binary', ''], '/plain/x'), '464', 'gRPC → HTTP1 target group')
    assert.equal(await status(['--http2', '-X', 'POST', '--data-binary', 'x'], '/plain/x'), '200', 'HTTP/2 → HTTP1 target group is fine')
    const page = await curl(['-k', '--http1.1', '-i', '-X', 'POST', `https://127.0.0.1:${port}/helloworld.Greeter/SayHello`])
    assert.match(page.stdout, /^HTTP\/1\.1 464 /)
    assert.match(page.stdout, /Server: awselb\/2\.0/i)
  })

  it('reports its own failures to gRPC clients as gRPC statuses (spec §7.5)', async () => {
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createSsl(Buffer.from(cert.certPem)), { 'grpc.ssl_target_name_override': 'grpc.test' })
    try {
      const err = await new Promise<grpc.ServiceError>((resolve, reject) => {
        raw.makeUnaryRequest('/empty.Greeter/SayHello', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (e) => e ? resolve(e) : reject(new Error('call succeeded')))
      })
      assert.equal(err.code, grpc.status.UNAVAILABLE, `${err.code} ${err.details}`)
      const headers = await curl(['-k', '--http2', '-i', '-X', 'POST', '-H', 'content-type: application/grpc', '--data-binary', '', `https://127.0.0.1:${port}/empty.Greeter/SayHello`])
      assert.match(headers.stdout, /^HTTP\/2 503/)
      assert.match(headers.stdout, /\r\ngrpc-status: 14\r\n/)
      assert.match(headers.stdout, /\r\ngrpc-message: unavailable\r\n/)
    } finally {
      raw.close()
    }
  })
})
