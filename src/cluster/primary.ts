/**
 * @module cluster/primary
 * ClusterPrimary: the primary of `openalb serve --workers N` (DESIGN.md "One machine, many
 * cores"). The primary owns the API, the store and health checking; N workers (node:cluster)
 * own the listener sockets and proxying.
 *
 * ```
 *  API ─▶ Store ─ onChange(revision, changes) ─▶ mirror ─▶ changes ─▶ worker 1..N: Replica ─▶
 *                                                                      ConfigWatcher ─▶ DataPlane
 *  Store ─▶ ConfigWatcher ─▶ DataPlane{listen: false} ─▶ PublishedHealth ─ health ─▶ workers
 *                                                                     ◀─ passive ─┘
 * ```
 *
 * Why records, not snapshots: a ConfigSnapshot holds compiled matchers (closures) that cannot
 * be serialised; records are the JSON the store persists anyway, and compiling in each worker
 * keeps the "build, then swap" path identical to a single process.
 *
 * Why the primary keeps a mirror of the records: the Store exposes records without their ids,
 * and a new worker's dump needs them. The mirror is filled from the backend's load() and kept
 * in step from Store.onChange; it shares the record objects with the Store's image.
 *
 * Connection distribution: SCHED_NONE (every worker accepts on the shared socket, as nginx
 * workers do) unless NODE_CLUSTER_SCHED_POLICY=rr asks for node's Linux default, where the
 * primary accepts each connection and passes it to the next worker over IPC. Measured on the
 * 2-core development machine (shared with other jobs, so figures are noisy; wrk -t1 -c50, 6 s,
 * 3 interleaved rounds, medians): keep-alive traffic is the same within noise (the policy only
 * touches accepts), but with `Connection: close` RR costs the primary 70-120 µs of CPU per
 * connection (one process doing every accept and handle transfer: a ceiling near 10k
 * connections/s, taken from the core that also runs the API and health checks) and served
 * 2,506 req/s against 3,616 with SCHED_NONE, whose primary used no CPU. The price of SCHED_NONE
 * is that the kernel, not the primary, decides which worker accepts (node's docs warn it can be
 * uneven); in these runs the two workers' CPU stayed within 15 % of each other.
 *
 * A worker that dies is replaced: the new one gets the current records and health verdicts.
 */
import cluster, { type Worker } from 'node:cluster'
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Backend, Store } from '../store/store.ts'
import type { DataPlaneOptions } from '../dataplane/dataplane.ts'
import { STICKY_KEY_BYTES } from '../dataplane/upstream/sticky.ts'
import { PublishedHealth } from './health.ts'
import { Replica } from './replica.ts'
import {
  CHANNEL, isEnvelope, type CallOp, type Envelope, type HealthUpdate, type PrimaryMessage, type WorkerMessage, type WorkerStats,
} from './protocol.ts'

export interface ClusterPrimaryOptions {
  /** How many workers; at least 2 (1 is the single-process mode). */
  readonly workers: number
  /** Address the workers' listeners bind. */
  readonly bind: string
  readonly log: (line: string) => void
}

/** GET /_openalb/workers: per-worker counters, for operators and the cluster test. */
export const WORKERS_PATH = '/_openalb/workers'

/** How long a call (sync, reset, stats) may take a worker before it fails. */
const CALL_TIMEOUT_MS = 30_000
/** After `stop` is answered (or times out), how long before a worker that has not exited is killed. */
const EXIT_GRACE_MS = 5_000
/** A worker that dies sooner than this after starting counts as a crash loop: replacements back off. */
const QUICK_EXIT_MS = 2_000
const MAX_RESTART_DELAY_MS = 30_000

interface PendingCall {
  readonly resolve: (stats: WorkerStats | undefined) => void
  readonly reject: (err: Error) => void
  readonly timer: NodeJS.Timeout
}

interface Member {
  readonly worker: Worker
  readonly startedAt: number
  /** `init` was sent: the worker receives every change set and health update from now on. */
  initialised: boolean
  ready: boolean
  readonly whenReady: Promise<void>
  readonly settleReady: (err?: Error) => void
  readonly calls: Map<number, PendingCall>
  readonly exited: Promise<void>
}

function workerEntry(): string {
  // The entry beside this module, with this module's extension (.js from dist/, .ts when run from source).
  const self = fileURLToPath(import.meta.url)
  return fileURLToPath(new URL(`./worker-entry${extname(self)}`, import.meta.url))
}

