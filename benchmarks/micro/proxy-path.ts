/**
 * Micro-benchmark: the per-request functions of the HTTP/1.1 fast path (issue 5 §2) on what
 * `npm run bench` sends — wrk's request head and the benchmark target's 100-byte response:
 * the target's request headers (forwardedHeaders), the request head written to the target
 * (requestHead), the response parse (ResponseParser), the client's response headers
 * (responseHeaders), and the request checks (classifyRequest, transferEncodingProblem).
 * Plain node, process.hrtime.bigint, no dependencies.
 *   npx tsc -p tsconfig.json && node dist/benchmarks/micro/proxy-path.js
 */
import type { LoadBalancerSettings } from '../../src/config/snapshot.ts'
import { forwardedHeaders, responseHeaders } from '../../src/dataplane/proxy/headers.ts'
import { classifyRequest, transferEncodingProblem } from '../../src/dataplane/proxy/desync.ts'
import { ResponseParser, type ResponseSink } from '../../src/dataplane/proxy/h1-response.ts'
import { requestHead } from '../../src/dataplane/upstream/pool.ts'

function measure(name: string, fn: () => unknown, iterations = 1_000_000): void {
  for (let i = 0; i < 20_000; i++) fn() // warm up
  const start = process.hrtime.bigint()
  let sink = 0
  for (let i = 0; i < iterations; i++) if (fn() !== undefined) sink++
  const ns = Number(process.hrtime.bigint() - start)
  console.log(`${name.padEnd(52)} ${(ns / iterations).toFixed(1).padStart(8)} ns/op  (${sink})`)
}

const loadBalancer: LoadBalancerSettings = {
  arn: 'arn:lb', name: 'bench', dnsName: 'bench-1.us-east-1.elb.amazonaws.com', idleTimeoutMs: 60_000, clientKeepAliveMs: 3_600_000,
  xffMode: 'append', xffClientPort: false, preserveHostHeader: false, dropInvalidHeaderFields: false, desyncMitigationMode: 'defensive', http2: true,
}
// What wrk sends (its only header is Host).
const wrkHeaders = ['Host', '127.0.0.1:8080']
// A browser-like request, for scale.
const browserHeaders = [
  'Host', 'shop.example.com', 'User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  'Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'Accept-Language', 'en-US,en;q=0.5',
  'Accept-Encoding', 'gzip, deflate, br', 'Connection', 'keep-alive', 'Cookie', 'session=abc123; theme=dark', 'X-Forwarded-For', '203.0.113.7',
]
const ctx = { loadBalancer, listenerPort: 8080, protocol: 'http' as const, clientIp: '127.0.0.1', clientPort: 50000, now: Date.now() }

measure('forwardedHeaders (wrk: Host only)', () => forwardedHeaders(wrkHeaders, ctx))
measure('forwardedHeaders (browser, 8 headers)', () => forwardedHeaders(browserHeaders, ctx))
const forwarded = forwardedHeaders(wrkHeaders, ctx).headers
measure('requestHead (wrk)', () => requestHead({ method: 'GET', path: '/', headers: forwarded, body: null, bodyLength: false }))
measure('classifyRequest + transferEncodingProblem (browser)', () => transferEncodingProblem(browserHeaders) ?? classifyRequest('GET', browserHeaders))

// The benchmark target's answer: Node's http server, 100-byte body.
const response = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\nDate: ${new Date().toUTCString()}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n${'x'.repeat(100)}`, 'latin1')
const parser = new ResponseParser()
let heads = 0
const sink: ResponseSink = { onHead: () => { heads++ }, onBody: () => {}, onEnd: () => {} }
measure('ResponseParser: 100-byte response, one read', () => {
  parser.start(sink, false)
  parser.execute(response)
  return heads
})
const chunked = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n' + 'x'.repeat(100) + '\r\n0\r\n\r\n', 'latin1')
measure('ResponseParser: 100-byte chunked response, one read', () => {
  parser.start(sink, false)
  parser.execute(chunked)
  return heads
})
const targetHeaders = ['Content-Type', 'text/plain', 'Content-Length', '100', 'Date', new Date().toUTCString(), 'Connection', 'keep-alive', 'Keep-Alive', 'timeout=5']
measure('responseHeaders (target: 5 headers)', () => responseHeaders(targetHeaders.slice(), false, []))
