/**
 * Fuzzing the control plane (spec §2.1-§2.3): a seeded PRNG drives a few thousand Query,
 * EC2 and ACM requests, mutated from valid calls, at an in-process OpenALB. Every answer
 * must be well-formed XML/JSON carrying an AWS error code (4xx) or a success, never a 5xx;
 * a refused request must leave the store exactly as it was; afterwards a valid flow still
 * works and a second OpenALB on the same data directory reads every record back unchanged.
 *
 * Deterministic: requests are sent one at a time in PRNG order, so a failure names the
 * iteration and replays with the same seed (FUZZ_SEED overrides it for exploration).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Agent, request } from 'node:http'
import { connect } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import {
  CreateListenerCommand, CreateLoadBalancerCommand, CreateRuleCommand, CreateTargetGroupCommand, DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand, DescribeListenersCommand, DescribeLoadBalancerAttributesCommand, DescribeLoadBalancersCommand,
  DescribeRulesCommand, DescribeTagsCommand, DescribeTargetGroupAttributesCommand, DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand, RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2'
import { ACMClient, DescribeCertificateCommand, ListCertificatesCommand } from '@aws-sdk/client-acm'
import { startTestOpenAlb, TEST_CREDENTIALS, TEST_REGION, type TestOpenAlb } from './support/openalb.ts'
import { defaultSubnets } from './support/network.ts'
import { freePort } from './support/dataplane.ts'
import { selfSigned } from './support/openssl.ts'
import { elbv2Handlers } from '../src/api/elbv2/index.ts'
import { ec2Handlers } from '../src/api/ec2/index.ts'
import { acmHandlers } from '../src/api/acm/index.ts'
import { KINDS } from '../src/model/resources.ts'
import { seededRandom } from './support/random.ts'

const SEED = Number(process.env['FUZZ_SEED'] ?? 0x0a1b5eed)
const ITERATIONS = Number(process.env['FUZZ_ITERATIONS'] ?? 3000)

// ------------------------------------------------------------------ PRNG

class Rng {
  readonly #next: () => number
  constructor(seed: number) { this.#next = seededRandom(seed) }
  float(): number { return this.#next() }
  int(n: number): number { return Math.floor(this.#next() * n) }
  chance(p: number): boolean { return this.#next() < p }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]! }
  bytes(n: number): Buffer { return Buffer.from(Array.from({ length: n }, () => this.int(256))) }
  word(max = 12): string {
    const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.'
    return Array.from({ length: 1 + this.int(max) }, () => this.pick([...alphabet])).join('')
  }
}

// ------------------------------------------------------------------ inputs

type Pairs = Array<[string, string]>

interface Template {
  readonly service: 'elbv2' | 'ec2'
  readonly action: string
  readonly params: Pairs
}

interface Fixture {
  vpcId: string
  subnets: string[]
  securityGroupId: string
  loadBalancerArn: string
  targetGroupArn: string
  listenerArn: string
  ruleArn: string
  certificateArn: string
  instanceId: string
  listenerPorts: number[]
  keyPem: string
  certPem: string
}

/** Values that break types, ranges, encodings and lengths. */
function hostileValue(rng: Rng, fx: Fixture): string {
  switch (rng.int(8)) {
    case 0: return rng.pick(['', ' ', '-1', '0', '-0', '00', '+5', '1.5', '1e3', '0x50', 'NaN', 'Infinity', '2147483648', '-2147483649',
      '9223372036854775808', '99999999999999999999999999', '1e309', 'true', 'false', 'TRUE', 'null', 'undefined', '[]', '{}'])
    case 1: return rng.pick(['é', '日本語', '\u0000', '\u0007', '\uffff', '\ud800', '🚀', '\u202e', 'a\u0301', '\u00a0', '\t', '\r\n', 'Ａ'])
    case 2: return rng.pick(['<a>&amp;]]>', "'", '"', '\\', '%', '%00', '%zz', '../../etc/passwd', '${x}', '#{host}', '*', '?', '/', '//', '.',
      `${'*'.repeat(40)}Z`, `${'*a'.repeat(40)}Z`, '?'.repeat(300), '(a+)+$', '[', '\\'])
    case 3: return 'x'.repeat(rng.pick([33, 129, 257, 1025, 4097, 65_537]))
    case 4: return rng.pick([fx.loadBalancerArn, fx.targetGroupArn, fx.listenerArn, fx.ruleArn, fx.certificateArn, fx.vpcId, fx.subnets[0]!, fx.securityGroupId, fx.instanceId])
    case 5: return rng.pick([
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/nope/0123456789abcdef',
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/0123456789abcdef',
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/nope/0123456789abcdef/0123456789abcdef',
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/nope/0123456789abcdef/0123456789abcdef/0123456789abcdef',
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/0123456789abcdef',
      'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
      'arn:', 'arn:aws:elasticloadbalancing:::', 'vpc-', 'subnet-zzzz', 'sg-0', 'i-', 'default',
    ])
    case 6: return rng.bytes(1 + rng.int(40)).toString('latin1')
    default: return rng.word(40)
  }
}

function hostileIndex(rng: Rng): string {
  return rng.pick(['0', '-1', '01', '10000', '10001', '99999999999999999999', '1e3', '', ' 1', '1.5', '٣', String(2 + rng.int(30))])
}

