/**
 * @module dataplane/listener/callback-reads
 * Client connections of a plain HTTP listener read like target connections do
 * (upstream/pool.ts): into the data plane's shared buffer through net's `onread` callback
 * (dataplane/shared-read.ts), without the Readable machinery. Measured on a bare relay (benchmarks/micro/proxy-load.ts's shape, two targets,
 * wrk -c50): ~1.5 µs of user CPU per request less, about a tenth of the proxy's user time.
 *
 * net.Server has no `onread` option: a connection is accepted paused (`pauseOnConnect`, so
 * no read has been started on it) and its handle re-wrapped in a net.Socket that has one.
 * The accepted Socket object is dropped before it ever read; the new one takes over the
 * server's connection count (net decrements it when a socket with `_server` closes). When the
 * handle does not look as expected (another Node, a handle that is not TCP) the accepted
 * socket is used as it is, with 'data' events.
 *
 * A read lands in the shared buffer and is parsed before the next read can: what outlives the
 * callback (a partial head, body pieces, pipelined bytes, an upgraded stream's data) is copied
 * by the connection (listener/h1-connection.ts). An upgraded connection (WebSocket) goes on as
 * a stream through UpgradedStream, which the callback feeds.
 */
import { Socket, type Server } from 'node:net'
import { Duplex } from 'node:stream'
import { readIntoSharedBuffer } from '../shared-read.ts'

interface TcpHandle {
  readStart(): number
  readStop(): number
  useUserBuffer(buffer: Uint8Array): void
}

function isTcpHandle(handle: unknown): handle is TcpHandle {
  const h = handle as Partial<TcpHandle> | null | undefined
  return typeof h?.readStart === 'function' && typeof h.readStop === 'function' && typeof h.useUserBuffer === 'function'
}

type InternalSocket = Socket & { _handle: unknown; server?: Server; _server?: Server }

/**
 * adoptWithCallbackReads re-wraps a connection accepted with `pauseOnConnect` so its reads
 * call `onRead` with a view into the shared buffer (valid only during the call). Returns
 * undefined when the accepted socket cannot be re-wrapped; the caller then reads it as a
 * stream (and must resume it).
 */
export function adoptWithCallbackReads(accepted: Socket, server: Server, allowHalfOpen: boolean, onRead: (chunk: Buffer) => void): Socket | undefined {
  const old = accepted as InternalSocket
  const handle = old._handle
  if (!isTcpHandle(handle) || old.readableFlowing !== false) return undefined
  old._handle = null
  // `handle` is net.Socket's own (undocumented) option for wrapping an existing handle, as
  // net.Server does for every connection it accepts.
  const socket = new Socket({
    handle,
    allowHalfOpen,
    onread: readIntoSharedBuffer(onRead),
  } as ConstructorParameters<typeof Socket>[0]) as InternalSocket
  socket.server = server
  socket._server = server
  return socket
}

/**
 * UpgradedStream: an upgraded client connection whose socket reads by callback, as a Duplex
 * (upgrade.ts pipes it to the target both ways). The connection feeds it copies of what the
 * socket reads (`feed`); its writes, end and destroy go to the socket.
 */
export class UpgradedStream extends Duplex {
  readonly socket: Socket
  /** Where pipe() sends what is read: written to directly, without the Readable side's buffering. */
  #destination: NodeJS.WritableStream | undefined

  constructor(socket: Socket) {
    super({ allowHalfOpen: true })
    this.socket = socket
    socket.on('end', () => {
      if (this.#destination !== undefined) this.#destination.end()
      else this.push(null)
    })
    socket.on('error', (err) => this.destroy(err))
    socket.on('close', () => this.destroy())
  }

  /** Bytes the socket read (a copy: they outlive the read callback). */
  feed(chunk: Buffer): void {
    const destination = this.#destination
    if (destination !== undefined ? !destination.write(chunk) : !this.push(chunk)) this.socket.pause()
  }

  /**
   * What pipe() does for a stream (write, pause while the destination is full, resume on its
   * 'drain', end it on end) without the Readable machinery per message: a WebSocket's frames
   * cost about a third more CPU through it (the bench's `ws` scenario). One destination.
   */
  override pipe<T extends NodeJS.WritableStream>(destination: T): T {
    if (this.#destination !== undefined) throw new Error('UpgradedStream pipes to one destination')
    this.#destination = destination
    // Anything read before (through the Readable side) goes first.
    for (let chunk = this.read() as Buffer | null; chunk !== null; chunk = this.read() as Buffer | null) destination.write(chunk)
    destination.on('drain', () => this.socket.resume())
    this.socket.resume()
    return destination
  }

  /** The socket's idle timer (net moves it on every read and write of the socket). */
  setTimeout(ms: number, onTimeout: () => void): this {
    this.socket.setTimeout(ms, onTimeout)
    return this
  }

  override _read(): void {
    this.socket.resume()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.socket.write(chunk)) done()
    else this.socket.once('drain', () => done())
  }

  override _final(done: (err?: Error | null) => void): void {
    this.socket.end()
    done()
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.socket.destroy()
    done(err)
  }
}
