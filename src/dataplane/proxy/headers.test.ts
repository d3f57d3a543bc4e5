import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { LoadBalancerSettings } from '../../config/snapshot.ts'
import { forwardedHeaders, isValidHeaderName, targetHost, traceIdHeader, type ForwardContext } from './headers.ts'
import { BadRequestError, errorPage, statusFor, ConnectError, NoTargetError, TargetTimeoutError, ClientAbortError, DeregistrationExpiredError } from './errors.ts'

const LB: LoadBalancerSettings = {
  arn: 'arn', name: 'web', dnsName: 'web-1.us-east-1.elb.localhost', idleTimeoutMs: 60_000, clientKeepAliveMs: 3_600_000,
  xffMode: 'append', xffClientPort: false, preserveHostHeader: false, dropInvalidHeaderFields: false, desyncMitigationMode: 'defensive', http2: true,
}

function ctx(overrides: Partial<LoadBalancerSettings> = {}, rest: Partial<ForwardContext> = {}): ForwardContext {
  return { loadBalancer: { ...LB, ...overrides }, listenerPort: 8080, protocol: 'http', clientIp: '192.0.2.7', clientPort: 5555, now: 0x5f000000 * 1000, ...rest }
}

function header(out: string[], name: string): string[] {
  const values: string[] = []
  for (let i = 0; i < out.length; i += 2) if (out[i]!.toLowerCase() === name) values.push(out[i + 1]!)
  return values
}

describe('forwardedHeaders (spec §7.2)', () => {
  const withXff = ['Host', 'example.com', 'X-Forwarded-For', '127.0.0.4']
  const table: Array<[string, Partial<LoadBalancerSettings>, string[], string[]]> = [
    ['append, no XFF', {}, ['Host', 'h'], ['192.0.2.7']],
    ['append, XFF', {}, withXff, ['127.0.0.4, 192.0.2.7']],
    ['append + client port', { xffClientPort: true }, withXff, ['127.0.0.4, 192.0.2.7:5555']],
    ['preserve, no XFF', { xffMode: 'preserve' }, ['Host', 'h'], []],
    ['preserve, XFF', { xffMode: 'preserve', xffClientPort: true }, withXff, ['127.0.0.4']],
    ['remove', { xffMode: 'remove' }, withXff, []],
  ]
  for (const [name, settings, raw, expected] of table) {
    it(name, () => assert.deepEqual(header(forwardedHeaders(raw, ctx(settings)).headers, 'x-forwarded-for'), expected))
  }

  it('sends one Content-Length, and none beside Transfer-Encoding (spec §6.3 DuplicateContentLength, BothTeClPresent)', () => {
    const duplicate = forwardedHeaders(['Host', 'h', 'Content-Length', '5', 'content-length', '5'], ctx()).headers
    assert.deepEqual(header(duplicate, 'content-length'), ['5'])
    for (const raw of [['Host', 'h', 'Content-Length', '3', 'Transfer-Encoding', 'chunked'], ['Transfer-Encoding', 'chunked', 'Host', 'h', 'Content-Length', '3']]) {
      const out = forwardedHeaders(raw, ctx()).headers
      assert.deepEqual(header(out, 'content-length'), [])
      assert.deepEqual(header(out, 'transfer-encoding'), [], 'hop-by-hop: the pool frames the body itself')
    }
    assert.deepEqual(header(forwardedHeaders(['Host', 'h', 'Content-Length', '3'], ctx()).headers, 'content-length'), ['3'])
  })

  it('brackets an IPv6 client with its port', () => {
    const out = forwardedHeaders(['Host', 'h'], ctx({ xffClientPort: true }, { clientIp: '2001:db8::1' })).headers
    assert.deepEqual(header(out, 'x-forwarded-for'), ['[2001:db8::1]:5555'])
  })

  it('refuses more than 30 addresses with 463', () => {
    const xff = Array.from({ length: 31 }, (_, i) => `10.0.0.${i}`).join(', ')
    assert.throws(() => forwardedHeaders(['X-Forwarded-For', xff], ctx()), (err: unknown) => err instanceof BadRequestError && statusFor(err) === 463)
    assert.doesNotThrow(() => forwardedHeaders(['X-Forwarded-For', Array.from({ length: 30 }, () => '10.0.0.1').join(', ')], ctx()))
  })

  it('overwrites X-Forwarded-Proto/Port, removes hop-by-hop headers, keeps others in order', () => {
    const out = forwardedHeaders([
      'Host', 'h', 'Connection', 'keep-alive, X-Hop', 'X-Hop', '1', 'Keep-Alive', 'timeout=5', 'TE', 'trailers', 'Upgrade', 'h2c',
      'Proxy-Connection', 'x', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Port', '1', 'X-App', 'a', 'x-app', 'b',
    ], ctx()).headers
    assert.deepEqual(out.slice(0, 4), ['X-App', 'a', 'x-app', 'b'])
    assert.deepEqual(header(out, 'x-forwarded-proto'), ['http'])
    assert.deepEqual(header(out, 'x-forwarded-port'), ['8080'])
    for (const hop of ['connection', 'x-hop', 'keep-alive', 'te', 'upgrade', 'proxy-connection']) assert.deepEqual(header(out, hop), [], hop)
  })

  it('drops invalid header names only when drop_invalid_header_fields is on', () => {
    assert.deepEqual(header(forwardedHeaders(['X_Under', '1'], ctx()).headers, 'x_under'), ['1'])
    const dropped = forwardedHeaders(['X_Under', '1'], ctx({ dropInvalidHeaderFields: true }))
    assert.deepEqual(header(dropped.headers, 'x_under'), [])
    assert.equal(dropped.droppedInvalid, 1)
    assert.equal(isValidHeaderName('X-Ok-1'), true)
    assert.equal(isValidHeaderName('X.No'), false)
  })

  it('Host: port appended on non-default ports, stripped on 80; preserved when asked; DNS name for HTTP/1.0', () => {
    assert.equal(targetHost('example.com', ctx()), 'example.com:8080')
    assert.equal(targetHost('example.com:9', ctx()), 'example.com:9')
    assert.equal(targetHost('example.com:80', ctx({}, { listenerPort: 80 })), 'example.com')
    assert.equal(targetHost('[::1]:80', ctx({}, { listenerPort: 80 })), '[::1]')
    assert.deepEqual(header(forwardedHeaders(['Host', 'Example.com'], ctx({ preserveHostHeader: true })).headers, 'host'), ['Example.com'])
    assert.deepEqual(header(forwardedHeaders([], ctx()).headers, 'host'), ['web-1.us-east-1.elb.localhost:8080'])
    assert.deepEqual(header(forwardedHeaders(['Host', 'a'], ctx({}, { absoluteHost: 'dns.example' })).headers, 'host'), ['dns.example:8080'])
  })
})