function templates(fx: Fixture, rng: Rng): Template[] {
  const e = (action: string, params: Pairs): Template => ({ service: 'elbv2', action, params })
  const c = (action: string, params: Pairs): Template => ({ service: 'ec2', action, params })
  const name = `fz-${rng.word(8).replace(/[^A-Za-z0-9]/g, 'a')}`
  const port = String(rng.pick(fx.listenerPorts))
  const forward: Pairs = [['DefaultActions.member.1.Type', 'forward'], ['DefaultActions.member.1.TargetGroupArn', fx.targetGroupArn]]
  const actions = (prefix: string): Pairs => rng.pick<Pairs>([
    [[`${prefix}.member.1.Type`, 'forward'], [`${prefix}.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn`, fx.targetGroupArn],
      [`${prefix}.member.1.ForwardConfig.TargetGroups.member.1.Weight`, '10'], [`${prefix}.member.1.ForwardConfig.TargetGroupStickinessConfig.Enabled`, 'true'],
      [`${prefix}.member.1.ForwardConfig.TargetGroupStickinessConfig.DurationSeconds`, '60']],
    [[`${prefix}.member.1.Type`, 'redirect'], [`${prefix}.member.1.RedirectConfig.Protocol`, 'HTTPS'], [`${prefix}.member.1.RedirectConfig.Port`, '443'],
      [`${prefix}.member.1.RedirectConfig.StatusCode`, 'HTTP_301']],
    [[`${prefix}.member.1.Type`, 'fixed-response'], [`${prefix}.member.1.FixedResponseConfig.StatusCode`, '200'],
      [`${prefix}.member.1.FixedResponseConfig.ContentType`, 'text/plain'], [`${prefix}.member.1.FixedResponseConfig.MessageBody`, 'ok']],
  ])
  const conditions: Pairs = rng.pick<Pairs>([
    [['Conditions.member.1.Field', 'path-pattern'], ['Conditions.member.1.PathPatternConfig.Values.member.1', '/img/*']],
    [['Conditions.member.1.Field', 'host-header'], ['Conditions.member.1.Values.member.1', 'a.example.com']],
    [['Conditions.member.1.Field', 'http-header'], ['Conditions.member.1.HttpHeaderConfig.HttpHeaderName', 'X-Env'],
      ['Conditions.member.1.HttpHeaderConfig.Values.member.1', 'dev']],
    [['Conditions.member.1.Field', 'query-string'], ['Conditions.member.1.QueryStringConfig.Values.member.1.Key', 'v'],
      ['Conditions.member.1.QueryStringConfig.Values.member.1.Value', '1']],
    [['Conditions.member.1.Field', 'source-ip'], ['Conditions.member.1.SourceIpConfig.Values.member.1', '10.0.0.0/8']],
    [['Conditions.member.1.Field', 'http-request-method'], ['Conditions.member.1.HttpRequestMethodConfig.Values.member.1', 'GET']],
  ])
  const priority = String(1 + rng.int(50_000))
  return [
    e('CreateLoadBalancer', [['Name', name], ['Subnets.member.1', fx.subnets[0]!], ['Subnets.member.2', fx.subnets[1]!],
      ['SecurityGroups.member.1', fx.securityGroupId], ['Scheme', 'internal'], ['Tags.member.1.Key', 'k'], ['Tags.member.1.Value', 'v']]),
    e('DescribeLoadBalancers', [['LoadBalancerArns.member.1', fx.loadBalancerArn], ['PageSize', '10']]),
    e('DescribeLoadBalancers', [['Names.member.1', 'fuzz-lb'], ['Marker', 'b2Zmc2V0OjA=']]),
    e('DescribeLoadBalancerAttributes', [['LoadBalancerArn', fx.loadBalancerArn]]),
    e('ModifyLoadBalancerAttributes', [['LoadBalancerArn', fx.loadBalancerArn], ['Attributes.member.1.Key', rng.pick(['idle_timeout.timeout_seconds', 'routing.http.drop_invalid_header_fields.enabled', 'routing.http.desync_mitigation_mode', 'deletion_protection.enabled', 'routing.http.xff_header_processing.mode'])],
      ['Attributes.member.1.Value', rng.pick(['60', 'true', 'false', 'defensive', 'strictest', 'append'])]]),
    e('SetSecurityGroups', [['LoadBalancerArn', fx.loadBalancerArn], ['SecurityGroups.member.1', fx.securityGroupId]]),
    e('SetSubnets', [['LoadBalancerArn', fx.loadBalancerArn], ['Subnets.member.1', fx.subnets[0]!], ['Subnets.member.2', fx.subnets[1]!]]),
    e('SetIpAddressType', [['LoadBalancerArn', fx.loadBalancerArn], ['IpAddressType', 'ipv4']]),
    e('CreateTargetGroup', [['Name', name], ['Protocol', 'HTTP'], ['Port', '80'], ['VpcId', fx.vpcId], ['TargetType', rng.pick(['ip', 'instance'])],
      ['HealthCheckIntervalSeconds', '30'], ['HealthCheckTimeoutSeconds', '5'], ['HealthCheckPath', '/health'], ['Matcher.HttpCode', '200-299'],
      ['HealthyThresholdCount', '3'], ['UnhealthyThresholdCount', '2'], ['ProtocolVersion', 'HTTP1']]),
    e('CreateTargetGroup', [['Name', name], ['TargetType', 'lambda']]),
    e('DescribeTargetGroups', [['TargetGroupArns.member.1', fx.targetGroupArn]]),
    e('DescribeTargetGroups', [['LoadBalancerArn', fx.loadBalancerArn]]),
    e('ModifyTargetGroup', [['TargetGroupArn', fx.targetGroupArn], ['HealthCheckPath', '/ok'], ['HealthCheckIntervalSeconds', '10'], ['Matcher.HttpCode', '200,302']]),
    e('DescribeTargetGroupAttributes', [['TargetGroupArn', fx.targetGroupArn]]),
    e('ModifyTargetGroupAttributes', [['TargetGroupArn', fx.targetGroupArn], ['Attributes.member.1.Key', rng.pick(['deregistration_delay.timeout_seconds', 'stickiness.enabled', 'stickiness.type', 'slow_start.duration_seconds', 'load_balancing.algorithm.type', 'stickiness.app_cookie.cookie_name'])],
      ['Attributes.member.1.Value', rng.pick(['30', 'true', 'lb_cookie', 'app_cookie', 'least_outstanding_requests', 'weighted_random', 'C'])]]),
    e('RegisterTargets', [['TargetGroupArn', fx.targetGroupArn], ['Targets.member.1.Id', rng.pick(['127.0.0.1', '10.0.0.5', fx.instanceId])], ['Targets.member.1.Port', '8080'], ['Targets.member.1.AvailabilityZone', 'all']]),
    e('DeregisterTargets', [['TargetGroupArn', fx.targetGroupArn], ['Targets.member.1.Id', '10.0.0.5'], ['Targets.member.1.Port', '8080']]),
    e('DescribeTargetHealth', [['TargetGroupArn', fx.targetGroupArn], ['Targets.member.1.Id', '127.0.0.1'], ['Include.member.1', 'AnomalyDetection']]),
    e('CreateListener', [['LoadBalancerArn', fx.loadBalancerArn], ['Protocol', 'HTTP'], ['Port', port], ...forward]),
    e('CreateListener', [['LoadBalancerArn', fx.loadBalancerArn], ['Protocol', 'HTTPS'], ['Port', port], ['SslPolicy', 'ELBSecurityPolicy-2016-08'],
      ['Certificates.member.1.CertificateArn', fx.certificateArn], ['AlpnPolicy.member.1', 'HTTP2Preferred'], ...actions('DefaultActions')]),
    e('DescribeListeners', [['LoadBalancerArn', fx.loadBalancerArn]]),
    e('DescribeListeners', [['ListenerArns.member.1', fx.listenerArn]]),
    e('ModifyListener', [['ListenerArn', fx.listenerArn], ...actions('DefaultActions')]),
    e('DescribeListenerAttributes', [['ListenerArn', fx.listenerArn]]),
    e('ModifyListenerAttributes', [['ListenerArn', fx.listenerArn], ['Attributes.member.1.Key', 'routing.http.response.server.enabled'], ['Attributes.member.1.Value', 'true']]),
    e('AddListenerCertificates', [['ListenerArn', fx.listenerArn], ['Certificates.member.1.CertificateArn', fx.certificateArn]]),
    e('RemoveListenerCertificates', [['ListenerArn', fx.listenerArn], ['Certificates.member.1.CertificateArn', fx.certificateArn]]),
    e('DescribeListenerCertificates', [['ListenerArn', fx.listenerArn]]),
    e('CreateRule', [['ListenerArn', fx.listenerArn], ['Priority', priority], ...conditions, ...actions('Actions'),
      ['Tags.member.1.Key', 'rule'], ['Tags.member.1.Value', 'x']]),
    e('DescribeRules', [['ListenerArn', fx.listenerArn], ['PageSize', '5']]),
    e('DescribeRules', [['RuleArns.member.1', fx.ruleArn]]),
    e('ModifyRule', [['RuleArn', fx.ruleArn], ...conditions, ...actions('Actions')]),
    e('SetRulePriorities', [['RulePriorities.member.1.RuleArn', fx.ruleArn], ['RulePriorities.member.1.Priority', priority]]),
    e('DeleteRule', [['RuleArn', fx.ruleArn]]),
    e('AddTags', [['ResourceArns.member.1', rng.pick([fx.loadBalancerArn, fx.targetGroupArn, fx.listenerArn, fx.ruleArn])], ['Tags.member.1.Key', rng.word(10)], ['Tags.member.1.Value', rng.word(10)]]),
    e('RemoveTags', [['ResourceArns.member.1', fx.loadBalancerArn], ['TagKeys.member.1', 'k']]),
    e('DescribeTags', [['ResourceArns.member.1', fx.loadBalancerArn], ['ResourceArns.member.2', fx.targetGroupArn]]),
    e('DescribeSSLPolicies', [['Names.member.1', 'ELBSecurityPolicy-2016-08'], ['LoadBalancerType', 'application']]),
    e('DescribeAccountLimits', [['PageSize', '3']]),
    e('DescribeTrustStores', []),
    e('DescribeCapacityReservation', [['LoadBalancerArn', fx.loadBalancerArn]]),
    e('DeleteListener', [['ListenerArn', fx.listenerArn]]),
    e('DeleteTargetGroup', [['TargetGroupArn', fx.targetGroupArn]]),
    e('DeleteLoadBalancer', [['LoadBalancerArn', fx.loadBalancerArn]]),
    c('CreateVpc', [['CidrBlock', `10.${rng.int(256)}.0.0/16`], ['TagSpecification.1.ResourceType', 'vpc'], ['TagSpecification.1.Tag.1.Key', 'Name'], ['TagSpecification.1.Tag.1.Value', 'fz']]),
    c('DescribeVpcs', [['Filter.1.Name', 'is-default'], ['Filter.1.Value.1', 'true']]),
    c('ModifyVpcAttribute', [['VpcId', fx.vpcId], ['EnableDnsHostnames.Value', 'true']]),
    c('DescribeVpcAttribute', [['VpcId', fx.vpcId], ['Attribute', 'enableDnsSupport']]),
    c('CreateSubnet', [['VpcId', fx.vpcId], ['CidrBlock', `172.31.${200 + rng.int(50)}.0/24`], ['AvailabilityZone', 'us-east-1a']]),
    c('DescribeSubnets', [['SubnetId.1', fx.subnets[0]!], ['Filter.1.Name', 'vpc-id'], ['Filter.1.Value.1', fx.vpcId]]),
    c('ModifySubnetAttribute', [['SubnetId', fx.subnets[0]!], ['MapPublicIpOnLaunch.Value', 'true']]),
    c('CreateSecurityGroup', [['GroupName', name], ['GroupDescription', 'fuzz'], ['VpcId', fx.vpcId]]),
    c('DescribeSecurityGroups', [['GroupId.1', fx.securityGroupId]]),
    c('AuthorizeSecurityGroupIngress', [['GroupId', fx.securityGroupId], ['IpPermissions.1.IpProtocol', 'tcp'], ['IpPermissions.1.FromPort', '80'],
      ['IpPermissions.1.ToPort', String(80 + rng.int(1000))], ['IpPermissions.1.IpRanges.1.CidrIp', '0.0.0.0/0']]),
    c('RevokeSecurityGroupIngress', [['GroupId', fx.securityGroupId], ['IpProtocol', 'tcp'], ['FromPort', '80'], ['ToPort', '80'], ['CidrIp', '0.0.0.0/0']]),
    c('RunInstances', [['ImageId', 'ami-12345678'], ['InstanceType', 't3.micro'], ['MinCount', '1'], ['MaxCount', '1'], ['SubnetId', fx.subnets[0]!],
      ['SecurityGroupId.1', fx.securityGroupId], ['TagSpecification.1.ResourceType', 'instance'], ['TagSpecification.1.Tag.1.Key', 'Name'], ['TagSpecification.1.Tag.1.Value', 'fz']]),
    c('DescribeInstances', [['InstanceId.1', fx.instanceId], ['Filter.1.Name', 'instance-state-name'], ['Filter.1.Value.1', 'running'], ['MaxResults', '5']]),
    c(rng.pick(['StopInstances', 'StartInstances', 'TerminateInstances']), [['InstanceId.1', fx.instanceId], ['DryRun', 'true']]),
    c('CreateTags', [['ResourceId.1', fx.vpcId], ['Tag.1.Key', rng.word(8)], ['Tag.1.Value', 'v']]),
    c('DeleteTags', [['ResourceId.1', fx.vpcId], ['Tag.1.Key', 'nope']]),
    c('DescribeTags', [['Filter.1.Name', 'resource-id'], ['Filter.1.Value.1', fx.vpcId]]),
    c('CreateInternetGateway', []),
    c('DescribeInternetGateways', [['Filter.1.Name', 'attachment.vpc-id'], ['Filter.1.Value.1', fx.vpcId]]),
    c('CreateRouteTable', [['VpcId', fx.vpcId]]),
    c('DescribeRouteTables', [['Filter.1.Name', 'vpc-id'], ['Filter.1.Value.1', fx.vpcId]]),
    c('DescribeAvailabilityZones', [['ZoneName.1', 'us-east-1a']]),
  ]
}

