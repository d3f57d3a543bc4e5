/**
 * @module config/compile
 * compileSnapshot: store records → immutable ConfigSnapshot. Pure over (records, now):
 * everything time-derived (an instance's state, the end of a drain) is evaluated at `now`,
 * and the snapshot says when the next such fact changes so the watcher compiles again.
 */
import type { View } from '../store/store.ts'
import type { Action, Listener, LoadBalancer, Registration, Rule, TargetGroup } from '../model/resources.ts'
import {
  attributeValue, listenerAttributeSpecs, loadBalancerAttributeSpecs, targetGroupAttributeSpecs,
} from '../model/attributes.ts'
import { currentInstanceState, instanceSettlesAt } from '../model/instance-state.ts'
import { compileRules, NoDefaultRuleError } from '../dataplane/router/matcher.ts'
import { compileListenerTls } from '../tls/listener-tls.ts'
import {
  DESYNC_MODES, XFF_MODES,
  type CompiledAction, type CompiledListener, type CompiledTarget, type CompiledTargetGroup, type ConfigSnapshot,
  type DesyncMode, type LoadBalancerSettings, type PortBinding, type XffMode,
} from './snapshot.ts'

const TERMINAL_ACTIONS = new Set(['forward', 'redirect', 'fixed-response'])

/** Response-header attributes of a listener and the header each adds (spec §5.2). */
const RESPONSE_HEADER_ATTRIBUTES: ReadonlyArray<readonly [string, string]> = [
  ['strict_transport_security', 'Strict-Transport-Security'],
  ['access_control_allow_origin', 'Access-Control-Allow-Origin'],
  ['access_control_allow_methods', 'Access-Control-Allow-Methods'],
  ['access_control_allow_headers', 'Access-Control-Allow-Headers'],
  ['access_control_allow_credentials', 'Access-Control-Allow-Credentials'],
  ['access_control_expose_headers', 'Access-Control-Expose-Headers'],
  ['access_control_max_age', 'Access-Control-Max-Age'],
  ['content_security_policy', 'Content-Security-Policy'],
  ['x_content_type_options', 'X-Content-Type-Options'],
  ['x_frame_options', 'X-Frame-Options'],
]

function intAttribute(value: string, fallback: number): number {
  const n = Number(value)
  return Number.isFinite(n) ? n : fallback
}

function oneOf<T extends string>(values: readonly T[], value: string, fallback: T): T {
  return (values as readonly string[]).includes(value) ? (value as T) : fallback
}

export function loadBalancerSettings(lb: LoadBalancer): LoadBalancerSettings {
  const specs = loadBalancerAttributeSpecs(lb.scheme)
  const attr = (key: string): string => attributeValue(specs, lb.attributes, key)
  return {
    arn: lb.arn,
    name: lb.name,
    dnsName: lb.dnsName.toLowerCase(),
    idleTimeoutMs: intAttribute(attr('idle_timeout.timeout_seconds'), 60) * 1000,
    clientKeepAliveMs: intAttribute(attr('client_keep_alive.seconds'), 3600) * 1000,
    xffMode: oneOf<XffMode>(XFF_MODES, attr('routing.http.xff_header_processing.mode'), 'append'),
    xffClientPort: attr('routing.http.xff_client_port.enabled') === 'true',
    preserveHostHeader: attr('routing.http.preserve_host_header.enabled') === 'true',
    dropInvalidHeaderFields: attr('routing.http.drop_invalid_header_fields.enabled') === 'true',
    desyncMitigationMode: oneOf<DesyncMode>(DESYNC_MODES, attr('routing.http.desync_mitigation_mode'), 'defensive'),
    http2: attr('routing.http2.enabled') === 'true',
  }
}

/** The rule's terminal action: the one with the highest Order (spec §5.5); auth actions are stored, not enforced. */
function terminalAction(actions: readonly Action[]): Action | undefined {
  let best: Action | undefined
  for (const action of actions) {
    if (!TERMINAL_ACTIONS.has(action.type)) continue
    if (best === undefined || (action.order ?? 0) >= (best.order ?? 0)) best = action
  }
  return best
}

