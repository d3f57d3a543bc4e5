/**
 * @module dataplane/shared-read
 * One read buffer for every plain TCP socket of the data plane, client (listener/
 * callback-reads.ts) and target (upstream/pool.ts) alike, through net's `onread` option: no
 * buffer allocated per read, and the reads skip the stream machinery ('data' events, the
 * nextTicks of `push`). One buffer serves them all because libuv hands reads to JavaScript one
 * at a time and each is parsed before the callback returns; what outlives a read (a partial
 * head, a body piece handed on) is copied by whoever keeps it.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024)

/** net's `onread` option: `onRead` gets a view into the shared buffer, valid during the call only. */
export function readIntoSharedBuffer(onRead: (chunk: Buffer) => void): { buffer: Buffer; callback(length: number, buffer: Uint8Array): boolean } {
  return {
    buffer: READ_BUFFER,
    callback: (length, buffer) => {
      onRead(Buffer.from(buffer.buffer, buffer.byteOffset, length))
      // true: go on reading; a pause for backpressure is socket.pause(), which net honours here too.
      return true
    },
  }
}
