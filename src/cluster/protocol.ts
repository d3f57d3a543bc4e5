/**
 * @module cluster/protocol
 * The messages between the cluster primary and its workers (`--workers N`, DESIGN.md "One
 * machine, many cores"). They travel over node:cluster's IPC channel as JSON, so they carry
 * records, never compiled snapshots: matchers are closures and cannot cross a process
 * boundary, while records are the JSON the store already persists.
 *
 * ```
 *  worker                                   primary
 *    │── hello ──────────────────────────────▶│  (worker's message handler is installed)
 *    │◀─ init {dump, health, stickyKey, bind} ─│  store image + every health verdict, one message
 *    │── ready ──────────────────────────────▶│  replica compiled, listeners bound
 *    │◀─ changes {revision, changes} ──────────│  every committed transaction, in order
 *    │◀─ health [{key, flags, live}] ──────────│  every verdict change of the primary's checker
 *    │── passive {key} ──────────────────────▶│  the proxy saw a refused/reset connection
 *    │◀─ call {id, op} ─── reply {id, …} ─────▶│  sync, closeListeners (reset), stats, stop
 * ```
 *
 * IPC between two processes is ordered, so a worker always sees changes in commit order and a
 * call issued after a change set is answered after the worker has taken that change set in.
 */
import type { Change, LoadedRow } from '../store/store.ts'
import type { LiveHealth } from '../dataplane/health/thresholds.ts'

/** One health verdict; `live` null means the primary no longer watches the key. */
export interface HealthUpdate {
  readonly key: string
  readonly flags: number
  readonly live: LiveHealth | null
}

/** What a worker reports for GET /_openalb/workers. */
export interface WorkerStats {
  readonly pid: number
  /** Listener connections this worker accepted (every protocol). */
  readonly connections: number
  /** HTTP/1.x requests this worker's listeners parsed. */
  readonly requests: number
  /** The store revision the worker's snapshot was compiled from. */
  readonly revision: number
  /** Ports this worker listens on. */
  readonly ports: readonly number[]
}

export const CALLS = ['sync', 'closeListeners', 'stats', 'stop'] as const
export type CallOp = (typeof CALLS)[number]

export type PrimaryMessage =
  | {
    readonly type: 'init'
    readonly bind: string
    /** base64 of the sticky-cookie key, shared by every worker. */
    readonly stickyKey: string
    readonly revision: number
    readonly rows: readonly LoadedRow[]
    readonly health: readonly HealthUpdate[]
  }
  | { readonly type: 'changes'; readonly revision: number; readonly changes: readonly Change[] }
  | { readonly type: 'health'; readonly updates: readonly HealthUpdate[] }
  | { readonly type: 'call'; readonly id: number; readonly op: CallOp }

export type WorkerMessage =
  | { readonly type: 'hello' }
  | { readonly type: 'ready' }
  | { readonly type: 'passive'; readonly key: string }
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'reply'; readonly id: number; readonly error?: string; readonly stats?: WorkerStats }

/** Every message of this protocol carries this brand, so other IPC traffic is ignored. */
export const CHANNEL = 'openalb' as const

export interface Envelope<M> {
  readonly channel: typeof CHANNEL
  readonly message: M
}

export function isEnvelope<M>(value: unknown): value is Envelope<M> {
  return typeof value === 'object' && value !== null && (value as { channel?: unknown }).channel === CHANNEL
}
