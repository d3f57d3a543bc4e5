/**
 * @module main
 * Composition root: store → API → (data plane). Starts everything in order and stops it
 * in reverse order.
 */
import type { AddressInfo } from 'node:net'
import { Store } from './store/store.ts'
import { SqliteBackend } from './store/sqlite/sqlite-backend.ts'
import { createApiServer } from './api/server.ts'
import type { ApiOptions } from './api/context.ts'
import { ConfigWatcher } from './config/watch.ts'
import { DataPlane } from './dataplane/dataplane.ts'
import { join } from 'node:path'
import type { LocalCa } from './tls/local-ca.ts'
import { ClusterPrimary } from './cluster/primary.ts'

export interface OpenAlbConfig {
  readonly apiPort: number
  /** Address the API and the listeners bind (default 127.0.0.1). */
  readonly bind: string
  /** Directory of the SQLite file, or ':memory:'. */
  readonly dataDir: string
  readonly allowReset: boolean
  /** Access key id → secret; empty accepts any well-formed request. */
  readonly credentials: ReadonlyMap<string, string>
  readonly api: ApiOptions
  readonly log: (line: string) => void
  /**
   * Worker processes that own the listeners (DESIGN.md "One machine, many cores"); 0 or 1
   * (the default) runs everything in this process.
   */
  readonly workers?: number
}

export const DEFAULT_API_OPTIONS: ApiOptions = {
  accountId: '123456789012',
  dnsSuffix: 'elb.localhost',
  provisioningMs: 1000,
  defaultRegion: 'us-east-1',
}

/** The local CA lives beside the database (`<data-dir>/ca`); in memory for ':memory:'. */
export function caDirectory(dataDir: string): string | undefined {
  return dataDir === ':memory:' ? undefined : join(dataDir, 'ca')
}

export interface OpenAlb {
  readonly apiUrl: string
  readonly store: Store
  /**
   * The data plane serving the listeners (tests read its ports). With workers it is the
   * primary's, which health-checks but opens no sockets (its `ports` is empty).
   */
  readonly dataPlane: DataPlane
  /** Compiles the current records now and applies them; resolves once listeners are bound/closed. */
  syncDataPlane(): Promise<void>
  close(): Promise<void>
}

export async function startOpenAlb(config: OpenAlbConfig): Promise<OpenAlb> {
  const cluster = (config.workers ?? 0) > 1 ? new ClusterPrimary({ workers: config.workers!, bind: config.bind, log: config.log }) : undefined
  const backend = new SqliteBackend(config.dataDir)
  const store = await Store.open(cluster !== undefined ? cluster.wrapBackend(backend) : backend)
  let localCa: Promise<LocalCa> | undefined
  // Loaded on first RequestCertificate: the X.509 library costs ~25 MB of RSS at start-up.
  const openLocalCa = (): Promise<LocalCa> =>
    (localCa ??= import('./tls/local-ca.ts').then(({ LocalCa }) => LocalCa.open(caDirectory(config.dataDir))))
  // Data plane: store change → compile → swap (DESIGN.md "Build, then swap").
  // With workers, this one only health-checks; the workers' data planes own the sockets.
  const dataPlane = new DataPlane({ bind: config.bind, log: config.log, ...cluster?.dataPlaneOptions() })
  const watcher = new ConfigWatcher(store, { onError: (err) => config.log(`config: ${err instanceof Error ? err.stack : String(err)}`) })
  watcher.subscribe((snapshot) => {
    dataPlane.apply(snapshot).catch((err: unknown) => config.log(`dataplane: ${err instanceof Error ? err.stack : String(err)}`))
  })
  await dataPlane.apply(watcher.start())
  if (cluster !== undefined) {
    try {
      await cluster.start(store)
    } catch (err) {
      await cluster.close()
      watcher.close()
      await dataPlane.close()
      await store.close()
      throw err
    }
  }
  const server = createApiServer({
    store,
    options: config.api,
    health: dataPlane.health,
    credentials: config.credentials,
    log: config.log,
    localCa: openLocalCa,
    ...(config.allowReset
      ? {
        reset: async () => {
          await store.clear()
          // Reset is for test isolation: cut listener connections now rather than draining them.
          await dataPlane.closeListeners()
          await dataPlane.apply(watcher.refresh())
          // Every worker has taken the clear in (IPC is ordered) once it answers.
          await cluster?.closeListeners()
        },
      }
      : {}),
  })
  cluster?.serveDiagnostics(server)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.apiPort, config.bind, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  let closing: Promise<void> | undefined
  return {
    apiUrl: `http://${host}:${address.port}`,
    store,
    dataPlane,
    syncDataPlane: async () => {
      await dataPlane.apply(watcher.refresh())
      await cluster?.sync()
    },
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
        // Workers first: they stop taking connections before health checks and the store go.
        await cluster?.close()
        watcher.close()
        await dataPlane.close()
        await store.close()
      })()
      return closing
    },
  }
}
