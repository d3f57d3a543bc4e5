/**
 * Authentication (issue 2, spec §2.3): with configured credentials OpenALB verifies SigV4 as
 * AWS does and answers 403 InvalidClientTokenId / SignatureDoesNotMatch / IncompleteSignature /
 * MissingAuthenticationToken; without any it accepts every well-formed request.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2'
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2'
import { startTestOpenAlb, TEST_CREDENTIALS, TEST_REGION, type TestOpenAlb } from './support/openalb.ts'
import { AwsCli, findAwsCli, toolMissing } from './support/cli.ts'

const DESCRIBE_BODY = 'Action=DescribeLoadBalancers&Version=2015-12-01'

function elbv2With(alb: TestOpenAlb, credentials: { accessKeyId: string; secretAccessKey: string }, region = TEST_REGION): ElasticLoadBalancingV2Client {
  return new ElasticLoadBalancingV2Client({ endpoint: alb.apiUrl, region, credentials, maxAttempts: 1 })
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; status: number; message: string }> {
  const err = await promise.then(
    () => assert.fail('expected the request to be refused'),
    (e: unknown) => e as { Code?: string; name: string; message: string; $metadata?: { httpStatusCode?: number } },
  )
  return { code: err.Code ?? err.name, status: err.$metadata?.httpStatusCode ?? 0, message: err.message }
}

async function rawPost(alb: TestOpenAlb, headers: Record<string, string>): Promise<{ status: number; code: string | undefined }> {
  const res = await fetch(alb.apiUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...headers }, body: DESCRIBE_BODY })
  const text = await res.text()
  return { status: res.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] }
}

describe('SigV4 with configured credentials', () => {
  let alb: TestOpenAlb
  before(async () => { alb = await startTestOpenAlb({ credentials: new Map([[TEST_CREDENTIALS.accessKeyId, TEST_CREDENTIALS.secretAccessKey]]) }) })
  after(async () => { await alb.close() })

  it('accepts requests signed with the right secret (ELBv2 and EC2, any region)', async () => {
    const out = await alb.elbv2.send(new DescribeLoadBalancersCommand({}))
    assert.deepEqual(out.LoadBalancers, [])
    const vpcs = await alb.ec2.send(new DescribeVpcsCommand({}))
    assert.ok((vpcs.Vpcs ?? []).some((v) => v.IsDefault === true))
    const elsewhere = elbv2With(alb, TEST_CREDENTIALS, 'eu-west-1')
    assert.deepEqual((await elsewhere.send(new DescribeLoadBalancersCommand({}))).LoadBalancers, [])
    elsewhere.destroy()
  })

  it('answers SignatureDoesNotMatch (403) for a wrong secret', async () => {
    const client = elbv2With(alb, { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' })
    const err = await rejection(client.send(new DescribeLoadBalancersCommand({})))
    client.destroy()
    assert.equal(err.code, 'SignatureDoesNotMatch')
    assert.equal(err.status, 403)
  })

  it('answers InvalidClientTokenId (403) for an unknown access key', async () => {
    const client = elbv2With(alb, { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: TEST_CREDENTIALS.secretAccessKey })
    const err = await rejection(client.send(new DescribeLoadBalancersCommand({})))
    client.destroy()
    assert.equal(err.code, 'InvalidClientTokenId')
    assert.equal(err.status, 403)
  })

  it('answers InvalidClientTokenId for an EC2 call with an unknown key too', async () => {
    const client = new EC2Client({ endpoint: alb.apiUrl, region: TEST_REGION, credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' }, maxAttempts: 1 })
    const err = await rejection(client.send(new DescribeVpcsCommand({})))
    client.destroy()
    assert.equal(err.code, 'InvalidClientTokenId')
    assert.equal(err.status, 403)
  })

  it('answers IncompleteSignature (403) for malformed Authorization headers', async () => {
    const date = new Date().toISOString().replace(/[-:]|\.\d+/g, '')
    const malformed = [
      'AWS4-HMAC-SHA256 Credential=garbage',
      `AWS4-HMAC-SHA256 Credential=${TEST_CREDENTIALS.accessKeyId}/${date.slice(0, 8)}/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=host;x-amz-date`,
      `AWS4-HMAC-SHA256 Credential=${TEST_CREDENTIALS.accessKeyId}/us-east-1/aws4_request, SignedHeaders=host;x-amz-date, Signature=00`,
      'Basic dXNlcjpwYXNz',
    ]
    for (const authorization of malformed) {
      const res = await rawPost(alb, { authorization, 'x-amz-date': date })
      assert.deepEqual(res, { status: 403, code: 'IncompleteSignature' }, authorization)
    }
  })

  it('answers MissingAuthenticationToken (403) for an unsigned request', async () => {
    assert.deepEqual(await rawPost(alb, {}), { status: 403, code: 'MissingAuthenticationToken' })
  })

  it('the AWS CLI v2 signs a form body the server verifies', async (t) => {
    const cli = await findAwsCli(2)
    if ('missing' in cli) return void toolMissing(t, cli.missing)
    const good = new AwsCli(cli.path, { endpointUrl: alb.apiUrl, credentials: TEST_CREDENTIALS })
    const bad = new AwsCli(cli.path, { endpointUrl: alb.apiUrl, credentials: { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' } })
    try {
      // Several form fields, list members and characters that need percent-encoding.
      const out = await good.run(['elbv2', 'describe-load-balancers', '--names', 'a-b', 'c~d'])
      assert.match(out.stderr, /An error occurred \(LoadBalancerNotFound\)/, 'signature accepted; the names are simply unknown')
      assert.deepEqual(await good.json(['ec2', 'describe-vpcs', '--filters', 'Name=is-default,Values=true', '--query', 'length(Vpcs)']), 1)
      await bad.fails(['elbv2', 'describe-load-balancers'], 'SignatureDoesNotMatch')
    } finally {
      good.dispose()
      bad.dispose()
    }
  })
})

describe('SigV4 without configured credentials', () => {
  let alb: TestOpenAlb
  before(async () => { alb = await startTestOpenAlb() })
  after(async () => { await alb.close() })

  it('accepts any well-formed signed request, whatever the key', async () => {
    const client = elbv2With(alb, { accessKeyId: 'ANYKEY', secretAccessKey: 'anything' })
    assert.deepEqual((await client.send(new DescribeLoadBalancersCommand({}))).LoadBalancers, [])
    client.destroy()
  })

  it('accepts an unsigned request (local-endpoint default)', async () => {
    assert.deepEqual(await rawPost(alb, {}), { status: 200, code: undefined })
  })

  it('still refuses a malformed Authorization header', async () => {
    const res = await rawPost(alb, { authorization: 'AWS4-HMAC-SHA256 Credential=garbage' })
    assert.deepEqual(res, { status: 403, code: 'IncompleteSignature' })
  })
})
