/**
 * @module config/snapshot
 * ConfigSnapshot: everything the data plane needs to serve traffic, compiled off the hot
 * path from the store's records and never mutated afterwards (DESIGN.md "Build, then swap").
 * Rule matchers are compiled once per snapshot; attributes are parsed into typed values
 * once, so a request reads fields, never attribute strings.
 *
 * ```
 *  ConfigSnapshot
 *   ├─ ports: port → PortBinding ── listeners (first opener first) ── CompiledListener
 *   │                                                              ├─ matcher (RuleMatcher)
 *   │                                                              ├─ actions: Rule → CompiledAction
 *   │                                                              └─ loadBalancer: LoadBalancerSettings
 *   └─ targetGroups: arn → CompiledTargetGroup ── targets: CompiledTarget[]
 * ```
 */
import type { FixedResponseConfig, ForwardConfig, HealthCheck, RedirectConfig, Rule } from '../model/resources.ts'
import type { RuleMatcher } from '../dataplane/router/matcher.ts'
import type { ListenerTls } from '../tls/listener-tls.ts'

export const XFF_MODES = ['append', 'preserve', 'remove'] as const
export type XffMode = (typeof XFF_MODES)[number]
export const DESYNC_MODES = ['monitor', 'defensive', 'strictest'] as const
export type DesyncMode = (typeof DESYNC_MODES)[number]

/** Load balancer attributes the data plane applies (spec §6.2), parsed. */
export interface LoadBalancerSettings {
  readonly arn: string
  readonly name: string
  /** Lowercased DNS name; a request whose Host names it goes to this load balancer. */
  readonly dnsName: string
  /** `idle_timeout.timeout_seconds` × 1000. */
  readonly idleTimeoutMs: number
  /** `client_keep_alive.seconds` × 1000: maximum client connection lifetime. */
  readonly clientKeepAliveMs: number
  readonly xffMode: XffMode
  readonly xffClientPort: boolean
  readonly preserveHostHeader: boolean
  readonly dropInvalidHeaderFields: boolean
  readonly desyncMitigationMode: DesyncMode
  readonly http2: boolean
}

export type CompiledAction =
  | {
    readonly type: 'forward'
    readonly forwardConfig: ForwardConfig
    /** Target groups with weight > 0, in order, and their summed weight. */
    readonly weighted: ReadonlyArray<{ readonly targetGroupArn: string; readonly weight: number }>
    readonly totalWeight: number
    /** `TargetGroupStickinessConfig` on, in ms (AWSALBTG). 0 = off. */
    readonly groupStickinessMs: number
  }
  | { readonly type: 'redirect'; readonly redirectConfig: RedirectConfig }
  | { readonly type: 'fixed-response'; readonly fixedResponseConfig: FixedResponseConfig }

/** One listener of one load balancer, with its rules compiled. */
export interface CompiledListener {
  readonly arn: string
  readonly port: number
  readonly protocol: 'HTTP' | 'HTTPS'
  readonly createdTime: number
  readonly loadBalancer: LoadBalancerSettings
  readonly matcher: RuleMatcher
  /** The terminal action of each rule, keyed by the Rule object the matcher returns. */
  readonly actions: ReadonlyMap<Rule, CompiledAction>
  /** `routing.http.response.server.enabled` (spec §5.2). */
  readonly serverHeader: boolean
  /** Response headers the listener adds (`routing.http.response.*.header_value`, non-empty only). */
  readonly responseHeaders: ReadonlyArray<readonly [string, string]>
  /** HTTPS listeners: certificates, SSL policy, TLS header names (tls/listener-tls.ts). */
  readonly tls?: ListenerTls
}

/** One socket: every listener that listens on this port, the first opener first (DESIGN.md). */
export interface PortBinding {
  readonly port: number
  readonly protocol: 'HTTP' | 'HTTPS'
  readonly listeners: readonly CompiledListener[]
  /** Lowercased load balancer DNS name → its listener on this port. */
  readonly byHost: ReadonlyMap<string, CompiledListener>
}

/** Why a registered target gets no traffic regardless of health. */
export type TargetExclusion = 'stopped' | 'terminated'

export interface CompiledTarget {
  /** `${targetGroupArn}|${targetId}|${port}` — the registry key. */
  readonly key: string
  readonly targetGroupArn: string
  readonly targetId: string
  /** Where traffic goes: the ip target itself, or the instance's private IP. */
  readonly host: string
  readonly port: number
  /** Epoch ms at which draining ends (deregisteredAt + delay); undefined when registered. */
  readonly drainingUntil?: number
  /** Set when the target cannot receive traffic (stopped/terminated instance). */
  readonly excluded?: TargetExclusion
}

export interface StickinessSettings {
  readonly enabled: boolean
  readonly type: 'lb_cookie' | 'app_cookie'
  readonly lbCookieDurationMs: number
  readonly appCookieName: string
  readonly appCookieDurationMs: number
}

export interface CompiledTargetGroup {
  readonly arn: string
  readonly name: string
  readonly protocol: string
  readonly protocolVersion: string
  readonly targetType: 'instance' | 'ip' | 'lambda' | 'alb'
  readonly healthCheck: HealthCheck
  readonly algorithm: 'round_robin' | 'least_outstanding_requests' | 'weighted_random'
  readonly slowStartMs: number
  readonly stickiness: StickinessSettings
  readonly deregistrationDelayMs: number
  /** `target_group_health.unhealthy_state_routing.minimum_healthy_targets.count` (fail-open threshold). */
  readonly minHealthyCount: number
  /** `…minimum_healthy_targets.percentage`, 0 = off. */
  readonly minHealthyPercent: number
  /** Some rule of some listener forwards here (else: `unused`, no health checks). */
  readonly inUse: boolean
  readonly targets: readonly CompiledTarget[]
}

export interface ConfigSnapshot {
  readonly revision: number
  /** Epoch ms the snapshot was compiled at (time-derived facts: instance state, draining). */
  readonly compiledAt: number
  /**
   * Epoch ms at which a time-derived fact changes (an instance settles, a drain ends) and the
   * snapshot must be compiled again even without a store change; undefined if none.
   */
  readonly nextTimeChangeAt?: number
  readonly ports: ReadonlyMap<number, PortBinding>
  readonly targetGroups: ReadonlyMap<string, CompiledTargetGroup>
}

export interface SnapshotSource {
  current(): ConfigSnapshot
  /** Calls `cb` with every new snapshot; returns an unsubscribe function. */
  subscribe(cb: (snapshot: ConfigSnapshot) => void): () => void
}

export const EMPTY_SNAPSHOT: ConfigSnapshot = {
  revision: -1, compiledAt: 0, ports: new Map(), targetGroups: new Map(),
}
