/**
 * Invalid inputs (issue 2): a table of bad requests sent through the SDK v3, and malformed
 * Query bodies sent as raw HTTP. Each gets AWS's error code; none is a 500; after each the
 * server still answers DescribeLoadBalancers and has logged no internal failure.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as elb from '@aws-sdk/client-elastic-load-balancing-v2'
import * as ec2 from '@aws-sdk/client-ec2'
import { startTestOpenAlb, type TestOpenAlb } from './support/openalb.ts'
import { defaultSubnets } from './support/network.ts'

const ACCOUNT_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012'
const MISSING = {
  loadBalancer: `${ACCOUNT_ARN}:loadbalancer/app/missing/0123456789abcdef`,
  targetGroup: `${ACCOUNT_ARN}:targetgroup/missing/0123456789abcdef`,
  listener: `${ACCOUNT_ARN}:listener/app/missing/0123456789abcdef/0123456789abcdef`,
  rule: `${ACCOUNT_ARN}:listener-rule/app/missing/0123456789abcdef/0123456789abcdef/0123456789abcdef`,
} as const

interface Fixture {
  readonly subnets: string[]
  readonly vpcId: string
  readonly lbArn: string
  readonly tgArn: string
  readonly listenerArn: string
  readonly ruleArn: string
  readonly defaultRuleArn: string
}

type Send = (alb: TestOpenAlb, fx: Fixture) => Promise<unknown>

interface Case {
  readonly name: string
  readonly send: Send
  /** AWS's error code; several where AWS's exact choice is UNVERIFIED (comment says so). */
  readonly code: string | readonly string[]
}

/** Every ELBv2 command of the table; the SDK's overloads do not accept a union of commands. */
const lb = (alb: TestOpenAlb, command: { readonly input: object }): Promise<unknown> => alb.elbv2.send(command as never)
const tgInput = (fx: Fixture, extra: Partial<elb.CreateTargetGroupInput>): elb.CreateTargetGroupInput => ({ Name: 'tg-new', Protocol: 'HTTP', Port: 80, VpcId: fx.vpcId, ...extra })
const tgAttr = (fx: Fixture, ...pairs: [string, string][]) => new elb.ModifyTargetGroupAttributesCommand({ TargetGroupArn: fx.tgArn, Attributes: pairs.map(([Key, Value]) => ({ Key, Value })) })
const lbAttr = (fx: Fixture, ...pairs: [string, string][]) => new elb.ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: fx.lbArn, Attributes: pairs.map(([Key, Value]) => ({ Key, Value })) })
const forward = (fx: Fixture): elb.Action[] => [{ Type: 'forward', TargetGroupArn: fx.tgArn }]
const pathIs = (value: string): elb.RuleCondition[] => [{ Field: 'path-pattern', PathPatternConfig: { Values: [value] } }]

