/**
 * Response shapes (the stable part of the control-plane shape audit, test/fixtures/shape_audit.py):
 * for a fully configured ALB, every Describe* output has the botocore model's member names and
 * only those OpenALB is meant to return; the raw XML uses the Query protocol's encodings
 * (`<member>` lists, `<entry><key/><value/></entry>` maps, ISO 8601 timestamps, `true`/`false`);
 * EC2 uses `<item>` lists and its own error envelope; and every modelled ELBv2 error code
 * OpenALB emits reaches SDK v3 as the model's typed exception (spec §2.2, §2.3).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as elb from '@aws-sdk/client-elastic-load-balancing-v2'
import * as ec2 from '@aws-sdk/client-ec2'
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm'
import { XMLParser } from 'fast-xml-parser'
import { startTestOpenAlb, TEST_CREDENTIALS, TEST_REGION, type TestOpenAlb } from './support/openalb.ts'
import { defaultSubnets } from './support/network.ts'
import { selfSigned } from './support/openssl.ts'

const ELBV2_VERSION = '2015-12-01'
const EC2_VERSION = '2016-11-15'
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

/** Exactly these keys (the SDK drops absent members, so this is the member set OpenALB sent). */
function assertKeys(value: unknown, keys: readonly string[], where: string): void {
  assert.ok(value !== null && typeof value === 'object', `${where}: not an object`)
  assert.deepEqual(Object.keys(value as object).sort(), [...keys].sort(), where)
}

interface Fixture {
  vpcId: string
  subnets: string[]
  securityGroupId: string
  instanceIds: string[]
  certificateArn: string
  lbArn: string
  tgArn: string
  ipTgArn: string
  httpListenerArn: string
  httpsListenerArn: string
  mtlsListenerArn: string
  trustStoreArn: string
  ruleArns: Record<'forward' | 'weighted' | 'redirect' | 'fixed' | 'oidc' | 'cognito', string>
}

