/** One HTTP/2 exchange on a client session, for tests. */
import type { ClientHttp2Session } from 'node:http2'

export interface Http2Answer {
  readonly status: number
  readonly headers: Record<string, unknown>
  readonly body: string
}

/** Sends `headers` (and `body`) on a new stream of `session`; resolves with the whole answer. */
export function h2Request(session: ClientHttp2Session, headers: Record<string, string>, body?: string): Promise<Http2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers)
    let status = 0
    let responseHeaders: Record<string, unknown> = {}
    let text = ''
    stream.on('response', (h) => { status = Number(h[':status']); responseHeaders = h })
    stream.setEncoding('utf8')
    stream.on('data', (c: string) => { text += c })
    stream.on('end', () => resolve({ status, headers: responseHeaders, body: text }))
    stream.on('error', reject)
    stream.end(body)
  })
}

/** The body of a GET of `path`. */
export async function h2Get(session: ClientHttp2Session, path: string): Promise<string> {
  return (await h2Request(session, { ':path': path })).body
}
