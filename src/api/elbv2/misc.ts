/**
 * @module api/elbv2/misc
 * The account- and policy-wide ELBv2 operations: DescribeAccountLimits, DescribeSSLPolicies,
 * trust stores (mTLS), capacity reservations and IPAM pools.
 */
import { ApiError, constraint, enumConstraint, missing, validation } from '../errors.ts'
import { bool, int, obj, objList, reqStr, str, strList, type QueryObject } from '../query.ts'
import { Timestamp } from '../xml.ts'
import type { Context, Handlers } from '../context.ts'
import type { Tx } from '../../store/store.ts'
import type { CapacityReservation, LoadBalancer, TrustStore, TrustStoreRevocation } from '../../model/resources.ts'
import { trustStoreArn } from '../../model/arn.ts'
import { SSL_POLICIES, type SslPolicy } from '../../model/ssl-policies.ts'
import { LIMITS, checkName, getLoadBalancer, paginate, parseTags } from './common.ts'

// ================================================================ DescribeAccountLimits

function describeAccountLimits(input: QueryObject, _ctx: Context): unknown {
  const limits = Object.entries(LIMITS).map(([name, max]) => ({ Name: name, Max: String(max) }))
  const { page, nextMarker } = paginate(limits, input)
  return { Limits: page, NextMarker: nextMarker }
}

// ================================================================ DescribeSSLPolicies

const LOAD_BALANCER_TYPES = ['application', 'network', 'gateway'] as const

function wireSslPolicy(p: SslPolicy): Record<string, unknown> {
  return {
    SslProtocols: p.protocols,
    Ciphers: p.ciphers.map((name, i) => ({ Name: name, Priority: i + 1 })),
    Name: p.name,
    SupportedLoadBalancerTypes: p.supportedLoadBalancerTypes,
  }
}

function describeSslPolicies(input: QueryObject, _ctx: Context): unknown {
  const names = strList(input, 'Names')
  const type = str(input, 'LoadBalancerType')
  if (type !== undefined && !LOAD_BALANCER_TYPES.includes(type as 'application')) throw enumConstraint(type, 'loadBalancerType', LOAD_BALANCER_TYPES)
  let policies: readonly SslPolicy[] = SSL_POLICIES
  if (names !== undefined && names.length > 0) {
    const unknown = names.filter((n) => !SSL_POLICIES.some((p) => p.name === n))
    // Message UNVERIFIED: AWS's exact wording for an unknown policy name is not documented.
    if (unknown.length > 0) throw new ApiError('SSLPolicyNotFound', `SSL policy '${unknown[0]}' not found`)
    policies = names.map((n) => SSL_POLICIES.find((p) => p.name === n)!)
  }
  if (type !== undefined) policies = policies.filter((p) => (p.supportedLoadBalancerTypes as readonly string[]).includes(type))
  const { page, nextMarker } = paginate(policies, input)
  return { SslPolicies: page.map(wireSslPolicy), NextMarker: nextMarker }
}

// ================================================================ trust stores
//
// Trust stores are stored and echoed: OpenALB keeps each trust store's name, tags and the S3
// location of its CA bundle and revocation lists, but it has no S3 to read them from, and the
// data plane does not enforce mutual TLS (MutualAuthentication on a listener is echoed only).
// Hence NumberOfCaCertificates and NumberOfRevokedEntries are 0, and the two operations that
// return content (GetTrustStoreCaCertificatesBundle, GetTrustStoreRevocationContent) answer a
// ValidationError that says so instead of a pre-signed URL to nothing.

const TRUST_STORE_NAME = /^([a-zA-Z0-9]+-)*[a-zA-Z0-9]+$/
const NO_CONTENT = 'OpenALB keeps only the S3 location of trust store CA bundles and revocation lists, not their content'

/** The trust store with this ARN in the caller's region, or TrustStoreNotFound (CreateListener's MutualAuthentication check can share it). */
export function getTrustStore(tx: Tx, region: string, arn: string): TrustStore {
  const store = tx.get('trustStore', arn)
  if (store === undefined || store.region !== region) throw new ApiError('TrustStoreNotFound', 'One or more trust stores not found')
  return store
}

