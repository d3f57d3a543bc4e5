/**
 * @module api/elbv2/listeners
 * CreateListener, DescribeListeners, ModifyListener, DeleteListener, the listener attributes
 * and the listener certificate list (spec §5.1, §5.2). A listener's DefaultActions live in its
 * default rule (priority 'default', no conditions), so the data plane sees one list of rules.
 */
import { ApiError, enumConstraint, missing, constraint, validation } from '../errors.ts'
import { int, obj, objList, reqStr, str, strList, type QueryObject } from '../query.ts'
import type { Context, Handlers } from '../context.ts'
import type { Tx } from '../../store/store.ts'
import type { Action, Listener, LoadBalancer, Rule } from '../../model/resources.ts'
import { listenerArn, ruleArn } from '../../model/arn.ts'
import { effectiveAttributes, listenerAttributeSpecs } from '../../model/attributes.ts'
import { DEFAULT_SSL_POLICY, sslPolicy } from '../../model/ssl-policies.ts'
import {
  InvalidInput, actionTargetGroupArns, checkActionsForListener, parseActions,
} from '../../model/actions.ts'
import {
  LIMITS, checkArn, forwardedTargetGroupArns, getListener, getLoadBalancer, getTargetGroup, paginate, parseAttributes, parseTags, wireActionsXml,
} from './common.ts'

/** ProtocolEnum of the model, in model order (the enum-violation message lists it). */
const PROTOCOLS = ['HTTP', 'HTTPS', 'TCP', 'TLS', 'UDP', 'TCP_UDP', 'GENEVE', 'QUIC', 'TCP_QUIC'] as const
const MUTUAL_AUTHENTICATION_MODES = ['off', 'passthrough', 'verify'] as const
const ADVERTISE_CA_NAMES = ['on', 'off'] as const

// ------------------------------------------------------------------ model errors

/** Runs model parsing/validation, turning its InvalidInput into the API's error. */
export function fromModel<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof InvalidInput) throw new ApiError(err.code, err.message, 400, { cause: err })
    throw err
  }
}

// ------------------------------------------------------------------ actions with the store

export interface ActionContext {
  readonly loadBalancer: LoadBalancer
  readonly listenerProtocol: string
  /** Actions being replaced (UseExistingClientSecret). */
  readonly previous?: readonly Action[]
  /** The rule the actions are for, when it exists: its own use of target groups does not count. */
  readonly ruleArn?: string
}

/**
 * readActions: `DefaultActions` / `Actions` from the request, validated on their own (model/actions)
 * and against the store: every target group exists, fits an ALB, and is used by no other load
 * balancer (spec §3.2, §5.5). Undefined when the member is absent.
 */
export function readActions(tx: Tx, input: QueryObject, name: 'DefaultActions' | 'Actions', context: ActionContext): Action[] | undefined {
  const items = objList(input, name)
  if (items === undefined) return undefined
  const member = name === 'DefaultActions' ? 'defaultActions' : 'actions'
  const actions = fromModel(() => {
    const parsed = parseActions(items, member, context.previous === undefined ? {} : { previous: context.previous })
    checkActionsForListener(parsed, context.listenerProtocol)
    return parsed
  })
  checkActionTargetGroups(tx, actions, context)
  return actions
}

