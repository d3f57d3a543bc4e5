/**
 * @module dataplane/dataplane
 * DataPlane: reconciles each ConfigSnapshot into running parts (DESIGN.md, Envoy's
 * ClusterManager): listener sockets per port, target state that outlives snapshots,
 * the health checker's watch list, and draining. The proxy reads the current state through
 * one reference per port, swapped whole; nothing a request holds is mutated under it except
 * the live target flags.
 *
 * ```
 *  snapshot ─► apply ─┬─ ports: open new (bind), update kept, close removed (after in-flight)
 *                     ├─ target groups: TargetGroupRuntime per ARN (Balancer survives)
 *                     ├─ targets: TargetRegistry by tg|id|port ─ Draining / Unused / health flags
 *                     └─ HealthSource.update(in-use, not draining, not excluded targets)
 * ```
 *
 * The HealthSource is a HealthChecker in this process by default; under `--workers N` the
 * primary's data plane checks (and opens no sockets, `listen: false`) and the workers' data
 * planes read its verdicts over IPC (src/cluster/).
 */
import { randomBytes } from 'node:crypto'
import type { ConfigSnapshot, PortBinding } from '../config/snapshot.ts'
import { STICKY_KEY_BYTES } from './upstream/sticky.ts'
import type { Registration } from '../model/resources.ts'
import { HealthChecker, type HealthCheckTarget } from './health/checker.ts'
import type { LiveHealth } from './health/thresholds.ts'
import { isPassiveFailure } from './health/passive.ts'
import { HttpListenerServer } from './listener/http.ts'
import type { ProxyRuntime } from './proxy/proxy.ts'
import { TargetGroupRuntime } from './upstream/group.ts'
import { TargetRegistry, type TargetEntry } from './upstream/registry.ts'
import { HealthFlag } from './upstream/target-state.ts'
import { startDraining, stopDraining, expireDrain } from './drain/draining.ts'

/** Read-only live health for the API (structurally api/context HealthView; dataplane never imports api/). */
export interface HealthView {
  live(registration: Registration): LiveHealth | undefined
}

/**
 * HealthSource is where the data plane's target health comes from: by default a HealthChecker
 * in this process (it has exactly these methods). Under `--workers N` (DESIGN.md "One machine,
 * many cores") only the primary checks; a worker's source is the primary's verdicts received
 * over IPC (cluster/health.ts RemoteHealth), and its passive failures go back to the primary.
 */
export interface HealthSource {
  /** The targets that should be checked now: in use, not draining, not excluded. */
  update(targets: ReadonlyArray<HealthCheckTarget>): void
  /** HealthFlag bits Initial | FailedActive | FailedPassive; 0 for a key not watched. */
  flags(key: string): number
  /** What DescribeTargetHealth shows; undefined for a key not watched (routed as Initial). */
  live(key: string): LiveHealth | undefined
  /** The proxy saw the target refuse or reset a connection (health/passive.ts). */
  reportPassiveFailure(key: string): void
  close(): Promise<void>
}

/** Builds the HealthSource; `onChange(key)` must be called whenever flags(key) or live(key) changes. */
export type HealthSourceFactory = (onChange: (key: string) => void) => HealthSource

export interface DataPlaneOptions {
  /** Address listeners bind (DESIGN.md: default 127.0.0.1). */
  readonly bind: string
  readonly log: (line: string) => void
  readonly clock?: () => number
  readonly random?: () => number
  /** Default: a HealthChecker in this process. */
  readonly health?: HealthSourceFactory
  /**
   * false: reconcile targets and health only and never open listener sockets. The cluster
   * primary runs such a data plane for its health checks while workers own the sockets.
   */
  readonly listen?: boolean
  /** The sticky-cookie sealing key; workers of one primary share it so any worker can read another's cookie. */
  readonly stickyKey?: Buffer
}

const DEFAULT_IDLE_TIMEOUT_MS = 60_000

/**
 * idleTimeoutByGroup: the idle timeout of the load balancer forwarding to each group; it
 * bounds target-side connections too (spec §7.6). An ALB target group has one load balancer.
 */
function idleTimeoutByGroup(snapshot: ConfigSnapshot): Map<string, number> {
  const out = new Map<string, number>()
  for (const binding of snapshot.ports.values()) {
    for (const listener of binding.listeners) {
      for (const action of listener.actions.values()) {
        if (action.type !== 'forward') continue
        for (const tg of action.weighted) if (!out.has(tg.targetGroupArn)) out.set(tg.targetGroupArn, listener.loadBalancer.idleTimeoutMs)
      }
    }
  }
  return out
}

/** What every listener socket (HTTP, HTTPS) offers the reconciler. */
interface ListenerServer {
  listen(bind: string): Promise<void>
  update(binding: PortBinding): void
  close(): Promise<void>
  destroy(): Promise<void>
}

