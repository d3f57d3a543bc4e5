/**
 * A benchmark target: answers every request with a 100-byte body, keep-alive.
 * Runs in its own process so its CPU never counts against the proxy under test.
 * Usage: node dist/benchmarks/target.js <port> [<port> …]   (prints "ready <port> …")
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

const BODY = Buffer.alloc(100, 'x')
const ports: number[] = []
const wanted = process.argv.slice(2).map(Number)
let pending = wanted.length
for (const port of wanted) {
  const server = createServer((req, res) => {
    if (req.headers.upgrade !== undefined) { res.writeHead(426); res.end(); return }
    req.resume()
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': BODY.length })
    res.end(BODY)
  })
  server.keepAliveTimeout = 120_000
  server.listen(port, '127.0.0.1', () => {
    ports.push((server.address() as AddressInfo).port)
    if (--pending === 0) process.stdout.write(`ready ${ports.join(' ')}\n`)
  })
}