export class ClusterPrimary {
  /** Shared by every worker so a sticky cookie sealed by one is read by all. */
  readonly stickyKey: Buffer = randomBytes(STICKY_KEY_BYTES)
  readonly #options: ClusterPrimaryOptions
  readonly #members = new Set<Member>()
  #mirror: Replica | undefined
  #health: PublishedHealth | undefined
  #unsubscribe: (() => void) | undefined
  #nextCallId = 0
  #started = false
  #stopping = false
  #quickExits = 0
  #closing: Promise<void> | undefined

  constructor(options: ClusterPrimaryOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 2) throw new RangeError(`a cluster needs at least 2 workers, got ${options.workers}`)
    this.#options = options
  }

  /** wrapBackend: the backend under the Store, noting what it loads so the mirror starts complete. */
  wrapBackend(backend: Backend): Backend {
    return {
      load: async () => {
        const loaded = await backend.load()
        this.#mirror = new Replica(loaded.revision, loaded.rows)
        return loaded
      },
      commit: (revision, changes) => backend.commit(revision, changes),
      clear: (revision) => backend.clear(revision),
      close: () => backend.close(),
    }
  }

  /**
   * dataPlaneOptions for the primary's own DataPlane: no listener sockets, and a health checker
   * whose every verdict change is published to the workers.
   */
  dataPlaneOptions(): Pick<DataPlaneOptions, 'listen' | 'stickyKey' | 'health'> {
    return {
      listen: false,
      stickyKey: this.stickyKey,
      health: (onChange) => {
        this.#health = new PublishedHealth({ onChange, publish: (updates) => this.#broadcast({ type: 'health', updates }) })
        return this.#health
      },
    }
  }

  /** start follows `store` and forks the workers; resolves when every one is serving. */
  async start(store: Store): Promise<void> {
    if (this.#mirror === undefined) throw new Error('ClusterPrimary.wrapBackend must wrap the store backend')
    const mirror = this.#mirror
    this.#unsubscribe = store.onChange((revision, changes) => {
      mirror.apply(revision, changes)
      this.#broadcast({ type: 'changes', revision, changes })
    })
    // SCHED_NONE unless NODE_CLUSTER_SCHED_POLICY says otherwise (see the module comment).
    if (process.env.NODE_CLUSTER_SCHED_POLICY === undefined) cluster.schedulingPolicy = cluster.SCHED_NONE
    cluster.setupPrimary({ exec: workerEntry(), args: [], silent: false })
    const members = Array.from({ length: this.#options.workers }, () => this.#fork())
    await Promise.all(members.map((m) => m.whenReady))
    this.#started = true
  }

  /** sync makes every worker compile and apply the current records now (tests, reset). */
  async sync(): Promise<void> {
    await this.#callAll('sync')
  }

  /** closeListeners cuts every worker's listener connections now (`/_openalb/reset`). */
  async closeListeners(): Promise<void> {
    await this.#callAll('closeListeners')
  }

  /** stats asks every worker for its counters. */
  async stats(): Promise<WorkerStats[]> {
    const all = await this.#callAll('stats')
    return all.filter((s): s is WorkerStats => s !== undefined)
  }

  /**
   * serveDiagnostics puts GET /_openalb/workers in front of the API server's own handler (the
   * API module knows nothing about workers). Other paths go to the API as before.
   */
  serveDiagnostics(server: Server): void {
    const api = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>
    server.removeAllListeners('request')
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const path = (req.url ?? '/').split('?', 1)[0]
      if (path !== WORKERS_PATH) {
        for (const listener of api) listener.call(server, req, res)
        return
      }
      req.resume()
      const reply = (status: number, body: unknown): void => {
        const text = JSON.stringify(body)
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
        res.end(text)
      }
      if (req.method !== 'GET') return reply(405, { error: 'use GET' })
      this.stats().then(
        (workers) => reply(200, { workers }),
        (err: unknown) => reply(500, { error: err instanceof Error ? err.message : String(err) }),
      )
    })
  }

  /** close stops every worker gracefully (listeners closed, then exit) and stops replacing them. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stopping = true
      this.#unsubscribe?.()
      await Promise.all([...this.#members].map(async (member) => {
        // A worker that has not had its records yet has nothing to close: disconnecting ends it.
        if (!member.initialised) member.worker.disconnect()
        else await this.#call(member, 'stop').catch(() => {})
        const timer = setTimeout(() => member.worker.process.kill('SIGKILL'), EXIT_GRACE_MS)
        await member.exited
        clearTimeout(timer)
      }))
    })()
    return this.#closing
  }

  #fork(): Member {
    let settleReady!: (err?: Error) => void
    const whenReady = new Promise<void>((resolve, reject) => {
      settleReady = (err) => (err === undefined ? resolve() : reject(err))
    })
    // A rejection is handled by start() or, for replacements, not needed at all.
    whenReady.catch(() => {})
    const worker = cluster.fork()
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
    const member: Member = {
      worker, startedAt: Date.now(), initialised: false, ready: false, whenReady, settleReady, calls: new Map(), exited,
    }
    this.#members.add(member)
    worker.on('message', (value: unknown) => {
      if (isEnvelope<WorkerMessage>(value)) this.#receive(member, value.message)
    })
    worker.on('error', (err) => this.#options.log(`cluster: worker ${worker.process.pid}: ${err.message}`))
    worker.once('exit', (code, signal) => this.#exited(member, code, signal))
    return member
  }

  #receive(member: Member, message: WorkerMessage): void {
    switch (message.type) {
      case 'hello': {
        if (this.#stopping) return
        member.initialised = true
        this.#send(member, {
          type: 'init',
          bind: this.#options.bind,
          stickyKey: this.stickyKey.toString('base64'),
          revision: this.#mirror!.revision,
          rows: this.#mirror!.rows(),
          health: this.#health?.snapshot() ?? [],
        })
        return
      }
      case 'ready':
        member.ready = true
        member.settleReady()
        return
      case 'passive': {
        const health = this.#health
        if (health === undefined) return
        health.reportPassiveFailure(message.key)
        // A change was published to everyone; the reporter also gets the verdict when nothing
        // changed, so a local mark the checker did not take is undone.
        const update: HealthUpdate = health.current(message.key)
        this.#send(member, { type: 'health', updates: [update] })
        return
      }
      case 'log':
        this.#options.log(message.line)
        return
      case 'reply': {
        const call = member.calls.get(message.id)
        if (call === undefined) return
        member.calls.delete(message.id)
        clearTimeout(call.timer)
        if (message.error !== undefined) call.reject(new Error(`worker ${member.worker.process.pid}: ${message.error}`))
        else call.resolve(message.stats)
      }
    }
  }

  #exited(member: Member, code: number | null, signal: string | null): void {
    this.#members.delete(member)
    const reason = new Error(`worker ${member.worker.process.pid} exited (code ${code}, signal ${signal})`)
    for (const call of member.calls.values()) {
      clearTimeout(call.timer)
      call.reject(reason)
    }
    member.calls.clear()
    if (!member.ready) member.settleReady(reason)
    if (this.#stopping || !this.#started) return
    this.#options.log(`cluster: ${reason.message}; starting a replacement`)
    const lived = Date.now() - member.startedAt
    this.#quickExits = lived < QUICK_EXIT_MS ? this.#quickExits + 1 : 0
    const delay = this.#quickExits === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 100 * 2 ** this.#quickExits)
    const timer = setTimeout(() => { if (!this.#stopping) this.#fork() }, delay)
    timer.unref()
  }

  #send(member: Member, message: PrimaryMessage): void {
    if (!member.worker.isConnected()) return
    const envelope: Envelope<PrimaryMessage> = { channel: CHANNEL, message }
    // A worker that just died: its exit handler cleans up; the send error itself says nothing more.
    member.worker.send(envelope, undefined, {}, () => {})
  }

  #broadcast(message: PrimaryMessage): void {
    for (const member of this.#members) if (member.initialised) this.#send(member, message)
  }

  #call(member: Member, op: CallOp): Promise<WorkerStats | undefined> {
    const id = ++this.#nextCallId
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        member.calls.delete(id)
        reject(new Error(`worker ${member.worker.process.pid} did not answer '${op}' within ${CALL_TIMEOUT_MS} ms`))
      }, CALL_TIMEOUT_MS)
      member.calls.set(id, { resolve, reject, timer })
      this.#send(member, { type: 'call', id, op })
    })
  }

  /** Calls every worker that has its records (a worker still starting gets the latest in its dump). */
  #callAll(op: CallOp): Promise<Array<WorkerStats | undefined>> {
    return Promise.all([...this.#members].filter((m) => m.initialised).map((m) => this.#call(m, op)))
  }
}
