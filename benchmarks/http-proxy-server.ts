/**
 * The `http-proxy` baseline of the benchmarks: what a Node.js user usually writes when they
 * need a load balancer in Node — a bare node:http server handing every request to
 * node-http-proxy (the `http-proxy` npm package) with a keep-alive agent, round robin over the
 * targets. Issue 5 sets OpenALB's throughput goal against it (≥ 2×). One process, so /proc
 * charges its CPU alone, like every other system under test.
 *
 * Usage: node dist/benchmarks/http-proxy-server.js <listen port> <target port> …
 *   <listen port>  0 picks a free one; targets are on 127.0.0.1
 * Prints one line: `ready {"port":port}`.
 */
import { Agent, createServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import httpProxy from 'http-proxy'

/**
 * Per target, like nginx's `keepalive 64` in the same scenario: above the benchmark's
 * concurrency, so no request waits for a socket and every connection is reused.
 */
const SOCKETS_PER_TARGET = 64

const [listenText, ...targetTexts] = process.argv.slice(2)
const listenPort = Number(listenText)
const targetPorts = targetTexts.map(Number)
if (listenText === undefined || !Number.isInteger(listenPort) || targetPorts.length === 0 || !targetPorts.every((p) => Number.isInteger(p) && p > 0)) {
  process.stderr.write('usage: http-proxy-server <listen port> <target port> …\n')
  process.exit(2)
}

const agent = new Agent({ keepAlive: true, maxSockets: SOCKETS_PER_TARGET, maxFreeSockets: SOCKETS_PER_TARGET })
// xfwd adds X-Forwarded-For/-Port/-Proto, as nginx, HAProxy (option forwardfor) and OpenALB do here.
const proxy = httpProxy.createProxyServer({ agent, xfwd: true })
// Without an 'error' listener http-proxy throws, ending the process: answer 502 as a proxy should.
proxy.on('error', (_err, _req, res) => {
  if (!('writeHead' in res)) { (res as Socket).destroy(); return }
  if (res.headersSent) { res.destroy(); return }
  res.writeHead(502, { 'Content-Type': 'text/plain', 'Content-Length': 11 })
  res.end('Bad Gateway')
})

const targets = targetPorts.map((port) => `http://127.0.0.1:${port}`)
let next = 0
const server = createServer((req, res) => {
  const target = targets[next]!
  next = (next + 1) % targets.length
  proxy.web(req, res, { target })
})
server.once('error', (err) => {
  process.stderr.write(`http-proxy-server: ${err.message}\n`)
  process.exit(1)
})
server.listen(listenPort, '127.0.0.1', 1024, () => {
  process.stdout.write(`ready ${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`)
})
