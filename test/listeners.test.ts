import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  AddListenerCertificatesCommand, CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand, DeleteListenerCommand,
  DescribeListenerAttributesCommand, DescribeListenerCertificatesCommand, DescribeListenersCommand, DescribeRulesCommand,
  ModifyListenerAttributesCommand, ModifyListenerCommand, RemoveListenerCertificatesCommand, type Action,
  type CreateListenerCommandInput,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { startTestOpenAlb, TEST_REGION, type TestOpenAlb } from './support/openalb.ts'
import { defaultSubnets } from './support/network.ts'
import { selfSigned } from './support/openssl.ts'
import { listenerArn, ruleArn, targetGroupArn } from '../src/model/arn.ts'
import { parseImport } from '../src/model/certificates.ts'

/** Matches an SDK v3 error by its exception name (the model's shape name) and message. */
function rejectsWith(name: string, message?: string | RegExp): (err: Error) => boolean {
  return (err: Error) => {
    assert.equal(err.name, name, err.message)
    if (typeof message === 'string') assert.equal(err.message, message)
    else if (message !== undefined) assert.match(err.message, message)
    return true
  }
}

describe('listeners (SDK v3)', () => {
  let alb: TestOpenAlb
  let subnets: string[]
  let vpcId: string
  const keyPair = selfSigned('www.example.test')
  let lbCount = 0
  let tgCount = 0

  before(async () => {
    alb = await startTestOpenAlb()
    subnets = await defaultSubnets(alb)
    vpcId = alb.store.get('subnet', subnets[0]!)!.vpcId
  })
  after(async () => { await alb.close() })

  async function loadBalancer(name = `lb${++lbCount}`): Promise<string> {
    const out = await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: name, Subnets: subnets.slice(0, 2) }))
    return out.LoadBalancers![0]!.LoadBalancerArn!
  }
  async function targetGroup(name = `tg${++tgCount}`): Promise<string> {
    const out = await alb.elbv2.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 80, VpcId: vpcId }))
    return out.TargetGroups![0]!.TargetGroupArn!
  }
  /** A network load balancer's target group: OpenALB's API cannot create one, so it goes straight into the store. */
  async function tcpTargetGroup(): Promise<string> {
    const arn = targetGroupArn(TEST_REGION, '123456789012', 'tcp-group')
    await alb.store.tx((tx) => tx.put('targetGroup', arn, {
      region: TEST_REGION, tags: [], arn, name: 'tcp-group', protocol: 'TCP', port: 80, vpcId, targetType: 'instance', attributes: {}, createdTime: tx.now,
      healthCheck: { enabled: true, protocol: 'TCP', port: 'traffic-port', intervalSeconds: 30, timeoutSeconds: 10, healthyThresholdCount: 5, unhealthyThresholdCount: 2 },
    }))
    return arn
  }
  /** An ACM certificate record put straight into the store (a real self-signed pair, so the data plane can load it). */
  async function certificate(id: string): Promise<string> {
    const arn = `arn:aws:acm:${TEST_REGION}:123456789012:certificate/00000000-0000-0000-0000-${id.padStart(12, '0')}`
    await alb.store.tx((tx) => tx.put('certificate', arn, {
      arn, region: TEST_REGION, tags: [], ...parseImport(keyPair.certPem, keyPair.keyPem, undefined, tx.now),
      certificatePem: keyPair.certPem, privateKeyPem: keyPair.keyPem, type: 'IMPORTED', createdAt: tx.now, importedAt: tx.now,
    }))
    return arn
  }
  const forward = (tg: string): Action[] => [{ Type: 'forward', TargetGroupArn: tg }]

  it("answers create-listener exactly as seed 000's output shows, with a default rule", async () => {
    const lb = await loadBalancer('umemoto-ALB')
    const tg = await targetGroup('umemoto-TGN')
    const out = await alb.elbv2.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: 'HTTP', Port: 80, DefaultActions: forward(tg) }))
    const listener = out.Listeners![0]!
    assert.match(listener.ListenerArn!, /^arn:aws:elasticloadbalancing:us-east-1:123456789012:listener\/app\/umemoto-ALB\/[0-9a-f]{16}\/[0-9a-f]{16}$/)
    assert.deepEqual(out.Listeners, [{
      ListenerArn: listener.ListenerArn,
      LoadBalancerArn: lb,
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{
        Type: 'forward',
        TargetGroupArn: tg,
        ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } },
      }],
    }])
    const rules = await alb.elbv2.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))
    assert.equal(rules.Rules?.length, 1)
    const rule = rules.Rules![0]!
    assert.match(rule.RuleArn!, /:listener-rule\/app\/umemoto-ALB\/[0-9a-f]{16}\/[0-9a-f]{16}\/[0-9a-f]{16}$/)
    assert.equal(rule.Priority, 'default')
    assert.equal(rule.IsDefault, true)
    assert.deepEqual(rule.Conditions, [])
    assert.deepEqual(rule.Actions, listener.DefaultActions)

    // Idempotent for the same settings, DuplicateListener for different ones.
    const again = await alb.elbv2.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: 'HTTP', Port: 80, DefaultActions: forward(tg) }))
    assert.equal(again.Listeners![0]!.ListenerArn, listener.ListenerArn)
    await assert.rejects(
      alb.elbv2.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] })),
      rejectsWith('DuplicateListenerException', 'A listener with the specified port already exists.'),
    )
  })

  it('refuses invalid CreateListener requests with AWS error codes', async () => {
    const lb = await loadBalancer()
    const tg = await targetGroup()
    const tcpGroup = await tcpTargetGroup()
    const otherLb = await loadBalancer()
    const taken = await targetGroup()
    await alb.elbv2.send(new CreateListenerCommand({ LoadBalancerArn: otherLb, Protocol: 'HTTP', Port: 8000, DefaultActions: forward(taken) }))
    const cert = await certificate('1')
    const missingCert = `arn:aws:acm:${TEST_REGION}:123456789012:certificate/00000000-0000-0000-0000-999999999999`
    const base: CreateListenerCommandInput = { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 8001, DefaultActions: forward(tg) }
    const cases: ReadonlyArray<{ name: string; input: Partial<CreateListenerCommandInput>; error: string; message?: string | RegExp }> = [
      { name: 'unknown load balancer', input: { LoadBalancerArn: `${lb.slice(0, -16)}0000000000000000` }, error: 'LoadBalancerNotFoundException' },
      { name: 'no protocol', input: { Protocol: undefined }, error: 'ValidationError', message: 'A listener protocol must be specified' },
      { name: 'no port', input: { Port: undefined }, error: 'ValidationError', message: 'A listener port must be specified' },
      { name: 'port out of range', input: { Port: 70000 }, error: 'ValidationError', message: /Member must have value less than or equal to 65535/ },
      { name: 'NLB protocol', input: { Protocol: 'TCP' }, error: 'ValidationError', message: "Listener protocol 'TCP' must be one of 'HTTP, HTTPS'" },
      { name: 'unknown protocol', input: { Protocol: 'FTP' as 'HTTP' }, error: 'ValidationError', message: /enum value set/ },
      { name: 'HTTP with an SSL policy', input: { SslPolicy: 'ELBSecurityPolicy-2016-08' }, error: 'ValidationError' },
      { name: 'HTTP with a certificate', input: { Certificates: [{ CertificateArn: cert }] }, error: 'ValidationError' },
      { name: 'HTTPS without a certificate', input: { Protocol: 'HTTPS' }, error: 'ValidationError' },
      { name: 'HTTPS with two certificates', input: { Protocol: 'HTTPS', Certificates: [{ CertificateArn: cert }, { CertificateArn: cert }] }, error: 'ValidationError' },
      { name: 'unknown certificate', input: { Protocol: 'HTTPS', Certificates: [{ CertificateArn: missingCert }] }, error: 'CertificateNotFoundException', message: `Certificate '${missingCert}' not found` },
      { name: 'unknown SSL policy', input: { Protocol: 'HTTPS', Certificates: [{ CertificateArn: cert }], SslPolicy: 'ELBSecurityPolicy-Nope' }, error: 'SSLPolicyNotFoundException', message: "SSL policy 'ELBSecurityPolicy-Nope' not found" },
      { name: 'ALPN policy on an ALB', input: { AlpnPolicy: ['HTTP2Preferred'] }, error: 'ALPNPolicyNotSupportedException' },
      { name: 'no default actions', input: { DefaultActions: undefined }, error: 'ValidationError' },
      { name: 'unknown target group', input: { DefaultActions: forward(`${tg.slice(0, -16)}0000000000000000`) }, error: 'TargetGroupNotFoundException' },
      { name: 'NLB target group', input: { DefaultActions: forward(tcpGroup) }, error: 'IncompatibleProtocolsException' },
      { name: 'target group of another load balancer', input: { DefaultActions: forward(taken) }, error: 'TargetGroupAssociationLimitException', message: `The following target groups cannot be associated with more than one load balancer: ${taken}` },
      { name: 'redirect without config', input: { DefaultActions: [{ Type: 'redirect' }] }, error: 'InvalidLoadBalancerActionException', message: "For actions of type 'redirect', you must specify the following fields: 'RedirectConfig'" },
      { name: 'authentication on HTTP', input: { DefaultActions: [
        { Type: 'authenticate-cognito', Order: 1, AuthenticateCognitoConfig: { UserPoolArn: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/x', UserPoolClientId: 'c', UserPoolDomain: 'd' } },
        { Type: 'forward', Order: 2, TargetGroupArn: tg },
      ] }, error: 'InvalidLoadBalancerActionException' },
      { name: 'mutual authentication verify without trust store', input: { Protocol: 'HTTPS', Certificates: [{ CertificateArn: cert }], MutualAuthentication: { Mode: 'verify' } }, error: 'ValidationError' },
    ]
    for (const c of cases) {
      await assert.rejects(alb.elbv2.send(new CreateListenerCommand({ ...base, ...c.input })), rejectsWith(c.error, c.message), c.name)
    }
    const left = await alb.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb }))
    assert.deepEqual(left.Listeners, [], 'no failed request created a listener')
  })

  it('refuses a 51st listener with TooManyListeners', async () => {
    const lb = await loadBalancer()
    const tg = await targetGroup()
    // 50 listener records straight into the store: the quota is what is under test, not 50 data-plane sockets.
    await alb.store.tx((tx) => {
      for (let i = 0; i < 50; i++) {
        const arn = listenerArn(lb)
        tx.put('listener', arn, { region: TEST_REGION, tags: [], arn, loadBalancerArn: lb, port: 20000 + i, protocol: 'HTTP', certificateArns: [], attributes: {}, createdTime: tx.now })
      }
    })
    await assert.rejects(
      alb.elbv2.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: 'HTTP', Port: 21000, DefaultActions: forward(tg) })),
      rejectsWith('TooManyListenersException'),
    )
  })

  it('creates an HTTPS listener with the default SSL policy and manages its certificate list', async () => {
    const lb = await loadBalancer()
    const tg = await targetGroup()
    const [main, extra, other] = [await certificate('11'), await certificate('12'), await certificate('13')]
    const out = await alb.elbv2.send(new CreateListenerCommand({
      LoadBalancerArn: lb, Protocol: 'HTTPS', Port: 8443, Certificates: [{ CertificateArn: main }], DefaultActions: forward(tg),
      MutualAuthentication: { Mode: 'passthrough' }, Tags: [{ Key: 'env', Value: 'test' }],
    }))
    const listener = out.Listeners![0]!
    assert.equal(listener.SslPolicy, 'ELBSecurityPolicy-2016-08')
    assert.deepEqual(listener.Certificates, [{ CertificateArn: main }])
    assert.equal(listener.MutualAuthentication?.Mode, 'passthrough')
    const arn = listener.ListenerArn!

    const added = await alb.elbv2.send(new AddListenerCertificatesCommand({ ListenerArn: arn, Certificates: [{ CertificateArn: extra }, { CertificateArn: other }] }))
    assert.deepEqual(added.Certificates, [{ CertificateArn: extra, IsDefault: false }, { CertificateArn: other, IsDefault: false }])
    await alb.elbv2.send(new AddListenerCertificatesCommand({ ListenerArn: arn, Certificates: [{ CertificateArn: extra }] })) // re-adding is a no-op
    const listed = await alb.elbv2.send(new DescribeListenerCertificatesCommand({ ListenerArn: arn }))
    assert.deepEqual(listed.Certificates, [
      { CertificateArn: main, IsDefault: true }, { CertificateArn: extra, IsDefault: false }, { CertificateArn: other, IsDefault: false },
    ])
    const page = await alb.elbv2.send(new DescribeListenerCertificatesCommand({ ListenerArn: arn, PageSize: 2 }))
    assert.equal(page.Certificates?.length, 2)
    const rest = await alb.elbv2.send(new DescribeListenerCertificatesCommand({ ListenerArn: arn, PageSize: 2, Marker: page.NextMarker }))
    assert.deepEqual(rest.Certificates, [{ CertificateArn: other, IsDefault: false }])
    // DescribeListeners still shows only the default certificate, without IsDefault.
    const described = await alb.elbv2.send(new DescribeListenersCommand({ ListenerArns: [arn] }))
    assert.deepEqual(described.Listeners![0]!.Certificates, [{ CertificateArn: main }])

    await assert.rejects(
      alb.elbv2.send(new RemoveListenerCertificatesCommand({ ListenerArn: arn, Certificates: [{ CertificateArn: main }] })),
      rejectsWith('OperationNotPermittedException'),
    )
    await alb.elbv2.send(new RemoveListenerCertificatesCommand({ ListenerArn: arn, Certificates: [{ CertificateArn: extra }] }))
    const after = await alb.elbv2.send(new DescribeListenerCertificatesCommand({ ListenerArn: arn }))
    assert.deepEqual(after.Certificates?.map((c) => c.CertificateArn), [main, other])
    await assert.rejects(
      alb.elbv2.send(new AddListenerCertificatesCommand({ ListenerArn: arn, Certificates: [{ CertificateArn: `${main.slice(0, -12)}999999999998` }] })),
      rejectsWith('CertificateNotFoundException'),
    )
    // Quota: 25 certificates per load balancer, default certificates excluded.
    const many: string[] = []
    for (let i = 0; i < 25; i++) many.push(await certificate(String(100 + i)))
    await assert.rejects(
      alb.elbv2.send(new AddListenerCertificatesCommand({ ListenerArn: arn, Certificates: many.map((c) => ({ CertificateArn: c })) })),
      rejectsWith('TooManyCertificatesException'),
    )
    await alb.elbv2.send(new AddListenerCertificatesCommand({ ListenerArn: arn, Certificates: many.slice(0, 24).map((c) => ({ CertificateArn: c })) }))
    const full = await alb.elbv2.send(new DescribeListenerCertificatesCommand({ ListenerArn: arn }))
    assert.equal(full.Certificates?.length, 26, 'the default plus 25 in the list')
  })

  it('modifies port, protocol, SSL policy, certificates and default actions', async () => {
    const lb = await loadBalancer()
    const [tg, tg2] = [await targetGroup(), await targetGroup()]
    const [cert, cert2] = [await certificate('21'), await certificate('22')]
    const created = await alb.elbv2.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: 'HTTP', Port: 8100, DefaultActions: forward(tg) }))
    const arn = created.Listeners![0]!.ListenerArn!
    await alb.elbv2.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: 'HTTP', Port: 8101, DefaultActions: forward(tg) }))

    await assert.rejects(alb.elbv2.send(new ModifyListenerCommand({ ListenerArn: arn, Port: 8101 })), rejectsWith('DuplicateListenerException'))
    await assert.rejects(alb.elbv2.send(new ModifyListenerCommand({ ListenerArn: arn, Protocol: 'HTTPS', Certificates: [{ CertificateArn: cert }] })), rejectsWith('ValidationError'))
    await assert.rejects(alb.elbv2.send(new ModifyListenerCommand({ ListenerArn: arn, Protocol: 'HTTPS', SslPolicy: 'ELBSecurityPolicy-2016-08' })), rejectsWith('ValidationError'))
    await assert.rejects(alb.elbv2.send(new ModifyListenerCommand({ ListenerArn: arn, SslPolicy: 'ELBSecurityPolicy-2016-08' })), rejectsWith('ValidationError'))

    const https = await alb.elbv2.send(new ModifyListenerCommand({
      ListenerArn: arn, Port: 8102, Protocol: 'HTTPS', SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06', Certificates: [{ CertificateArn: cert }],
    }))
    assert.equal(https.Listeners![0]!.Port, 8102)
    assert.equal(https.Listeners![0]!.Protocol, 'HTTPS')
    assert.equal(https.Listeners![0]!.SslPolicy, 'ELBSecurityPolicy-TLS13-1-2-2021-06')
    assert.deepEqual(https.Listeners![0]!.Certificates, [{ CertificateArn: cert }])
    await assert.rejects(alb.elbv2.send(new ModifyListenerCommand({ ListenerArn: arn, SslPolicy: 'nope' })), rejectsWith('SSLPolicyNotFoundException', "SSL policy 'nope' not found"))
    const swapped = await alb.elbv2.send(new ModifyListenerCommand({ ListenerArn: arn, Certificates: [{ CertificateArn: cert2 }] }))
    assert.deepEqual(swapped.Listeners![0]!.Certificates, [{ CertificateArn: cert2 }])

    const weighted: Action[] = [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg, Weight: 3 }, { TargetGroupArn: tg2, Weight: 1 }] } }]
    const modified = await alb.elbv2.send(new ModifyListenerCommand({ ListenerArn: arn, DefaultActions: weighted }))
    assert.deepEqual(modified.Listeners![0]!.DefaultActions, [{
      Type: 'forward',
      ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg, Weight: 3 }, { TargetGroupArn: tg2, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } },
    }])
    const rules = await alb.elbv2.send(new DescribeRulesCommand({ ListenerArn: arn }))
    assert.deepEqual(rules.Rules![0]!.Actions, modified.Listeners![0]!.DefaultActions)

    const http = await alb.elbv2.send(new ModifyListenerCommand({ ListenerArn: arn, Protocol: 'HTTP' }))
    assert.equal(http.Listeners![0]!.Protocol, 'HTTP')
    assert.equal(http.Listeners![0]!.SslPolicy, undefined)
    assert.equal(http.Listeners![0]!.Certificates, undefined)
    await assert.rejects(alb.elbv2.send(new ModifyListenerCommand({ ListenerArn: `${arn.slice(0, -16)}0000000000000000`, Port: 1 })), rejectsWith('ListenerNotFoundException'))
  })

  it('describes and modifies listener attributes', async () => {
    const lb = await loadBalancer()
    const tg = await targetGroup()
    const cert = await certificate('31')
    const http = (await alb.elbv2.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: 'HTTP', Port: 8200, DefaultActions: forward(tg) }))).Listeners![0]!.ListenerArn!
    const https = (await alb.elbv2.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: 'HTTPS', Port: 8201, Certificates: [{ CertificateArn: cert }], DefaultActions: forward(tg) }))).Listeners![0]!.ListenerArn!
    const value = (attrs: Array<{ Key?: string; Value?: string }> | undefined, key: string) => attrs?.find((a) => a.Key === key)?.Value
    const before = await alb.elbv2.send(new DescribeListenerAttributesCommand({ ListenerArn: http }))
    assert.equal(value(before.Attributes, 'routing.http.response.server.enabled'), 'true')
    assert.equal(value(before.Attributes, 'routing.http.response.strict_transport_security.header_value'), '')
    assert.equal(value(before.Attributes, 'routing.http.request.x_amzn_tls_version.header_name'), undefined, 'TLS header names are HTTPS-only')
    const tlsAttrs = await alb.elbv2.send(new DescribeListenerAttributesCommand({ ListenerArn: https }))
    assert.equal(value(tlsAttrs.Attributes, 'routing.http.request.x_amzn_tls_version.header_name'), 'X-Amzn-Tls-Version')

    const modified = await alb.elbv2.send(new ModifyListenerAttributesCommand({ ListenerArn: http, Attributes: [
      { Key: 'routing.http.response.server.enabled', Value: 'false' },
      { Key: 'routing.http.response.x_frame_options.header_value', Value: 'DENY' },
    ] }))
    assert.equal(value(modified.Attributes, 'routing.http.response.server.enabled'), 'false')
    const after = await alb.elbv2.send(new DescribeListenerAttributesCommand({ ListenerArn: http }))
    assert.equal(value(after.Attributes, 'routing.http.response.x_frame_options.header_value'), 'DENY')
    await assert.rejects(
      alb.elbv2.send(new ModifyListenerAttributesCommand({ ListenerArn: http, Attributes: [{ Key: 'no.such.key', Value: '1' }] })),
      rejectsWith('ValidationError', "Listener attribute key 'no.such.key' is not recognized"),
    )
    await assert.rejects(
      alb.elbv2.send(new ModifyListenerAttributesCommand({ ListenerArn: http, Attributes: [{ Key: 'routing.http.response.server.enabled', Value: 'maybe' }] })),
      rejectsWith('ValidationError'),
    )
  })

  it('describes by load balancer or ARNs with pagination, and deletes a listener with its rules', async () => {
    const lb = await loadBalancer()
    const tg = await targetGroup()
    const arns: string[] = []
    for (const port of [8300, 8301, 8302]) {
      arns.push((await alb.elbv2.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: 'HTTP', Port: port, DefaultActions: forward(tg) }))).Listeners![0]!.ListenerArn!)
    }
    await assert.rejects(alb.elbv2.send(new DescribeListenersCommand({})), rejectsWith('ValidationError'))
    const first = await alb.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb, PageSize: 2 }))
    assert.equal(first.Listeners?.length, 2)
    assert.ok(first.NextMarker)
    const second = await alb.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb, PageSize: 2, Marker: first.NextMarker }))
    assert.equal(second.NextMarker, undefined)
    assert.deepEqual([...first.Listeners!, ...second.Listeners!].map((l) => l.ListenerArn), arns)
    const byArn = await alb.elbv2.send(new DescribeListenersCommand({ ListenerArns: [arns[2]!] }))
    assert.equal(byArn.Listeners![0]!.Port, 8302)
    const missingArn = `${arns[0]!.slice(0, -16)}0000000000000000`
    await assert.rejects(alb.elbv2.send(new DescribeListenersCommand({ ListenerArns: [missingArn] })), rejectsWith('ListenerNotFoundException'))

    const defaultRule = (await alb.elbv2.send(new DescribeRulesCommand({ ListenerArn: arns[0] }))).Rules![0]!.RuleArn!
    await alb.elbv2.send(new DeleteListenerCommand({ ListenerArn: arns[0] }))
    await assert.rejects(alb.elbv2.send(new DescribeRulesCommand({ RuleArns: [defaultRule] })), rejectsWith('RuleNotFoundException'))
    await assert.rejects(alb.elbv2.send(new DeleteListenerCommand({ ListenerArn: arns[0] })), rejectsWith('ListenerNotFoundException'))
    assert.equal(alb.store.list('rule').filter((r) => r.listenerArn === arns[0]).length, 0)
    // A listener record without rules (written before this module existed) still describes.
    const bare = listenerArn(lb)
    await alb.store.tx((tx) => tx.put('listener', bare, { region: TEST_REGION, tags: [], arn: bare, loadBalancerArn: lb, port: 8399, protocol: 'HTTP', certificateArns: [], attributes: {}, createdTime: tx.now }))
    assert.deepEqual((await alb.elbv2.send(new DescribeListenersCommand({ ListenerArns: [bare] }))).Listeners![0]!.DefaultActions, [])
    assert.ok(ruleArn(bare).startsWith(bare.replace(':listener/', ':listener-rule/')))
  })
})