function compileAction(action: Action): CompiledAction | undefined {
  if (action.type === 'redirect' && action.redirectConfig !== undefined) return { type: 'redirect', redirectConfig: action.redirectConfig }
  if (action.type === 'fixed-response' && action.fixedResponseConfig !== undefined) {
    return { type: 'fixed-response', fixedResponseConfig: action.fixedResponseConfig }
  }
  if (action.type !== 'forward') return undefined
  const forwardConfig = action.forwardConfig
    ?? (action.targetGroupArn !== undefined ? { targetGroups: [{ targetGroupArn: action.targetGroupArn, weight: 1 }] } : undefined)
  if (forwardConfig === undefined) return undefined
  // A single target group forwards whatever its weight; with several, weight 0 takes no traffic (spec §5.5).
  const single = forwardConfig.targetGroups.length === 1
  const weighted = forwardConfig.targetGroups
    .map((tg) => ({ targetGroupArn: tg.targetGroupArn, weight: single ? 1 : (tg.weight ?? 1) }))
    .filter((tg) => tg.weight > 0)
  const stickiness = forwardConfig.targetGroupStickinessConfig
  return {
    type: 'forward',
    forwardConfig,
    weighted,
    totalWeight: weighted.reduce((sum, tg) => sum + tg.weight, 0),
    groupStickinessMs: stickiness?.enabled === true ? (stickiness.durationSeconds ?? 3600) * 1000 : 0,
  }
}

function compileListener(listener: Listener, lb: LoadBalancerSettings, rules: readonly Rule[]): CompiledListener {
  const actions = new Map<Rule, CompiledAction>()
  for (const rule of rules) {
    const action = terminalAction(rule.actions)
    const compiled = action === undefined ? undefined : compileAction(action)
    if (compiled !== undefined) actions.set(rule, compiled)
  }
  const specs = listenerAttributeSpecs(listener.protocol)
  const responseHeaders: Array<readonly [string, string]> = []
  for (const [field, header] of RESPONSE_HEADER_ATTRIBUTES) {
    const value = attributeValue(specs, listener.attributes, `routing.http.response.${field}.header_value`)
    if (value !== '') responseHeaders.push([header, value])
  }
  return {
    arn: listener.arn,
    port: listener.port,
    protocol: listener.protocol === 'HTTPS' ? 'HTTPS' : 'HTTP',
    createdTime: listener.createdTime,
    loadBalancer: lb,
    matcher: compileRules(rules),
    actions,
    serverHeader: attributeValue(specs, listener.attributes, 'routing.http.response.server.enabled') !== 'false',
    responseHeaders,
  }
}

function compileTargetGroup(
  view: View, tg: TargetGroup, registrations: readonly Registration[], inUse: boolean, now: number, nextChange: (at: number) => void,
): CompiledTargetGroup {
  const specs = targetGroupAttributeSpecs(tg.targetType)
  const attr = (key: string): string => attributeValue(specs, tg.attributes, key)
  const deregistrationDelayMs = intAttribute(attr('deregistration_delay.timeout_seconds'), 300) * 1000
  const targets: CompiledTarget[] = []
  // Lambda targets are functions, not addresses: the data plane cannot invoke them (yet), so a
  // lambda group has nothing to route to and its forward answers 503.
  for (const registration of tg.targetType === 'lambda' ? [] : registrations) {
    let drainingUntil: number | undefined
    if (registration.deregisteredAt !== undefined) {
      drainingUntil = registration.deregisteredAt + deregistrationDelayMs
      if (now >= drainingUntil) continue // drained: gone (spec §4.3)
      nextChange(drainingUntil)
    }
    let host = registration.targetId
    let excluded: CompiledTarget['excluded']
    if (tg.targetType === 'instance') {
      const instance = view.get('instance', registration.targetId)
      if (instance === undefined) {
        excluded = 'terminated'
      } else {
        host = instance.privateIpAddress
        const state = currentInstanceState(instance, now)
        const settlesAt = instanceSettlesAt(instance, now)
        if (settlesAt !== undefined) nextChange(settlesAt)
        if (state === 'stopping' || state === 'stopped') excluded = 'stopped'
        else if (state === 'shutting-down' || state === 'terminated') excluded = 'terminated'
      }
    }
    targets.push({
      key: registration.key,
      targetGroupArn: tg.arn,
      targetId: registration.targetId,
      host,
      port: registration.port,
      ...(drainingUntil !== undefined ? { drainingUntil } : {}),
      ...(excluded !== undefined ? { excluded } : {}),
    })
  }
  const algorithm = attr('load_balancing.algorithm.type')
  const minPercent = attr('target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage')
  return {
    arn: tg.arn,
    name: tg.name,
    protocol: tg.protocol ?? 'HTTP',
    protocolVersion: tg.protocolVersion ?? 'HTTP1',
    targetType: tg.targetType,
    healthCheck: tg.healthCheck,
    algorithm: algorithm === 'least_outstanding_requests' || algorithm === 'weighted_random' ? algorithm : 'round_robin',
    slowStartMs: intAttribute(attr('slow_start.duration_seconds'), 0) * 1000,
    stickiness: {
      enabled: attr('stickiness.enabled') === 'true',
      type: attr('stickiness.type') === 'app_cookie' ? 'app_cookie' : 'lb_cookie',
      lbCookieDurationMs: intAttribute(attr('stickiness.lb_cookie.duration_seconds'), 86400) * 1000,
      appCookieName: attr('stickiness.app_cookie.cookie_name'),
      appCookieDurationMs: intAttribute(attr('stickiness.app_cookie.duration_seconds'), 86400) * 1000,
    },
    deregistrationDelayMs,
    minHealthyCount: intAttribute(attr('target_group_health.unhealthy_state_routing.minimum_healthy_targets.count'), 1),
    minHealthyPercent: minPercent === 'off' ? 0 : intAttribute(minPercent, 0),
    inUse,
    targets,
  }
}