/** One mutation of a valid call: a wrong value, a broken key, a duplicate, a missing member. */
function mutate(rng: Rng, fx: Fixture, params: Pairs): Pairs {
  const out = params.map(([k, v]) => [k, v] as [string, string])
  const at = (): number => rng.int(Math.max(out.length, 1))
  switch (rng.int(11)) {
    case 0: if (out.length > 0) out[at()]![1] = hostileValue(rng, fx); break
    case 1: if (out.length > 0) out.splice(at(), 1); break
    case 2: out.push([rng.pick([...params.map(([k]) => k), 'Foo', 'member', 'x.member.1'].concat(params.length > 0 ? [] : ['Name'])) + (rng.chance(0.5) ? `.${rng.word(6)}` : ''), hostileValue(rng, fx)]); break
    case 3: { // a broken list index
      const i = at()
      if (out[i] !== undefined) out[i]![0] = out[i]![0].replace(/\.(\d+)(?=\.|$)/, `.${hostileIndex(rng)}`)
      break
    }
    case 4: if (out.length > 0) { const [k] = out[at()]!; out.push([k, hostileValue(rng, fx)]) } break
    case 5: { // deep .member.N nesting
      const i = at()
      if (out[i] !== undefined) out[i]![0] += '.member.1'.repeat(1 + rng.int(rng.chance(0.1) ? 400 : 6))
      break
    }
    case 6: { // a structure or list written as a scalar
      const i = at()
      if (out[i] !== undefined && out[i]![0].includes('.')) out.push([out[i]![0].split('.')[0]!, hostileValue(rng, fx)])
      break
    }
    case 7: { // many list members, sparse or past the quotas
      const i = at()
      const key = out[i]?.[0]
      if (key !== undefined && /\.\d+/.test(key)) {
        const n = rng.pick([3, 21, 51, 101, 1001])
        for (let j = 0; j < n; j++) out.push([key.replace(/\.\d+/, `.${rng.chance(0.3) ? 2 + j * 7 : 2 + j}`), out[i]![1]])
      }
      break
    }
    case 8: { // keys with odd segments
      const i = at()
      if (out[i] !== undefined) out[i]![0] = rng.pick([`${out[i]![0]}.`, `.${out[i]![0]}`, out[i]![0].replace('.', '..'), `${out[i]![0]}.__proto__`, `constructor.${out[i]![0]}`, out[i]![0].toLowerCase(), `${out[i]![0]}.entry.1.key`])
      break
    }
    case 9: if (out.length > 0) out[at()]![1] = out[at()]![1].repeat(1 + rng.int(50)); break
    default: out.push([hostileValue(rng, fx).slice(0, 60), hostileValue(rng, fx)])
  }
  return out
}