function checkActionTargetGroups(tx: Tx, actions: readonly Action[], context: ActionContext): void {
  const lb = context.loadBalancer
  const arns = actionTargetGroupArns(actions)
  const elsewhere: string[] = []
  const usedHere = new Set<string>()
  const usedElsewhere = new Set<string>()
  for (const rule of tx.list('rule')) {
    if (rule.arn === context.ruleArn) continue
    const listener = tx.get('listener', rule.listenerArn)
    if (listener === undefined) continue
    for (const action of rule.actions) {
      for (const arn of forwardedTargetGroupArns(action)) (listener.loadBalancerArn === lb.arn ? usedHere : usedElsewhere).add(arn)
    }
  }
  for (const arn of arns) {
    const tg = getTargetGroup(tx, arn)
    // An NLB target group (TCP, TLS, UDP…, or type 'alb') cannot take ALB traffic.
    if (tg.targetType === 'alb' || (tg.protocol !== undefined && tg.protocol !== 'HTTP' && tg.protocol !== 'HTTPS')) {
      throw new ApiError('IncompatibleProtocols', `Listener protocol '${context.listenerProtocol}' is not supported with a target group with the target-group protocol '${tg.protocol ?? 'TCP'}'`)
    }
    if (tg.vpcId !== undefined && tg.vpcId !== lb.vpcId) {
      throw new ApiError('InvalidConfigurationRequest', `The target group '${arn}' is not in the same VPC as the load balancer`) // UNVERIFIED text
    }
    // HTTP2/gRPC target groups need an HTTPS listener and forward-only rules (UG load-balancer-target-groups.md, spec §3.2).
    if (tg.protocolVersion === 'HTTP2' || tg.protocolVersion === 'GRPC') {
      if (context.listenerProtocol !== 'HTTPS') {
        throw new ApiError('IncompatibleProtocols', `Target groups with protocol version '${tg.protocolVersion}' are supported only with HTTPS listeners`) // UNVERIFIED text
      }
      if (actions.some((a) => a.type !== 'forward')) {
        throw new ApiError('InvalidLoadBalancerAction', `Target groups with protocol version '${tg.protocolVersion}' can be used only in rules whose actions are all forward actions`) // UNVERIFIED text
      }
    }
    if (usedElsewhere.has(arn)) elsewhere.push(arn)
  }
  if (elsewhere.length > 0) {
    // Observed AWS text (terraform-provider-aws#22005): one load balancer per target group (spec §9).
    throw new ApiError('TargetGroupAssociationLimit', `The following target groups cannot be associated with more than one load balancer: ${elsewhere.join(', ')}`)
  }
  const unique = new Set([...usedHere, ...arns])
  if (unique.size > LIMITS['target-groups-per-application-load-balancer']) {
    throw new ApiError('TooManyUniqueTargetGroupsPerLoadBalancer', `You've reached the limit on the number of unique target groups per load balancer (${LIMITS['target-groups-per-application-load-balancer']})`)
  }
}

// ------------------------------------------------------------------ output

/** The rule holding a listener's DefaultActions; the API always writes both together. */
export function defaultRuleOf(tx: Tx, listener: Listener): Rule | undefined {
  return tx.list('rule').find((r) => r.listenerArn === listener.arn && r.priority === 'default')
}

function wireMutualAuthentication(m: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> | undefined {
  if (m === undefined) return undefined
  return {
    Mode: m['mode'],
    TrustStoreArn: m['trustStoreArn'],
    IgnoreClientCertificateExpiry: m['ignoreClientCertificateExpiry'],
    TrustStoreAssociationStatus: m['trustStoreArn'] === undefined ? undefined : 'active',
    AdvertiseTrustStoreCaNames: m['advertiseTrustStoreCaNames'],
  }
}

/** The Listener shape in model member order. Certificates shows the default certificate only, without IsDefault (spec §5.1). */
export function wireListener(tx: Tx, listener: Listener): Record<string, unknown> {
  const rule = defaultRuleOf(tx, listener)
  return {
    ListenerArn: listener.arn,
    LoadBalancerArn: listener.loadBalancerArn,
    Port: listener.port,
    Protocol: listener.protocol,
    Certificates: listener.defaultCertificateArn === undefined ? undefined : [{ CertificateArn: listener.defaultCertificateArn }],
    SslPolicy: listener.sslPolicy,
    DefaultActions: wireActionsXml(rule?.actions ?? []),
    AlpnPolicy: listener.alpnPolicy,
    MutualAuthentication: wireMutualAuthentication(listener.mutualAuthentication),
  }
}

// ------------------------------------------------------------------ input pieces

/** Protocol for an ALB listener: HTTP or HTTPS (spec §5.1; observed ValidationError text). */
function checkProtocol(protocol: string): 'HTTP' | 'HTTPS' {
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) throw enumConstraint(protocol, 'protocol', PROTOCOLS)
  if (protocol !== 'HTTP' && protocol !== 'HTTPS') throw validation(`Listener protocol '${protocol}' must be one of 'HTTP, HTTPS'`)
  return protocol
}

function checkPort(port: number): number {
  if (port < 1) throw constraint(port, 'port', 'Member must have value greater than or equal to 1')
  if (port > 65535) throw constraint(port, 'port', 'Member must have value less than or equal to 65535')
  return port
}

