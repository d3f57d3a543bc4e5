import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { connect, createServer, type ClientHttp2Session, type ServerHttp2Session } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { once } from 'node:events'
import { untangleStreamTables } from './h2-stream-tables.ts'
import { h2Get as get } from '../../test/support/http2.ts'

describe('untangleStreamTables', () => {
  it('takes over both sides of a fresh session, which keeps serving, closing and failing streams as before', async () => {
    const sessions: ServerHttp2Session[] = []
    const untangled: boolean[] = []
    let hangingStreams = 0
    let allHanging: () => void = () => {}
    const server = createServer()
    server.on('session', (session) => {
      untangled.push(untangleStreamTables(session))
      sessions.push(session)
    })
    server.on('stream', (stream, headers) => {
      if (headers[':path'] === '/hang') {
        // Never answered: cut when the client's session goes away.
        if (++hangingStreams === 5) allHanging()
        return
      }
      stream.respond({ ':status': 200 })
      stream.end(String(headers[':path']))
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const client: ClientHttp2Session = connect(url)
    const other: ClientHttp2Session = connect(url)
    try {
      assert.equal(untangleStreamTables(client), true)
      const paths = Array.from({ length: 200 }, (_, i) => `/r${i}`)
      assert.deepEqual(await Promise.all(paths.map((p) => get(client, p))), paths)
      assert.deepEqual(untangled, [true, true]) // the server side of both client sessions
      // Only once, and only on a session with no stream yet.
      assert.equal(untangleStreamTables(client), false)
      const pending = get(other, '/other')
      assert.equal(untangleStreamTables(other), false)
      assert.equal(await pending, '/other')

      // Streams still open when the session is destroyed each hear about it (forEach over the tables).
      const hung = new Promise<void>((resolve) => { allHanging = resolve })
      const hanging = Array.from({ length: 5 }, () => get(client, '/hang').then(() => 'ended', (err: Error) => err.message))
      await hung
      client.on('error', () => {}) // the session hears its own error too
      client.destroy(new Error('gone'))
      for (const outcome of await Promise.all(hanging)) assert.equal(outcome, 'gone')
    } finally {
      client.destroy()
      other.destroy()
      for (const session of sessions) session.destroy()
      server.close()
    }
  })
})
