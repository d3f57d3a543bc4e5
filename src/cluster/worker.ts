/**
 * @module cluster/worker
 * A `--workers N` worker: owns listener sockets and proxying (DESIGN.md "One machine, many
 * cores"). It keeps a Replica of the primary's records and runs its own ConfigWatcher and
 * DataPlane over it, with the primary's health verdicts (RemoteHealth) instead of a checker.
 *
 * Listener sockets: under node:cluster a worker's listen() asks the primary for the handle,
 * so every worker listening on a port shares one socket (see cluster/primary.ts for how
 * connections are distributed).
 */
import { Buffer } from 'node:buffer'
import { subscribe } from 'node:diagnostics_channel'
import { ConfigWatcher } from '../config/watch.ts'
import { DataPlane } from '../dataplane/dataplane.ts'
import { RemoteHealth } from './health.ts'
import { Replica } from './replica.ts'
import { CHANNEL, isEnvelope, type CallOp, type Envelope, type PrimaryMessage, type WorkerMessage, type WorkerStats } from './protocol.ts'

interface Running {
  readonly replica: Replica
  readonly watcher: ConfigWatcher
  readonly dataPlane: DataPlane
  readonly health: RemoteHealth
}

function send(message: WorkerMessage, callback?: () => void): void {
  if (process.send === undefined || !process.connected) return
  const envelope: Envelope<WorkerMessage> = { channel: CHANNEL, message }
  process.send(envelope, undefined, {}, callback !== undefined ? () => callback() : undefined)
}

function log(line: string): void {
  send({ type: 'log', line: `worker ${process.pid}: ${line}` })
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err)
}

/**
 * runWorker installs the message handler and greets the primary, which answers with `init`.
 * Counters come from node:diagnostics_channel (no cost on the request path beyond a counter
 * increment, and nothing in the proxy had to change): `net.server.socket` fires for every
 * accepted connection, `openalb.dataplane.request.start` (proxy.ts) for every request.
 */
export function runWorker(): void {
  let connections = 0
  let requests = 0
  subscribe('net.server.socket', () => { connections++ })
  subscribe('openalb.dataplane.request.start', () => { requests++ })
  let running: Running | undefined
  /** Messages that arrived before init finished applying (none are expected; kept for order). */
  let pending: PrimaryMessage[] | undefined = []

  const start = async (init: Extract<PrimaryMessage, { type: 'init' }>): Promise<void> => {
    const replica = new Replica(init.revision, init.rows)
    let remote: RemoteHealth | undefined
    const dataPlane = new DataPlane({
      bind: init.bind, log, stickyKey: Buffer.from(init.stickyKey, 'base64'),
      health: (onChange) => (remote = new RemoteHealth(onChange, (key) => send({ type: 'passive', key }))),
    })
    const health = remote!
    health.receive(init.health)
    const watcher = new ConfigWatcher(replica, { onError: (err) => log(`config: ${describe(err)}`) })
    watcher.subscribe((snapshot) => {
      dataPlane.apply(snapshot).catch((err: unknown) => log(`dataplane: ${describe(err)}`))
    })
    await dataPlane.apply(watcher.start())
    running = { replica, watcher, dataPlane, health }
    const queued = pending ?? []
    pending = undefined
    for (const message of queued) handle(message)
    send({ type: 'ready' })
  }

  const call = async (op: CallOp, state: Running): Promise<WorkerStats | undefined> => {
    switch (op) {
      case 'sync':
        await state.dataPlane.apply(state.watcher.refresh())
        return undefined
      case 'closeListeners':
        // Reset: cut listener connections now, then apply what the records say (empty after a reset).
        await state.dataPlane.closeListeners()
        await state.dataPlane.apply(state.watcher.refresh())
        return undefined
      case 'stats':
        return { pid: process.pid, connections, requests, revision: state.watcher.current().revision, ports: state.dataPlane.ports }
      case 'stop':
        state.watcher.close()
        await state.dataPlane.close()
        await state.health.close()
        return undefined
    }
  }

  const handle = (message: PrimaryMessage): void => {
    if (message.type === 'init') {
      start(message).catch((err: unknown) => {
        log(`cannot start: ${describe(err)}`)
        process.exit(1)
      })
      return
    }
    if (running === undefined) {
      pending?.push(message)
      return
    }
    const state = running
    switch (message.type) {
      case 'changes':
        state.replica.apply(message.revision, message.changes)
        return
      case 'health':
        state.health.receive(message.updates)
        return
      case 'call':
        call(message.op, state).then(
          (stats) => send({ type: 'reply', id: message.id, ...(stats !== undefined ? { stats } : {}) }, () => {
            if (message.op === 'stop') process.exit(0)
          }),
          (err: unknown) => send({ type: 'reply', id: message.id, error: describe(err) }),
        )
    }
  }

  process.on('message', (value: unknown) => {
    if (isEnvelope<PrimaryMessage>(value)) handle(value.message)
  })
  // The primary owns shutdown: SIGINT from a terminal reaches the whole process group, and a
  // worker that exited on it would be replaced; it stops when the primary says so (or when
  // the IPC channel closes because the primary is gone).
  process.on('SIGINT', () => {})
  process.on('SIGTERM', () => {})
  process.on('disconnect', () => process.exit(0))
  send({ type: 'hello' })
}