function wireTrustStore(store: TrustStore): Record<string, unknown> {
  return {
    Name: store.name,
    TrustStoreArn: store.arn,
    Status: 'ACTIVE',
    NumberOfCaCertificates: 0, // the bundle is never read (see above)
    TotalRevokedEntries: 0,
  }
}

/** Reads the CaCertificatesBundleS3* members both CreateTrustStore and ModifyTrustStore take. */
function bundleLocation(input: QueryObject): Pick<TrustStore, 'caCertificatesBundleS3Bucket' | 'caCertificatesBundleS3Key' | 'caCertificatesBundleS3ObjectVersion'> {
  const bucket = str(input, 'CaCertificatesBundleS3Bucket')
  if (bucket === undefined || bucket === '') throw missing('caCertificatesBundleS3Bucket')
  const key = str(input, 'CaCertificatesBundleS3Key')
  if (key === undefined || key === '') throw missing('caCertificatesBundleS3Key')
  const version = str(input, 'CaCertificatesBundleS3ObjectVersion')
  return { caCertificatesBundleS3Bucket: bucket, caCertificatesBundleS3Key: key, caCertificatesBundleS3ObjectVersion: version }
}

/** Listeners whose MutualAuthentication names the trust store (wire or camelCase member name). */
function listenersUsing(tx: Tx, arn: string): string[] {
  return tx.list('listener').filter((l) => {
    const ma = l.mutualAuthentication
    return ma !== undefined && (ma['TrustStoreArn'] === arn || ma['trustStoreArn'] === arn)
  }).map((l) => l.arn)
}

function createTrustStore(input: QueryObject, ctx: Context): unknown {
  const name = reqStr(input, 'Name')
  checkName('Trust store', name)
  if (!TRUST_STORE_NAME.test(name)) throw constraint(name, 'name', 'Member must satisfy regular expression pattern: ^([a-zA-Z0-9]+-)*[a-zA-Z0-9]+$')
  const location = bundleLocation(input)
  const tags = parseTags(input) ?? []
  if (ctx.tx.list('trustStore').some((t) => t.region === ctx.region && t.name === name)) {
    throw new ApiError('DuplicateTrustStoreName', `A trust store with the name '${name}' already exists`)
  }
  const arn = trustStoreArn(ctx.region, ctx.options.accountId, name)
  const store: TrustStore = { region: ctx.region, arn, name, tags, ...location, createdTime: ctx.tx.now }
  ctx.tx.put('trustStore', arn, store)
  return { TrustStores: [wireTrustStore(store)] }
}

function describeTrustStores(input: QueryObject, ctx: Context): unknown {
  const arns = strList(input, 'TrustStoreArns')
  const names = strList(input, 'Names')
  if (arns !== undefined && arns.length > 0 && names !== undefined && names.length > 0) {
    throw validation('Trust store names and trust store ARNs cannot be specified at the same time')
  }
  let stores = ctx.tx.list('trustStore').filter((t) => t.region === ctx.region)
  if (arns !== undefined && arns.length > 0) {
    stores = arns.map((arn) => getTrustStore(ctx.tx, ctx.region, arn))
  } else if (names !== undefined && names.length > 0) {
    stores = names.map((n) => {
      const found = stores.find((t) => t.name === n)
      if (found === undefined) throw new ApiError('TrustStoreNotFound', 'One or more trust stores not found')
      return found
    })
  }
  const { page, nextMarker } = paginate(stores, input)
  return { TrustStores: page.map(wireTrustStore), NextMarker: nextMarker }
}

function modifyTrustStore(input: QueryObject, ctx: Context): unknown {
  const store = getTrustStore(ctx.tx, ctx.region, reqStr(input, 'TrustStoreArn'))
  const updated: TrustStore = { ...store, ...bundleLocation(input) }
  ctx.tx.put('trustStore', store.arn, updated)
  return { TrustStores: [wireTrustStore(updated)] }
}

function deleteTrustStore(input: QueryObject, ctx: Context): unknown {
  const store = getTrustStore(ctx.tx, ctx.region, reqStr(input, 'TrustStoreArn'))
  if (listenersUsing(ctx.tx, store.arn).length > 0) {
    throw new ApiError('TrustStoreInUse', `Trust store '${store.arn}' is in use by a listener`)
  }
  ctx.tx.delete('trustStore', store.arn)
  return {}
}