describe('traceIdHeader (spec §7.3)', () => {
  const now = 0x67891233 * 1000
  it('adds a Root when absent or invalid', () => {
    assert.match(traceIdHeader(undefined, now), /^Root=1-67891233-[0-9a-f]{24}$/)
    assert.match(traceIdHeader('garbage', now), /^Root=1-67891233-[0-9a-f]{24}$/)
  })
  it('gives every request its own id, with the time of the request, across refills of its random pool', () => {
    const ids = new Set<string>()
    for (let i = 0; i < 1500; i++) {
      const at = now + i * 700 // the time field moves every second or so
      const id = traceIdHeader(undefined, at)
      assert.match(id, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/)
      assert.equal(id.slice(7, 15), Math.floor(at / 1000).toString(16).padStart(8, '0'))
      ids.add(id.slice(16))
    }
    assert.equal(ids.size, 1500)
  })
  it('inserts or replaces Self in front of an existing Root, keeping custom fields', () => {
    assert.match(traceIdHeader('Root=1-67891233-abcdef012345678912345678;CalledFrom=app', now),
      /^Self=1-67891233-[0-9a-f]{24};Root=1-67891233-abcdef012345678912345678;CalledFrom=app$/)
    assert.match(traceIdHeader('Self=1-00000000-000000000000000000000000;Root=1-67891233-abcdef012345678912345678', now),
      /^Self=1-67891233-[0-9a-f]{24};Root=1-67891233-abcdef012345678912345678$/)
  })
})

describe('trace id through forwardedHeaders', () => {
  it('replaces the client header with one carrying Self in front of its Root', () => {
    const out = forwardedHeaders(['X-Amzn-Trace-Id', 'Root=1-67891233-abcdef012345678912345678'], ctx()).headers
    assert.equal(header(out, 'x-amzn-trace-id').length, 1)
    assert.match(header(out, 'x-amzn-trace-id')[0]!, /^Self=1-5f000000-[0-9a-f]{24};Root=1-67891233-abcdef012345678912345678$/)
  })
})

describe('trace id with large headers', () => {
  it('keeps only a fresh Root above 7 KB of headers', () => {
    const raw = ['X-Amzn-Trace-Id', 'Root=1-67891233-abcdef012345678912345678', 'X-Big', 'a'.repeat(7200)]
    const out = forwardedHeaders(raw, ctx()).headers
    assert.match(header(out, 'x-amzn-trace-id')[0]!, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/)
    assert.doesNotMatch(header(out, 'x-amzn-trace-id')[0]!, /abcdef012345678912345678/)
  })
})

describe('statusFor and the ALB error pages (spec §7.4, §7.5)', () => {
  it('maps each failure once', () => {
    assert.equal(statusFor(new ConnectError()), 502)
    assert.equal(statusFor(new DeregistrationExpiredError()), 502)
    assert.equal(statusFor(new NoTargetError()), 503)
    assert.equal(statusFor(new TargetTimeoutError('response')), 504)
    assert.equal(statusFor(new ClientAbortError()), 460)
    assert.equal(statusFor(new BadRequestError(501, 'BadTransferEncoding')), 501)
    assert.equal(statusFor(new Error('unclassified')), 502)
  })
  it('renders the observed bodies', () => {
    assert.equal(errorPage(503).body.length, 162)
    assert.equal(errorPage(502).body.length, 122)
    assert.equal(errorPage(504).body.toString(), '<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n')
  })
})
