/**
 * listener/callback-reads.ts over real loopback sockets: an accepted connection re-wrapped
 * to read by callback still counts as the server's connection, and an upgraded one goes on as
 * UpgradedStream — piped to a slow destination it loses nothing and pauses the socket meanwhile,
 * the client's end ends the destination, and destroying the stream closes the socket.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { Writable } from 'node:stream'
import { adoptWithCallbackReads, UpgradedStream } from './callback-reads.ts'

/** A server whose connections are adopted; `onRead` hears each read with its socket. */
async function adoptingServer(onSocket: (socket: Socket, feed: (handler: (chunk: Buffer) => void) => void) => void): Promise<Server> {
  const server: Server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (accepted) => {
    let handler: (chunk: Buffer) => void = () => {}
    const socket = adoptWithCallbackReads(accepted, server, true, (chunk) => handler(chunk))
    assert.ok(socket !== undefined, 'this Node lets a connection be re-wrapped')
    onSocket(socket, (h) => { handler = h })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return server
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

describe('callback reads', { timeout: 20_000 }, () => {
  it('reads into the shared buffer, and the server counts the connection until it closes', async () => {
    const reads: string[] = []
    let adopted: Socket | undefined
    const server = await adoptingServer((socket, feed) => {
      adopted = socket
      feed((chunk) => {
        reads.push(chunk.toString('latin1'))
        socket.write(`echo:${chunk.toString('latin1')}`)
      })
    })
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1')
    await once(client, 'connect')
    client.write('hello')
    const [echo] = await once(client, 'data') as [Buffer]
    assert.equal(echo.toString(), 'echo:hello')
    assert.deepEqual(reads, ['hello'])
    assert.equal(await new Promise((resolve) => server.getConnections((_, n) => resolve(n))), 1)
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    adopted!.destroy()
    client.destroy()
    await closed // only once the adopted socket's close took it off the server's count
  })

  it('pipes an upgraded connection to a slow destination without loss, pausing the socket meanwhile, and ends it on end', async () => {
    const received: Buffer[] = []
    let upgraded: UpgradedStream | undefined
    let pauses = 0
    let resolveEnded!: () => void
    const destinationEnded = new Promise<void>((resolve) => { resolveEnded = resolve })
    const server = await adoptingServer((socket, feed) => {
      upgraded = new UpgradedStream(socket)
      const pause = socket.pause.bind(socket)
      socket.pause = () => {
        pauses++
        return pause()
      }
      feed((chunk) => upgraded!.feed(Buffer.from(chunk)))
      // A destination that takes 16 KiB and then waits a turn: the socket must pause.
      const slow = new Writable({
        highWaterMark: 16 * 1024,
        write(chunk: Buffer, _encoding, done) {
          received.push(chunk)
          setImmediate(done)
        },
        final(done) {
          resolveEnded()
          done()
        },
      })
      upgraded.pipe(slow)
    })
    const client = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true })
    await once(client, 'connect')
    const body = Buffer.alloc(4 * 1024 * 1024)
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(i, i)
    client.end(body)
    await destinationEnded
    assert.equal(sha256(Buffer.concat(received)), sha256(body))
    assert.ok(pauses > 0, 'the socket stopped reading while the destination was full')
    // The other direction goes to the socket itself; destroying the stream closes it.
    const clientClosed = once(client, 'close')
    upgraded!.destroy()
    await clientClosed
    server.close()
  })
})
