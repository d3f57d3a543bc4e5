/**
 * @module api/context
 * What every API handler receives: the transaction, the caller's region, options, and a
 * read-only view of live target health (the data plane's, when it runs).
 */
import type { Tx } from '../store/store.ts'
import type { QueryObject } from './query.ts'
import type { Registration } from '../model/resources.ts'

export interface ApiOptions {
  /** The account id in every ARN. */
  readonly accountId: string
  /** Suffix of load-balancer DNS names: `{name}-{n}.{region}.{dnsSuffix}` (DESIGN.md). */
  readonly dnsSuffix: string
  /** How long a new load balancer reports `provisioning` before `active`. */
  readonly provisioningMs: number
  /** Region used when a request carries no SigV4 credential scope. */
  readonly defaultRegion: string
}

/** Live health the data plane observed for one registration; undefined when it has none. */
export interface LiveHealth {
  readonly state: 'initial' | 'healthy' | 'unhealthy' | 'unavailable'
  readonly reason?: string
  readonly description?: string
}

/** Read-only health as the API sees it (DESIGN.md: api reads health only through a view). */
export interface HealthView {
  live(registration: Registration): LiveHealth | undefined
}

export const NO_LIVE_HEALTH: HealthView = { live: () => undefined }

export interface Context {
  readonly tx: Tx
  readonly region: string
  readonly requestId: string
  readonly options: ApiOptions
  readonly health: HealthView
}

/** One API operation: validates `input`, reads and writes through `ctx.tx`, returns the Result members. */
export type Handler = (input: QueryObject, ctx: Context) => unknown
export type Handlers = Readonly<Record<string, Handler>>
