/**
 * A WebSocket load generator on raw sockets (no dependency: the frames we need are a few
 * lines of RFC 6455). Each connection does the opening handshake, then keeps one masked
 * 100-byte binary message in flight: send, wait for the echo, send the next — a closed loop
 * like wrk's, so messages/s and the round-trip latency distribution are both meaningful.
 *
 * Usage: node dist/benchmarks/ws-load.js <port> <connections> <seconds>
 * Prints one JSON line: { messages, seconds, p50ms, p99ms, errors }.
 */
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'

const [port, connections, seconds] = process.argv.slice(2).map(Number) as [number, number, number]
const PAYLOAD = 100

/** A client frame: FIN + binary, masked (clients must mask, RFC 6455 §5.3). */
function clientFrame(): Buffer {
  const mask = randomBytes(4)
  const frame = Buffer.alloc(2 + 4 + PAYLOAD)
  frame[0] = 0x82
  frame[1] = 0x80 | PAYLOAD
  mask.copy(frame, 2)
  for (let i = 0; i < PAYLOAD; i++) frame[6 + i] = 'm'.charCodeAt(0) ^ mask[i & 3]!
  return frame
}

const latencies: number[] = []
let errors = 0
let running = true

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    socket.setNoDelay(true)
    socket.once('error', reject)
    socket.once('connect', () => {
      socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`)
    })
    let head = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.off('data', onData)
      const status = head.subarray(0, head.indexOf('\r\n')).toString('latin1')
      if (!/^HTTP\/1\.1 101 /.test(status)) { reject(new Error(`handshake: ${status}`)); socket.destroy(); return }
      socket.removeAllListeners('error')
      if (head.length > end + 4) socket.unshift(head.subarray(end + 4))
      resolve(socket)
    }
    socket.on('data', onData)
  })
}

/** Runs one connection's loop until the clock stops; resolves when its last echo has arrived. */
function drive(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const frame = clientFrame()
    const expected = 2 + PAYLOAD // the echo comes back unmasked
    let received = 0
    let sentAt = 0
    const send = (): void => { sentAt = performance.now(); socket.write(frame) }
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length
      while (received >= expected) {
        received -= expected
        latencies.push(performance.now() - sentAt)
        if (running) send()
        else { socket.end(); resolve(); return }
      }
    })
    socket.on('error', () => { errors++; resolve() })
    socket.on('close', () => { if (running) errors++; resolve() }) // cut before the clock stopped
    send()
  })
}

async function main(): Promise<void> {
  const sockets: Socket[] = []
  for (let i = 0; i < connections; i++) {
    try { sockets.push(await open()) } catch { errors++ }
  }
  const start = performance.now()
  const done = Promise.all(sockets.map(drive))
  setTimeout(() => { running = false }, seconds * 1000)
  await done
  const elapsed = (performance.now() - start) / 1000
  const sorted = Float64Array.from(latencies).sort()
  const at = (p: number): number => sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
  process.stdout.write(`${JSON.stringify({ messages: latencies.length, seconds: elapsed, p50ms: at(50), p99ms: at(99), errors })}\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`ws-load: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
