/**
 * @module dataplane/direct-write
 * SocketWriter: the proxy's two writes per request — the request head to the target, the
 * response to the client — handed straight to the socket's handle, as net's own write path
 * ends up doing, without the Writable machinery in between (its state checks, a callback
 * object, a WriteWrap allocated per write, the timer refresh). On a bare relay
 * (benchmarks/micro/proxy-load.ts's shape) this took ~1.5 µs of user CPU per request off ~6.
 *
 * The handle writes at once what the kernel takes (the usual case: a few hundred bytes into
 * an empty socket buffer); what it cannot take, libuv queues in order, behind which any later
 * write — direct or through net — also queues. So a direct write is only made when net holds
 * nothing of its own (nothing buffered, not corked, connected): otherwise it goes through
 * `socket.write`, which keeps the order. A write libuv had to queue means the peer is not
 * reading: `write` returns false and the socket emits 'drain' when the queue is empty, as
 * socket.write's contract has it. `end()` stays net's: its shutdown waits for libuv's queue.
 *
 * Only plain TCP sockets of this Node (the binding's WriteWrap, the handle's write methods,
 * the shared write-result state) are written directly; TLS sockets and anything unexpected go
 * through `socket.write`.
 */
import type { Socket } from 'node:net'
import { getSystemErrorName } from 'node:util'

interface WriteRequest {
  handle?: unknown
  oncomplete?: (this: WriteRequest, status: number) => void
  /** The writer to tell when libuv is done with it. */
  writer?: SocketWriter
  /** Keeps a queued buffer alive until libuv has written it. */
  data?: Buffer
}

interface StreamHandle {
  writeBuffer(req: WriteRequest, data: Uint8Array): number
  writeLatin1String(req: WriteRequest, data: string): number
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteRequest
  streamBaseState: Int32Array
  kLastWriteWasAsync: number
}

/** node's stream_wrap binding (the one net writes through), when this Node has it as expected. */
const binding: StreamWrapBinding | undefined = (() => {
  try {
    const b = (process as unknown as { binding(name: string): Partial<StreamWrapBinding> }).binding('stream_wrap')
    if (typeof b.WriteWrap !== 'function' || !(b.streamBaseState instanceof Int32Array) || typeof b.kLastWriteWasAsync !== 'number') return undefined
    return b as StreamWrapBinding
  } catch {
    return undefined
  }
})()

/**
 * A write the kernel takes at once never reaches libuv's queue, so its WriteWrap is never
 * used: one spare serves every such write, and is replaced only when a write is queued.
 */
let spare: WriteRequest | undefined = binding === undefined ? undefined : new binding.WriteWrap()

function onQueuedWriteDone(this: WriteRequest, status: number): void {
  const writer = this.writer!
  this.writer = undefined
  this.data = undefined
  writer.queuedWriteDone(status)
}

type InternalSocket = Socket & { _handle: unknown; _unrefTimer(): void; timeout?: number; encrypted?: boolean }

/** A failed write as net reports one (`code` EPIPE, ECONNRESET …). */
function writeError(status: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(status)
  return Object.assign(new Error(`write ${code}`), { code, errno: status, syscall: 'write' })
}

function isStreamHandle(handle: unknown): handle is StreamHandle {
  const h = handle as Partial<StreamHandle> | null | undefined
  return typeof h?.writeBuffer === 'function' && typeof h.writeLatin1String === 'function'
}

export class SocketWriter {
  readonly #socket: InternalSocket
  /** Plain TCP on a Node whose internals look as expected. */
  readonly #direct: boolean
  /** Direct writes libuv still holds. */
  #queued = 0

  constructor(socket: Socket) {
    this.#socket = socket as InternalSocket
    this.#direct = binding !== undefined && this.#socket.encrypted !== true
  }

  /** Whether writes may go straight to the handle (plain TCP, and this Node's internals as expected). */
  get direct(): boolean {
    return this.#direct
  }

  /** Writes bytes (a string as latin1). False: the peer is not keeping up; wait for 'drain'. */
  write(data: Buffer | string): boolean {
    const socket = this.#socket
    const handle = socket._handle
    if (!this.#direct || !isStreamHandle(handle) || socket.writableLength > 0 || socket.writableCorked > 0 || socket.connecting || !socket.writable) {
      return typeof data === 'string' ? socket.write(data, 'latin1') : socket.write(data)
    }
    const req = spare!
    const err = typeof data === 'string' ? handle.writeLatin1String(req, data) : handle.writeBuffer(req, data)
    // The socket's idle timer moves on every write, as net's own write path does.
    if (socket.timeout !== undefined) socket._unrefTimer()
    if (err !== 0) {
      socket.destroy(writeError(err))
      return false
    }
    if (binding!.streamBaseState[binding!.kLastWriteWasAsync] === 0) return true
    // Queued by libuv: this request object is libuv's now.
    spare = new binding!.WriteWrap()
    req.handle = handle
    req.writer = this
    req.oncomplete = onQueuedWriteDone
    if (typeof data !== 'string') req.data = data // a string was copied by the handle
    this.#queued++
    return false
  }

  /** @internal libuv finished a queued write (status < 0: it failed, or the socket was closed). */
  queuedWriteDone(status: number): void {
    this.#queued--
    const socket = this.#socket
    if (socket.destroyed) return
    if (status < 0) {
      socket.destroy(writeError(status))
      return
    }
    if (this.#queued === 0) socket.emit('drain')
  }
}