/**
 * The load balancers whose listeners use the trust store. UNVERIFIED: the model only says "the
 * ARN of the resource"; DeleteSharedTrustStoreAssociation's examples pass a load balancer ARN.
 */
function describeTrustStoreAssociations(input: QueryObject, ctx: Context): unknown {
  const store = getTrustStore(ctx.tx, ctx.region, reqStr(input, 'TrustStoreArn'))
  const lbArns = new Set<string>()
  for (const arn of listenersUsing(ctx.tx, store.arn)) {
    const listener = ctx.tx.get('listener', arn)
    if (listener !== undefined) lbArns.add(listener.loadBalancerArn)
  }
  const { page, nextMarker } = paginate([...lbArns].map((arn) => ({ ResourceArn: arn })), input)
  return { TrustStoreAssociations: page, NextMarker: nextMarker }
}

/** Every association is within OpenALB's one account, and AWS only deletes cross-account (RAM) ones. */
function deleteSharedTrustStoreAssociation(input: QueryObject, ctx: Context): unknown {
  const store = getTrustStore(ctx.tx, ctx.region, reqStr(input, 'TrustStoreArn'))
  reqStr(input, 'ResourceArn')
  throw new ApiError('DeleteAssociationSameAccount', `The association between trust store '${store.arn}' and the resource belongs to the same account; remove the trust store from the listener instead`)
}

function getTrustStoreCaCertificatesBundle(input: QueryObject, ctx: Context): unknown {
  getTrustStore(ctx.tx, ctx.region, reqStr(input, 'TrustStoreArn'))
  throw validation(NO_CONTENT)
}

function revocationId(value: string, member: string): number {
  if (!/^\d+$/.test(value)) throw constraint(value, member, 'Member must be a long')
  return Number(value)
}

function findRevocation(store: TrustStore, id: number): TrustStoreRevocation {
  const found = (store.revocations ?? []).find((r) => r.id === id)
  if (found === undefined) throw new ApiError('RevocationIdNotFound', `Revocation ID '${id}' not found in trust store '${store.arn}'`)
  return found
}

function wireRevocation(store: TrustStore, r: TrustStoreRevocation): Record<string, unknown> {
  return { TrustStoreArn: store.arn, RevocationId: r.id, RevocationType: r.type, NumberOfRevokedEntries: 0 }
}

function getTrustStoreRevocationContent(input: QueryObject, ctx: Context): unknown {
  const store = getTrustStore(ctx.tx, ctx.region, reqStr(input, 'TrustStoreArn'))
  findRevocation(store, revocationId(reqStr(input, 'RevocationId'), 'revocationId'))
  throw validation(NO_CONTENT)
}

function addTrustStoreRevocations(input: QueryObject, ctx: Context): unknown {
  const store = getTrustStore(ctx.tx, ctx.region, reqStr(input, 'TrustStoreArn'))
  const contents = objList(input, 'RevocationContents')
  if (contents === undefined || contents.length === 0) throw missing('revocationContents')
  const existing = store.revocations ?? []
  let nextId = existing.reduce((max, r) => Math.max(max, r.id), 0) + 1
  const added: TrustStoreRevocation[] = contents.map((c, i) => {
    const member = `revocationContents.${i + 1}.member`
    const s3Bucket = str(c, 'S3Bucket')
    if (s3Bucket === undefined || s3Bucket === '') throw missing(`${member}.s3Bucket`)
    const s3Key = str(c, 'S3Key')
    if (s3Key === undefined || s3Key === '') throw missing(`${member}.s3Key`)
    const type = str(c, 'RevocationType') ?? 'CRL'
    if (type !== 'CRL') throw enumConstraint(type, `${member}.revocationType`, ['CRL'])
    return { id: nextId++, type, s3Bucket, s3Key, s3ObjectVersion: str(c, 'S3ObjectVersion') }
  })
  ctx.tx.put('trustStore', store.arn, { ...store, revocations: [...existing, ...added] })
  return { TrustStoreRevocations: added.map((r) => wireRevocation(store, r)) }
}

