import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { connect, createServer } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { once } from 'node:events'
import { AlbHttp2Request, AlbHttp2Response } from './h2.ts'

interface Seen {
  body: string
  trailers: Record<string, unknown> | undefined
  /** Times the server's stream asked for trailers after the body. */
  trailerWaits: number
}

/** One request to a node:http2 server using the ALB's compat classes; `respond` answers it. */
async function roundTrip(respond: (res: AlbHttp2Response) => void): Promise<Seen> {
  let trailerWaits = 0
  const server = createServer({ Http2ServerRequest: AlbHttp2Request, Http2ServerResponse: AlbHttp2Response }, (_req, res) => {
    res.stream.on('wantTrailers', () => { trailerWaits++ })
    respond(res as AlbHttp2Response)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const client = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  try {
    const req = client.request({ ':path': '/' })
    let body = ''
    let trailers: Record<string, unknown> | undefined
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => { body += chunk })
    req.on('trailers', (t) => { trailers = { ...t } })
    await once(req, 'end')
    return { body, trailers, trailerWaits }
  } finally {
    client.close()
    server.close()
  }
}

describe('AlbHttp2Response', () => {
  it('ends a response that cannot have trailers with its body, without waiting for trailers', async () => {
    const seen = await roundTrip((res) => {
      res.writeHead(200, 'OK', ['content-type', 'text/plain', 'connection', 'keep-alive'])
      res.write(Buffer.from('hello'))
      res.end()
    })
    assert.equal(seen.body, 'hello')
    assert.equal(seen.trailerWaits, 0)
    assert.equal(seen.trailers, undefined)
  })

  it('still passes on trailers when they may follow (HTTP/2 and gRPC targets)', async () => {
    const seen = await roundTrip((res) => {
      res.mayHaveTrailers = true
      res.writeHead(200, 'OK', ['content-type', 'application/grpc'])
      res.write(Buffer.from('message'))
      res.addTrailers({ 'grpc-status': '0' })
      res.end()
    })
    assert.equal(seen.body, 'message')
    assert.equal(seen.trailerWaits, 1)
    assert.equal(seen.trailers?.['grpc-status'], '0')
  })
})
