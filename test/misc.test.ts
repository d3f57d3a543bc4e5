import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  AddTrustStoreRevocationsCommand, CreateLoadBalancerCommand, CreateTrustStoreCommand, DeleteSharedTrustStoreAssociationCommand,
  DeleteTrustStoreCommand, DescribeAccountLimitsCommand, DescribeCapacityReservationCommand, DescribeLoadBalancersCommand,
  DescribeSSLPoliciesCommand, DescribeTrustStoreAssociationsCommand, DescribeTrustStoreRevocationsCommand, DescribeTrustStoresCommand,
  GetResourcePolicyCommand, GetTrustStoreCaCertificatesBundleCommand, GetTrustStoreRevocationContentCommand,
  ModifyCapacityReservationCommand, ModifyIpPoolsCommand, ModifyTrustStoreCommand, RemoveTrustStoreRevocationsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { startTestOpenAlb, TEST_REGION, type TestOpenAlb } from './support/openalb.ts'
import { defaultSubnets } from './support/network.ts'
import { listenerArn } from '../src/model/arn.ts'
import { LIMITS } from '../src/api/elbv2/common.ts'

/**
 * The default VPC's subnets: through EC2 DescribeSubnets, or straight from the store while that
 * operation is not served yet (any ELBv2 request creates the default network first).
 */
async function subnetIds(alb: TestOpenAlb): Promise<string[]> {
  try {
    return await defaultSubnets(alb)
  } catch (err) {
    if ((err as Error).name !== 'InvalidAction') throw err
    await alb.elbv2.send(new DescribeLoadBalancersCommand({}))
    return alb.store.list('subnet').filter((s) => s.region === TEST_REGION && s.defaultForAz).map((s) => s.id).sort()
  }
}

async function rejectsWith(promise: Promise<unknown>, name: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.equal(err.name, name, err.message)
    if (typeof message === 'string') assert.equal(err.message, message)
    else if (message !== undefined) assert.match(err.message, message)
    return true
  })
}

/** ELBSecurityPolicy-2016-08 as spec §5.1 and the docs list it, without DHE-RSA-AES128-SHA (see the report). */
const POLICY_2016_08 = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES128-SHA256', 'ECDHE-RSA-AES128-SHA256',
  'ECDHE-ECDSA-AES128-SHA', 'ECDHE-RSA-AES128-SHA', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-RSA-AES256-SHA384', 'ECDHE-RSA-AES256-SHA', 'ECDHE-ECDSA-AES256-SHA',
  'AES128-GCM-SHA256', 'AES128-SHA256', 'AES128-SHA', 'AES256-GCM-SHA384', 'AES256-SHA256', 'AES256-SHA',
]

/** The policy names the brief and spec §5.1 require (the FIPS and PQ families are checked by the unit test). */
const REQUIRED_POLICIES = [
  'ELBSecurityPolicy-TLS13-1-2-2021-06', 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06', 'ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06',
  'ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06', 'ELBSecurityPolicy-TLS13-1-1-2021-06', 'ELBSecurityPolicy-TLS13-1-0-2021-06',
  'ELBSecurityPolicy-TLS13-1-3-2021-06', 'ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09', 'ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04',
  'ELBSecurityPolicy-FS-1-2-Res-2020-10', 'ELBSecurityPolicy-FS-1-2-Res-2019-08', 'ELBSecurityPolicy-FS-1-2-2019-08',
  'ELBSecurityPolicy-FS-1-1-2019-08', 'ELBSecurityPolicy-FS-2018-06', 'ELBSecurityPolicy-TLS-1-2-Ext-2018-06',
  'ELBSecurityPolicy-TLS-1-2-2017-01', 'ELBSecurityPolicy-TLS-1-1-2017-01', 'ELBSecurityPolicy-TLS-1-0-2015-04',
  'ELBSecurityPolicy-2016-08', 'ELBSecurityPolicy-2015-05',
]

