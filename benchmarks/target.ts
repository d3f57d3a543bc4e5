/**
 * A benchmark target: answers every request with a 100-byte body, keep-alive, and echoes
 * WebSocket messages. Runs in its own process so its CPU never counts against the proxy under test.
 *
 * Usage: node dist/benchmarks/target.js [--count N] [--tls-cert FILE --tls-key FILE] [<port> …]
 *   <port> …     HTTP ports to listen on (0 picks one); --count N adds N more on free ports
 *   --tls-*      also serve HTTPS with ALPN h2 and http/1.1 on a free port (the "direct"
 *                baseline of the HTTPS and HTTP/2 scenarios)
 * Prints one line: `ready {"http":[ports…],"tls":port}`.
 *
 * `GET /__count` answers the number of requests seen so far by the whole process (not counting
 * itself): the health scenario uses it to check that the checks it charges CPU for happened.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { parseArgs } from 'node:util'

const BODY = Buffer.alloc(100, 'x')
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11' // RFC 6455 §1.3
let requests = 0

function answer(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void {
  req.resume()
  if (req.url === '/__count') {
    const text = String(requests)
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': text.length })
    res.end(text)
    return
  }
  requests++
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length })
  res.end(BODY)
}

/**
 * A WebSocket echo (RFC 6455): the handshake, then every data frame the client sends (masked)
 * comes back unmasked with the same opcode; a close frame is answered and the socket ended.
 */
function echoWebSocket(req: IncomingMessage, socket: Duplex): void {
  const key = req.headers['sec-websocket-key']
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string') {
    socket.end('HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
    return
  }
  const accept = createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64')
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)
  ;(socket as Socket).setNoDelay?.(true)
  let buffered: Buffer = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
    let offset = 0
    for (;;) {
      if (buffered.length - offset < 2) break
      const b0 = buffered[offset]!
      const b1 = buffered[offset + 1]!
      let length = b1 & 0x7f
      let header = 2
      if (length === 126) { if (buffered.length - offset < 4) break; length = buffered.readUInt16BE(offset + 2); header = 4 }
      else if (length === 127) { if (buffered.length - offset < 10) break; length = Number(buffered.readBigUInt64BE(offset + 2)); header = 10 }
      const masked = (b1 & 0x80) !== 0
      const maskAt = offset + header
      const payloadAt = maskAt + (masked ? 4 : 0)
      if (buffered.length < payloadAt + length) break
      const payload = Buffer.from(buffered.subarray(payloadAt, payloadAt + length))
      if (masked) for (let i = 0; i < length; i++) payload[i]! ^= buffered[maskAt + (i & 3)]!
      const out = Buffer.allocUnsafe((length < 126 ? 2 : length < 65536 ? 4 : 10) + length)
      out[0] = b0
      let at = 2
      if (length < 126) out[1] = length
      else if (length < 65536) { out[1] = 126; out.writeUInt16BE(length, 2); at = 4 }
      else { out[1] = 127; out.writeBigUInt64BE(BigInt(length), 2); at = 10 }
      payload.copy(out, at)
      socket.write(out)
      offset = payloadAt + length
      if ((b0 & 0x0f) === 0x8) { socket.end(); return } // close: answered with the same frame
    }
    buffered = offset === buffered.length ? Buffer.alloc(0) : buffered.subarray(offset)
  })
  socket.on('end', () => socket.end())
  socket.on('error', () => socket.destroy())
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { count: { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' } },
})
const wanted = [...positionals.map(Number), ...Array.from({ length: Number(values.count ?? 0) }, () => 0)]
const listening: Array<Promise<number>> = wanted.map((port) => new Promise((resolve, reject) => {
  const server = createServer(answer)
  server.keepAliveTimeout = 120_000
  server.on('upgrade', echoWebSocket)
  server.once('error', reject)
  server.listen(port, '127.0.0.1', 1024, () => resolve((server.address() as AddressInfo).port))
}))
const tls: Promise<number | undefined> = values['tls-cert'] === undefined || values['tls-key'] === undefined
  ? Promise.resolve(undefined)
  : new Promise((resolve, reject) => {
    const server = createSecureServer({
      cert: readFileSync(values['tls-cert']!), key: readFileSync(values['tls-key']!), allowHTTP1: true,
    }, answer)
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
Promise.all([Promise.all(listening), tls]).then(([http, tlsPort]) => {
  process.stdout.write(`ready ${JSON.stringify({ http, tls: tlsPort })}\n`)
}, (err: unknown) => {
  process.stderr.write(`target: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