function randomJson(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 3 ? 5 : 8)) {
    case 0: return null
    case 1: return rng.chance(0.5)
    case 2: return rng.pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER])
    case 3: return hostileValueForJson(rng)
    case 4: return rng.word(20)
    case 5: return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth + 1))
    default: return Object.fromEntries(Array.from({ length: rng.int(4) }, () => [rng.pick(['CertificateArn', 'Tags', 'Key', 'Value', 'Certificate', 'PrivateKey', 'CertificateChain', 'DomainName', 'CertificateStatuses', 'Includes', 'MaxItems', 'NextToken', 'ValidationMethod', 'SubjectAlternativeNames', 'KeyAlgorithm', '__proto__', 'constructor', rng.word(6)]), randomJson(rng, depth + 1)]))
  }
}

function hostileValueForJson(rng: Rng): string {
  return rng.pick(['', 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000', 'arn:aws:acm:us-east-1:1:certificate/x', '!!!', 'AAAA', '\u0000', 'x'.repeat(5000), '日本語', 'ISSUED', 'RSA_2048'])
}

function acmBody(rng: Rng, fx: Fixture): { operation: string; body: Buffer } {
  const operation = rng.chance(0.9) ? rng.pick(Object.keys(acmHandlers)) : rng.pick(['', 'Nope', 'ExportCertificate', '__proto__', 'constructor', 'toString', rng.word(10)])
  const valid: Record<string, unknown> = {
    ImportCertificate: { Certificate: Buffer.from(fx.certPem).toString('base64'), PrivateKey: Buffer.from(fx.keyPem).toString('base64'), Tags: [{ Key: 'k', Value: 'v' }] },
    DescribeCertificate: { CertificateArn: fx.certificateArn },
    ListCertificates: { CertificateStatuses: ['ISSUED'], MaxItems: 10 },
    GetCertificate: { CertificateArn: fx.certificateArn },
    DeleteCertificate: { CertificateArn: fx.certificateArn },
    AddTagsToCertificate: { CertificateArn: fx.certificateArn, Tags: [{ Key: rng.word(6), Value: 'v' }] },
    RemoveTagsFromCertificate: { CertificateArn: fx.certificateArn, Tags: [{ Key: 'k' }] },
    ListTagsForCertificate: { CertificateArn: fx.certificateArn },
    RequestCertificate: { DomainName: `${rng.word(6).replace(/[^a-z0-9]/gi, 'a')}.example.test`, SubjectAlternativeNames: ['a.example.test'] },
  }
  const base = (Object.hasOwn(valid, operation) ? valid[operation] : {}) as Record<string, unknown>
  switch (rng.int(6)) {
    case 0: return { operation, body: Buffer.from(JSON.stringify(base)) }
    case 1: { // one member replaced by a random shape
      const copy: Record<string, unknown> = { ...base }
      const keys = Object.keys(copy)
      const key = keys.length > 0 && rng.chance(0.8) ? rng.pick(keys) : rng.word(8)
      copy[key] = randomJson(rng)
      return { operation, body: Buffer.from(JSON.stringify(copy)) }
    }
    case 2: return { operation, body: Buffer.from(JSON.stringify(randomJson(rng))) }
    case 3: return { operation, body: rng.bytes(rng.int(200)) }
    case 4: return { operation, body: Buffer.from(rng.pick(['{', '[]', '"x"', '1', 'null', '{"a":', '{"__proto__":{"x":1}}', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]', `${'['.repeat(5000)}${']'.repeat(5000)}`, '{"CertificateArn":1e999}'])) }
    default: { // a truncated valid body
      const text = JSON.stringify(base)
      return { operation, body: Buffer.from(text.slice(0, rng.int(text.length + 1))) }
    }
  }
}

function encodePairs(pairs: Pairs): string {
  const search = new URLSearchParams()
  for (const [k, v] of pairs) search.append(k, v)
  return search.toString()
}

// ------------------------------------------------------------------ transport

interface Reply { readonly status: number; readonly headers: Record<string, string | string[] | undefined>; readonly body: string }
interface Sent { readonly method: string; readonly path: string; readonly headers: Record<string, string>; readonly body: Buffer; readonly describe: string }

const agent = new Agent({ keepAlive: true, maxSockets: 1 })

function send(apiUrl: string, sent: Sent): Promise<Reply> {
  const url = new URL(apiUrl)
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname, port: url.port, method: sent.method, path: sent.path, agent,
      headers: { ...sent.headers, 'Content-Length': String(sent.body.length) },
      timeout: 10_000,
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')))
    req.on('error', reject)
    req.end(sent.body)
  })
}

const xmlParser = new XMLParser({ ignoreAttributes: true, parseTagValue: false })
const ERROR_CODE = /^[A-Z][A-Za-z0-9.]*$/
const NON_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u

/** Why `reply` is not a well-formed AWS answer; undefined when it is. */
function checkReply(reply: Reply, acm: boolean): string | undefined {
  if (reply.status >= 500) return `HTTP ${reply.status}: ${reply.body.slice(0, 300)}`
  if (reply.status !== 200 && (reply.status < 400 || reply.status > 499)) return `unexpected HTTP ${reply.status}`
  if (typeof reply.headers['x-amzn-requestid'] !== 'string') return 'no x-amzn-RequestId'
  if (acm) {
    let parsed: unknown
    try { parsed = JSON.parse(reply.body) } catch { return `not JSON: ${reply.body.slice(0, 200)}` }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'JSON answer is not an object'
    if (reply.status === 200) return undefined
    const type = (parsed as Record<string, unknown>)['__type']
    if (typeof type !== 'string' || !ERROR_CODE.test(type)) return `bad __type ${String(type)}`
    if (typeof (parsed as Record<string, unknown>)['message'] !== 'string') return 'no message'
    if (reply.headers['x-amzn-errortype'] !== type) return 'x-amzn-ErrorType differs from __type'
    return undefined
  }
  if (!String(reply.headers['content-type']).startsWith('text/xml')) return `content-type ${String(reply.headers['content-type'])}`
  // XMLValidator does not check the character range; botocore's expat does and refuses the answer.
  if (NON_XML_CHAR.test(reply.body)) return `a character XML cannot carry in ${JSON.stringify(reply.body.slice(0, 300))}`
  if (XMLValidator.validate(reply.body) !== true) return `malformed XML: ${reply.body.slice(0, 300)}`
  const doc = xmlParser.parse(reply.body) as Record<string, Record<string, unknown>>
  const root = Object.keys(doc).find((k) => k !== '?xml')
  if (root === undefined) return 'empty XML'
  if (reply.status === 200) return root.endsWith('Response') && root !== 'ErrorResponse' ? undefined : `200 with root ${root}`
  const error = (root === 'ErrorResponse' ? doc[root]!['Error'] : (doc[root]?.['Errors'] as Record<string, unknown> | undefined)?.['Error']) as Record<string, unknown> | undefined
  const code = error?.['Code']
  if (typeof code !== 'string' || !ERROR_CODE.test(code)) return `no AWS error code in ${reply.body.slice(0, 300)}`
  if (typeof error?.['Message'] !== 'string') return 'no error Message'
  return undefined
}

/** The whole store image, for "a refused request changes nothing" and "a restart reads everything back". */
function image(alb: TestOpenAlb, sorted = false): string {
  const out: Record<string, unknown> = {}
  for (const kind of KINDS) {
    const records = alb.store.list(kind).map((r) => JSON.stringify(r))
    out[kind] = sorted ? records.sort() : records
  }
  return JSON.stringify(out)
}

// ------------------------------------------------------------------ the suite

describe(`API fuzz (seed 0x${SEED.toString(16)}, ${ITERATIONS} requests)`, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'openalb-fuzz-api-'))
  const logs: string[] = []
  let alb: TestOpenAlb
  let acm: ACMClient
  const fx = {} as Fixture

  before(async () => {
    alb = await startTestOpenAlb({ dataDir, log: (line) => logs.push(line) })
    acm = new ACMClient({ endpoint: alb.apiUrl, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 })
    fx.subnets = await defaultSubnets(alb)
    fx.vpcId = (await alb.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0]!.VpcId!
    fx.securityGroupId = (await alb.ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups![0]!.GroupId!
    fx.listenerPorts = [await freePort(), await freePort(), await freePort()]
    const pair = selfSigned('fuzz.example.test')
    fx.keyPem = pair.keyPem
    fx.certPem = pair.certPem
    const imported = await send(alb.apiUrl, {
      method: 'POST', path: '/', body: Buffer.from(JSON.stringify({ Certificate: Buffer.from(pair.certPem).toString('base64'), PrivateKey: Buffer.from(pair.keyPem).toString('base64') })),
      headers: { 'X-Amz-Target': 'CertificateManager.ImportCertificate', 'Content-Type': 'application/x-amz-json-1.1' }, describe: 'import',
    })
    fx.certificateArn = (JSON.parse(imported.body) as { CertificateArn: string }).CertificateArn
    const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'fuzz-lb', Subnets: fx.subnets.slice(0, 2) }))).LoadBalancers![0]!
    fx.loadBalancerArn = lb.LoadBalancerArn!
    fx.targetGroupArn = (await alb.elbv2.send(new CreateTargetGroupCommand({ Name: 'fuzz-tg', Protocol: 'HTTP', Port: 80, VpcId: fx.vpcId, TargetType: 'ip' }))).TargetGroups![0]!.TargetGroupArn!
    fx.listenerArn = (await alb.elbv2.send(new CreateListenerCommand({
      LoadBalancerArn: fx.loadBalancerArn, Protocol: 'HTTP', Port: fx.listenerPorts[0]!, DefaultActions: [{ Type: 'forward', TargetGroupArn: fx.targetGroupArn }],
    }))).Listeners![0]!.ListenerArn!
    fx.ruleArn = (await alb.elbv2.send(new CreateRuleCommand({
      ListenerArn: fx.listenerArn, Priority: 10, Conditions: [{ Field: 'path-pattern', Values: ['/a/*'] }], Actions: [{ Type: 'forward', TargetGroupArn: fx.targetGroupArn }],
    }))).Rules![0]!.RuleArn!
    const run = await send(alb.apiUrl, {
      method: 'POST', path: '/', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, describe: 'run',
      body: Buffer.from(encodePairs([['Action', 'RunInstances'], ['Version', '2016-11-15'], ['ImageId', 'ami-12345678'], ['InstanceType', 't3.micro'], ['MinCount', '1'], ['MaxCount', '1']])),
    })
    fx.instanceId = /<instanceId>(i-[0-9a-f]+)<\/instanceId>/.exec(run.body)![1]!
  })

  after(async () => {
    acm.destroy()
    agent.destroy()
    await alb.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('answers every fuzzed request with a success or an AWS 4xx error and changes nothing when it refuses', async (t) => {
    const rng = new Rng(SEED)
    const failures: string[] = []
    const outcomes = new Map<string, number>()
    const elbv2Actions = Object.keys(elbv2Handlers)
    const ec2Actions = Object.keys(ec2Handlers)
    const started = Date.now()
    for (let i = 0; i < ITERATIONS; i++) {
      const sent = nextRequest(rng, fx, elbv2Actions, ec2Actions)
      const before = image(alb)
      let reply: Reply
      try {
        reply = await send(alb.apiUrl, sent)
      } catch (err) {
        failures.push(`#${i} ${sent.describe.slice(0, 300)}: no answer (${(err as Error).message})`)
        continue
      }
      const acmCall = sent.headers['X-Amz-Target']?.startsWith('CertificateManager.') ?? false
      const problem = checkReply(reply, acmCall)
      if (problem !== undefined) failures.push(`#${i} ${sent.describe.slice(0, 300)}: ${problem}`)
      const code = reply.status === 200 ? '200' : `${reply.status} ${/<Code>([^<]*)<\/Code>|"__type":"([^"]*)"/.exec(reply.body)?.slice(1).find((x) => x !== undefined) ?? '?'}`
      outcomes.set(code, (outcomes.get(code) ?? 0) + 1)
      if (reply.status !== 200 && image(alb) !== before) failures.push(`#${i} ${sent.describe.slice(0, 300)}: refused with ${code} but changed the store`)
    }
    t.diagnostic(`${ITERATIONS} requests in ${Date.now() - started} ms; outcomes ${JSON.stringify(Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])))}`)
    const internal = logs.filter((l) => /internal failure|api:/.test(l))
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} bad answers`)
    assert.deepEqual(internal.slice(0, 5), [])
    assert.equal((await send(alb.apiUrl, { method: 'GET', path: '/_openalb/health', headers: {}, body: Buffer.alloc(0), describe: 'health' })).status, 200)
  })

  it('answers the cases earlier fuzzing found with AWS errors, in bounded time', async () => {
    const query = async (pairs: Pairs): Promise<Reply> => send(alb.apiUrl, {
      method: 'POST', path: '/', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from(encodePairs(pairs)), describe: '',
    })
    // A NUL in an EC2 tag value used to be stored, and every later DescribeTags was XML no SDK could parse.
    const nul = await query([['Action', 'CreateTags'], ['Version', '2016-11-15'], ['ResourceId.1', fx.vpcId], ['Tag.1.Key', 'k'], ['Tag.1.Value', 'a\u0000b\u0007\uffff']])
    assert.equal(nul.status, 400)
    assert.match(nul.body, /<Code>InvalidParameterValue<\/Code>/)
    const nulElb = await query([['Action', 'AddTags'], ['Version', '2015-12-01'], ['ResourceArns.member.1', fx.loadBalancerArn], ['Tags.member.1.Key', 'k\u0001'], ['Tags.member.1.Value', 'v']])
    assert.equal(nulElb.status, 400)
    assert.match(nulElb.body, /<Code>ValidationError<\/Code>/)
    assert.equal(checkReply(nulElb, false), undefined)
    // An EC2 filter of many `*` compiled to a backtracking RegExp and hung the process.
    await query([['Action', 'CreateTags'], ['Version', '2016-11-15'], ['ResourceId.1', fx.vpcId], ['Tag.1.Key', 'Long'], ['Tag.1.Value', 'a'.repeat(250)]])
    const started = Date.now()
    const glob = await query([['Action', 'DescribeVpcs'], ['Version', '2016-11-15'], ['Filter.1.Name', 'tag:Long'], ['Filter.1.Value.1', `${'*'.repeat(60)}Z`],
      ['Filter.2.Name', 'tag-value'], ['Filter.2.Value.1', `${'*a'.repeat(60)}Z`]])
    assert.equal(glob.status, 200)
    assert.ok(Date.now() - started < 2000, `glob filter took ${Date.now() - started} ms`)
    assert.doesNotMatch(glob.body, /<vpcId>/)
    const matching = await query([['Action', 'DescribeVpcs'], ['Version', '2016-11-15'], ['Filter.1.Name', 'tag:Long'], ['Filter.1.Value.1', '*a?a*']])
    assert.match(matching.body, new RegExp(`<vpcId>${fx.vpcId}</vpcId>`))
  })

  it('answers malformed HTTP at the API port in the Query error format', async () => {
    const port = Number(new URL(alb.apiUrl).port)
    const cases: Array<[string, string, number, string]> = [
      ['absolute-form target with a bad authority', 'GET http://[zz]/?Action=DescribeLoadBalancers&Version=2015-12-01 HTTP/1.1\r\nHost: a\r\n\r\n', 404, 'MalformedQueryString'],
      ['absolute-form target with a bad port', 'GET http://a:99999/?Action=DescribeLoadBalancers HTTP/1.1\r\nHost: a\r\n\r\n', 404, 'MalformedQueryString'],
      ['space in a header name', 'GET /?Action=DescribeLoadBalancers&Version=2015-12-01 HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n', 400, 'InvalidRequest'],
      ['bad chunk size', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400, 'InvalidRequest'],
      ['request line over 16 KiB', `GET /?Action=DescribeLoadBalancers&x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: a\r\n\r\n`, 400, 'RequestHeaderSectionTooLarge'],
      ['not HTTP at all', '\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\r\n\r\n', 400, 'InvalidRequest'],
    ]
    for (const [name, bytes, status, code] of cases) {
      const response = await rawApiExchange(port, Buffer.from(bytes, 'latin1'))
      assert.ok(response.startsWith(`HTTP/1.1 ${status} `), `${name}: ${JSON.stringify(response.slice(0, 100))}`)
      const body = response.slice(response.indexOf('\r\n\r\n') + 4)
      assert.equal(XMLValidator.validate(body), true, name)
      assert.match(body, new RegExp(`<Code>${code}</Code>`), name)
      assert.match(response, /\r\nx-amzn-RequestId: [0-9a-f-]{36}\r\n/i, name)
    }
    assert.equal((await send(alb.apiUrl, { method: 'GET', path: '/_openalb/health', headers: {}, body: Buffer.alloc(0), describe: 'health' })).status, 200)
  })

  it('still runs a valid flow after the fuzzing', async () => {
    const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'after-fuzz', Subnets: fx.subnets.slice(0, 2) }))).LoadBalancers![0]!
    const tg = (await alb.elbv2.send(new CreateTargetGroupCommand({ Name: 'after-fuzz', Protocol: 'HTTP', Port: 80, VpcId: fx.vpcId, TargetType: 'ip' }))).TargetGroups![0]!
    await alb.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: [{ Id: '127.0.0.1', Port: 9 }] }))
    const port = fx.listenerPorts[2]!
    const listener = (await alb.elbv2.send(new CreateListenerCommand({
      LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }],
    }))).Listeners![0]!
    await alb.elbv2.send(new CreateRuleCommand({
      ListenerArn: listener.ListenerArn, Priority: 1, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/x'] } }],
      Actions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }],
    }))
    const rules = (await alb.elbv2.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))).Rules!
    assert.deepEqual(rules.map((r) => r.Priority), ['1', 'default'])
    const health = (await alb.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }))).TargetHealthDescriptions!
    assert.equal(health.length, 1)
    await alb.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }))
    await alb.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn }))
  })

  it('reads every record back, unchanged and describable, after a restart on the same data directory', async () => {
    const imageBefore = image(alb, true)
    await alb.close()
    logs.length = 0
    alb = await startTestOpenAlb({ dataDir, log: (line) => logs.push(line) })
    acm.destroy()
    acm = new ACMClient({ endpoint: alb.apiUrl, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 })
    assert.equal(image(alb, true), imageBefore)
    // Every persisted record must also render through the API: a record the handlers cannot
    // describe is as lost as one that is missing.
    const lbs = (await alb.elbv2.send(new DescribeLoadBalancersCommand({}))).LoadBalancers!
    assert.equal(lbs.length, alb.store.list('loadBalancer').length)
    for (const lb of lbs) {
      await alb.elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn }))
      const listeners = (await alb.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners!
      for (const listener of listeners) await alb.elbv2.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))
      await alb.elbv2.send(new DescribeTagsCommand({ ResourceArns: [lb.LoadBalancerArn!] }))
    }
    const tgs = (await alb.elbv2.send(new DescribeTargetGroupsCommand({}))).TargetGroups!
    assert.equal(tgs.length, alb.store.list('targetGroup').length)
    for (const tg of tgs) {
      await alb.elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }))
      await alb.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }))
    }
    await alb.ec2.send(new DescribeVpcsCommand({}))
    await alb.ec2.send(new DescribeSubnetsCommand({}))
    await alb.ec2.send(new DescribeSecurityGroupsCommand({}))
    await alb.ec2.send(new DescribeInstancesCommand({}))
    const certificates = (await acm.send(new ListCertificatesCommand({ Includes: { keyTypes: ['RSA_1024', 'RSA_2048', 'RSA_3072', 'RSA_4096', 'EC_prime256v1', 'EC_secp384r1', 'EC_secp521r1'] } }))).CertificateSummaryList!
    for (const cert of certificates) await acm.send(new DescribeCertificateCommand({ CertificateArn: cert.CertificateArn }))
    assert.deepEqual(logs.filter((l) => /internal failure|api:|config:|dataplane:/.test(l)).slice(0, 5), [])
  })
})

describe(`API fuzz with SigV4 verification on (seed 0x${SEED.toString(16)}, 400 requests)`, () => {
  let alb: TestOpenAlb
  before(async () => { alb = await startTestOpenAlb({ credentials: new Map([[TEST_CREDENTIALS.accessKeyId, TEST_CREDENTIALS.secretAccessKey]]) }) })
  after(async () => { await alb.close() })

  it('refuses hostile signatures, dates, paths and escapes with 403/4xx, never a 5xx', async () => {
    const rng = new Rng(SEED ^ 0x5167)
    const failures: string[] = []
    const amzDate = (ms: number): string => new Date(ms).toISOString().replace(/[-:]|\.\d+/g, '')
    for (let i = 0; i < 400; i++) {
      const now = Date.now()
      const date = rng.pick([amzDate(now), amzDate(now), amzDate(now + 3_600_000), '20241301T000000Z', '99999999T999999Z', '', 'x', amzDate(now).slice(0, 8)])
      const scopeDate = rng.chance(0.8) ? date.slice(0, 8) : rng.word(8)
      const service = rng.pick(['elasticloadbalancing', 'ec2', 'acm', '', 'x'])
      const credential = rng.chance(0.85) ? `${TEST_CREDENTIALS.accessKeyId}/${scopeDate}/${rng.pick(['us-east-1', 'us-east-1', '', 'eu-west-1'])}/${service}/aws4_request` : rng.word(30)
      const signedHeaders = rng.pick(['host;x-amz-date', 'host', '', 'host;;x-amz-date', 'HOST;X-AMZ-DATE', 'content-type;host;x-amz-content-sha256;x-amz-date', 'x-missing'])
      const signature = rng.pick(['0'.repeat(64), 'zz', '', 'f'.repeat(63), 'ab'.repeat(500), rng.bytes(32).toString('hex')])
      const headers: Record<string, string> = {
        Authorization: `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      }
      if (date !== '') headers['X-Amz-Date'] = date
      if (rng.chance(0.3)) headers['X-Amz-Content-Sha256'] = rng.pick(['UNSIGNED-PAYLOAD', 'zz', '0'.repeat(64)])
      const path = rng.pick(['/', '/%zz', '/%E0%A4%A', '/a/../b', '/?Action=DescribeLoadBalancers&Version=2015-12-01', '/?%=%&Action=%zz', '/?a=%ED%A0%80', `/?${rng.word(20)}=%`])
      const body = Buffer.from(rng.chance(0.7) ? encodePairs([['Action', rng.pick(['DescribeLoadBalancers', 'DescribeVpcs', 'CreateTargetGroup'])], ['Version', rng.pick(['2015-12-01', '2016-11-15'])]]) : `Action=%zz&${rng.bytes(20).toString('latin1')}`, 'latin1')
      const sent: Sent = { method: rng.chance(0.3) ? 'GET' : 'POST', path, headers, body, describe: `${path} ${headers.Authorization!.slice(0, 200)}` }
      let reply: Reply
      try {
        reply = await send(alb.apiUrl, sent)
      } catch (err) {
        failures.push(`#${i} ${sent.describe}: no answer (${(err as Error).message})`)
        continue
      }
      const problem = checkReply(reply, false) ?? (reply.status === 200 ? 'accepted a request with a forged signature' : undefined)
      if (problem !== undefined) failures.push(`#${i} ${sent.describe}: ${problem}`)
    }
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} bad answers`)
  })
})

/** rawApiExchange: `bytes` on a fresh connection; everything read until the server closes (or 5 s). */
function rawApiExchange(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes))
    const chunks: Buffer[] = []
    const timer = setTimeout(() => socket.destroy(), 5000)
    socket.on('data', (c: Buffer) => {
      chunks.push(c)
      // A complete answer (head + Content-Length body) ends the exchange even on a kept-alive connection.
      const text = Buffer.concat(chunks).toString('latin1')
      const head = text.indexOf('\r\n\r\n')
      const length = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, head))
      if (head >= 0 && length !== null && text.length - head - 4 >= Number(length[1])) socket.destroy()
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks).toString('latin1'))
    })
  })
}

/** The i-th fuzzed request: mostly mutated valid calls, some random actions, ACM JSON and raw bodies. */
function nextRequest(rng: Rng, fx: Fixture, elbv2Actions: string[], ec2Actions: string[]): Sent {
  const form = { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' }
  const kind = rng.float()
  if (kind < 0.12) {
    const { operation, body } = acmBody(rng, fx)
    return {
      method: 'POST', path: '/', body, describe: `ACM ${operation} ${body.toString('utf8').slice(0, 200)}`,
      headers: { 'X-Amz-Target': `CertificateManager.${operation}`, 'Content-Type': 'application/x-amz-json-1.1' },
    }
  }
  if (kind < 0.17) { // raw bytes with random content types, methods and paths
    const body = rng.chance(0.5) ? rng.bytes(rng.int(300)) : Buffer.from(`Action=${rng.pick(elbv2Actions)}&Version=2015-12-01&${rng.bytes(40).toString('latin1')}`, 'latin1')
    const contentType = rng.pick(['application/x-www-form-urlencoded', 'text/plain', 'application/json', 'multipart/form-data; boundary=x', '', 'application/x-www-form-urlencoded; charset=latin1', '\u00ff'])
    const path = rng.pick(['/', '/?Action=DescribeLoadBalancers&Version=2015-12-01', '/?%', '/?Action=%ZZ', '/foo/../bar', '//x', '/?&&&==&', `/?${'a=b&'.repeat(2000)}`, '/?Action=DescribeLoadBalancers&Action=DeleteLoadBalancer'])
    return {
      method: rng.pick(['POST', 'GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']), path, body,
      headers: contentType === '' ? {} : { 'Content-Type': contentType.replace(/[^\t\x20-\x7e]/g, '') || 'x/y' },
      describe: `raw ${path.slice(0, 80)} ${JSON.stringify(contentType)} ${body.toString('latin1').slice(0, 120)}`,
    }
  }
  let service: 'elbv2' | 'ec2'
  let action: string
  let params: Pairs
  if (kind < 0.25) { // a random action, real or not, with random parameters
    service = rng.chance(0.6) ? 'elbv2' : 'ec2'
    action = rng.chance(0.8) ? rng.pick(service === 'elbv2' ? elbv2Actions : ec2Actions) : rng.pick(['', 'Describe', 'describeLoadBalancers', '__proto__', 'constructor', 'hasOwnProperty', 'toString', rng.word(20), hostileValueForJson(rng)])
    params = Array.from({ length: rng.int(6) }, () => [rng.pick(['Name', 'LoadBalancerArn', 'TargetGroupArn', 'Names.member.1', 'Filter.1.Name', 'Port', 'Marker', rng.word(10)]), hostileValue(rng, fx)] as [string, string])
  } else {
    const template = rng.pick(templates(fx, rng))
    service = template.service
    action = template.action
    params = template.params
    const rounds = rng.chance(0.15) ? 0 : 1 + rng.int(3)
    for (let r = 0; r < rounds; r++) params = mutate(rng, fx, params)
  }
  const version = rng.chance(0.93) ? (service === 'elbv2' ? '2015-12-01' : '2016-11-15') : rng.pick(['', '2012-06-01', '2016-11-15', '2015-12-01', 'x', '2015-12-01\u0000'])
  const pairs: Pairs = [['Action', action], ['Version', version], ...params]
  if (rng.chance(0.03)) pairs.push(['Action', rng.pick(elbv2Actions)])
  const encoded = encodePairs(pairs)
  const headers: Record<string, string> = {}
  if (rng.chance(0.05)) {
    headers['Authorization'] = rng.pick([
      'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=00',
      'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=zz',
      'AWS4-HMAC-SHA256 Credential=a/b', 'AWS4-HMAC-SHA256', 'Bearer x', 'AWS4-HMAC-SHA256 Credential=AKID/20240101//elasticloadbalancing/aws4_request, SignedHeaders=, Signature=',
      'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/acm/aws4_request, SignedHeaders=host, Signature=00',
    ])
  }
  const method = rng.chance(0.25) ? 'GET' : 'POST'
  const describe = `${method} ${service} ${action.slice(0, 40)} ${encoded.slice(0, 400)}`
  if (method === 'GET') return { method, path: `/?${encoded}`, headers, body: Buffer.alloc(0), describe }
  return { method, path: '/', headers: { ...headers, ...form }, body: Buffer.from(encoded), describe }
}