describe('response shapes', () => {
  let alb: TestOpenAlb
  let acm: ACMClient
  const fx = {} as Fixture
  const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (name) => name === 'member' || name === 'item' || name === 'entry' })

  /** A raw Query call (the API accepts unsigned requests when no credentials are configured). */
  async function raw(version: string, action: string, params: Record<string, string>): Promise<{ status: number; body: string }> {
    const res = await fetch(alb.apiUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams({ Action: action, Version: version, ...params }).toString(),
    })
    return { status: res.status, body: await res.text() }
  }

  before(async () => {
    alb = await startTestOpenAlb()
    acm = new ACMClient({ endpoint: alb.apiUrl, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 })
    fx.subnets = (await defaultSubnets(alb)).slice(0, 2)
    const subnet = await alb.ec2.send(new ec2.DescribeSubnetsCommand({ SubnetIds: [fx.subnets[0]!] }))
    fx.vpcId = subnet.Subnets![0]!.VpcId!
    const sg = await alb.ec2.send(new ec2.CreateSecurityGroupCommand({ GroupName: 'shapes', Description: 'shapes', VpcId: fx.vpcId }))
    fx.securityGroupId = sg.GroupId!
    const run = await alb.ec2.send(new ec2.RunInstancesCommand({ ImageId: 'ami-12c6146b', InstanceType: 't3.micro', MinCount: 2, MaxCount: 2, SubnetId: fx.subnets[0] }))
    fx.instanceIds = run.Instances!.map((i) => i.InstanceId!)
    await ec2.waitUntilInstanceRunning({ client: alb.ec2, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { InstanceIds: fx.instanceIds })
    const pair = selfSigned('shapes.example.test')
    fx.certificateArn = (await acm.send(new ImportCertificateCommand({
      Certificate: Buffer.from(pair.certPem), PrivateKey: Buffer.from(pair.keyPem),
    }))).CertificateArn!

    const lb = await alb.elbv2.send(new elb.CreateLoadBalancerCommand({
      Name: 'shapes', Subnets: fx.subnets, SecurityGroups: [fx.securityGroupId], Tags: [{ Key: 'env', Value: 'test' }],
    }))
    fx.lbArn = lb.LoadBalancers![0]!.LoadBalancerArn!
    fx.tgArn = (await alb.elbv2.send(new elb.CreateTargetGroupCommand({
      Name: 'shapes-tg', Protocol: 'HTTP', Port: 8080, VpcId: fx.vpcId, HealthCheckPath: '/health', Matcher: { HttpCode: '200-299' },
    }))).TargetGroups![0]!.TargetGroupArn!
    fx.ipTgArn = (await alb.elbv2.send(new elb.CreateTargetGroupCommand({
      Name: 'shapes-ip', Protocol: 'HTTP', Port: 8081, VpcId: fx.vpcId, TargetType: 'ip',
    }))).TargetGroups![0]!.TargetGroupArn!
    await alb.elbv2.send(new elb.RegisterTargetsCommand({ TargetGroupArn: fx.tgArn, Targets: fx.instanceIds.map((Id) => ({ Id, Port: 8080 })) }))
    const subnetCidr = subnet.Subnets![0]!.CidrBlock!
    const ip = subnetCidr.replace(/\.0\/\d+$/, '.10')
    await alb.elbv2.send(new elb.RegisterTargetsCommand({ TargetGroupArn: fx.ipTgArn, Targets: [{ Id: ip, Port: 9000 }] }))

    fx.httpListenerArn = (await alb.elbv2.send(new elb.CreateListenerCommand({
      LoadBalancerArn: fx.lbArn, Protocol: 'HTTP', Port: 18_181,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: fx.tgArn }],
    }))).Listeners![0]!.ListenerArn!
    fx.httpsListenerArn = (await alb.elbv2.send(new elb.CreateListenerCommand({
      LoadBalancerArn: fx.lbArn, Protocol: 'HTTPS', Port: 18_182, Certificates: [{ CertificateArn: fx.certificateArn }],
      DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'nope' } }],
    }))).Listeners![0]!.ListenerArn!
    fx.trustStoreArn = (await alb.elbv2.send(new elb.CreateTrustStoreCommand({
      Name: 'shapes-ts', CaCertificatesBundleS3Bucket: 'bucket', CaCertificatesBundleS3Key: 'ca.pem',
    }))).TrustStores![0]!.TrustStoreArn!
    fx.mtlsListenerArn = (await alb.elbv2.send(new elb.CreateListenerCommand({
      LoadBalancerArn: fx.lbArn, Protocol: 'HTTPS', Port: 18_183, Certificates: [{ CertificateArn: fx.certificateArn }],
      MutualAuthentication: { Mode: 'verify', TrustStoreArn: fx.trustStoreArn },
      DefaultActions: [{ Type: 'forward', TargetGroupArn: fx.tgArn }],
    }))).Listeners![0]!.ListenerArn!

    const rule = async (listener: string, priority: number, input: Omit<elb.CreateRuleCommandInput, 'ListenerArn' | 'Priority'>): Promise<string> =>
      (await alb.elbv2.send(new elb.CreateRuleCommand({ ListenerArn: listener, Priority: priority, ...input }))).Rules![0]!.RuleArn!
    fx.ruleArns = {
      forward: await rule(fx.httpListenerArn, 10, {
        Conditions: [
          { Field: 'host-header', HostHeaderConfig: { Values: ['a.example.com'] } },
          { Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } },
          { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Env', Values: ['blue'] } },
          { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'v', Value: '1' }] } },
        ],
        Actions: [{ Type: 'forward', TargetGroupArn: fx.tgArn }],
        Tags: [{ Key: 'rule', Value: 'forward' }],
      }),
      weighted: await rule(fx.httpListenerArn, 20, {
        Conditions: [
          { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET', 'HEAD'] } },
          { Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.0/8'] } },
        ],
        Actions: [{ Type: 'forward', ForwardConfig: {
          TargetGroups: [{ TargetGroupArn: fx.tgArn, Weight: 80 }, { TargetGroupArn: fx.ipTgArn, Weight: 20 }],
          TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 },
        } }],
      }),
      redirect: await rule(fx.httpListenerArn, 30, {
        Conditions: [{ Field: 'path-pattern', Values: ['/old/*'] }],
        Actions: [{ Type: 'redirect', RedirectConfig: { Host: 'new.example.com', Path: '/new/#{path}', StatusCode: 'HTTP_302' } }],
      }),
      fixed: await rule(fx.httpListenerArn, 40, {
        Conditions: [{ Field: 'host-header', Values: ['fixed.example.com'] }],
        Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'application/json', MessageBody: '{}' } }],
      }),
      oidc: await rule(fx.httpsListenerArn, 5, {
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/secure/*'] } }],
        Actions: [
          { Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: {
            Issuer: 'https://idp.example.com', AuthorizationEndpoint: 'https://idp.example.com/auth', TokenEndpoint: 'https://idp.example.com/token',
            UserInfoEndpoint: 'https://idp.example.com/userinfo', ClientId: 'cid', ClientSecret: 'secret',
            AuthenticationRequestExtraParams: { prompt: 'login', display: 'page' }, OnUnauthenticatedRequest: 'deny',
          } },
          { Type: 'forward', Order: 2, TargetGroupArn: fx.tgArn },
        ],
      }),
      cognito: await rule(fx.httpsListenerArn, 6, {
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/cog/*'] } }],
        Actions: [
          { Type: 'authenticate-cognito', Order: 1, AuthenticateCognitoConfig: {
            UserPoolArn: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc', UserPoolClientId: 'client', UserPoolDomain: 'domain',
            AuthenticationRequestExtraParams: { lang: 'en' },
          } },
          { Type: 'fixed-response', Order: 2, FixedResponseConfig: { StatusCode: '200' } },
        ],
      }),
    }
  })
  after(async () => {
    acm.destroy()
    await alb.close()
  })

  describe('ELBv2 Describe* member sets (SDK v3)', () => {
    it('DescribeLoadBalancers', async () => {
      const lb = (await alb.elbv2.send(new elb.DescribeLoadBalancersCommand({ LoadBalancerArns: [fx.lbArn] }))).LoadBalancers![0]!
      assertKeys(lb, ['LoadBalancerArn', 'DNSName', 'CanonicalHostedZoneId', 'CreatedTime', 'LoadBalancerName', 'Scheme', 'VpcId', 'State',
        'Type', 'AvailabilityZones', 'SecurityGroups', 'IpAddressType'], 'LoadBalancer')
      assert.ok(lb.CreatedTime instanceof Date)
      assertKeys(lb.State, ['Code'], 'LoadBalancer.State')
      // Seed 000: an ALB's zones carry an empty LoadBalancerAddresses list.
      for (const zone of lb.AvailabilityZones!) assert.deepEqual(zone, { ZoneName: zone.ZoneName, SubnetId: zone.SubnetId, LoadBalancerAddresses: [] })
      assert.deepEqual(lb.SecurityGroups, [fx.securityGroupId])
    })

    it('DescribeTargetGroups', async () => {
      const [tg] = (await alb.elbv2.send(new elb.DescribeTargetGroupsCommand({ TargetGroupArns: [fx.tgArn] }))).TargetGroups!
      assertKeys(tg, ['TargetGroupArn', 'TargetGroupName', 'Protocol', 'Port', 'VpcId', 'HealthCheckProtocol', 'HealthCheckPort', 'HealthCheckEnabled',
        'HealthCheckIntervalSeconds', 'HealthCheckTimeoutSeconds', 'HealthyThresholdCount', 'UnhealthyThresholdCount', 'HealthCheckPath', 'Matcher',
        'LoadBalancerArns', 'TargetType', 'ProtocolVersion', 'IpAddressType'], 'TargetGroup')
      assert.deepEqual(tg!.Matcher, { HttpCode: '200-299' })
      assert.deepEqual(tg!.LoadBalancerArns, [fx.lbArn])
      assert.equal(typeof tg!.Port, 'number')
      assert.equal(typeof tg!.HealthCheckEnabled, 'boolean')
    })

    it('DescribeTargetHealth', async () => {
      const out = await alb.elbv2.send(new elb.DescribeTargetHealthCommand({ TargetGroupArn: fx.tgArn }))
      assert.equal(out.TargetHealthDescriptions!.length, 2)
      for (const d of out.TargetHealthDescriptions!) {
        assertKeys(d, ['Target', 'HealthCheckPort', 'TargetHealth'], 'TargetHealthDescription')
        assertKeys(d.Target, ['Id', 'Port'], 'Target')
        assert.equal(d.HealthCheckPort, '8080') // traffic-port, resolved to the target's port (seed 000)
        assert.ok(d.TargetHealth!.State !== undefined)
      }
      const ip = (await alb.elbv2.send(new elb.DescribeTargetHealthCommand({ TargetGroupArn: fx.ipTgArn }))).TargetHealthDescriptions![0]!
      assertKeys(ip.Target, ['Id', 'Port', 'AvailabilityZone'], 'ip Target')
    })

    it('DescribeListeners: HTTP, HTTPS and mutual TLS', async () => {
      const listeners = (await alb.elbv2.send(new elb.DescribeListenersCommand({ LoadBalancerArn: fx.lbArn }))).Listeners!
      const byArn = new Map(listeners.map((l) => [l.ListenerArn!, l]))
      assertKeys(byArn.get(fx.httpListenerArn), ['ListenerArn', 'LoadBalancerArn', 'Port', 'Protocol', 'DefaultActions'], 'HTTP listener')
      assertKeys(byArn.get(fx.httpsListenerArn), ['ListenerArn', 'LoadBalancerArn', 'Port', 'Protocol', 'Certificates', 'SslPolicy', 'DefaultActions'], 'HTTPS listener')
      const mtls = byArn.get(fx.mtlsListenerArn)
      assertKeys(mtls, ['ListenerArn', 'LoadBalancerArn', 'Port', 'Protocol', 'Certificates', 'SslPolicy', 'DefaultActions', 'MutualAuthentication'], 'mTLS listener')
      assertKeys(mtls!.MutualAuthentication, ['Mode', 'TrustStoreArn', 'IgnoreClientCertificateExpiry', 'TrustStoreAssociationStatus', 'AdvertiseTrustStoreCaNames'], 'MutualAuthentication')
      assert.deepEqual(byArn.get(fx.httpsListenerArn)!.Certificates, [{ CertificateArn: fx.certificateArn }])
      // A single-target-group forward echoes both TargetGroupArn and ForwardConfig (seed 000).
      assert.deepEqual(byArn.get(fx.httpListenerArn)!.DefaultActions, [{
        Type: 'forward', TargetGroupArn: fx.tgArn,
        ForwardConfig: { TargetGroups: [{ TargetGroupArn: fx.tgArn, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } },
      }])
    })

    it('DescribeRules: every condition and action type', async () => {
      const rules = (await alb.elbv2.send(new elb.DescribeRulesCommand({ ListenerArn: fx.httpListenerArn }))).Rules!
      for (const r of rules) assertKeys(r, ['RuleArn', 'Priority', 'Conditions', 'Actions', 'IsDefault'], `rule ${r.Priority}`)
      const byArn = new Map(rules.map((r) => [r.RuleArn!, r]))
      assert.equal(byArn.get(fx.ruleArns.forward)!.Priority, '10') // a string on the wire (spec §2.2)
      assert.equal(rules.at(-1)!.Priority, 'default')
      assert.deepEqual(byArn.get(fx.ruleArns.forward)!.Conditions, [
        { Field: 'host-header', HostHeaderConfig: { Values: ['a.example.com'] } },
        { Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } },
        { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Env', Values: ['blue'] } },
        { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'v', Value: '1' }] } },
      ])
      assert.deepEqual(byArn.get(fx.ruleArns.weighted)!.Conditions, [
        { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET', 'HEAD'] } },
        { Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.0/8'] } },
      ])
      assert.deepEqual(byArn.get(fx.ruleArns.weighted)!.Actions, [{ Type: 'forward', ForwardConfig: {
        TargetGroups: [{ TargetGroupArn: fx.tgArn, Weight: 80 }, { TargetGroupArn: fx.ipTgArn, Weight: 20 }],
        TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 },
      } }])
      // Legacy Values are echoed alongside the typed config.
      assert.deepEqual(byArn.get(fx.ruleArns.redirect)!.Conditions, [{ Field: 'path-pattern', Values: ['/old/*'], PathPatternConfig: { Values: ['/old/*'] } }])
      assert.deepEqual(byArn.get(fx.ruleArns.redirect)!.Actions, [{ Type: 'redirect', RedirectConfig: {
        Protocol: '#{protocol}', Port: '#{port}', Host: 'new.example.com', Path: '/new/#{path}', Query: '#{query}', StatusCode: 'HTTP_302',
      } }])
      assert.deepEqual(byArn.get(fx.ruleArns.fixed)!.Actions, [{ Type: 'fixed-response', FixedResponseConfig: { MessageBody: '{}', StatusCode: '200', ContentType: 'application/json' } }])
    })

    it('DescribeRules: authenticate actions with AuthenticationRequestExtraParams maps', async () => {
      const rules = (await alb.elbv2.send(new elb.DescribeRulesCommand({ RuleArns: [fx.ruleArns.oidc, fx.ruleArns.cognito] }))).Rules!
      const oidc = rules.find((r) => r.RuleArn === fx.ruleArns.oidc)!.Actions![0]!
      assertKeys(oidc, ['Type', 'AuthenticateOidcConfig', 'Order'], 'oidc action')
      assertKeys(oidc.AuthenticateOidcConfig, ['Issuer', 'AuthorizationEndpoint', 'TokenEndpoint', 'UserInfoEndpoint', 'ClientId', 'SessionCookieName',
        'Scope', 'SessionTimeout', 'AuthenticationRequestExtraParams', 'OnUnauthenticatedRequest'], 'AuthenticateOidcConfig')
      assert.deepEqual(oidc.AuthenticateOidcConfig!.AuthenticationRequestExtraParams, { prompt: 'login', display: 'page' })
      const cognito = rules.find((r) => r.RuleArn === fx.ruleArns.cognito)!.Actions![0]!
      assert.deepEqual(cognito.AuthenticateCognitoConfig!.AuthenticationRequestExtraParams, { lang: 'en' })
    })

    it('attributes, certificates, tags, SSL policies, limits, trust stores', async () => {
      const lbAttrs = (await alb.elbv2.send(new elb.DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: fx.lbArn }))).Attributes!
      const tgAttrs = (await alb.elbv2.send(new elb.DescribeTargetGroupAttributesCommand({ TargetGroupArn: fx.tgArn }))).Attributes!
      const listenerAttrs = (await alb.elbv2.send(new elb.DescribeListenerAttributesCommand({ ListenerArn: fx.httpListenerArn }))).Attributes!
      for (const a of [...lbAttrs, ...tgAttrs, ...listenerAttrs]) {
        assertKeys(a, ['Key', 'Value'], `attribute ${a.Key}`)
        assert.equal(typeof a.Value, 'string')
      }
      const certs = await alb.elbv2.send(new elb.DescribeListenerCertificatesCommand({ ListenerArn: fx.httpsListenerArn }))
      assert.deepEqual(certs.Certificates, [{ CertificateArn: fx.certificateArn, IsDefault: true }])
      const tags = await alb.elbv2.send(new elb.DescribeTagsCommand({ ResourceArns: [fx.lbArn, fx.ruleArns.forward] }))
      assert.deepEqual(tags.TagDescriptions, [
        { ResourceArn: fx.lbArn, Tags: [{ Key: 'env', Value: 'test' }] },
        { ResourceArn: fx.ruleArns.forward, Tags: [{ Key: 'rule', Value: 'forward' }] },
      ])
      const [policy] = (await alb.elbv2.send(new elb.DescribeSSLPoliciesCommand({ Names: ['ELBSecurityPolicy-2016-08'] }))).SslPolicies!
      assertKeys(policy, ['SslProtocols', 'Ciphers', 'Name', 'SupportedLoadBalancerTypes'], 'SslPolicy')
      assertKeys(policy!.Ciphers![0], ['Name', 'Priority'], 'Cipher')
      assert.equal(typeof policy!.Ciphers![0]!.Priority, 'number')
      const limits = (await alb.elbv2.send(new elb.DescribeAccountLimitsCommand({}))).Limits!
      for (const l of limits) {
        assertKeys(l, ['Name', 'Max'], `limit ${l.Name}`)
        assert.equal(typeof l.Max, 'string') // Limit.Max is a string in the model
      }
      const [store] = (await alb.elbv2.send(new elb.DescribeTrustStoresCommand({ TrustStoreArns: [fx.trustStoreArn] }))).TrustStores!
      assertKeys(store, ['Name', 'TrustStoreArn', 'Status', 'NumberOfCaCertificates', 'TotalRevokedEntries'], 'TrustStore')
      const associations = await alb.elbv2.send(new elb.DescribeTrustStoreAssociationsCommand({ TrustStoreArn: fx.trustStoreArn }))
      assert.deepEqual(associations.TrustStoreAssociations, [{ ResourceArn: fx.lbArn }])
    })
  })

  describe('raw Query XML', () => {
    it('renders AuthenticationRequestExtraParams as <entry><key/><value/></entry> and keeps scalars in wire form', async () => {
      const { status, body } = await raw(ELBV2_VERSION, 'DescribeRules', { 'RuleArns.member.1': fx.ruleArns.oidc })
      assert.equal(status, 200)
      const doc = xml.parse(body) as Record<string, any>
      const result = doc['DescribeRulesResponse']['DescribeRulesResult']
      const rule = result['Rules']['member'][0]
      assert.equal(rule['Priority'], '5')
      assert.equal(rule['IsDefault'], 'false')
      const config = rule['Actions']['member'][0]['AuthenticateOidcConfig']
      assert.deepEqual(config['AuthenticationRequestExtraParams'], { entry: [{ key: 'prompt', value: 'login' }, { key: 'display', value: 'page' }] })
      assert.equal(config['SessionTimeout'], '604800')
      assert.equal(config['ClientSecret'], undefined) // write-only
      assert.match(body, /<AuthenticationRequestExtraParams><entry><key>prompt<\/key><value>login<\/value><\/entry>/)
      assert.ok(doc['DescribeRulesResponse']['ResponseMetadata']['RequestId'])
    })

    it('lists are <member> elements, timestamps ISO 8601 with milliseconds, booleans true/false', async () => {
      const { body } = await raw(ELBV2_VERSION, 'DescribeLoadBalancers', { 'LoadBalancerArns.member.1': fx.lbArn })
      const lb = (xml.parse(body) as Record<string, any>)['DescribeLoadBalancersResponse']['DescribeLoadBalancersResult']['LoadBalancers']['member'][0]
      assert.match(lb['CreatedTime'], ISO_MS)
      assert.deepEqual(lb['SecurityGroups'], { member: [fx.securityGroupId] })
      assert.equal(lb['AvailabilityZones']['member'].length, 2)
      assert.doesNotMatch(body, /<item>/)
      const weighted = await raw(ELBV2_VERSION, 'DescribeRules', { 'RuleArns.member.1': fx.ruleArns.weighted })
      assert.match(weighted.body, /<TargetGroupStickinessConfig><Enabled>true<\/Enabled><DurationSeconds>60<\/DurationSeconds><\/TargetGroupStickinessConfig>/)
    })

    it('an operation with an empty output still has its Result element', async () => {
      const { status, body } = await raw(ELBV2_VERSION, 'RemoveTags', { 'ResourceArns.member.1': fx.lbArn, 'TagKeys.member.1': 'nothing' })
      assert.equal(status, 200)
      assert.match(body, /<RemoveTagsResponse xmlns="http:\/\/elasticloadbalancing\.amazonaws\.com\/doc\/2015-12-01\/"><RemoveTagsResult(\/>|><\/RemoveTagsResult>)<ResponseMetadata>/)
    })

    it('errors: ErrorResponse with Type Sender, Code, Message and RequestId', async () => {
      const { status, body } = await raw(ELBV2_VERSION, 'DescribeLoadBalancers', { 'Names.member.1': 'nope' })
      assert.equal(status, 400)
      const doc = xml.parse(body) as Record<string, any>
      assert.deepEqual(doc['ErrorResponse']['Error'], { Type: 'Sender', Code: 'LoadBalancerNotFound', Message: "Load balancers '[nope]' not found" })
      assert.match(doc['ErrorResponse']['RequestId'], /^[0-9a-f-]{36}$/)
    })

    it('EC2: <item> lists, requestId first, SecurityGroupArn, and the EC2 error envelope', async () => {
      const { body } = await raw(EC2_VERSION, 'DescribeSecurityGroups', { 'GroupId.1': fx.securityGroupId })
      const doc = (xml.parse(body) as Record<string, any>)['DescribeSecurityGroupsResponse']
      assert.equal(Object.keys(doc)[0], 'requestId')
      const group = doc['securityGroupInfo']['item'][0]
      assert.equal(group['securityGroupArn'], `arn:aws:ec2:${TEST_REGION}:123456789012:security-group/${fx.securityGroupId}`)
      assert.equal(group['ipPermissionsEgress']['item'][0]['ipRanges']['item'][0]['cidrIp'], '0.0.0.0/0')
      assert.doesNotMatch(body, /<member>/)
      const sdk = (await alb.ec2.send(new ec2.DescribeSecurityGroupsCommand({ GroupIds: [fx.securityGroupId] }))).SecurityGroups![0]!
      assert.equal(sdk.SecurityGroupArn, group['securityGroupArn'])

      const error = await raw(EC2_VERSION, 'DescribeVpcs', { 'VpcId.1': 'vpc-00000000000000000' })
      assert.equal(error.status, 400)
      const err = (xml.parse(error.body) as Record<string, any>)['Response']
      assert.deepEqual(err['Errors']['Error'], { Code: 'InvalidVpcID.NotFound', Message: "The vpc ID 'vpc-00000000000000000' does not exist" })
      assert.ok(err['RequestID'])
    })
  })

  describe('modelled ELBv2 error codes reach SDK v3 as typed exceptions', () => {
    const MISSING_TG = `arn:aws:elasticloadbalancing:${TEST_REGION}:123456789012:targetgroup/missing/0123456789abcdef`
    const MISSING_CERT = `arn:aws:acm:${TEST_REGION}:123456789012:certificate/00000000-0000-0000-0000-000000000000`
    const MISSING_TS = `arn:aws:elasticloadbalancing:${TEST_REGION}:123456789012:truststore/missing/0123456789abcdef`
    const cases: ReadonlyArray<{ code: string; exception: string; send: () => Promise<unknown> }> = [
      { code: 'LoadBalancerNotFound', exception: 'LoadBalancerNotFoundException', send: () => alb.elbv2.send(new elb.DescribeLoadBalancersCommand({ Names: ['nope'] })) },
      { code: 'TargetGroupNotFound', exception: 'TargetGroupNotFoundException', send: () => alb.elbv2.send(new elb.DescribeTargetGroupsCommand({ TargetGroupArns: [MISSING_TG] })) },
      { code: 'ListenerNotFound', exception: 'ListenerNotFoundException', send: () => alb.elbv2.send(new elb.DescribeListenersCommand({ ListenerArns: [`${fx.httpListenerArn.slice(0, -16)}0123456789abcdef`] })) },
      { code: 'RuleNotFound', exception: 'RuleNotFoundException', send: () => alb.elbv2.send(new elb.DescribeRulesCommand({ RuleArns: [`${fx.ruleArns.forward.slice(0, -16)}0123456789abcdef`] })) },
      { code: 'TrustStoreNotFound', exception: 'TrustStoreNotFoundException', send: () => alb.elbv2.send(new elb.DescribeTrustStoresCommand({ TrustStoreArns: [MISSING_TS] })) },
      { code: 'DuplicateLoadBalancerName', exception: 'DuplicateLoadBalancerNameException', send: () => alb.elbv2.send(new elb.CreateLoadBalancerCommand({ Name: 'shapes', Subnets: fx.subnets, Scheme: 'internal' })) },
      { code: 'DuplicateTargetGroupName', exception: 'DuplicateTargetGroupNameException', send: () => alb.elbv2.send(new elb.CreateTargetGroupCommand({ Name: 'shapes-tg', Protocol: 'HTTP', Port: 9999, VpcId: fx.vpcId })) },
      { code: 'DuplicateListener', exception: 'DuplicateListenerException', send: () => alb.elbv2.send(new elb.CreateListenerCommand({ LoadBalancerArn: fx.lbArn, Protocol: 'HTTP', Port: 18_181, DefaultActions: [{ Type: 'forward', TargetGroupArn: fx.ipTgArn }] })) },
      { code: 'DuplicateTagKeys', exception: 'DuplicateTagKeysException', send: () => alb.elbv2.send(new elb.AddTagsCommand({ ResourceArns: [fx.lbArn], Tags: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] })) },
      { code: 'DuplicateTrustStoreName', exception: 'DuplicateTrustStoreNameException', send: () => alb.elbv2.send(new elb.CreateTrustStoreCommand({ Name: 'shapes-ts', CaCertificatesBundleS3Bucket: 'b', CaCertificatesBundleS3Key: 'k' })) },
      { code: 'PriorityInUse', exception: 'PriorityInUseException', send: () => alb.elbv2.send(new elb.CreateRuleCommand({ ListenerArn: fx.httpListenerArn, Priority: 10, Conditions: [{ Field: 'path-pattern', Values: ['/x'] }], Actions: [{ Type: 'forward', TargetGroupArn: fx.tgArn }] })) },
      { code: 'ResourceInUse', exception: 'ResourceInUseException', send: () => alb.elbv2.send(new elb.DeleteTargetGroupCommand({ TargetGroupArn: fx.tgArn })) },
      { code: 'InvalidTarget', exception: 'InvalidTargetException', send: () => alb.elbv2.send(new elb.RegisterTargetsCommand({ TargetGroupArn: fx.tgArn, Targets: [{ Id: 'i-00000000000000000' }] })) },
      { code: 'CertificateNotFound', exception: 'CertificateNotFoundException', send: () => alb.elbv2.send(new elb.AddListenerCertificatesCommand({ ListenerArn: fx.httpsListenerArn, Certificates: [{ CertificateArn: MISSING_CERT }] })) },
      { code: 'SSLPolicyNotFound', exception: 'SSLPolicyNotFoundException', send: () => alb.elbv2.send(new elb.DescribeSSLPoliciesCommand({ Names: ['nope'] })) },
      { code: 'InvalidLoadBalancerAction', exception: 'InvalidLoadBalancerActionException', send: () => alb.elbv2.send(new elb.CreateRuleCommand({ ListenerArn: fx.httpListenerArn, Priority: 90, Conditions: [{ Field: 'path-pattern', Values: ['/r'] }], Actions: [{ Type: 'redirect' }] })) },
      { code: 'SubnetNotFound', exception: 'SubnetNotFoundException', send: () => alb.elbv2.send(new elb.CreateLoadBalancerCommand({ Name: 'bad-subnet', Subnets: ['subnet-00000000000000000', fx.subnets[1]!] })) },
      { code: 'InvalidSecurityGroup', exception: 'InvalidSecurityGroupException', send: () => alb.elbv2.send(new elb.SetSecurityGroupsCommand({ LoadBalancerArn: fx.lbArn, SecurityGroups: ['sg-00000000000000000'] })) },
      { code: 'OperationNotPermitted', exception: 'OperationNotPermittedException', send: async () => {
        const rules = (await alb.elbv2.send(new elb.DescribeRulesCommand({ ListenerArn: fx.httpListenerArn }))).Rules!
        return alb.elbv2.send(new elb.DeleteRuleCommand({ RuleArn: rules.find((r) => r.IsDefault === true)!.RuleArn! }))
      } },
      { code: 'TrustStoreInUse', exception: 'TrustStoreInUseException', send: () => alb.elbv2.send(new elb.DeleteTrustStoreCommand({ TrustStoreArn: fx.trustStoreArn })) },
      { code: 'DeleteAssociationSameAccount', exception: 'DeleteAssociationSameAccountException', send: () => alb.elbv2.send(new elb.DeleteSharedTrustStoreAssociationCommand({ TrustStoreArn: fx.trustStoreArn, ResourceArn: fx.lbArn })) },
      { code: 'ResourceNotFound', exception: 'ResourceNotFoundException', send: () => alb.elbv2.send(new elb.GetResourcePolicyCommand({ ResourceArn: fx.trustStoreArn })) },
      { code: 'RevocationIdNotFound', exception: 'RevocationIdNotFoundException', send: () => alb.elbv2.send(new elb.RemoveTrustStoreRevocationsCommand({ TrustStoreArn: fx.trustStoreArn, RevocationIds: [999] })) },
      { code: 'InvalidConfigurationRequest', exception: 'InvalidConfigurationRequestException', send: () => alb.elbv2.send(new elb.CreateLoadBalancerCommand({ Name: 'shapes-nlb', Type: 'network', Subnets: fx.subnets })) },
    ]
    for (const c of cases) {
      it(`${c.code} → ${c.exception}`, async () => {
        await assert.rejects(c.send(), (err: Error & { $metadata?: { httpStatusCode?: number }; $fault?: string; Code?: string }) => {
          assert.equal(err.name, c.exception, err.message)
          assert.equal(err.$metadata?.httpStatusCode, 400)
          assert.equal(err.$fault, 'client')
          return true
        })
      })
    }

    it('the raw <Code> of a typed exception is the model error code, not the shape name', async () => {
      const { status, body } = await raw(ELBV2_VERSION, 'DeleteTargetGroup', { TargetGroupArn: fx.tgArn })
      assert.equal(status, 400)
      assert.match(body, /<Type>Sender<\/Type><Code>ResourceInUse<\/Code>/)
    })
  })
})