/**
 * compileSnapshot builds the whole configuration the data plane serves at `now`. Rules are
 * grouped per listener and compiled once here, never per request.
 */
export function compileSnapshot(view: View, revision: number, now: number): ConfigSnapshot {
  let nextTimeChangeAt: number | undefined
  const nextChange = (at: number): void => {
    if (at > now && (nextTimeChangeAt === undefined || at < nextTimeChangeAt)) nextTimeChangeAt = at
  }

  const rulesByListener = new Map<string, Rule[]>()
  for (const rule of view.list('rule')) {
    let list = rulesByListener.get(rule.listenerArn)
    if (list === undefined) rulesByListener.set(rule.listenerArn, list = [])
    list.push(rule)
  }

  const settingsByLb = new Map<string, LoadBalancerSettings>()
  const listenersByPort = new Map<number, CompiledListener[]>()
  const inUse = new Set<string>()
  for (const listener of view.list('listener')) {
    const lb = view.get('loadBalancer', listener.loadBalancerArn)
    if (lb === undefined || lb.type !== 'application') continue
    let settings = settingsByLb.get(lb.arn)
    if (settings === undefined) settingsByLb.set(lb.arn, settings = loadBalancerSettings(lb))
    const rules = rulesByListener.get(listener.arn) ?? []
    let compiled: CompiledListener
    try {
      compiled = compileListener(listener, settings, rules)
      if (listener.protocol === 'HTTPS') compiled = { ...compiled, tls: compileListenerTls(listener, lb, (arn) => view.get('certificate', arn)) }
    } catch (err) {
      // A listener without its default rule cannot route anything; the API always writes both together.
      if (err instanceof NoDefaultRuleError) continue
      throw err
    }
    for (const action of compiled.actions.values()) {
      if (action.type === 'forward') for (const tg of action.forwardConfig.targetGroups) inUse.add(tg.targetGroupArn)
    }
    let list = listenersByPort.get(listener.port)
    if (list === undefined) listenersByPort.set(listener.port, list = [])
    list.push(compiled)
  }

  const ports = new Map<number, PortBinding>()
  for (const [port, listeners] of listenersByPort) {
    // The load balancer that opened the port first owns it: requests naming no DNS name go there (DESIGN.md).
    listeners.sort((a, b) => a.createdTime - b.createdTime)
    const byHost = new Map<string, CompiledListener>()
    for (const listener of listeners) if (!byHost.has(listener.loadBalancer.dnsName)) byHost.set(listener.loadBalancer.dnsName, listener)
    ports.set(port, { port, protocol: listeners[0]!.protocol, listeners, byHost })
  }

  const registrationsByGroup = new Map<string, Registration[]>()
  for (const registration of view.list('registration')) {
    let list = registrationsByGroup.get(registration.targetGroupArn)
    if (list === undefined) registrationsByGroup.set(registration.targetGroupArn, list = [])
    list.push(registration)
  }
  const targetGroups = new Map<string, CompiledTargetGroup>()
  for (const tg of view.list('targetGroup')) {
    targetGroups.set(tg.arn, compileTargetGroup(view, tg, registrationsByGroup.get(tg.arn) ?? [], inUse.has(tg.arn), now, nextChange))
  }

  return {
    revision,
    compiledAt: now,
    ...(nextTimeChangeAt !== undefined ? { nextTimeChangeAt } : {}),
    ports,
    targetGroups,
  }
}