/** A port's server; `server` is set once created (HTTPS loads its module first). */
interface PortServer {
  readonly protocol: PortBinding['protocol']
  server: ListenerServer | undefined
}

/** How long a closed port waits for in-flight requests before cutting them. */
const PORT_CLOSE_GRACE_MS = 30_000

export class DataPlane implements ProxyRuntime {
  readonly clock: () => number
  readonly random: () => number
  readonly health: HealthView
  /** Seals sticky-session cookies; per process, or shared by a primary's workers (a fleet would share one, DESIGN.md "Many machines"). */
  readonly stickyKey: Buffer
  readonly #bind: string
  readonly #listen: boolean
  readonly #log: (line: string) => void
  readonly #registry = new TargetRegistry()
  readonly #groups = new Map<string, TargetGroupRuntime>()
  readonly #servers = new Map<number, PortServer>()
  /** Per port: the last open/close operation, so a port is never bound twice at once. */
  readonly #portOps = new Map<number, Promise<void>>()
  readonly #checker: HealthSource
  #snapshot: ConfigSnapshot | undefined
  #closed = false

  constructor(options: DataPlaneOptions) {
    this.#bind = options.bind
    this.#log = options.log
    this.clock = options.clock ?? Date.now
    this.random = options.random ?? Math.random
    this.stickyKey = options.stickyKey ?? randomBytes(STICKY_KEY_BYTES)
    this.#listen = options.listen ?? true
    const onChange = (key: string): void => this.#onHealthChange(key)
    this.#checker = options.health !== undefined
      ? options.health(onChange)
      : new HealthChecker({
        clock: this.clock,
        random: this.random,
        onTransition: (t) => onChange(t.key),
        onPassiveChange: onChange,
      })
    const checker = this.#checker
    this.health = { live: (registration) => checker.live(registration.key) }
  }

  // ---------------------------------------------------------------- ProxyRuntime

  group(targetGroupArn: string): TargetGroupRuntime | undefined {
    return this.#groups.get(targetGroupArn)
  }

  entry(key: string): TargetEntry | undefined {
    return this.#registry.get(key)
  }

  targetFailed(entry: TargetEntry, err: unknown): void {
    if (!isPassiveFailure(err) && !isPassiveFailure((err as { cause?: unknown } | null)?.cause)) return
    this.#checker.reportPassiveFailure(entry.state.key)
    // The checker emits onPassiveChange for a newly failed key; apply at once either way.
    this.#onHealthChange(entry.state.key)
  }

  // ---------------------------------------------------------------- reconcile