function removeTrustStoreRevocations(input: QueryObject, ctx: Context): unknown {
  const store = getTrustStore(ctx.tx, ctx.region, reqStr(input, 'TrustStoreArn'))
  const ids = strList(input, 'RevocationIds')
  if (ids === undefined || ids.length === 0) throw missing('revocationIds')
  const remove = new Set(ids.map((v, i) => findRevocation(store, revocationId(v, `revocationIds.${i + 1}.member`)).id))
  ctx.tx.put('trustStore', store.arn, { ...store, revocations: (store.revocations ?? []).filter((r) => !remove.has(r.id)) })
  return {}
}

function describeTrustStoreRevocations(input: QueryObject, ctx: Context): unknown {
  const store = getTrustStore(ctx.tx, ctx.region, reqStr(input, 'TrustStoreArn'))
  const ids = strList(input, 'RevocationIds')
  const revocations = ids !== undefined && ids.length > 0
    ? ids.map((v, i) => findRevocation(store, revocationId(v, `revocationIds.${i + 1}.member`)))
    : [...(store.revocations ?? [])]
  const { page, nextMarker } = paginate(revocations, input)
  return { TrustStoreRevocations: page.map((r) => wireRevocation(store, r)), NextMarker: nextMarker }
}

/** OpenALB shares nothing through AWS RAM, so no resource has a resource policy. */
function getResourcePolicy(input: QueryObject, _ctx: Context): unknown {
  const arn = reqStr(input, 'ResourceArn')
  throw new ApiError('ResourceNotFound', `No resource policy found for resource '${arn}'`)
}

// ================================================================ capacity reservations
//
// Stored and echoed on the load balancer record. One machine has no LCUs to reserve, so a
// reservation is `provisioned` at once, spread evenly over the load balancer's zones ("capacity
// is reserved at the regional level and is evenly distributed across availability zones"), and
// the documented rule "you can only decrease the reserved capacity two times per day" is kept
// (as a rolling 24 hours; UNVERIFIED whether AWS counts calendar days).

const DAY_MS = 24 * 60 * 60 * 1000
const DECREASES_PER_DAY = 2

function recentDecreases(cr: CapacityReservation | undefined, now: number): number[] {
  return (cr?.decreases ?? []).filter((t) => now - t < DAY_MS)
}

function wireCapacityReservation(lb: LoadBalancer, now: number): Record<string, unknown> {
  const cr = lb.capacityReservation
  const units = cr?.capacityUnits
  return {
    LastModifiedTime: cr === undefined ? undefined : new Timestamp(cr.lastModifiedTime),
    DecreaseRequestsRemaining: DECREASES_PER_DAY - recentDecreases(cr, now).length,
    MinimumLoadBalancerCapacity: units === undefined ? undefined : { CapacityUnits: units },
    CapacityReservationState: units === undefined ? [] : lb.zones.map((z) => ({
      State: { Code: 'provisioned' },
      AvailabilityZone: z.zoneName,
      EffectiveCapacityUnits: units / lb.zones.length,
    })),
  }
}

function getRegionalLoadBalancer(ctx: Context, arn: string): LoadBalancer {
  const lb = getLoadBalancer(ctx.tx, arn)
  if (lb.region !== ctx.region) throw new ApiError('LoadBalancerNotFound', 'One or more load balancers not found')
  return lb
}

function describeCapacityReservation(input: QueryObject, ctx: Context): unknown {
  const lb = getRegionalLoadBalancer(ctx, reqStr(input, 'LoadBalancerArn'))
  return wireCapacityReservation(lb, ctx.tx.now)
}

