/**
 * SocketWriter (dataplane/direct-write.ts) over real loopback sockets: bytes arrive whole and
 * in order whether the kernel takes them at once or libuv has to queue them, mixed with net's
 * own writes and end(); a peer that does not read gets `false` and then 'drain'; a write to a
 * reset peer destroys the socket with the error.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect, createServer, Socket, type AddressInfo, type Server } from 'node:net'
import { TLSSocket } from 'node:tls'
import { SocketWriter } from './direct-write.ts'

async function pair(): Promise<{ server: Server; client: Socket; peer: Socket }> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const accepted = once(server, 'connection') as Promise<[Socket]>
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1')
  await once(client, 'connect')
  const [peer] = await accepted
  return { server, client, peer }
}

function collect(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  return once(socket, 'end').then(() => Buffer.concat(chunks))
}

describe('SocketWriter', { timeout: 20_000 }, () => {
  it('delivers direct writes, strings as latin1, in order with net\'s own writes and end()', async () => {
    const { server, client, peer } = await pair()
    const received = collect(peer)
    const writer = new SocketWriter(client)
    // On this Node the fast path is taken (a Node whose internals differ would fall back to socket.write).
    assert.equal(writer.direct, true)
    const tls = new TLSSocket(new Socket())
    assert.equal(new SocketWriter(tls).direct, false, 'TLS sockets are written through net')
    tls.destroy()
    assert.equal(writer.write('GET / HTTP/1.1\r\nX-Byte: \u00e9\r\n\r\n'), true)
    assert.equal(writer.write(Buffer.from('body-1;')), true)
    client.write('net;')
    assert.equal(writer.write(Buffer.from('body-2;')), true)
    client.cork()
    client.write('net-corked;')
    writer.write('corked;') // goes through net while net holds bytes, so it stays behind them
    client.uncork()
    writer.write('last')
    client.end()
    const bytes = await received
    assert.equal(bytes.toString('latin1'), 'GET / HTTP/1.1\r\nX-Byte: \u00e9\r\n\r\nbody-1;net;body-2;net-corked;corked;last')
    server.close()
  })

  it('returns false when the peer stops reading, emits drain once libuv has written the rest, and loses nothing', async () => {
    const { server, client, peer } = await pair()
    peer.pause()
    const writer = new SocketWriter(client)
    const piece = Buffer.alloc(256 * 1024)
    const sent: Buffer[] = []
    let i = 0
    let accepted = true
    // Fill the socket buffers until a write has to be queued; every piece is distinct.
    while (accepted && i < 1000) {
      const bytes = Buffer.from(piece.fill(i % 251))
      sent.push(bytes)
      accepted = writer.write(bytes)
      i++
    }
    assert.equal(accepted, false, 'the kernel stopped taking bytes')
    // Writes after a queued one queue behind it, through either path.
    sent.push(Buffer.from('after-direct;'))
    writer.write(Buffer.from('after-direct;'))
    sent.push(Buffer.from('after-net'))
    client.write('after-net')
    const drained = once(client, 'drain')
    const received = collect(peer)
    peer.resume()
    await drained
    client.end()
    assert.ok((await received).equals(Buffer.concat(sent)), 'every byte, in order')
    server.close()
  })

  it('destroys the socket with the write error when the peer has reset the connection', async () => {
    const { server, client, peer } = await pair()
    client.pause() // not reading: the reset shows on a write, not on a read
    const closed = new Promise((resolve) => client.once('close', resolve))
    const failed = once(client, 'error') as Promise<[NodeJS.ErrnoException]>
    peer.resetAndDestroy()
    await once(peer, 'close')
    const writer = new SocketWriter(client)
    // The RST may take a write or two to be noticed.
    for (let n = 0; n < 100 && !client.destroyed; n++) {
      writer.write(Buffer.alloc(1024))
      await new Promise((resolve) => setImmediate(resolve))
    }
    const [err] = await failed
    assert.match(err.code ?? '', /^(EPIPE|ECONNRESET)$/)
    await closed
    server.close()
  })
})