  /**
   * apply reconciles `snapshot`; the returned promise settles when every port it opens or
   * closes has done so (requests are served from the new configuration at once).
   */
  apply(snapshot: ConfigSnapshot): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.#snapshot = snapshot
    const now = this.clock()
    this.#reconcileTargets(snapshot, now)
    return this.#listen ? this.#reconcilePorts(snapshot) : Promise.resolve()
  }

  #reconcileTargets(snapshot: ConfigSnapshot, now: number): void {
    const seen = new Set<string>()
    const checked: HealthCheckTarget[] = []
    for (const tg of snapshot.targetGroups.values()) {
      const entries: TargetEntry[] = []
      for (const target of tg.targets) {
        seen.add(target.key)
        const entry = this.#registry.ensure(target.key, target.targetGroupArn, target.targetId, target.host, target.port)
        if (entry.state.host !== target.host || entry.state.port !== target.port) {
          entry.state.host = target.host
          entry.state.port = target.port
          entry.closePool()
        }
        entry.setTls(tg.protocol === 'HTTPS')
        let configFlags = 0
        if (target.excluded !== undefined || !tg.inUse) configFlags |= HealthFlag.Unused
        entry.configFlags = configFlags
        if (target.drainingUntil !== undefined) startDraining(entry, target.drainingUntil, now)
        else if (entry.drainingUntil !== undefined) stopDraining(entry)
        entries.push(entry)
        if (tg.inUse && target.excluded === undefined && target.drainingUntil === undefined) {
          checked.push({
            key: target.key, host: target.host, trafficPort: target.port, healthCheck: tg.healthCheck,
            protocol: tg.protocol, protocolVersion: tg.protocolVersion,
          })
        }
      }
      let group = this.#groups.get(tg.arn)
      if (group === undefined) this.#groups.set(tg.arn, group = new TargetGroupRuntime(tg, this.random))
      for (const entry of entries) this.#applyHealth(entry, now)
      group.update(tg, entries)
    }
    for (const arn of [...this.#groups.keys()]) if (!snapshot.targetGroups.has(arn)) this.#groups.delete(arn)
    for (const entry of [...this.#registry.entries()]) {
      if (seen.has(entry.state.key)) continue
      this.#registry.delete(entry.state.key)
      entry.configFlags |= HealthFlag.Unused
      entry.syncFlags()
      if (entry.drainingUntil !== undefined) {
        // The delay is over (the compiler dropped the registration): cut what is left.
        stopDraining(entry)
        expireDrain(entry)
      } else {
        // Deleted without draining (its target group went away): finish in-flight, then close.
        entry.whenIdle().then(() => entry.closePool(), () => {})
      }
    }
    this.#checker.update(checked)
    // Entries watched for the first time have a verdict only now.
    for (const group of this.#groups.values()) {
      for (const entry of group.entries) this.#applyHealth(entry, now)
      group.refresh()
    }
    const idle = idleTimeoutByGroup(snapshot)
    for (const entry of this.#registry.entries()) entry.setIdleTimeout(idle.get(entry.state.targetGroupArn) ?? DEFAULT_IDLE_TIMEOUT_MS)
  }

  /** Copies the checker's verdict into the entry; tracks when it became healthy (slow start). */
  #applyHealth(entry: TargetEntry, now: number): void {
    const before = entry.healthFlags
    const after = this.#checker.flags(entry.state.key) | (this.#checker.live(entry.state.key) === undefined ? HealthFlag.Initial : 0)
    entry.healthFlags = after
    const activeBefore = before & (HealthFlag.Initial | HealthFlag.FailedActive)
    const activeAfter = after & (HealthFlag.Initial | HealthFlag.FailedActive)
    if (activeBefore !== 0 && activeAfter === 0) entry.state.healthySince = now
  }

  #onHealthChange(key: string): void {
    const entry = this.#registry.get(key)
    if (entry === undefined) return
    this.#applyHealth(entry, this.clock())
    this.#groups.get(entry.state.targetGroupArn)?.invalidate(entry)
  }

  #reconcilePorts(snapshot: ConfigSnapshot): Promise<void> {
    const ops: Promise<void>[] = []
    for (const [port, binding] of snapshot.ports) {
      const server = this.#servers.get(port)
      if (server !== undefined && server.protocol === binding.protocol) {
        // Still binding (server unset): #open applies the latest snapshot once listening.
        server.server?.update(binding)
        continue
      }
      // New port, or ModifyListener switched HTTP ⇄ HTTPS: the old socket goes first (same port).
      if (server !== undefined) ops.push(this.#close(port, server, false))
      ops.push(this.#open(port, binding))
    }
    for (const [port, server] of this.#servers) {
      if (!snapshot.ports.has(port)) ops.push(this.#close(port, server, false))
    }
    return Promise.all(ops).then(() => undefined)
  }

  #chain(port: number, op: () => Promise<void>): Promise<void> {
    const next = (this.#portOps.get(port) ?? Promise.resolve()).then(op, op)
    this.#portOps.set(port, next)
    next.finally(() => { if (this.#portOps.get(port) === next) this.#portOps.delete(port) }).catch(() => {})
    return next
  }

  #open(port: number, binding: PortBinding): Promise<void> {
    const slot: PortServer = { protocol: binding.protocol, server: undefined }
    this.#servers.set(port, slot)
    return this.#chain(port, async () => {
      if (this.#servers.get(port) !== slot) return
      try {
        slot.server = binding.protocol === 'HTTPS'
          // Loaded on first use: the TLS listener (and its dependencies) cost nothing for HTTP-only setups.
          ? new (await import('./listener/https.ts')).HttpsListenerServer(binding, this)
          : new HttpListenerServer(binding, this)
        if (this.#servers.get(port) !== slot) return
        await slot.server.listen(this.#bind)
        // A newer snapshot may have arrived while binding.
        const latest = this.#snapshot?.ports.get(port)
        if (latest !== undefined && latest.protocol === slot.protocol) slot.server.update(latest)
      } catch (err) {
        if (this.#servers.get(port) === slot) this.#servers.delete(port)
        this.#log(`dataplane: cannot listen on ${this.#bind}:${port}: ${err instanceof Error ? err.message : String(err)}`)
      }
    })
  }

  #close(port: number, slot: PortServer, force: boolean): Promise<void> {
    if (this.#servers.get(port) === slot) this.#servers.delete(port)
    return this.#chain(port, async () => {
      const server = slot.server
      if (server === undefined) return
      if (force) return server.destroy()
      const timer = setTimeout(() => { server.destroy().catch(() => {}) }, PORT_CLOSE_GRACE_MS)
      timer.unref()
      await server.close()
      clearTimeout(timer)
    })
  }

  /** Ports currently listening (tests, diagnostics). */
  get ports(): number[] {
    return [...this.#servers.keys()]
  }

  /** closeListeners cuts every listener now (`/_openalb/reset`); the data plane stays usable. */
  async closeListeners(): Promise<void> {
    await Promise.all([...this.#servers].map(([port, server]) => this.#close(port, server, true)))
  }

  /** close: listeners first (forced), then health checks and target connections. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.closeListeners()
    await Promise.all([...this.#portOps.values()])
    await this.#checker.close()
    for (const entry of this.#registry.entries()) {
      stopDraining(entry)
      entry.destroyPool()
    }
  }
}