function modifyCapacityReservation(input: QueryObject, ctx: Context): unknown {
  const lb = getRegionalLoadBalancer(ctx, reqStr(input, 'LoadBalancerArn'))
  const minimum = obj(input, 'MinimumLoadBalancerCapacity')
  const reset = bool(input, 'ResetCapacityReservation') === true
  // The model: "you must include at least one MinimumLoadBalancerCapacity or ResetCapacityReservation".
  if (minimum === undefined && !reset) throw validation('You must specify either MinimumLoadBalancerCapacity or ResetCapacityReservation')
  if (minimum !== undefined && reset) throw validation('MinimumLoadBalancerCapacity and ResetCapacityReservation cannot be specified together')
  let units: number | undefined
  if (minimum !== undefined) {
    units = int(minimum, 'CapacityUnits')
    if (units === undefined) throw missing('minimumLoadBalancerCapacity.capacityUnits')
    if (units < 1) throw constraint(units, 'minimumLoadBalancerCapacity.capacityUnits', 'Member must have value greater than or equal to 1')
  }
  const now = ctx.tx.now
  const previous = lb.capacityReservation
  const recent = recentDecreases(previous, now)
  const before = previous?.capacityUnits
  const isDecrease = before !== undefined && (units === undefined || units < before)
  if (isDecrease && recent.length >= DECREASES_PER_DAY) {
    throw new ApiError('CapacityDecreaseRequestLimitExceeded', 'You have reached the limit of capacity decrease requests for today')
  }
  const capacityReservation: CapacityReservation = {
    capacityUnits: units,
    lastModifiedTime: now,
    decreases: isDecrease ? [...recent, now] : recent,
  }
  const updated: LoadBalancer = { ...lb, capacityReservation }
  ctx.tx.put('loadBalancer', lb.arn, updated)
  return wireCapacityReservation(updated, now)
}

// ================================================================ IPAM pools
//
// Stored and echoed, like IpamPools on CreateLoadBalancer: on one machine the load balancer's
// addresses come from the bind address, not from an IPAM pool.

const IPAM_POOL_ID = /^(ipam-pool-)[a-zA-Z0-9]+$/

function modifyIpPools(input: QueryObject, ctx: Context): unknown {
  const lb = getRegionalLoadBalancer(ctx, reqStr(input, 'LoadBalancerArn'))
  const pools = obj(input, 'IpamPools')
  const remove = strList(input, 'RemoveIpamPools') ?? []
  remove.forEach((v, i) => { if (v !== 'ipv4') throw enumConstraint(v, `removeIpamPools.${i + 1}.member`, ['ipv4']) })
  const poolId = pools === undefined ? undefined : str(pools, 'Ipv4IpamPoolId')
  if (poolId !== undefined && (poolId.length > 1000 || !IPAM_POOL_ID.test(poolId))) {
    throw constraint(poolId, 'ipamPools.ipv4IpamPoolId', 'Member must satisfy regular expression pattern: ^(ipam-pool-)[a-zA-Z0-9]+$')
  }
  if (poolId !== undefined && remove.includes('ipv4')) throw validation('An IPv4 IPAM pool cannot be set and removed in the same request')
  let ipv4 = lb.ipamPools?.ipv4IpamPoolId
  if (remove.includes('ipv4')) ipv4 = undefined
  if (poolId !== undefined) ipv4 = poolId
  const ipamPools = ipv4 === undefined ? undefined : { ipv4IpamPoolId: ipv4 }
  ctx.tx.put('loadBalancer', lb.arn, { ...lb, ipamPools })
  return { IpamPools: ipamPools === undefined ? undefined : { Ipv4IpamPoolId: ipamPools.ipv4IpamPoolId } }
}

export const miscHandlers: Handlers = {
  DescribeAccountLimits: describeAccountLimits,
  DescribeSSLPolicies: describeSslPolicies,
  CreateTrustStore: createTrustStore,
  DescribeTrustStores: describeTrustStores,
  ModifyTrustStore: modifyTrustStore,
  DeleteTrustStore: deleteTrustStore,
  DescribeTrustStoreAssociations: describeTrustStoreAssociations,
  DeleteSharedTrustStoreAssociation: deleteSharedTrustStoreAssociation,
  GetTrustStoreCaCertificatesBundle: getTrustStoreCaCertificatesBundle,
  GetTrustStoreRevocationContent: getTrustStoreRevocationContent,
  AddTrustStoreRevocations: addTrustStoreRevocations,
  RemoveTrustStoreRevocations: removeTrustStoreRevocations,
  DescribeTrustStoreRevocations: describeTrustStoreRevocations,
  GetResourcePolicy: getResourcePolicy,
  DescribeCapacityReservation: describeCapacityReservation,
  ModifyCapacityReservation: modifyCapacityReservation,
  ModifyIpPools: modifyIpPools,
}
