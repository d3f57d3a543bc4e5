/**
 * @module dataplane/proxy/upgrade
 * WebSocket upgrades (spec §7.9): routed like any request, then the client connection is
 * pinned to the target that took it — the request head is written to a fresh connection to
 * the target and the two sockets are piped both ways, so the target's `101 Switching
 * Protocols` (or its refusal) reaches the client byte for byte. The pair counts as in flight
 * on the target: draining waits for it and cuts it when the deregistration delay ends.
 * The idle timeout applies to the pinned connection.
 */
import { connect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { targetTlsOptions } from '../upstream/tls-pool.ts'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { CompiledListener, PortBinding } from '../../config/snapshot.ts'
import { fixedResponse } from '../actions/fixed-response.ts'
import { redirectLocation, redirectStatus } from '../actions/redirect.ts'
import { stripPort } from '../router/request.ts'
import type { TargetGroupRuntime } from '../upstream/group.ts'
import type { TargetState } from '../upstream/target-state.ts'
import type { UpgradedPair } from '../upstream/registry.ts'
import {
  AlbError, BadRequestError, ConnectError, InternalError, NoTargetError, TargetTimeoutError, errorResponseBytes, statusFor,
} from './errors.ts'
import { clientAddress, forwardedHeaders } from './headers.ts'
import { chooseTargetGroup, firstHost, parseRequestTarget, selectListener, type ClientRequest, type ProxyRuntime } from './proxy.ts'
import { TARGET_CONNECT_TIMEOUT_MS } from '../upstream/pool.ts'

export type UpgradeRuntime = ProxyRuntime

function upgradeToken(raw: readonly string[]): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'upgrade') return raw[i + 1]
  return undefined
}

