import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  AddTagsCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand, CreateTrustStoreCommand, DescribeLoadBalancersCommand,
  DescribeTagsCommand, RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { startTestOpenAlb, TEST_REGION, type TestOpenAlb } from './support/openalb.ts'
import { defaultSubnets } from './support/network.ts'
import { listenerArn, ruleArn } from '../src/model/arn.ts'
import type { Listener, Rule } from '../src/model/resources.ts'

/**
 * The default VPC's subnets: through EC2 DescribeSubnets, or straight from the store while that
 * operation is not served yet (any API request creates the default network first).
 */
async function subnetIds(alb: TestOpenAlb): Promise<string[]> {
  try {
    return await defaultSubnets(alb)
  } catch (err) {
    if ((err as Error).name !== 'InvalidAction') throw err
    await alb.elbv2.send(new DescribeLoadBalancersCommand({})) // creates the region's default network
    return alb.store.list('subnet').filter((s) => s.region === TEST_REGION && s.defaultForAz).map((s) => s.id).sort()
  }
}

/** Rejects with the SDK error `name` and, when given, exactly `message`. */
async function rejectsWith(promise: Promise<unknown>, name: string, message?: string): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.equal(err.name, name, err.message)
    if (message !== undefined) assert.equal(err.message, message)
    return true
  })
}

