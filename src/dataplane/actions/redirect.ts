/**
 * @module dataplane/actions/redirect
 * The `redirect` action (UG "Listener rules" → Redirect actions; API reference
 * RedirectActionConfig): the Location is `protocol://host:port/path?query`, built from
 * the config where each component may use the placeholders #{protocol}, #{host},
 * #{port}, #{path} and #{query}; a component left at its default (`#{protocol}`,
 * `#{port}`, `#{host}`, `/#{path}`, `#{query}`) keeps the request's value.
 *
 * - #{protocol} is `http` / `https`; a literal `HTTP` / `HTTPS` is lowercased in the URL.
 * - #{path} is the original path WITHOUT its leading '/', as received (not decoded);
 *   #{query} is the original query without '?'. No '?' is emitted when the query is empty.
 * - The port is always written, even 80 for http / 443 for https: the UG access-log
 *   example shows `redirect_url` `https://example.com:80/`; whether AWS drops default ports
 *   is UNVERIFIED (spec §10.3), and an explicit port is always correct for clients.
 *
 * The config is compiled once into a template (cached per config object), so a redirect
 * costs one string concatenation per request.
 */
import type { RedirectConfig } from '../../model/resources.ts'

export interface RedirectRequest {
  readonly protocol: 'http' | 'https'
  /** Host without port. */
  readonly host: string
  /** The listener port. */
  readonly port: number
  readonly path: string
  readonly rawQuery: string
}

type Part = string | ((r: RedirectRequest) => string)
type Template = (r: RedirectRequest) => string

const PLACEHOLDERS: Record<string, (r: RedirectRequest) => string> = {
  '#{protocol}': (r) => r.protocol,
  '#{host}': (r) => r.host,
  '#{port}': (r) => String(r.port),
  '#{path}': (r) => (r.path.charCodeAt(0) === 0x2f ? r.path.slice(1) : r.path),
  '#{query}': (r) => r.rawQuery,
}
const PLACEHOLDER = /#\{(?:protocol|host|port|path|query)\}/g

function compileComponent(text: string): Template {
  const parts: Part[] = []
  let last = 0
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push(text.slice(last, m.index))
    parts.push(PLACEHOLDERS[m[0]]!)
    last = m.index + m[0].length
  }
  if (last < text.length) parts.push(text.slice(last))
  if (parts.length === 0) return () => ''
  if (parts.length === 1) {
    const only = parts[0]!
    return typeof only === 'string' ? () => only : only
  }
  return (r) => {
    let out = ''
    for (const part of parts) out += typeof part === 'string' ? part : part(r)
    return out
  }
}

/** compileRedirect builds the Location template for one RedirectConfig. */
export function compileRedirect(config: RedirectConfig): Template {
  const protocolText = config.protocol || '#{protocol}'
  const upper = protocolText.toUpperCase()
  const protocol = upper === 'HTTP' || upper === 'HTTPS' ? (() => { const p = upper.toLowerCase(); return () => p })() : compileComponent(protocolText)
  const host = compileComponent(config.host || '#{host}')
  const port = compileComponent(config.port || '#{port}')
  const pathText = config.path || '/#{path}'
  // The API requires a leading '/'; add it if a stored config lacks one so the URL stays valid.
  const path = compileComponent(pathText.startsWith('/') ? pathText : `/${pathText}`)
  const query = compileComponent(config.query ?? '#{query}')
  return (r) => {
    const q = query(r)
    const base = `${protocol(r)}://${host(r)}:${port(r)}${path(r)}`
    return q === '' ? base : `${base}?${q}`
  }
}

const cache = new WeakMap<RedirectConfig, Template>()

/** redirectLocation: the `Location` header value for this request. */
export function redirectLocation(config: RedirectConfig, request: RedirectRequest): string {
  let template = cache.get(config)
  if (template === undefined) {
    template = compileRedirect(config)
    cache.set(config, template)
  }
  return template(request)
}

/** redirectStatus: HTTP_301 → 301 (permanent), HTTP_302 → 302 (temporary). */
export function redirectStatus(config: RedirectConfig): 301 | 302 {
  return config.statusCode === 'HTTP_301' ? 301 : 302
}