/** `Certificates` for a listener: exactly one, which must be a certificate OpenALB holds (spec §5.1). */
function readDefaultCertificate(tx: Tx, input: QueryObject): string | undefined {
  const items = objList(input, 'Certificates')
  if (items === undefined) return undefined
  if (items.length !== 1) throw validation('You must specify exactly one certificate for the listener') // UNVERIFIED text
  const arn = str(items[0]!, 'CertificateArn')
  if (arn === undefined || arn === '') throw missing('certificates.1.member.certificateArn')
  requireCertificate(tx, arn)
  return arn
}

function requireCertificate(tx: Tx, arn: string): void {
  if (tx.get('certificate', arn) === undefined) throw new ApiError('CertificateNotFound', `Certificate '${arn}' not found`)
}

function checkSslPolicy(name: string): string {
  const policy = sslPolicy(name)
  if (policy === undefined || !policy.supportedLoadBalancerTypes.includes('application')) {
    throw new ApiError('SSLPolicyNotFound', `SSL policy '${name}' not found`)
  }
  return name
}

/** AlpnPolicy is a TLS (NLB) listener setting; an ALB negotiates ALPN itself (spec §5.1). */
function checkNoAlpnPolicy(input: QueryObject, protocol: string): void {
  const alpn = strList(input, 'AlpnPolicy')
  if (alpn !== undefined && alpn.length > 0) {
    throw new ApiError('ALPNPolicyNotFound', `ALPN policy '${alpn.join(', ')}' is not supported for listeners with protocol '${protocol}'`) // UNVERIFIED text
  }
}