const CASES: readonly Case[] = [
  // ---- load balancer names and inputs (spec §6.1)
  { name: 'LB name longer than 32', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateLoadBalancerCommand({ Name: 'a'.repeat(33), Subnets: fx.subnets })) },
  { name: 'LB name with an underscore', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateLoadBalancerCommand({ Name: 'bad_name', Subnets: fx.subnets })) },
  { name: 'LB name with a leading hyphen', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateLoadBalancerCommand({ Name: '-lead', Subnets: fx.subnets })) },
  { name: 'LB name with a trailing hyphen', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateLoadBalancerCommand({ Name: 'trail-', Subnets: fx.subnets })) },
  { name: 'LB name starting internal-', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateLoadBalancerCommand({ Name: 'internal-web', Subnets: fx.subnets })) },
  { name: 'LB without a name', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateLoadBalancerCommand({ Subnets: fx.subnets } as elb.CreateLoadBalancerInput)) },
  { name: 'LB in one subnet only', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateLoadBalancerCommand({ Name: 'one-az', Subnets: fx.subnets.slice(0, 1) })) },
  { name: 'LB in unknown subnets', code: 'SubnetNotFound', send: (a) => lb(a, new elb.CreateLoadBalancerCommand({ Name: 'no-subnet', Subnets: ['subnet-00000000000000001', 'subnet-00000000000000002'] })) },
  { name: 'LB with an unknown security group', code: 'InvalidSecurityGroup', send: (a, fx) => lb(a, new elb.CreateLoadBalancerCommand({ Name: 'no-sg', Subnets: fx.subnets, SecurityGroups: ['sg-00000000000000001'] })) },
  { name: 'LB with an unknown scheme', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateLoadBalancerCommand({ Name: 'scheme', Subnets: fx.subnets, Scheme: 'public' as elb.LoadBalancerSchemeEnum })) },
  { name: 'LB name reused with other settings', code: 'DuplicateLoadBalancerName', send: (a, fx) => lb(a, new elb.CreateLoadBalancerCommand({ Name: 'inv-lb', Subnets: fx.subnets, Scheme: 'internal' })) },
  // ---- target group names and ranges (spec §3.1)
  { name: 'TG name longer than 32', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateTargetGroupCommand(tgInput(fx, { Name: 'a'.repeat(33) }))) },
  { name: 'TG name with a dot', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateTargetGroupCommand(tgInput(fx, { Name: 'bad.name' }))) },
  { name: 'TG name with a leading hyphen', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateTargetGroupCommand(tgInput(fx, { Name: '-tg' }))) },
  { name: 'TG without a name', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateTargetGroupCommand(tgInput(fx, { Name: undefined }))) },
  { name: 'TG port 0', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateTargetGroupCommand(tgInput(fx, { Port: 0 }))) },
  { name: 'TG port 65536', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateTargetGroupCommand(tgInput(fx, { Port: 65536 }))) },
  { name: 'TG protocol FTP', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateTargetGroupCommand(tgInput(fx, { Protocol: 'FTP' as elb.ProtocolEnum }))) },
  { name: 'TG instance target without protocol', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateTargetGroupCommand(tgInput(fx, { Protocol: undefined }))) },
  { name: 'TG interval 4', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateTargetGroupCommand(tgInput(fx, { HealthCheckIntervalSeconds: 4 }))) },
  { name: 'TG interval 301', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateTargetGroupCommand(tgInput(fx, { HealthCheckIntervalSeconds: 301 }))) },
  { name: 'TG timeout 1', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateTargetGroupCommand(tgInput(fx, { HealthCheckTimeoutSeconds: 1 }))) },
  { name: 'TG timeout not below the interval', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateTargetGroupCommand(tgInput(fx, { HealthCheckIntervalSeconds: 10, HealthCheckTimeoutSeconds: 10 }))) },
  { name: 'TG healthy threshold 1', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateTargetGroupCommand(tgInput(fx, { HealthyThresholdCount: 1 }))) },
  { name: 'TG unhealthy threshold 11', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateTargetGroupCommand(tgInput(fx, { UnhealthyThresholdCount: 11 }))) },
  { name: 'TG health check path without /', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateTargetGroupCommand(tgInput(fx, { HealthCheckPath: 'health' }))) },
  { name: 'TG name reused with other settings', code: 'DuplicateTargetGroupName', send: (a, fx) => lb(a, new elb.CreateTargetGroupCommand(tgInput(fx, { Name: 'inv-tg', Port: 8080 }))) },
  { name: 'ModifyTargetGroup interval 301', code: 'ValidationError', send: (a, fx) => lb(a, new elb.ModifyTargetGroupCommand({ TargetGroupArn: fx.tgArn, HealthCheckIntervalSeconds: 301 })) },
  // ---- attributes (spec §3.3, §5.2, §6.2)
  { name: 'deregistration delay 3601', code: 'ValidationError', send: (a, fx) => lb(a, tgAttr(fx, ['deregistration_delay.timeout_seconds', '3601'])) },
  { name: 'slow start 10 s', code: 'ValidationError', send: (a, fx) => lb(a, tgAttr(fx, ['slow_start.duration_seconds', '10'])) },
  { name: 'lb_cookie duration 0', code: 'ValidationError', send: (a, fx) => lb(a, tgAttr(fx, ['stickiness.lb_cookie.duration_seconds', '0'])) },
  { name: 'unknown TG attribute', code: 'ValidationError', send: (a, fx) => lb(a, tgAttr(fx, ['no.such.attribute', '1'])) },
  { name: 'app_cookie stickiness without a cookie name', code: 'InvalidConfigurationRequest', send: (a, fx) => lb(a, tgAttr(fx, ['stickiness.enabled', 'true'], ['stickiness.type', 'app_cookie'])) },
  { name: 'slow start with least outstanding requests', code: 'InvalidConfigurationRequest', send: (a, fx) => lb(a, tgAttr(fx, ['slow_start.duration_seconds', '30'], ['load_balancing.algorithm.type', 'least_outstanding_requests'])) },
  { name: 'idle timeout 0', code: 'ValidationError', send: (a, fx) => lb(a, lbAttr(fx, ['idle_timeout.timeout_seconds', '0'])) },
  { name: 'idle timeout 4001', code: 'ValidationError', send: (a, fx) => lb(a, lbAttr(fx, ['idle_timeout.timeout_seconds', '4001'])) },
  { name: 'client keep-alive 59', code: 'ValidationError', send: (a, fx) => lb(a, lbAttr(fx, ['client_keep_alive.seconds', '59'])) },
  { name: 'desync mode bogus', code: 'ValidationError', send: (a, fx) => lb(a, lbAttr(fx, ['routing.http.desync_mitigation_mode', 'bogus'])) },
  { name: 'deletion protection not a boolean', code: 'ValidationError', send: (a, fx) => lb(a, lbAttr(fx, ['deletion_protection.enabled', 'yes'])) },
  { name: 'unknown listener attribute', code: 'ValidationError', send: (a, fx) => lb(a, new elb.ModifyListenerAttributesCommand({ ListenerArn: fx.listenerArn, Attributes: [{ Key: 'no.such.attribute', Value: '1' }] })) },
  // ---- listeners, actions, rules (spec §5)
  { name: 'listener port 0', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateListenerCommand({ LoadBalancerArn: fx.lbArn, Protocol: 'HTTP', Port: 0, DefaultActions: forward(fx) })) },
  { name: 'listener port taken', code: 'DuplicateListener', send: (a, fx) => lb(a, new elb.CreateListenerCommand({ LoadBalancerArn: fx.lbArn, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] })) },
  { name: 'listener without default actions', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateListenerCommand({ LoadBalancerArn: fx.lbArn, Protocol: 'HTTP', Port: 81 } as elb.CreateListenerInput)) },
  // UNVERIFIED which of the two AWS answers for a non-HTTP(S) protocol on an ALB (spec §5.1).
  { name: 'TCP listener on an ALB', code: ['UnsupportedProtocol', 'ValidationError'], send: (a, fx) => lb(a, new elb.CreateListenerCommand({ LoadBalancerArn: fx.lbArn, Protocol: 'TCP', Port: 82, DefaultActions: forward(fx) })) },
  { name: 'forward to an unknown target group', code: 'TargetGroupNotFound', send: (a, fx) => lb(a, new elb.CreateListenerCommand({ LoadBalancerArn: fx.lbArn, Protocol: 'HTTP', Port: 83, DefaultActions: [{ Type: 'forward', TargetGroupArn: MISSING.targetGroup }] })) },
  { name: 'redirect without RedirectConfig', code: 'InvalidLoadBalancerAction', send: (a, fx) => lb(a, new elb.CreateListenerCommand({ LoadBalancerArn: fx.lbArn, Protocol: 'HTTP', Port: 84, DefaultActions: [{ Type: 'redirect' }] })) },
  { name: 'fixed-response status 700', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateListenerCommand({ LoadBalancerArn: fx.lbArn, Protocol: 'HTTP', Port: 85, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '700' } }] })) },
  { name: 'rule priority 0', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateRuleCommand({ ListenerArn: fx.listenerArn, Priority: 0, Conditions: pathIs('/zero'), Actions: forward(fx) })) },
  { name: 'rule priority 50001', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateRuleCommand({ ListenerArn: fx.listenerArn, Priority: 50001, Conditions: pathIs('/big'), Actions: forward(fx) })) },
  { name: 'rule priority taken', code: 'PriorityInUse', send: (a, fx) => lb(a, new elb.CreateRuleCommand({ ListenerArn: fx.listenerArn, Priority: 10, Conditions: pathIs('/other'), Actions: forward(fx) })) },
  { name: 'rule without conditions', code: 'ValidationError', send: (a, fx) => lb(a, new elb.CreateRuleCommand({ ListenerArn: fx.listenerArn, Priority: 20, Conditions: [], Actions: forward(fx) })) },
  { name: 'deleting the default rule', code: 'OperationNotPermitted', send: (a, fx) => lb(a, new elb.DeleteRuleCommand({ RuleArn: fx.defaultRuleArn })) },
  { name: 'reprioritising the default rule', code: 'OperationNotPermitted', send: (a, fx) => lb(a, new elb.SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: fx.defaultRuleArn, Priority: 5 }] })) },
  { name: 'target group in use', code: 'ResourceInUse', send: (a, fx) => lb(a, new elb.DeleteTargetGroupCommand({ TargetGroupArn: fx.tgArn })) },
  // ---- targets (spec §3.2)
  { name: 'register an unknown instance', code: 'InvalidTarget', send: (a, fx) => lb(a, new elb.RegisterTargetsCommand({ TargetGroupArn: fx.tgArn, Targets: [{ Id: 'i-00000000000000001' }] })) },
  { name: 'register a target on port 0', code: 'ValidationError', send: (a, fx) => lb(a, new elb.RegisterTargetsCommand({ TargetGroupArn: fx.tgArn, Targets: [{ Id: 'i-00000000000000001', Port: 0 }] })) },
  // ---- unknown ARNs, per Describe*/Modify*/Delete*/Set*
  { name: 'DescribeLoadBalancers unknown ARN', code: 'LoadBalancerNotFound', send: (a) => lb(a, new elb.DescribeLoadBalancersCommand({ LoadBalancerArns: [MISSING.loadBalancer] })) },
  { name: 'DescribeLoadBalancers unknown name', code: 'LoadBalancerNotFound', send: (a) => lb(a, new elb.DescribeLoadBalancersCommand({ Names: ['missing'] })) },
  { name: 'DescribeLoadBalancers malformed ARN', code: 'ValidationError', send: (a) => lb(a, new elb.DescribeLoadBalancersCommand({ LoadBalancerArns: ['arn:bad'] })) },
  { name: 'DescribeLoadBalancerAttributes unknown ARN', code: 'LoadBalancerNotFound', send: (a) => lb(a, new elb.DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: MISSING.loadBalancer })) },
  { name: 'ModifyLoadBalancerAttributes unknown ARN', code: 'LoadBalancerNotFound', send: (a) => lb(a, new elb.ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: MISSING.loadBalancer, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '30' }] })) },
  { name: 'SetSecurityGroups unknown ARN', code: 'LoadBalancerNotFound', send: (a) => lb(a, new elb.SetSecurityGroupsCommand({ LoadBalancerArn: MISSING.loadBalancer, SecurityGroups: [] })) },
  { name: 'SetSubnets unknown ARN', code: 'LoadBalancerNotFound', send: (a, fx) => lb(a, new elb.SetSubnetsCommand({ LoadBalancerArn: MISSING.loadBalancer, Subnets: fx.subnets })) },
  { name: 'SetIpAddressType unknown ARN', code: 'LoadBalancerNotFound', send: (a) => lb(a, new elb.SetIpAddressTypeCommand({ LoadBalancerArn: MISSING.loadBalancer, IpAddressType: 'ipv4' })) },
  { name: 'DescribeTargetGroups unknown ARN', code: 'TargetGroupNotFound', send: (a) => lb(a, new elb.DescribeTargetGroupsCommand({ TargetGroupArns: [MISSING.targetGroup] })) },
  { name: 'DescribeTargetGroups of an unknown LB', code: 'LoadBalancerNotFound', send: (a) => lb(a, new elb.DescribeTargetGroupsCommand({ LoadBalancerArn: MISSING.loadBalancer })) },
  { name: 'ModifyTargetGroup unknown ARN', code: 'TargetGroupNotFound', send: (a) => lb(a, new elb.ModifyTargetGroupCommand({ TargetGroupArn: MISSING.targetGroup, HealthCheckPath: '/x' })) },
  { name: 'DescribeTargetGroupAttributes unknown ARN', code: 'TargetGroupNotFound', send: (a) => lb(a, new elb.DescribeTargetGroupAttributesCommand({ TargetGroupArn: MISSING.targetGroup })) },
  { name: 'ModifyTargetGroupAttributes unknown ARN', code: 'TargetGroupNotFound', send: (a) => lb(a, new elb.ModifyTargetGroupAttributesCommand({ TargetGroupArn: MISSING.targetGroup, Attributes: [{ Key: 'stickiness.enabled', Value: 'false' }] })) },
  { name: 'DescribeTargetHealth unknown ARN', code: 'TargetGroupNotFound', send: (a) => lb(a, new elb.DescribeTargetHealthCommand({ TargetGroupArn: MISSING.targetGroup })) },
  { name: 'RegisterTargets unknown ARN', code: 'TargetGroupNotFound', send: (a) => lb(a, new elb.RegisterTargetsCommand({ TargetGroupArn: MISSING.targetGroup, Targets: [{ Id: 'i-00000000000000001' }] })) },
  { name: 'DeregisterTargets unknown ARN', code: 'TargetGroupNotFound', send: (a) => lb(a, new elb.DeregisterTargetsCommand({ TargetGroupArn: MISSING.targetGroup, Targets: [{ Id: 'i-00000000000000001' }] })) },
  { name: 'DescribeListeners of an unknown LB', code: 'LoadBalancerNotFound', send: (a) => lb(a, new elb.DescribeListenersCommand({ LoadBalancerArn: MISSING.loadBalancer })) },
  { name: 'DescribeListeners unknown ARN', code: 'ListenerNotFound', send: (a) => lb(a, new elb.DescribeListenersCommand({ ListenerArns: [MISSING.listener] })) },
  { name: 'CreateListener on an unknown LB', code: 'LoadBalancerNotFound', send: (a, fx) => lb(a, new elb.CreateListenerCommand({ LoadBalancerArn: MISSING.loadBalancer, Protocol: 'HTTP', Port: 80, DefaultActions: forward(fx) })) },
  { name: 'ModifyListener unknown ARN', code: 'ListenerNotFound', send: (a) => lb(a, new elb.ModifyListenerCommand({ ListenerArn: MISSING.listener, Port: 81 })) },
  { name: 'DeleteListener unknown ARN', code: 'ListenerNotFound', send: (a) => lb(a, new elb.DeleteListenerCommand({ ListenerArn: MISSING.listener })) },
  { name: 'DescribeListenerAttributes unknown ARN', code: 'ListenerNotFound', send: (a) => lb(a, new elb.DescribeListenerAttributesCommand({ ListenerArn: MISSING.listener })) },
  { name: 'DescribeListenerCertificates unknown ARN', code: 'ListenerNotFound', send: (a) => lb(a, new elb.DescribeListenerCertificatesCommand({ ListenerArn: MISSING.listener })) },
  { name: 'CreateRule on an unknown listener', code: 'ListenerNotFound', send: (a, fx) => lb(a, new elb.CreateRuleCommand({ ListenerArn: MISSING.listener, Priority: 1, Conditions: pathIs('/x'), Actions: forward(fx) })) },
  { name: 'DescribeRules unknown ARN', code: 'RuleNotFound', send: (a) => lb(a, new elb.DescribeRulesCommand({ RuleArns: [MISSING.rule] })) },
  { name: 'DescribeRules of an unknown listener', code: 'ListenerNotFound', send: (a) => lb(a, new elb.DescribeRulesCommand({ ListenerArn: MISSING.listener })) },
  { name: 'ModifyRule unknown ARN', code: 'RuleNotFound', send: (a) => lb(a, new elb.ModifyRuleCommand({ RuleArn: MISSING.rule, Conditions: pathIs('/x') })) },
  { name: 'DeleteRule unknown ARN', code: 'RuleNotFound', send: (a) => lb(a, new elb.DeleteRuleCommand({ RuleArn: MISSING.rule })) },
  { name: 'SetRulePriorities unknown ARN', code: 'RuleNotFound', send: (a) => lb(a, new elb.SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: MISSING.rule, Priority: 7 }] })) },
  { name: 'DescribeTags unknown LB', code: 'LoadBalancerNotFound', send: (a) => lb(a, new elb.DescribeTagsCommand({ ResourceArns: [MISSING.loadBalancer] })) },
  { name: 'AddTags unknown TG', code: 'TargetGroupNotFound', send: (a) => lb(a, new elb.AddTagsCommand({ ResourceArns: [MISSING.targetGroup], Tags: [{ Key: 'k', Value: 'v' }] })) },
  // ---- tags (spec §9)
  { name: 'duplicate tag keys', code: 'DuplicateTagKeys', send: (a, fx) => lb(a, new elb.AddTagsCommand({ ResourceArns: [fx.lbArn], Tags: [{ Key: 'k', Value: '1' }, { Key: 'k', Value: '2' }] })) },
  { name: 'reserved aws: tag key', code: 'ValidationError', send: (a, fx) => lb(a, new elb.AddTagsCommand({ ResourceArns: [fx.lbArn], Tags: [{ Key: 'aws:owner', Value: 'x' }] })) },
  { name: 'more than 50 tags', code: 'TooManyTags', send: (a, fx) => lb(a, new elb.AddTagsCommand({ ResourceArns: [fx.lbArn], Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) })) },
  // ---- pagination (spec §2.5)
  { name: 'PageSize 0', code: 'ValidationError', send: (a) => lb(a, new elb.DescribeLoadBalancersCommand({ PageSize: 0 })) },
  { name: 'PageSize 401', code: 'ValidationError', send: (a) => lb(a, new elb.DescribeLoadBalancersCommand({ PageSize: 401 })) },
  { name: 'bad Marker', code: 'ValidationError', send: (a) => lb(a, new elb.DescribeTargetGroupsCommand({ Marker: '!!not-a-marker!!' })) },
  { name: 'DescribeRules PageSize 401', code: 'ValidationError', send: (a, fx) => lb(a, new elb.DescribeRulesCommand({ ListenerArn: fx.listenerArn, PageSize: 401 })) },
  // ---- EC2 calls of the workflow
  { name: 'EC2 CreateVpc bad CIDR', code: 'InvalidParameterValue', send: (a) => a.ec2.send(new ec2.CreateVpcCommand({ CidrBlock: '10.0.0.0/99' })) },
  { name: 'EC2 CreateSubnet in an unknown VPC', code: 'InvalidVpcID.NotFound', send: (a) => a.ec2.send(new ec2.CreateSubnetCommand({ VpcId: 'vpc-00000000000000001', CidrBlock: '10.9.0.0/24' })) },
  { name: 'EC2 CreateSubnet outside the VPC range', code: 'InvalidSubnet.Range', send: (a, fx) => a.ec2.send(new ec2.CreateSubnetCommand({ VpcId: fx.vpcId, CidrBlock: '10.250.0.0/24' })) },
  { name: 'EC2 DescribeInstances unknown id', code: 'InvalidInstanceID.NotFound', send: (a) => a.ec2.send(new ec2.DescribeInstancesCommand({ InstanceIds: ['i-00000000000000001'] })) },
  { name: 'EC2 StopInstances unknown id', code: 'InvalidInstanceID.NotFound', send: (a) => a.ec2.send(new ec2.StopInstancesCommand({ InstanceIds: ['i-00000000000000001'] })) },
  { name: 'EC2 RunInstances in an unknown subnet', code: 'InvalidSubnetID.NotFound', send: (a) => a.ec2.send(new ec2.RunInstancesCommand({ ImageId: 'ami-12345678', MinCount: 1, MaxCount: 1, SubnetId: 'subnet-00000000000000001' })) },
  { name: 'EC2 DescribeVpcs unknown filter', code: 'InvalidParameterValue', send: (a) => a.ec2.send(new ec2.DescribeVpcsCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })) },
  { name: 'EC2 AuthorizeSecurityGroupIngress unknown group', code: 'InvalidGroup.NotFound', send: (a) => a.ec2.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: 'sg-00000000000000001', IpProtocol: 'tcp', FromPort: 80, ToPort: 80, CidrIp: '0.0.0.0/0' })) },
]