describe('tags (SDK v3)', () => {
  let alb: TestOpenAlb
  let lbArn: string
  let tgArn: string
  let listener: string
  let rule: string
  let trustStore: string

  before(async () => {
    alb = await startTestOpenAlb()
    const subnets = await subnetIds(alb)
    const lb = await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'tagged', Subnets: subnets.slice(0, 2), Tags: [{ Key: 'team', Value: 'web' }] }))
    lbArn = lb.LoadBalancers![0]!.LoadBalancerArn!
    const vpcId = lb.LoadBalancers![0]!.VpcId!
    const tg = await alb.elbv2.send(new CreateTargetGroupCommand({ Name: 'tagged-tg', Protocol: 'HTTP', Port: 80, VpcId: vpcId }))
    tgArn = tg.TargetGroups![0]!.TargetGroupArn!
    const ts = await alb.elbv2.send(new CreateTrustStoreCommand({ Name: 'tagged-ts', CaCertificatesBundleS3Bucket: 'bucket', CaCertificatesBundleS3Key: 'ca.pem' }))
    trustStore = ts.TrustStores![0]!.TrustStoreArn!
    // Listener and rule records go straight into the store: their API is another module's.
    listener = listenerArn(lbArn)
    rule = ruleArn(listener)
    await alb.store.tx((tx) => {
      const l: Listener = {
        region: TEST_REGION, tags: [], arn: listener, loadBalancerArn: lbArn, port: 80, protocol: 'HTTP',
        certificateArns: [], attributes: {}, createdTime: tx.now,
      }
      const r: Rule = {
        region: TEST_REGION, tags: [], arn: rule, listenerArn: listener, priority: 10,
        conditions: [{ field: 'path-pattern', values: ['/a'] }], actions: [{ type: 'forward', targetGroupArn: tgArn }],
      }
      tx.put('listener', listener, l)
      tx.put('rule', rule, r)
    })
  })
  after(async () => { await alb.close() })

  it('adds, updates and describes tags on every taggable kind, in request order', async () => {
    const all = [trustStore, rule, listener, tgArn, lbArn]
    await alb.elbv2.send(new AddTagsCommand({ ResourceArns: all, Tags: [{ Key: 'env', Value: 'dev' }, { Key: 'team', Value: 'api' }] }))
    const out = await alb.elbv2.send(new DescribeTagsCommand({ ResourceArns: all }))
    assert.deepEqual(out.TagDescriptions?.map((d) => d.ResourceArn), all)
    for (const d of out.TagDescriptions!) {
      const expected = d.ResourceArn === lbArn
        ? [{ Key: 'team', Value: 'api' }, { Key: 'env', Value: 'dev' }] // an existing key keeps its place, takes the new value
        : [{ Key: 'env', Value: 'dev' }, { Key: 'team', Value: 'api' }]
      assert.deepEqual(d.Tags, expected, d.ResourceArn)
    }
    // Empty values are allowed.
    await alb.elbv2.send(new AddTagsCommand({ ResourceArns: [rule], Tags: [{ Key: 'flag' }] }))
    const ruleTags = await alb.elbv2.send(new DescribeTagsCommand({ ResourceArns: [rule] }))
    assert.deepEqual(ruleTags.TagDescriptions?.[0]?.Tags?.at(-1), { Key: 'flag', Value: '' })
  })

  it('removes tags, ignoring keys a resource does not have', async () => {
    await alb.elbv2.send(new AddTagsCommand({ ResourceArns: [tgArn, listener], Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] }))
    await alb.elbv2.send(new RemoveTagsCommand({ ResourceArns: [tgArn, listener], TagKeys: ['a', 'not-there'] }))
    const out = await alb.elbv2.send(new DescribeTagsCommand({ ResourceArns: [tgArn, listener] }))
    for (const d of out.TagDescriptions!) {
      const keys = d.Tags?.map((t) => t.Key) ?? []
      assert.ok(!keys.includes('a'), d.ResourceArn)
      assert.ok(keys.includes('b'), d.ResourceArn)
    }
  })

  it("answers each kind's NotFound code for an unknown ARN, and tags nothing then", async () => {
    const lbId = lbArn.split('/').at(-1)!
    const missing = {
      LoadBalancerNotFoundException: lbArn.replace(lbId, '0000000000000000'),
      TargetGroupNotFoundException: tgArn.replace(/[0-9a-f]{16}$/, '0000000000000000'),
      ListenerNotFoundException: listener.replace(/[0-9a-f]{16}$/, '0000000000000000'),
      RuleNotFoundException: rule.replace(/[0-9a-f]{16}$/, '0000000000000000'),
      TrustStoreNotFoundException: trustStore.replace(/[0-9a-f]{16}$/, '0000000000000000'),
    }
    for (const [name, arn] of Object.entries(missing)) {
      await rejectsWith(alb.elbv2.send(new DescribeTagsCommand({ ResourceArns: [lbArn, arn] })), name)
      await rejectsWith(alb.elbv2.send(new AddTagsCommand({ ResourceArns: [lbArn, arn], Tags: [{ Key: 'ghost', Value: 'x' }] })), name)
      await rejectsWith(alb.elbv2.send(new RemoveTagsCommand({ ResourceArns: [arn], TagKeys: ['team'] })), name)
    }
    const out = await alb.elbv2.send(new DescribeTagsCommand({ ResourceArns: [lbArn] }))
    assert.ok(!out.TagDescriptions![0]!.Tags!.some((t) => t.Key === 'ghost'), 'a failed AddTags changed nothing')
    await rejectsWith(alb.elbv2.send(new DescribeTagsCommand({ ResourceArns: ['arn:aws:s3:::bucket'] })), 'ValidationError')
  })

  it('enforces the tag rules: 50 per resource after merging, duplicate keys, aws: prefix, 20 ARNs', async () => {
    const many = Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: String(i) }))
    // 49 new keys + the 2 from the first test = 51 > 50.
    await rejectsWith(alb.elbv2.send(new AddTagsCommand({ ResourceArns: [trustStore], Tags: many })), 'TooManyTagsException')
    await alb.elbv2.send(new AddTagsCommand({ ResourceArns: [trustStore], Tags: many.slice(0, 48) })) // exactly 50
    const out = await alb.elbv2.send(new DescribeTagsCommand({ ResourceArns: [trustStore] }))
    assert.equal(out.TagDescriptions?.[0]?.Tags?.length, 50)
    // Re-adding existing keys does not count twice.
    await alb.elbv2.send(new AddTagsCommand({ ResourceArns: [trustStore], Tags: [{ Key: 'k0', Value: 'changed' }] }))
    await rejectsWith(alb.elbv2.send(new AddTagsCommand({ ResourceArns: [lbArn], Tags: [{ Key: 'x', Value: '1' }, { Key: 'x', Value: '2' }] })), 'DuplicateTagKeysException')
    await rejectsWith(alb.elbv2.send(new AddTagsCommand({ ResourceArns: [lbArn], Tags: [{ Key: 'aws:cloudformation:stack-name', Value: 's' }] })), 'ValidationError')
    await rejectsWith(alb.elbv2.send(new AddTagsCommand({ ResourceArns: [lbArn], Tags: [{ Key: 'k'.repeat(129), Value: 's' }] })), 'ValidationError')
    await rejectsWith(alb.elbv2.send(new DescribeTagsCommand({ ResourceArns: Array.from({ length: 21 }, () => lbArn) })), 'ValidationError')
  })
})