/** MutualAuthentication (HTTPS): stored and echoed; `verify` needs an existing trust store. */
function readMutualAuthentication(tx: Tx, input: QueryObject, protocol: string): Record<string, unknown> | undefined {
  const node = obj(input, 'MutualAuthentication')
  if (node === undefined) return undefined
  const mode = str(node, 'Mode') ?? 'off'
  if (!(MUTUAL_AUTHENTICATION_MODES as readonly string[]).includes(mode)) throw enumConstraint(mode, 'mutualAuthentication.mode', MUTUAL_AUTHENTICATION_MODES)
  if (protocol !== 'HTTPS' && mode !== 'off') {
    throw new ApiError('InvalidConfigurationRequest', 'Mutual authentication is supported only on HTTPS listeners') // UNVERIFIED text
  }
  const out: Record<string, unknown> = { mode }
  const trustStoreArn = str(node, 'TrustStoreArn')
  if (mode === 'verify') {
    if (trustStoreArn === undefined || trustStoreArn === '') throw validation("A trust store must be specified when the mutual authentication mode is 'verify'") // UNVERIFIED text
    if (tx.get('trustStore', trustStoreArn) === undefined) throw new ApiError('TrustStoreNotFound', `Trust store '${trustStoreArn}' not found`)
    out['trustStoreArn'] = trustStoreArn
    const ignoreExpiry = str(node, 'IgnoreClientCertificateExpiry')
    if (ignoreExpiry !== undefined && ignoreExpiry !== 'true' && ignoreExpiry !== 'false') {
      throw validation(`Invalid value for parameter IgnoreClientCertificateExpiry: '${ignoreExpiry}' is not a valid boolean`)
    }
    out['ignoreClientCertificateExpiry'] = ignoreExpiry === 'true'
    const advertise = str(node, 'AdvertiseTrustStoreCaNames') ?? 'off'
    if (!(ADVERTISE_CA_NAMES as readonly string[]).includes(advertise)) throw enumConstraint(advertise, 'mutualAuthentication.advertiseTrustStoreCaNames', ADVERTISE_CA_NAMES)
    out['advertiseTrustStoreCaNames'] = advertise
  } else if (trustStoreArn !== undefined && trustStoreArn !== '') {
    throw validation(`A trust store can be specified only when the mutual authentication mode is 'verify'`) // UNVERIFIED text
  }
  return out
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

// ------------------------------------------------------------------ handlers

function createListener(input: QueryObject, ctx: Context): unknown {
  const { tx } = ctx
  const lb = getLoadBalancer(tx, reqStr(input, 'LoadBalancerArn'))
  const port = int(input, 'Port')
  if (port === undefined) throw validation('A listener port must be specified')
  checkPort(port)
  const rawProtocol = str(input, 'Protocol')
  if (rawProtocol === undefined) throw validation('A listener protocol must be specified')
  const protocol = checkProtocol(rawProtocol)
  checkNoAlpnPolicy(input, protocol)

  let sslPolicyName: string | undefined
  let defaultCertificateArn: string | undefined
  if (protocol === 'HTTPS') {
    defaultCertificateArn = readDefaultCertificate(tx, input)
    if (defaultCertificateArn === undefined) throw validation('A certificate must be specified for HTTPS listeners') // UNVERIFIED text
    // API/CLI default (spec §5.1); the console picks a TLS 1.3 policy instead.
    sslPolicyName = checkSslPolicy(str(input, 'SslPolicy') ?? DEFAULT_SSL_POLICY)
  } else {
    if (str(input, 'SslPolicy') !== undefined) throw validation("An SSL policy cannot be specified for listeners with protocol 'HTTP'") // UNVERIFIED text
    const certificates = objList(input, 'Certificates')
    if (certificates !== undefined && certificates.length > 0) throw validation("Certificates cannot be specified for listeners with protocol 'HTTP'") // UNVERIFIED text
  }
  const mutualAuthentication = readMutualAuthentication(tx, input, protocol)
  if (objList(input, 'DefaultActions') === undefined) throw missing('defaultActions')
  const defaultActions = readActions(tx, input, 'DefaultActions', { loadBalancer: lb, listenerProtocol: protocol })!
  const tags = parseTags(input) ?? []

  const existing = tx.list('listener').find((l) => l.loadBalancerArn === lb.arn && l.port === port)
  if (existing !== undefined) {
    // Idempotent create (model documentation): the same settings return the existing listener.
    const same = existing.protocol === protocol && existing.sslPolicy === sslPolicyName &&
      existing.defaultCertificateArn === defaultCertificateArn &&
      sameJson(existing.mutualAuthentication, mutualAuthentication) &&
      sameJson(defaultRuleOf(tx, existing)?.actions, defaultActions)
    if (same) return { Listeners: [wireListener(tx, existing)] }
    throw new ApiError('DuplicateListener', 'A listener with the specified port already exists.')
  }
  if (tx.list('listener').filter((l) => l.loadBalancerArn === lb.arn).length >= LIMITS['listeners-per-application-load-balancer']) {
    throw new ApiError('TooManyListeners', `You've reached the limit on the number of listeners per load balancer (${LIMITS['listeners-per-application-load-balancer']})`)
  }

  const arn = listenerArn(lb.arn)
  const listener: Listener = {
    region: lb.region, tags, arn, loadBalancerArn: lb.arn, port, protocol,
    certificateArns: [], attributes: {}, createdTime: tx.now,
    ...(sslPolicyName === undefined ? {} : { sslPolicy: sslPolicyName }),
    ...(defaultCertificateArn === undefined ? {} : { defaultCertificateArn }),
    ...(mutualAuthentication === undefined ? {} : { mutualAuthentication }),
  }
  const defaultRule: Rule = {
    region: lb.region, tags: [], arn: ruleArn(arn), listenerArn: arn, priority: 'default', conditions: [], actions: defaultActions,
  }
  tx.put('listener', arn, listener)
  tx.put('rule', defaultRule.arn, defaultRule)
  return { Listeners: [wireListener(tx, listener)] }
}

function describeListeners(input: QueryObject, ctx: Context): unknown {
  const lbArn = str(input, 'LoadBalancerArn')
  const arns = strList(input, 'ListenerArns')
  for (const arn of arns ?? []) checkArn(arn, 'listener')
  const byArns = arns !== undefined && arns.length > 0
  if (lbArn === undefined && !byArns) throw validation('You must specify either listener ARNs or a load balancer ARN')
  if (lbArn !== undefined && byArns) throw validation('Listener ARNs and a load balancer ARN cannot be specified at the same time') // UNVERIFIED text
  let listeners: Listener[]
  if (lbArn !== undefined) {
    const lb = getLoadBalancer(ctx.tx, lbArn)
    listeners = ctx.tx.list('listener').filter((l) => l.loadBalancerArn === lb.arn)
  } else {
    listeners = arns!.map((arn) => getListener(ctx.tx, arn))
  }
  const { page, nextMarker } = paginate(listeners, input)
  return { Listeners: page.map((l) => wireListener(ctx.tx, l)), NextMarker: nextMarker }
}

function modifyListener(input: QueryObject, ctx: Context): unknown {
  const { tx } = ctx
  const listener = getListener(tx, reqStr(input, 'ListenerArn'))
  const lb = getLoadBalancer(tx, listener.loadBalancerArn)
  const port = int(input, 'Port')
  if (port !== undefined) checkPort(port)
  const rawProtocol = str(input, 'Protocol')
  const protocol = rawProtocol === undefined ? listener.protocol : checkProtocol(rawProtocol)
  checkNoAlpnPolicy(input, protocol)

  const next: { -readonly [K in keyof Listener]: Listener[K] } = { ...listener, port: port ?? listener.port, protocol }
  const sslPolicyInput = str(input, 'SslPolicy')
  if (protocol === 'HTTP') {
    if (sslPolicyInput !== undefined) throw validation("An SSL policy cannot be specified for listeners with protocol 'HTTP'") // UNVERIFIED text
    const certificates = objList(input, 'Certificates')
    if (certificates !== undefined && certificates.length > 0) throw validation("Certificates cannot be specified for listeners with protocol 'HTTP'") // UNVERIFIED text
    // HTTPS → HTTP "removes the security policy and default certificate properties" (ModifyListener documentation).
    delete next.sslPolicy
    delete next.defaultCertificateArn
    delete next.mutualAuthentication
    next.certificateArns = []
  } else {
    const certificate = readDefaultCertificate(tx, input)
    if (listener.protocol !== 'HTTPS') {
      // HTTP → HTTPS: "you must add the security policy and default certificate properties" (ModifyListener documentation).
      if (certificate === undefined) throw validation('A certificate must be specified for HTTPS listeners') // UNVERIFIED text
      if (sslPolicyInput === undefined) throw validation('An SSL policy must be specified for HTTPS listeners') // UNVERIFIED text
    }
    if (certificate !== undefined) next.defaultCertificateArn = certificate
    if (sslPolicyInput !== undefined) next.sslPolicy = checkSslPolicy(sslPolicyInput)
  }
  const mutualAuthentication = readMutualAuthentication(tx, input, protocol)
  if (mutualAuthentication !== undefined) next.mutualAuthentication = mutualAuthentication

  if (next.port !== listener.port && tx.list('listener').some((l) => l.loadBalancerArn === lb.arn && l.port === next.port && l.arn !== listener.arn)) {
    throw new ApiError('DuplicateListener', 'A listener with the specified port already exists.')
  }

  const rules = tx.list('rule').filter((r) => r.listenerArn === listener.arn)
  const defaultRule = rules.find((r) => r.priority === 'default')
  const defaultActions = readActions(tx, input, 'DefaultActions', {
    loadBalancer: lb, listenerProtocol: protocol,
    ...(defaultRule === undefined ? {} : { previous: defaultRule.actions, ruleArn: defaultRule.arn }),
  })
  if (protocol !== listener.protocol) {
    // Rules already on the listener must still make sense with the new protocol (auth needs HTTPS, no HTTPS→HTTP redirect).
    for (const rule of rules) {
      if (rule.priority === 'default' && defaultActions !== undefined) continue
      fromModel(() => checkActionsForListener(rule.actions, protocol))
    }
  }
  tx.put('listener', listener.arn, next)
  if (defaultActions !== undefined) {
    const rule: Rule = defaultRule ?? { region: listener.region, tags: [], arn: ruleArn(listener.arn), listenerArn: listener.arn, priority: 'default', conditions: [], actions: [] }
    tx.put('rule', rule.arn, { ...rule, actions: defaultActions })
  }
  return { Listeners: [wireListener(tx, next)] }
}

function deleteListener(input: QueryObject, ctx: Context): unknown {
  const listener = getListener(ctx.tx, reqStr(input, 'ListenerArn'))
  for (const rule of ctx.tx.list('rule')) if (rule.listenerArn === listener.arn) ctx.tx.delete('rule', rule.arn)
  ctx.tx.delete('listener', listener.arn)
  return {}
}

function attributesOf(listener: Listener): Array<{ Key: string; Value: string }> {
  return effectiveAttributes(listenerAttributeSpecs(listener.protocol), listener.attributes).map((a) => ({ Key: a.key, Value: a.value }))
}

function describeListenerAttributes(input: QueryObject, ctx: Context): unknown {
  return { Attributes: attributesOf(getListener(ctx.tx, reqStr(input, 'ListenerArn'))) }
}

function modifyListenerAttributes(input: QueryObject, ctx: Context): unknown {
  const listener = getListener(ctx.tx, reqStr(input, 'ListenerArn'))
  const specs = listenerAttributeSpecs(listener.protocol)
  const attributes = { ...listener.attributes }
  for (const { key, value } of parseAttributes(input)) {
    const spec = specs.find((s) => s.key === key)
    if (spec === undefined) throw validation(`Listener attribute key '${key}' is not recognized`)
    const problem = spec.check(value)
    if (problem !== undefined) throw validation(problem)
    attributes[key] = value
  }
  const updated = { ...listener, attributes }
  ctx.tx.put('listener', listener.arn, updated)
  return { Attributes: attributesOf(updated) }
}

/** `Certificates.member.N.CertificateArn` for the certificate-list operations. */
function readCertificateArns(input: QueryObject): string[] {
  const items = objList(input, 'Certificates')
  if (items === undefined) throw missing('certificates')
  return items.map((item, i) => {
    const arn = str(item, 'CertificateArn')
    if (arn === undefined || arn === '') throw missing(`certificates.${i + 1}.member.certificateArn`)
    return arn
  })
}

function requireHttps(listener: Listener): void {
  if (listener.protocol !== 'HTTPS') {
    throw validation(`Certificates can be managed only for listeners with protocol 'HTTPS'`) // UNVERIFIED text and code
  }
}

function wireCertificateList(arns: readonly string[]): Array<{ CertificateArn: string; IsDefault: boolean }> {
  return arns.map((arn) => ({ CertificateArn: arn, IsDefault: false }))
}

/** AddListenerCertificates appends to the certificate list; re-adding is a no-op success (model documentation). */
function addListenerCertificates(input: QueryObject, ctx: Context): unknown {
  const listener = getListener(ctx.tx, reqStr(input, 'ListenerArn'))
  const arns = readCertificateArns(input)
  requireHttps(listener)
  const list = [...listener.certificateArns]
  for (const arn of arns) {
    requireCertificate(ctx.tx, arn)
    if (!list.includes(arn)) list.push(arn)
  }
  // Quota certificates-per-application-load-balancer, default certificates excluded (spec §9).
  const lbCertificates = ctx.tx.list('listener')
    .filter((l) => l.loadBalancerArn === listener.loadBalancerArn && l.arn !== listener.arn)
    .reduce((n, l) => n + l.certificateArns.length, list.length)
  if (lbCertificates > LIMITS['certificates-per-application-load-balancer']) {
    throw new ApiError('TooManyCertificates', "You've reached the limit on the number of certificates per load balancer")
  }
  ctx.tx.put('listener', listener.arn, { ...listener, certificateArns: list })
  return { Certificates: wireCertificateList(list) }
}

function removeListenerCertificates(input: QueryObject, ctx: Context): unknown {
  const listener = getListener(ctx.tx, reqStr(input, 'ListenerArn'))
  const arns = readCertificateArns(input)
  requireHttps(listener)
  for (const arn of arns) {
    // "You can't remove the default certificate for a listener. To replace it, call ModifyListener." (API reference)
    if (arn === listener.defaultCertificateArn) {
      throw new ApiError('OperationNotPermitted', `The default certificate '${arn}' cannot be removed from the listener`) // UNVERIFIED text
    }
  }
  ctx.tx.put('listener', listener.arn, { ...listener, certificateArns: listener.certificateArns.filter((a) => !arns.includes(a)) })
  return {}
}

/** The default certificate (IsDefault=true) followed by the list; a default also in the list appears twice (model documentation). */
function describeListenerCertificates(input: QueryObject, ctx: Context): unknown {
  const listener = getListener(ctx.tx, reqStr(input, 'ListenerArn'))
  const all = [
    ...(listener.defaultCertificateArn === undefined ? [] : [{ CertificateArn: listener.defaultCertificateArn, IsDefault: true }]),
    ...wireCertificateList(listener.certificateArns),
  ]
  const { page, nextMarker } = paginate(all, input)
  return { Certificates: page, NextMarker: nextMarker }
}

export const listenersHandlers: Handlers = {
  CreateListener: createListener,
  DescribeListeners: describeListeners,
  ModifyListener: modifyListener,
  DeleteListener: deleteListener,
  DescribeListenerAttributes: describeListenerAttributes,
  ModifyListenerAttributes: modifyListenerAttributes,
  AddListenerCertificates: addListenerCertificates,
  RemoveListenerCertificates: removeListenerCertificates,
  DescribeListenerCertificates: describeListenerCertificates,
}