/** Raw Query requests the SDKs never send; `status` is AWS's, `code` its error code. */
interface RawCase {
  readonly name: string
  readonly body: string | Buffer
  readonly status: number
  readonly code: string | readonly string[]
}

const DESCRIBE = 'Action=DescribeLoadBalancers&Version=2015-12-01'
const RAW_CASES: readonly RawCase[] = [
  { name: 'unknown Action', body: 'Action=DescribeEverything&Version=2015-12-01', status: 400, code: 'InvalidAction' },
  { name: 'missing Action', body: 'Version=2015-12-01', status: 400, code: 'MissingAction' },
  { name: 'empty body', body: '', status: 400, code: 'MissingAction' },
  { name: 'non-numeric list index', body: `${DESCRIBE}&Names.member.x=a`, status: 400, code: ['InvalidQueryParameter', 'ValidationError', 'MalformedQueryString'] },
  { name: 'list index 0', body: 'Action=CreateLoadBalancer&Version=2015-12-01&Name=zero&Subnets.member.0=subnet-1', status: 400, code: ['InvalidQueryParameter', 'ValidationError', 'MalformedQueryString'] },
  { name: 'list index 99999999', body: `${DESCRIBE}&Names.member.99999999=a`, status: 400, code: ['InvalidQueryParameter', 'ValidationError', 'MalformedQueryString'] },
  { name: 'a scalar given as a list', body: `${DESCRIBE}&PageSize.member.1=5`, status: 400, code: 'ValidationError' },
  { name: '20,000 parameters', body: DESCRIBE + Array.from({ length: 20_000 }, (_, i) => `&Names.member.${(i % 9000) + 1}=n${i}`).join(''), status: 400, code: ['InvalidQueryParameter', 'ValidationError'] },
  { name: 'invalid UTF-8 percent-escapes', body: `${DESCRIBE}&Names.member.1=%FF%FE%80`, status: 400, code: ['LoadBalancerNotFound', 'ValidationError'] },
  { name: 'invalid UTF-8 raw bytes', body: Buffer.concat([Buffer.from(`${DESCRIBE}&Names.member.1=`), Buffer.from([0xff, 0xc0, 0x80])]), status: 400, code: ['LoadBalancerNotFound', 'ValidationError'] },
  { name: '__proto__ key', body: `${DESCRIBE}&__proto__.polluted=yes`, status: 400, code: ['InvalidQueryParameter', 'ValidationError'] },
  { name: 'constructor.prototype key', body: `${DESCRIBE}&constructor.prototype.polluted=yes`, status: 400, code: ['InvalidQueryParameter', 'ValidationError'] },
  { name: '__proto__ inside a list', body: `${DESCRIBE}&Names.member.1.__proto__.polluted=yes`, status: 400, code: ['InvalidQueryParameter', 'ValidationError'] },
]