describe('account limits and SSL policies (SDK v3)', () => {
  let alb: TestOpenAlb
  before(async () => { alb = await startTestOpenAlb() })
  after(async () => { await alb.close() })

  it('reports every quota with Max as a string, across pages', async () => {
    const all = await alb.elbv2.send(new DescribeAccountLimitsCommand({}))
    assert.deepEqual(all.Limits, Object.entries(LIMITS).map(([Name, max]) => ({ Name, Max: String(max) })))
    assert.equal(all.NextMarker, undefined)
    assert.equal(all.Limits?.find((l) => l.Name === 'application-load-balancers')?.Max, '50')
    const names: string[] = []
    let marker: string | undefined
    do {
      const page = await alb.elbv2.send(new DescribeAccountLimitsCommand({ PageSize: 5, Marker: marker }))
      assert.ok((page.Limits?.length ?? 0) <= 5)
      names.push(...page.Limits!.map((l) => l.Name!))
      marker = page.NextMarker
    } while (marker !== undefined)
    assert.deepEqual(names, Object.keys(LIMITS))
    await rejectsWith(alb.elbv2.send(new DescribeAccountLimitsCommand({ PageSize: 401 })), 'ValidationError')
  })

  it('describes ELBSecurityPolicy-2016-08 with ciphers in priority order', async () => {
    const out = await alb.elbv2.send(new DescribeSSLPoliciesCommand({ Names: ['ELBSecurityPolicy-2016-08'] }))
    assert.equal(out.SslPolicies?.length, 1)
    const p = out.SslPolicies![0]!
    assert.equal(p.Name, 'ELBSecurityPolicy-2016-08')
    assert.deepEqual(p.SslProtocols, ['TLSv1', 'TLSv1.1', 'TLSv1.2'])
    assert.deepEqual(p.Ciphers, POLICY_2016_08.map((Name, i) => ({ Name, Priority: i + 1 })))
    assert.deepEqual(p.SupportedLoadBalancerTypes, ['application', 'network'])
  })

  it('lists every policy, filters by type, paginates and rejects unknown names', async () => {
    const all = await alb.elbv2.send(new DescribeSSLPoliciesCommand({}))
    const names = all.SslPolicies!.map((p) => p.Name!)
    for (const name of REQUIRED_POLICIES) assert.ok(names.includes(name), name)
    const tls13 = all.SslPolicies!.find((p) => p.Name === 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06')!
    assert.deepEqual(tls13.SslProtocols, ['TLSv1.2', 'TLSv1.3'])
    assert.equal(tls13.Ciphers?.[0]?.Name, 'TLS_AES_128_GCM_SHA256')

    const app = await alb.elbv2.send(new DescribeSSLPoliciesCommand({ LoadBalancerType: 'application' }))
    assert.equal(app.SslPolicies?.length, names.length)
    const gateway = await alb.elbv2.send(new DescribeSSLPoliciesCommand({ LoadBalancerType: 'gateway' }))
    assert.deepEqual(gateway.SslPolicies ?? [], [])
    await rejectsWith(alb.elbv2.send(new DescribeSSLPoliciesCommand({ LoadBalancerType: 'classic' as 'application' })), 'ValidationError')

    const first = await alb.elbv2.send(new DescribeSSLPoliciesCommand({ PageSize: 10 }))
    assert.equal(first.SslPolicies?.length, 10)
    assert.ok(first.NextMarker)
    const second = await alb.elbv2.send(new DescribeSSLPoliciesCommand({ PageSize: 10, Marker: first.NextMarker }))
    assert.deepEqual(second.SslPolicies!.map((p) => p.Name), names.slice(10, 20))

    const two = await alb.elbv2.send(new DescribeSSLPoliciesCommand({ Names: ['ELBSecurityPolicy-FS-2018-06', 'ELBSecurityPolicy-2015-05'] }))
    assert.deepEqual(two.SslPolicies!.map((p) => p.Name), ['ELBSecurityPolicy-FS-2018-06', 'ELBSecurityPolicy-2015-05'])
    await rejectsWith(alb.elbv2.send(new DescribeSSLPoliciesCommand({ Names: ['ELBSecurityPolicy-2016-08', 'MyPolicy'] })),
      'SSLPolicyNotFoundException', "SSL policy 'MyPolicy' not found")
  })
})

describe('trust stores (SDK v3)', () => {
  let alb: TestOpenAlb
  before(async () => { alb = await startTestOpenAlb() })
  after(async () => { await alb.close() })

  it('creates, describes, modifies and deletes a trust store', async () => {
    const created = await alb.elbv2.send(new CreateTrustStoreCommand({
      Name: 'my-ca', CaCertificatesBundleS3Bucket: 'certs', CaCertificatesBundleS3Key: 'ca.pem', Tags: [{ Key: 'env', Value: 'dev' }],
    }))
    const ts = created.TrustStores?.[0]
    assert.ok(ts)
    assert.match(ts.TrustStoreArn!, /^arn:aws:elasticloadbalancing:us-east-1:123456789012:truststore\/my-ca\/[0-9a-f]{16}$/)
    assert.equal(ts.Name, 'my-ca')
    assert.equal(ts.Status, 'ACTIVE')
    assert.equal(ts.NumberOfCaCertificates, 0)
    assert.equal(ts.TotalRevokedEntries, 0)
    const arn = ts.TrustStoreArn!

    await rejectsWith(alb.elbv2.send(new CreateTrustStoreCommand({ Name: 'my-ca', CaCertificatesBundleS3Bucket: 'b', CaCertificatesBundleS3Key: 'k' })), 'DuplicateTrustStoreNameException')
    await alb.elbv2.send(new CreateTrustStoreCommand({ Name: 'other', CaCertificatesBundleS3Bucket: 'b', CaCertificatesBundleS3Key: 'k' }))

    const byName = await alb.elbv2.send(new DescribeTrustStoresCommand({ Names: ['my-ca'] }))
    assert.deepEqual(byName.TrustStores?.map((t) => t.TrustStoreArn), [arn])
    const byArn = await alb.elbv2.send(new DescribeTrustStoresCommand({ TrustStoreArns: [arn] }))
    assert.equal(byArn.TrustStores?.[0]?.Name, 'my-ca')
    const page = await alb.elbv2.send(new DescribeTrustStoresCommand({ PageSize: 1 }))
    assert.equal(page.TrustStores?.length, 1)
    assert.ok(page.NextMarker)
    await rejectsWith(alb.elbv2.send(new DescribeTrustStoresCommand({ Names: ['nope'] })), 'TrustStoreNotFoundException')
    await rejectsWith(alb.elbv2.send(new DescribeTrustStoresCommand({ Names: ['my-ca'], TrustStoreArns: [arn] })), 'ValidationError')

    const modified = await alb.elbv2.send(new ModifyTrustStoreCommand({
      TrustStoreArn: arn, CaCertificatesBundleS3Bucket: 'certs', CaCertificatesBundleS3Key: 'ca-v2.pem', CaCertificatesBundleS3ObjectVersion: '3',
    }))
    assert.equal(modified.TrustStores?.[0]?.TrustStoreArn, arn)
    assert.equal(alb.store.get('trustStore', arn)?.caCertificatesBundleS3Key, 'ca-v2.pem')

    await alb.elbv2.send(new DeleteTrustStoreCommand({ TrustStoreArn: arn }))
    await rejectsWith(alb.elbv2.send(new DeleteTrustStoreCommand({ TrustStoreArn: arn })), 'TrustStoreNotFoundException')
    await rejectsWith(alb.elbv2.send(new DescribeTrustStoresCommand({ TrustStoreArns: [arn] })), 'TrustStoreNotFoundException')
  })

  it('validates names and the bundle location', async () => {
    for (const name of ['-bad', 'bad-', 'a--b', 'under_score', 'x'.repeat(33)]) {
      await rejectsWith(alb.elbv2.send(new CreateTrustStoreCommand({ Name: name, CaCertificatesBundleS3Bucket: 'b', CaCertificatesBundleS3Key: 'k' })), 'ValidationError')
    }
    await rejectsWith(alb.elbv2.send(new CreateTrustStoreCommand({ Name: 'nokey', CaCertificatesBundleS3Bucket: 'b', CaCertificatesBundleS3Key: '' })), 'ValidationError')
  })

  it('refuses to delete a trust store a listener uses, and reports the association', async () => {
    const subnets = await subnetIds(alb)
    const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'mtls', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
    const ts = (await alb.elbv2.send(new CreateTrustStoreCommand({ Name: 'in-use', CaCertificatesBundleS3Bucket: 'b', CaCertificatesBundleS3Key: 'k' }))).TrustStores![0]!
    const listener = listenerArn(lb.LoadBalancerArn!)
    // The listener record goes straight into the store: CreateListener is another module's.
    await alb.store.tx((tx) => tx.put('listener', listener, {
      region: TEST_REGION, tags: [], arn: listener, loadBalancerArn: lb.LoadBalancerArn!, port: 443, protocol: 'HTTPS',
      sslPolicy: 'ELBSecurityPolicy-2016-08', certificateArns: [], attributes: {}, createdTime: tx.now,
      mutualAuthentication: { Mode: 'verify', TrustStoreArn: ts.TrustStoreArn! },
    }))
    await rejectsWith(alb.elbv2.send(new DeleteTrustStoreCommand({ TrustStoreArn: ts.TrustStoreArn })), 'TrustStoreInUseException')
    const assoc = await alb.elbv2.send(new DescribeTrustStoreAssociationsCommand({ TrustStoreArn: ts.TrustStoreArn }))
    assert.deepEqual(assoc.TrustStoreAssociations, [{ ResourceArn: lb.LoadBalancerArn }])
    await rejectsWith(alb.elbv2.send(new DeleteSharedTrustStoreAssociationCommand({ TrustStoreArn: ts.TrustStoreArn, ResourceArn: lb.LoadBalancerArn })),
      'DeleteAssociationSameAccountException')
    await alb.store.tx((tx) => tx.delete('listener', listener))
    const none = await alb.elbv2.send(new DescribeTrustStoreAssociationsCommand({ TrustStoreArn: ts.TrustStoreArn }))
    assert.deepEqual(none.TrustStoreAssociations ?? [], [])
    await alb.elbv2.send(new DeleteTrustStoreCommand({ TrustStoreArn: ts.TrustStoreArn }))
  })

  it('stores revocation lists by location and says it holds no content', async () => {
    const ts = (await alb.elbv2.send(new CreateTrustStoreCommand({ Name: 'revoked', CaCertificatesBundleS3Bucket: 'b', CaCertificatesBundleS3Key: 'k' }))).TrustStores![0]!
    const arn = ts.TrustStoreArn!
    const added = await alb.elbv2.send(new AddTrustStoreRevocationsCommand({
      TrustStoreArn: arn,
      RevocationContents: [{ S3Bucket: 'crls', S3Key: 'a.crl', RevocationType: 'CRL' }, { S3Bucket: 'crls', S3Key: 'b.crl' }],
    }))
    assert.deepEqual(added.TrustStoreRevocations, [
      { TrustStoreArn: arn, RevocationId: 1, RevocationType: 'CRL', NumberOfRevokedEntries: 0 },
      { TrustStoreArn: arn, RevocationId: 2, RevocationType: 'CRL', NumberOfRevokedEntries: 0 },
    ])
    const described = await alb.elbv2.send(new DescribeTrustStoreRevocationsCommand({ TrustStoreArn: arn, RevocationIds: [2] }))
    assert.deepEqual(described.TrustStoreRevocations?.map((r) => r.RevocationId), [2])
    await rejectsWith(alb.elbv2.send(new DescribeTrustStoreRevocationsCommand({ TrustStoreArn: arn, RevocationIds: [9] })), 'RevocationIdNotFoundException')
    await rejectsWith(alb.elbv2.send(new GetTrustStoreRevocationContentCommand({ TrustStoreArn: arn, RevocationId: 9 })), 'RevocationIdNotFoundException')
    await rejectsWith(alb.elbv2.send(new GetTrustStoreRevocationContentCommand({ TrustStoreArn: arn, RevocationId: 1 })), 'ValidationError', /does not|not their content/)
    await rejectsWith(alb.elbv2.send(new GetTrustStoreCaCertificatesBundleCommand({ TrustStoreArn: arn })), 'ValidationError', /not their content/)
    await alb.elbv2.send(new RemoveTrustStoreRevocationsCommand({ TrustStoreArn: arn, RevocationIds: [1] }))
    const rest = await alb.elbv2.send(new DescribeTrustStoreRevocationsCommand({ TrustStoreArn: arn }))
    assert.deepEqual(rest.TrustStoreRevocations?.map((r) => r.RevocationId), [2])
    await rejectsWith(alb.elbv2.send(new RemoveTrustStoreRevocationsCommand({ TrustStoreArn: arn, RevocationIds: [1] })), 'RevocationIdNotFoundException')
    await rejectsWith(alb.elbv2.send(new AddTrustStoreRevocationsCommand({ TrustStoreArn: arn, RevocationContents: [{ S3Bucket: 'crls' }] })), 'ValidationError')
    const missing = arn.replace(/[0-9a-f]{16}$/, '0000000000000000')
    await rejectsWith(alb.elbv2.send(new GetTrustStoreCaCertificatesBundleCommand({ TrustStoreArn: missing })), 'TrustStoreNotFoundException')
    await rejectsWith(alb.elbv2.send(new GetResourcePolicyCommand({ ResourceArn: arn })), 'ResourceNotFoundException')
  })
})

describe('capacity reservations and IPAM pools (SDK v3)', () => {
  let alb: TestOpenAlb
  let lbArn: string
  before(async () => {
    alb = await startTestOpenAlb()
    const subnets = await subnetIds(alb)
    lbArn = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'reserved', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!.LoadBalancerArn!
  })
  after(async () => { await alb.close() })

  it('starts with no reservation', async () => {
    const out = await alb.elbv2.send(new DescribeCapacityReservationCommand({ LoadBalancerArn: lbArn }))
    assert.equal(out.LastModifiedTime, undefined)
    assert.equal(out.MinimumLoadBalancerCapacity, undefined)
    assert.equal(out.DecreaseRequestsRemaining, 2)
    assert.deepEqual(out.CapacityReservationState ?? [], [])
    await rejectsWith(alb.elbv2.send(new DescribeCapacityReservationCommand({ LoadBalancerArn: lbArn.replace(/[0-9a-f]{16}$/, '0000000000000000') })), 'LoadBalancerNotFoundException')
  })

  it('reserves, spreads over zones, and allows two decreases a day', async () => {
    const up = await alb.elbv2.send(new ModifyCapacityReservationCommand({ LoadBalancerArn: lbArn, MinimumLoadBalancerCapacity: { CapacityUnits: 100 } }))
    assert.deepEqual(up.MinimumLoadBalancerCapacity, { CapacityUnits: 100 })
    assert.ok(up.LastModifiedTime instanceof Date)
    assert.equal(up.CapacityReservationState?.length, 2)
    for (const zone of up.CapacityReservationState!) {
      assert.equal(zone.State?.Code, 'provisioned')
      assert.equal(zone.EffectiveCapacityUnits, 50)
      assert.match(zone.AvailabilityZone!, /^us-east-1[a-z]$/)
    }
    const down1 = await alb.elbv2.send(new ModifyCapacityReservationCommand({ LoadBalancerArn: lbArn, MinimumLoadBalancerCapacity: { CapacityUnits: 80 } }))
    assert.equal(down1.DecreaseRequestsRemaining, 1)
    await alb.elbv2.send(new ModifyCapacityReservationCommand({ LoadBalancerArn: lbArn, MinimumLoadBalancerCapacity: { CapacityUnits: 200 } })) // increases are free
    await alb.elbv2.send(new ModifyCapacityReservationCommand({ LoadBalancerArn: lbArn, MinimumLoadBalancerCapacity: { CapacityUnits: 150 } }))
    await rejectsWith(alb.elbv2.send(new ModifyCapacityReservationCommand({ LoadBalancerArn: lbArn, ResetCapacityReservation: true })),
      'CapacityDecreaseRequestsLimitExceededException')
    const now = await alb.elbv2.send(new DescribeCapacityReservationCommand({ LoadBalancerArn: lbArn }))
    assert.deepEqual(now.MinimumLoadBalancerCapacity, { CapacityUnits: 150 })
    assert.equal(now.DecreaseRequestsRemaining, 0)
    await rejectsWith(alb.elbv2.send(new ModifyCapacityReservationCommand({ LoadBalancerArn: lbArn })), 'ValidationError')
    await rejectsWith(alb.elbv2.send(new ModifyCapacityReservationCommand({ LoadBalancerArn: lbArn, MinimumLoadBalancerCapacity: { CapacityUnits: 0 } })), 'ValidationError')
  })

  it('stores and removes an IPv4 IPAM pool', async () => {
    const set = await alb.elbv2.send(new ModifyIpPoolsCommand({ LoadBalancerArn: lbArn, IpamPools: { Ipv4IpamPoolId: 'ipam-pool-0123abc' } }))
    assert.deepEqual(set.IpamPools, { Ipv4IpamPoolId: 'ipam-pool-0123abc' })
    assert.equal(alb.store.get('loadBalancer', lbArn)?.ipamPools?.ipv4IpamPoolId, 'ipam-pool-0123abc')
    const removed = await alb.elbv2.send(new ModifyIpPoolsCommand({ LoadBalancerArn: lbArn, RemoveIpamPools: ['ipv4'] }))
    assert.equal(removed.IpamPools, undefined)
    await rejectsWith(alb.elbv2.send(new ModifyIpPoolsCommand({ LoadBalancerArn: lbArn, IpamPools: { Ipv4IpamPoolId: 'pool-1' } })), 'ValidationError')
    await rejectsWith(alb.elbv2.send(new ModifyIpPoolsCommand({ LoadBalancerArn: lbArn, RemoveIpamPools: ['ipv6' as 'ipv4'] })), 'ValidationError')
  })
})
