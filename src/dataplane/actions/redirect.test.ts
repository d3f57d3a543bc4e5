import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { RedirectConfig } from '../../model/resources.ts'
import { redirectLocation, redirectStatus, type RedirectRequest } from './redirect.ts'

const DEFAULTS: RedirectConfig = { protocol: '#{protocol}', port: '#{port}', host: '#{host}', path: '/#{path}', query: '#{query}', statusCode: 'HTTP_301' }
const REQ: RedirectRequest = { protocol: 'http', host: 'www.example.com', port: 80, path: '/a/b%20c', rawQuery: 'x=1&y=%2F' }

describe('redirectLocation', () => {
  const table: Array<{ name: string; config: Partial<RedirectConfig>; request?: Partial<RedirectRequest>; expected: string }> = [
    { name: 'HTTP → HTTPS keeps the rest (UG example)', config: { protocol: 'HTTPS', port: '443' }, expected: 'https://www.example.com:443/a/b%20c?x=1&y=%2F' },
    { name: 'all defaults echo the request, port included', config: {}, expected: 'http://www.example.com:80/a/b%20c?x=1&y=%2F' },
    { name: 'protocol lowercased', config: { protocol: 'HTTP' }, request: { protocol: 'https', port: 443 }, expected: 'http://www.example.com:443/a/b%20c?x=1&y=%2F' },
    { name: 'no ? when the query is empty', config: {}, request: { rawQuery: '' }, expected: 'http://www.example.com:80/a/b%20c' },
    { name: 'explicit empty query drops it', config: { query: '' }, expected: 'http://www.example.com:80/a/b%20c' },
    { name: 'placeholders inside components', config: { host: 'new.#{host}', path: '/v2/#{path}', query: '#{query}&from=#{host}' }, expected: 'http://new.www.example.com:80/v2/a/b%20c?x=1&y=%2F&from=www.example.com' },
    { name: '#{port} and #{protocol} inside the path', config: { path: '/#{protocol}/#{port}/#{path}' }, request: { path: '/' }, expected: 'http://www.example.com:80/http/80/?x=1&y=%2F' },
    { name: 'fixed host, port and path', config: { host: 'example.org', port: '8443', path: '/landing', protocol: 'HTTPS', query: 'src=old' }, expected: 'https://example.org:8443/landing?src=old' },
    { name: 'root path gives an empty #{path}', config: {}, request: { path: '/', rawQuery: '' }, expected: 'http://www.example.com:80/' },
  ]
  for (const c of table) {
    it(c.name, () => {
      assert.equal(redirectLocation({ ...DEFAULTS, ...c.config }, { ...REQ, ...c.request }), c.expected)
    })
  }
  it('caches per config object and still uses each request', () => {
    const config: RedirectConfig = { ...DEFAULTS, protocol: 'HTTPS', port: '443' }
    assert.equal(redirectLocation(config, REQ), 'https://www.example.com:443/a/b%20c?x=1&y=%2F')
    assert.equal(redirectLocation(config, { ...REQ, host: 'b.example.com', path: '/z', rawQuery: '' }), 'https://b.example.com:443/z')
  })
})

describe('redirectStatus', () => {
  it('maps HTTP_301 / HTTP_302', () => {
    assert.equal(redirectStatus({ ...DEFAULTS, statusCode: 'HTTP_301' }), 301)
    assert.equal(redirectStatus({ ...DEFAULTS, statusCode: 'HTTP_302' }), 302)
  })
})
