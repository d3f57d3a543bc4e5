import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  CreateListenerCommand, CreateLoadBalancerCommand, CreateRuleCommand, CreateTargetGroupCommand, DeleteRuleCommand,
  DescribeRulesCommand, DescribeTagsCommand, ModifyRuleCommand, SetRulePrioritiesCommand, type Action, type CreateRuleCommandInput,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { startTestOpenAlb, TEST_REGION, type TestOpenAlb } from './support/openalb.ts'
import { defaultSubnets } from './support/network.ts'
import { ruleArn } from '../src/model/arn.ts'

function rejectsWith(name: string, message?: string | RegExp): (err: Error) => boolean {
  return (err: Error) => {
    assert.equal(err.name, name, err.message)
    if (typeof message === 'string') assert.equal(err.message, message)
    else if (message !== undefined) assert.match(err.message, message)
    return true
  }
}

describe('rules (SDK v3)', () => {
  let alb: TestOpenAlb
  let subnets: string[]
  let vpcId: string
  let count = 0
  let port = 9000

  before(async () => {
    alb = await startTestOpenAlb()
    subnets = await defaultSubnets(alb)
    vpcId = alb.store.get('subnet', subnets[0]!)!.vpcId
  })
  after(async () => { await alb.close() })

  async function targetGroup(): Promise<string> {
    const out = await alb.elbv2.send(new CreateTargetGroupCommand({ Name: `rtg${++count}`, Protocol: 'HTTP', Port: 80, VpcId: vpcId }))
    return out.TargetGroups![0]!.TargetGroupArn!
  }
  /** A fresh load balancer with an HTTP listener forwarding to a fresh target group. */
  async function listener(): Promise<{ lb: string; listener: string; tg: string }> {
    const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: `rlb${++count}`, Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!.LoadBalancerArn!
    const tg = await targetGroup()
    const out = await alb.elbv2.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: 'HTTP', Port: ++port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }] }))
    return { lb, listener: out.Listeners![0]!.ListenerArn!, tg }
  }
  const fixed = (status = '404'): Action[] => [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: status, ContentType: 'text/plain' } }]
  const path = (value: string) => [{ Field: 'path-pattern', PathPatternConfig: { Values: [value] } }]
  async function rule(listenerArn: string, priority: number, value = `/p${priority}`): Promise<string> {
    const out = await alb.elbv2.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: priority, Conditions: path(value), Actions: fixed() }))
    return out.Rules![0]!.RuleArn!
  }

  it('creates a rule like the API example, echoing legacy Values in both forms', async () => {
    const { listener: arn, tg } = await listener()
    const out = await alb.elbv2.send(new CreateRuleCommand({
      ListenerArn: arn, Priority: 10, Conditions: [{ Field: 'path-pattern', Values: ['/img/*'] }],
      Actions: [{ Type: 'forward', TargetGroupArn: tg }], Tags: [{ Key: 'team', Value: 'web' }],
    }))
    const created = out.Rules![0]!
    assert.deepEqual(out.Rules, [{
      RuleArn: created.RuleArn,
      Priority: '10',
      Conditions: [{ Field: 'path-pattern', Values: ['/img/*'], PathPatternConfig: { Values: ['/img/*'] } }],
      Actions: [{
        Type: 'forward', TargetGroupArn: tg,
        ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } },
      }],
      IsDefault: false,
    }])
    assert.ok(created.RuleArn!.startsWith(arn.replace(':listener/', ':listener-rule/')))
    const tags = await alb.elbv2.send(new DescribeTagsCommand({ ResourceArns: [created.RuleArn!] }))
    assert.deepEqual(tags.TagDescriptions?.[0]?.Tags, [{ Key: 'team', Value: 'web' }])
  })

  it('echoes every condition type, weighted forwards, redirects and transforms', async () => {
    const { listener: arn, tg } = await listener()
    const tg2 = await targetGroup()
    const out = await alb.elbv2.send(new CreateRuleCommand({
      ListenerArn: arn, Priority: 1,
      Conditions: [
        { Field: 'host-header', HostHeaderConfig: { Values: ['*.example.com'] } },
        { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Env', Values: ['dev'] } },
        { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'v', Value: '1' }] } },
        { Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.0/8'] } },
        { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET'] } },
      ],
      Actions: [{ Type: 'forward', ForwardConfig: {
        TargetGroups: [{ TargetGroupArn: tg, Weight: 80 }, { TargetGroupArn: tg2, Weight: 20 }],
        TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
      } }],
      Transforms: [{ Type: 'url-rewrite', UrlRewriteConfig: { Rewrites: [{ Regex: '^/old/(.*)$', Replace: '/new/$1' }] } }],
    }))
    const created = out.Rules![0]!
    assert.deepEqual(created.Conditions, [
      { Field: 'host-header', HostHeaderConfig: { Values: ['*.example.com'] } },
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Env', Values: ['dev'] } },
      { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'v', Value: '1' }] } },
      { Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.0/8'] } },
      { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET'] } },
    ])
    assert.deepEqual(created.Actions, [{ Type: 'forward', ForwardConfig: {
      TargetGroups: [{ TargetGroupArn: tg, Weight: 80 }, { TargetGroupArn: tg2, Weight: 20 }],
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
    } }])
    assert.deepEqual(created.Transforms, [{ Type: 'url-rewrite', UrlRewriteConfig: { Rewrites: [{ Regex: '^/old/(.*)$', Replace: '/new/$1' }] } }])

    const redirect = await alb.elbv2.send(new CreateRuleCommand({
      ListenerArn: arn, Priority: 2, Conditions: path('/go'), Actions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
    }))
    assert.deepEqual(redirect.Rules![0]!.Actions, [{ Type: 'redirect', RedirectConfig: {
      Protocol: 'HTTPS', Port: '443', Host: '#{host}', Path: '/#{path}', Query: '#{query}', StatusCode: 'HTTP_301',
    } }])
  })

  it('refuses invalid CreateRule requests with AWS error codes', async () => {
    const { listener: arn, tg } = await listener()
    await rule(arn, 5)
    const other = await listener()
    const base: CreateRuleCommandInput = { ListenerArn: arn, Priority: 6, Conditions: path('/ok'), Actions: fixed() }
    const cases: ReadonlyArray<{ name: string; input: Partial<CreateRuleCommandInput>; error: string; message?: string | RegExp }> = [
      { name: 'priority in use', input: { Priority: 5 }, error: 'PriorityInUseException', message: "Priority '5' is currently in use" },
      { name: 'priority 0', input: { Priority: 0 }, error: 'ValidationError', message: /greater than or equal to 1/ },
      { name: 'priority above 50000', input: { Priority: 50001 }, error: 'ValidationError', message: /less than or equal to 50000/ },
      { name: 'unknown listener', input: { ListenerArn: `${arn.slice(0, -16)}0000000000000000` }, error: 'ListenerNotFoundException' },
      { name: 'no conditions', input: { Conditions: undefined }, error: 'ValidationError' },
      { name: 'empty conditions', input: { Conditions: [] }, error: 'ValidationError' },
      { name: 'no actions', input: { Actions: undefined }, error: 'ValidationError' },
      { name: 'Values on http-header', input: { Conditions: [{ Field: 'http-header', Values: ['x'] }] }, error: 'ValidationError', message: "The 'Values' field is not compatible with 'http-header'" },
      { name: 'empty condition value', input: { Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [] } }] }, error: 'ValidationError', message: 'A condition value must be specified' },
      { name: 'unknown field', input: { Conditions: [{ Field: 'cookie', Values: ['x'] }] }, error: 'ValidationError' },
      { name: 'two host-header conditions', input: { Conditions: [{ Field: 'host-header', Values: ['a.example.com'] }, { Field: 'host-header', Values: ['b.example.com'] }] }, error: 'ValidationError' },
      { name: 'six condition values', input: { Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/1', '/2', '/3', '/4', '/5', '/6'] } }] }, error: 'ValidationError' },
      { name: 'http-header on Host', input: { Conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'Host', Values: ['x'] } }] }, error: 'ValidationError' },
      { name: 'bad source-ip', input: { Conditions: [{ Field: 'source-ip', SourceIpConfig: { Values: ['300.0.0.0/8'] } }] }, error: 'ValidationError' },
      { name: 'fixed-response without config', input: { Actions: [{ Type: 'fixed-response' }] }, error: 'InvalidLoadBalancerActionException', message: "For actions of type 'fixed-response', you must specify the following fields: 'FixedResponseConfig'" },
      { name: 'bad fixed-response status', input: { Actions: fixed('302') }, error: 'ValidationError' },
      { name: 'redirect loop', input: { Actions: [{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_302' } }] }, error: 'InvalidLoadBalancerActionException' },
      { name: 'unknown target group', input: { Actions: [{ Type: 'forward', TargetGroupArn: `${tg.slice(0, -16)}0000000000000000` }] }, error: 'TargetGroupNotFoundException' },
      { name: 'target group of another load balancer', input: { Actions: [{ Type: 'forward', TargetGroupArn: other.tg }] }, error: 'TargetGroupAssociationLimitException', message: `The following target groups cannot be associated with more than one load balancer: ${other.tg}` },
      { name: 'weight above 999', input: { Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg, Weight: 1000 }] } }] }, error: 'ValidationError' },
      { name: 'stickiness without duration', input: { Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg }], TargetGroupStickinessConfig: { Enabled: true } } }] }, error: 'ValidationError' },
      { name: 'two transforms of one type', input: { Transforms: [
        { Type: 'host-header-rewrite', HostHeaderRewriteConfig: { Rewrites: [{ Regex: 'a', Replace: 'b' }] } },
        { Type: 'host-header-rewrite', HostHeaderRewriteConfig: { Rewrites: [{ Regex: 'c', Replace: 'd' }] } },
      ] }, error: 'ValidationError' },
    ]
    for (const c of cases) {
      await assert.rejects(alb.elbv2.send(new CreateRuleCommand({ ...base, ...c.input })), rejectsWith(c.error, c.message), c.name)
    }
    const rules = await alb.elbv2.send(new DescribeRulesCommand({ ListenerArn: arn }))
    assert.deepEqual(rules.Rules?.map((r) => r.Priority), ['5', 'default'], 'no failed request created a rule')
  })

  it('refuses the 101st rule of a load balancer with TooManyRules', async () => {
    const { listener: arn } = await listener()
    // 100 rule records straight into the store: the quota (default rules excluded) is what is under test.
    await alb.store.tx((tx) => {
      for (let i = 1; i <= 100; i++) {
        const id = ruleArn(arn)
        tx.put('rule', id, { region: TEST_REGION, tags: [], arn: id, listenerArn: arn, priority: i, conditions: [{ field: 'path-pattern', pathPatternConfig: { values: [`/q${i}`] } }], actions: [{ type: 'fixed-response', fixedResponseConfig: { statusCode: '200' } }] })
      }
    })
    await assert.rejects(alb.elbv2.send(new CreateRuleCommand({ ListenerArn: arn, Priority: 101, Conditions: path('/x'), Actions: fixed() })), rejectsWith('TooManyRulesException'))
  })

  it('describes rules in priority order with the default rule last, with pagination', async () => {
    const { listener: arn } = await listener()
    const created = new Map<number, string>()
    for (const priority of [30, 10, 20, 5]) created.set(priority, await rule(arn, priority))
    const all = await alb.elbv2.send(new DescribeRulesCommand({ ListenerArn: arn }))
    assert.deepEqual(all.Rules?.map((r) => r.Priority), ['5', '10', '20', '30', 'default'])
    assert.deepEqual(all.Rules?.map((r) => r.IsDefault), [false, false, false, false, true])
    const first = await alb.elbv2.send(new DescribeRulesCommand({ ListenerArn: arn, PageSize: 2 }))
    assert.deepEqual(first.Rules?.map((r) => r.Priority), ['5', '10'])
    const second = await alb.elbv2.send(new DescribeRulesCommand({ ListenerArn: arn, PageSize: 2, Marker: first.NextMarker }))
    const third = await alb.elbv2.send(new DescribeRulesCommand({ ListenerArn: arn, PageSize: 2, Marker: second.NextMarker }))
    assert.deepEqual([...second.Rules!, ...third.Rules!].map((r) => r.Priority), ['20', '30', 'default'])
    assert.equal(third.NextMarker, undefined)
    const byArn = await alb.elbv2.send(new DescribeRulesCommand({ RuleArns: [created.get(20)!, created.get(5)!] }))
    assert.deepEqual(byArn.Rules?.map((r) => r.Priority), ['20', '5'])
    await assert.rejects(alb.elbv2.send(new DescribeRulesCommand({})), rejectsWith('ValidationError'))
    await assert.rejects(alb.elbv2.send(new DescribeRulesCommand({ RuleArns: [`${created.get(5)!.slice(0, -16)}0000000000000000`] })), rejectsWith('RuleNotFoundException'))
  })

  it('modifies only the given fields, each list wholesale, and never the default rule', async () => {
    const { listener: arn, tg } = await listener()
    const id = await rule(arn, 7, '/before')
    const conditionsOnly = await alb.elbv2.send(new ModifyRuleCommand({ RuleArn: id, Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['api.example.com'] } }] }))
    assert.deepEqual(conditionsOnly.Rules![0]!.Conditions, [{ Field: 'host-header', HostHeaderConfig: { Values: ['api.example.com'] } }])
    assert.deepEqual(conditionsOnly.Rules![0]!.Actions, [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain' } }])
    assert.equal(conditionsOnly.Rules![0]!.Priority, '7')
    const actionsOnly = await alb.elbv2.send(new ModifyRuleCommand({ RuleArn: id, Actions: [{ Type: 'forward', TargetGroupArn: tg }] }))
    assert.equal(actionsOnly.Rules![0]!.Actions![0]!.TargetGroupArn, tg)
    assert.deepEqual(actionsOnly.Rules![0]!.Conditions, conditionsOnly.Rules![0]!.Conditions)
    const withTransform = await alb.elbv2.send(new ModifyRuleCommand({ RuleArn: id, Transforms: [{ Type: 'host-header-rewrite', HostHeaderRewriteConfig: { Rewrites: [{ Regex: '^api\\.(.*)$', Replace: 'www.$1' }] } }] }))
    assert.equal(withTransform.Rules![0]!.Transforms?.length, 1)
    const reset = await alb.elbv2.send(new ModifyRuleCommand({ RuleArn: id, ResetTransforms: true }))
    assert.equal(reset.Rules![0]!.Transforms, undefined)

    await assert.rejects(alb.elbv2.send(new ModifyRuleCommand({ RuleArn: id })), rejectsWith('ValidationError'))
    await assert.rejects(alb.elbv2.send(new ModifyRuleCommand({ RuleArn: id, Actions: [{ Type: 'redirect' }] })), rejectsWith('InvalidLoadBalancerActionException'))
    const defaultRule = (await alb.elbv2.send(new DescribeRulesCommand({ ListenerArn: arn }))).Rules!.find((r) => r.IsDefault)!.RuleArn!
    await assert.rejects(
      alb.elbv2.send(new ModifyRuleCommand({ RuleArn: defaultRule, Actions: fixed() })),
      rejectsWith('OperationNotPermittedException', `Default rule '${defaultRule}' cannot be modified`),
    )
    await assert.rejects(alb.elbv2.send(new ModifyRuleCommand({ RuleArn: `${id.slice(0, -16)}0000000000000000`, Actions: fixed() })), rejectsWith('RuleNotFoundException'))
  })

  it('deletes rules but not the default rule', async () => {
    const { listener: arn } = await listener()
    const id = await rule(arn, 3)
    const defaultRule = (await alb.elbv2.send(new DescribeRulesCommand({ ListenerArn: arn }))).Rules!.find((r) => r.IsDefault)!.RuleArn!
    await assert.rejects(
      alb.elbv2.send(new DeleteRuleCommand({ RuleArn: defaultRule })),
      rejectsWith('OperationNotPermittedException', `Default rule '${defaultRule}' cannot be deleted`),
    )
    await alb.elbv2.send(new DeleteRuleCommand({ RuleArn: id }))
    await assert.rejects(alb.elbv2.send(new DeleteRuleCommand({ RuleArn: id })), rejectsWith('RuleNotFoundException'))
    const left = await alb.elbv2.send(new DescribeRulesCommand({ ListenerArn: arn }))
    assert.deepEqual(left.Rules?.map((r) => r.Priority), ['default'])
  })

  it('sets rule priorities all-or-nothing, allowing swaps', async () => {
    const { listener: arn } = await listener()
    const a = await rule(arn, 10)
    const b = await rule(arn, 20)
    const c = await rule(arn, 30)
    const swapped = await alb.elbv2.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: a, Priority: 20 }, { RuleArn: b, Priority: 10 }] }))
    assert.deepEqual(swapped.Rules?.map((r) => [r.RuleArn, r.Priority]), [[a, '20'], [b, '10']])
    const priorities = async () => (await alb.elbv2.send(new DescribeRulesCommand({ ListenerArn: arn }))).Rules!.map((r) => [r.RuleArn, r.Priority])
    const defaultRule = (await priorities()).at(-1)![0]!
    assert.deepEqual(await priorities(), [[b, '10'], [a, '20'], [c, '30'], [defaultRule, 'default']])

    const failures: ReadonlyArray<{ name: string; pairs: Array<{ RuleArn: string; Priority: number }>; error: string; message?: string }> = [
      { name: 'clash with an unlisted rule', pairs: [{ RuleArn: a, Priority: 5 }, { RuleArn: b, Priority: 30 }], error: 'PriorityInUseException', message: "Priority '30' is currently in use" },
      { name: 'priority given twice', pairs: [{ RuleArn: a, Priority: 5 }, { RuleArn: b, Priority: 5 }], error: 'ValidationError', message: "Priority '5' was provided multiple times" },
      { name: 'default rule', pairs: [{ RuleArn: a, Priority: 5 }, { RuleArn: defaultRule, Priority: 6 }], error: 'OperationNotPermittedException' },
      { name: 'missing rule', pairs: [{ RuleArn: a, Priority: 5 }, { RuleArn: `${a.slice(0, -16)}0000000000000000`, Priority: 6 }], error: 'RuleNotFoundException' },
      { name: 'priority out of range', pairs: [{ RuleArn: a, Priority: 50001 }], error: 'ValidationError' },
    ]
    for (const f of failures) {
      await assert.rejects(alb.elbv2.send(new SetRulePrioritiesCommand({ RulePriorities: f.pairs })), rejectsWith(f.error, f.message), f.name)
    }
    assert.deepEqual(await priorities(), [[b, '10'], [a, '20'], [c, '30'], [defaultRule, 'default']], 'failed requests changed nothing')
  })
})