function codesOf(code: string | readonly string[]): readonly string[] {
  return typeof code === 'string' ? [code] : code
}

describe('invalid inputs get AWS error codes, never a 500', () => {
  let alb: TestOpenAlb
  let fx: Fixture
  const internalFailures: string[] = []

  before(async () => {
    alb = await startTestOpenAlb({ log: (line) => { if (/internal failure|api: /.test(line)) internalFailures.push(line) } })
    const subnets = (await defaultSubnets(alb)).slice(0, 2)
    const vpcId = (await alb.ec2.send(new ec2.DescribeSubnetsCommand({ SubnetIds: subnets.slice(0, 1) }))).Subnets![0]!.VpcId!
    const lbArn = (await alb.elbv2.send(new elb.CreateLoadBalancerCommand({ Name: 'inv-lb', Subnets: subnets }))).LoadBalancers![0]!.LoadBalancerArn!
    const tgArn = (await alb.elbv2.send(new elb.CreateTargetGroupCommand({ Name: 'inv-tg', Protocol: 'HTTP', Port: 80, VpcId: vpcId }))).TargetGroups![0]!.TargetGroupArn!
    const listenerArn = (await alb.elbv2.send(new elb.CreateListenerCommand({ LoadBalancerArn: lbArn, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }] }))).Listeners![0]!.ListenerArn!
    const ruleArn = (await alb.elbv2.send(new elb.CreateRuleCommand({ ListenerArn: listenerArn, Priority: 10, Conditions: pathIs('/ten'), Actions: [{ Type: 'forward', TargetGroupArn: tgArn }] }))).Rules![0]!.RuleArn!
    const rules = await alb.elbv2.send(new elb.DescribeRulesCommand({ ListenerArn: listenerArn }))
    const defaultRuleArn = rules.Rules!.find((r) => r.IsDefault === true)!.RuleArn!
    fx = { subnets, vpcId, lbArn, tgArn, listenerArn, ruleArn, defaultRuleArn }
  })
  after(async () => { await alb.close() })

  /** After each case: DescribeLoadBalancers answers and the case logged no internal failure. */
  async function assertStillServing(failuresBefore: number): Promise<void> {
    const out = await alb.elbv2.send(new elb.DescribeLoadBalancersCommand({}))
    assert.ok(out.LoadBalancers?.some((l) => l.LoadBalancerArn === fx.lbArn), 'the fixture load balancer is still there')
    assert.deepEqual(internalFailures.slice(failuresBefore), [], 'no internal failure was logged')
  }

  for (const c of CASES) {
    it(`${c.name} → ${codesOf(c.code).join(' | ')}`, async () => {
      const failuresBefore = internalFailures.length
      const err = await c.send(alb, fx).then(
        (out) => assert.fail(`expected ${codesOf(c.code).join(' | ')}, got success: ${JSON.stringify(out)}`),
        (e: unknown) => e as { Code?: string; name: string; message: string; $metadata?: { httpStatusCode?: number } },
      )
      const code = err.Code ?? err.name
      assert.ok(codesOf(c.code).includes(code), `expected ${codesOf(c.code).join(' | ')}, got ${code}: ${err.message}`)
      const status = err.$metadata?.httpStatusCode ?? 0
      assert.ok(status >= 400 && status < 500, `HTTP ${status} for ${code}`)
      await assertStillServing(failuresBefore)
    })
  }

  for (const c of RAW_CASES) {
    it(`raw POST: ${c.name} → ${c.status} ${codesOf(c.code).join(' | ')}`, async () => {
      const failuresBefore = internalFailures.length
      const res = await fetch(alb.apiUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: c.body })
      const text = await res.text()
      assert.equal(res.status, c.status, text)
      const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1]
      assert.ok(code !== undefined && codesOf(c.code).includes(code), `expected ${codesOf(c.code).join(' | ')}, got ${text}`)
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was not polluted')
      await assertStillServing(failuresBefore)
    })
  }

  it('raw POST: a 2 MB body is refused with 413 and the server keeps serving', async () => {
    const failuresBefore = internalFailures.length
    const body = `${DESCRIBE}&Names.member.1=${'a'.repeat(2 * 1024 * 1024)}`
    const res = await fetch(alb.apiUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
    const text = await res.text()
    assert.equal(res.status, 413, text)
    await assertStillServing(failuresBefore)
  })

  it('raw GET with the query string works and a bad one does not 500', async () => {
    const failuresBefore = internalFailures.length
    const good = await fetch(`${alb.apiUrl}/?${DESCRIBE}`)
    assert.equal(good.status, 200)
    assert.match(await good.text(), /<DescribeLoadBalancersResult>/)
    const bad = await fetch(`${alb.apiUrl}/?Action=DescribeLoadBalancers&Version=2015-12-01&PageSize=abc`)
    assert.equal(bad.status, 400)
    assert.match(await bad.text(), /<Code>ValidationError<\/Code>/)
    await assertStillServing(failuresBefore)
  })
})