function rawResponse(status: number, headers: ReadonlyArray<readonly [string, string]>, body: Buffer): Buffer {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`
  head += `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`
  return Buffer.concat([Buffer.from(head, 'latin1'), body])
}

function writeError(socket: Duplex, err: unknown): void {
  const status = statusFor(err)
  if (status === 460 || !socket.writable) {
    socket.destroy()
    return
  }
  socket.end(errorResponseBytes(status))
}

export function handleUpgrade(req: ClientRequest, socket: Duplex, head: Buffer, binding: PortBinding, runtime: UpgradeRuntime): void {
  socket.on('error', () => {})
  try {
    const raw = req.rawHeaders
    const listener = selectListener(binding, firstHost(raw))
    // Only WebSocket is proxied as an upgrade (h2c is not an ALB feature).
    if (!/\bwebsocket\b/i.test(upgradeToken(raw) ?? '')) throw new BadRequestError(400, 'UnsupportedUpgrade')
    const target = parseRequestTarget(req.url ?? '/')
    if (target === undefined) throw new BadRequestError(400, 'BadUri')
    const rule = listener.matcher.match({
      method: req.method ?? 'GET', path: target.path, rawQuery: target.rawQuery, rawHeaders: raw, sourceIp: req.socket.remoteAddress ?? '',
    })
    const action = listener.actions.get(rule)
    if (action === undefined) throw new InternalError()
    const server: Array<readonly [string, string]> = listener.serverHeader ? [['Server', 'awselb/2.0']] : []
    if (action.type === 'fixed-response') {
      const fixed = fixedResponse(action.fixedResponseConfig)
      socket.end(rawResponse(fixed.status, [...server, ...Object.entries(fixed.headers).filter(([k]) => k !== 'content-length')], fixed.body))
      return
    }
    if (action.type === 'redirect') {
      const location = redirectLocation(action.redirectConfig, {
        protocol: listener.protocol === 'HTTPS' ? 'https' : 'http',
        host: stripPort(target.absoluteHost ?? firstHost(raw) ?? listener.loadBalancer.dnsName),
        port: listener.port, path: target.path, rawQuery: target.rawQuery,
      })
      socket.end(rawResponse(redirectStatus(action.redirectConfig), [...server, ['Location', location]], Buffer.alloc(0)))
      return
    }
    const groupArn = chooseTargetGroup(action, raw, runtime, runtime.clock()).arn
    const group = groupArn === undefined ? undefined : runtime.group(groupArn)
    if (group === undefined || !group.hasTargets) throw new NoTargetError()
    const headers = forwardedHeaders(raw, {
      loadBalancer: listener.loadBalancer,
      listenerPort: listener.port,
      protocol: listener.protocol === 'HTTPS' ? 'https' : 'http',
      clientIp: clientAddress(req.socket.remoteAddress),
      clientPort: req.socket.remotePort ?? 0,
      ...(target.absoluteHost !== undefined ? { absoluteHost: target.absoluteHost } : {}),
      now: runtime.clock(),
    }).headers
    let requestHead = `${req.method ?? 'GET'} ${target.originForm} HTTP/1.1\r\n`
    for (let i = 0; i + 1 < headers.length; i += 2) requestHead += `${headers[i]}: ${headers[i + 1]}\r\n`
    requestHead += `Connection: Upgrade\r\nUpgrade: ${upgradeToken(raw)}\r\n\r\n`
    pin(socket, req.socket, Buffer.concat([Buffer.from(requestHead, 'latin1'), head]), listener, group, runtime, undefined)
  } catch (err) {
    writeError(socket, err instanceof AlbError ? err : new InternalError(err))
  }
}

/** Connects to a target and pins the client to it; one retry on another target if the dial fails. */
/**
 * `client` is the upgraded connection as the listener handed it over; `clientSocket` the
 * socket under it, which the target's bytes are written to directly (the same object, but for
 * a connection that reads by callback: listener/callback-reads.ts's UpgradedStream).
 */
function pin(
  client: Duplex, clientSocket: Duplex, requestBytes: Buffer, listener: CompiledListener, group: TargetGroupRuntime, runtime: UpgradeRuntime,
  failed: TargetState | undefined,
): void {
  const state = group.balancer.pick(group.candidatesExcept(failed), { now: runtime.clock() })
  const entry = state === undefined ? undefined : runtime.entry(state.key)
  if (state === undefined || entry === undefined) {
    if (state !== undefined) group.balancer.release(state, 'ok')
    writeError(client, failed !== undefined ? new ConnectError() : new NoTargetError())
    return
  }
  // HTTPS target groups: TLS to the target, its certificate not validated (spec §3.2).
  const target: Socket = entry.tls
    ? tlsConnect({ host: state.host, port: state.port, ...targetTlsOptions(), ALPNProtocols: ['http/1.1'] })
    : connect({ host: state.host, port: state.port })
  let connected = false
  const dialTimer = setTimeout(() => target.destroy(new TargetTimeoutError('connect')), TARGET_CONNECT_TIMEOUT_MS)
  const onDialError = (err: Error): void => {
    clearTimeout(dialTimer)
    if (connected) return
    group.balancer.release(state, 'connect_error')
    if (err instanceof TargetTimeoutError) {
      writeError(client, err)
      return
    }
    runtime.targetFailed(entry, err)
    if (failed === undefined && !client.destroyed) pin(client, clientSocket, requestBytes, listener, group, runtime, state)
    else writeError(client, new ConnectError(err))
  }
  target.once('error', onDialError)
  client.once('close', () => { if (!connected) target.destroy() })
  target.once('connect', () => {
    clearTimeout(dialTimer)
    connected = true
    target.off('error', onDialError)
    target.on('error', () => {})
    if (client.destroyed) {
      target.destroy()
      group.balancer.release(state, 'client_abort')
      return
    }
    const pair: UpgradedPair = { client, target, slot: -1 }
    entry.upgraded.add(pair)
    state.upgraded++
    let done = false
    const finish = (): void => {
      if (done) return
      done = true
      client.destroy()
      target.destroy()
      entry.upgraded.delete(pair)
      state.upgraded--
      group.balancer.release(state, 'ok')
      entry.settle()
    }
    const idleMs = listener.loadBalancer.idleTimeoutMs
    ;(client as Socket).setTimeout(idleMs, finish)
    target.setTimeout(idleMs, finish)
    client.once('close', finish)
    target.once('close', finish)
    target.write(requestBytes)
    client.pipe(target)
    target.pipe(clientSocket)
  })
}
