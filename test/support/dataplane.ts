/**
 * Test support for data-plane suites: real HTTP targets on 127.0.0.1, free listener ports,
 * a load balancer + target group + listener built through the API, and raw HTTP helpers.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net'
import {
  CreateListenerCommand, CreateLoadBalancerCommand, CreateRuleCommand, CreateTargetGroupCommand, RegisterTargetsCommand,
  type Action, type RuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import type { TestOpenAlb } from './openalb.ts'
import { defaultSubnets } from './network.ts'

export interface TestTarget {
  readonly name: string
  readonly port: number
  readonly server: Server
  /** Requests seen, with the headers as received. */
  readonly seen: Array<{ method: string; url: string; rawHeaders: string[] }>
  close(): Promise<void>
}

export type TargetHandler = (req: IncomingMessage, res: ServerResponse, name: string) => void

const defaultHandler: TargetHandler = (req, res, name) => {
  if (req.url === '/hostname') {
    res.setHeader('Content-Type', 'text/plain')
    res.end(name)
    return
  }
  res.setHeader('Content-Type', 'application/json')
  res.end(JSON.stringify({ name, method: req.method, url: req.url, rawHeaders: req.rawHeaders }))
}

/** startTarget: an HTTP server on 127.0.0.1:0 answering `/hostname` with its name (seed 004). */
export async function startTarget(name: string, handler: TargetHandler = defaultHandler): Promise<TestTarget> {
  const seen: TestTarget['seen'] = []
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders })
    handler(req, res, name)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    name, port, server, seen,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}

/** freePort: listen on port 0, note the port, close. */
export async function freePort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface HttpResult {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly rawHeaders: string[]
  readonly body: string
}

/** get: one HTTP/1.1 request on a fresh connection (no agent). */
export function httpRequest(
  port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string; host?: string } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, path, method: options.method ?? 'GET', agent: false,
      headers: { ...(options.host !== undefined ? { Host: options.host } : {}), ...options.headers },
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({
        status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString('utf8'),
      }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/** rawExchange: writes `bytes` on a fresh TCP connection and returns everything read until the peer closes. */
export function rawExchange(port: number, bytes: string | Buffer, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes))
    const chunks: Buffer[] = []
    const timer = setTimeout(() => socket.destroy(), timeoutMs)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks).toString('latin1'))
    })
    socket.on('timeout', () => reject(new Error('timeout')))
  })
}

/** waitFor: polls `check` until it returns a value other than undefined (no fixed sleeps). */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

let counter = 0

export interface Site {
  readonly loadBalancerArn: string
  readonly dnsName: string
  readonly listenerArn: string
  readonly port: number
  readonly targetGroupArn: string
}

export interface SiteOptions {
  readonly targets: readonly TestTarget[]
  readonly healthCheckIntervalSeconds?: number
  readonly targetGroupAttributes?: ReadonlyArray<{ Key: string; Value: string }>
  readonly loadBalancerArn?: string
  readonly port?: number
}

/** createSite: LB + TG (ip targets 127.0.0.1:<port>) + HTTP listener forwarding to it, through the API. */
export async function createSite(alb: TestOpenAlb, options: SiteOptions): Promise<Site> {
  const n = ++counter
  const subnets = await defaultSubnets(alb)
  let loadBalancerArn = options.loadBalancerArn
  let dnsName = ''
  if (loadBalancerArn === undefined) {
    const lb = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: `dp-${n}`, Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
    loadBalancerArn = lb.LoadBalancerArn!
    dnsName = lb.DNSName!
  }
  const targetGroupArn = await createTargetGroup(alb, `dp-tg-${n}`, options.targets, options.healthCheckIntervalSeconds)
  if (options.targetGroupAttributes !== undefined) {
    const { ModifyTargetGroupAttributesCommand } = await import('@aws-sdk/client-elastic-load-balancing-v2')
    await alb.elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn, Attributes: [...options.targetGroupAttributes] }))
  }
  const port = options.port ?? await freePort()
  const listenerArn = await createListener(alb, loadBalancerArn, port, [{ Type: 'forward', TargetGroupArn: targetGroupArn }])
  return { loadBalancerArn, dnsName, listenerArn, port, targetGroupArn }
}

function notImplemented(err: unknown): boolean {
  return err instanceof Error && /InvalidAction/.test(err.name)
}

function toRecordAction(action: Action, order: number): Record<string, unknown> {
  return {
    type: action.Type, order: action.Order ?? order,
    ...(action.TargetGroupArn !== undefined ? { targetGroupArn: action.TargetGroupArn } : {}),
    ...(action.RedirectConfig !== undefined ? {
      redirectConfig: {
        protocol: action.RedirectConfig.Protocol ?? '#{protocol}', port: action.RedirectConfig.Port ?? '#{port}',
        host: action.RedirectConfig.Host ?? '#{host}', path: action.RedirectConfig.Path ?? '/#{path}',
        query: action.RedirectConfig.Query ?? '#{query}', statusCode: action.RedirectConfig.StatusCode,
      },
    } : {}),
    ...(action.FixedResponseConfig !== undefined ? {
      fixedResponseConfig: {
        statusCode: action.FixedResponseConfig.StatusCode, contentType: action.FixedResponseConfig.ContentType,
        messageBody: action.FixedResponseConfig.MessageBody,
      },
    } : {}),
    ...(action.ForwardConfig !== undefined ? {
      forwardConfig: {
        targetGroups: action.ForwardConfig.TargetGroups!.map((tg) => ({ targetGroupArn: tg.TargetGroupArn!, weight: tg.Weight })),
      },
    } : {}),
  }
}

function toRecordCondition(c: RuleCondition): Record<string, unknown> {
  return {
    field: c.Field,
    ...(c.HostHeaderConfig ? { hostHeaderConfig: { values: c.HostHeaderConfig.Values } } : {}),
    ...(c.PathPatternConfig ? { pathPatternConfig: { values: c.PathPatternConfig.Values } } : {}),
    ...(c.HttpHeaderConfig ? { httpHeaderConfig: { httpHeaderName: c.HttpHeaderConfig.HttpHeaderName, values: c.HttpHeaderConfig.Values } } : {}),
    ...(c.HttpRequestMethodConfig ? { httpRequestMethodConfig: { values: c.HttpRequestMethodConfig.Values } } : {}),
    ...(c.QueryStringConfig ? { queryStringConfig: { values: c.QueryStringConfig.Values!.map((v) => ({ key: v.Key, value: v.Value })) } } : {}),
    ...(c.SourceIpConfig ? { sourceIpConfig: { values: c.SourceIpConfig.Values } } : {}),
  }
}

/**
 * createListener: CreateListener through the API; while the control plane lacks it, the
 * records are written directly (the brief's interim path).
 */
export async function createListener(alb: TestOpenAlb, loadBalancerArn: string, port: number, defaultActions: Action[]): Promise<string> {
  try {
    return (await alb.elbv2.send(new CreateListenerCommand({
      LoadBalancerArn: loadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: defaultActions,
    }))).Listeners![0]!.ListenerArn!
  } catch (err) {
    if (!notImplemented(err)) throw err
  }
  const n = ++counter
  const arn = `${loadBalancerArn.replace(':loadbalancer/', ':listener/')}/${n.toString(16).padStart(16, '0')}`
  await alb.store.tx((tx) => {
    const now = tx.now
    tx.put('listener', arn, {
      arn, loadBalancerArn, port, protocol: 'HTTP', certificateArns: [], attributes: {}, createdTime: now + n, region: 'us-east-1', tags: [],
    })
    tx.put('rule', `${arn}/default`, {
      arn: `${arn.replace(':listener/', ':listener-rule/')}/default`, listenerArn: arn, priority: 'default', conditions: [],
      actions: defaultActions.map((a, i) => toRecordAction(a, i + 1)) as never, region: 'us-east-1', tags: [],
    })
  })
  return arn
}

export async function createTargetGroup(alb: TestOpenAlb, name: string, targets: ReadonlyArray<{ readonly port: number }>, intervalSeconds = 5): Promise<string> {
  const subnets = await defaultSubnets(alb)
  void subnets
  const { DescribeVpcsCommand } = await import('@aws-sdk/client-ec2')
  const vpcId = (await alb.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0]!.VpcId!
  const arn = (await alb.elbv2.send(new CreateTargetGroupCommand({
    Name: name, Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'ip',
    HealthCheckIntervalSeconds: intervalSeconds, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2,
  }))).TargetGroups![0]!.TargetGroupArn!
  if (targets.length > 0) {
    await alb.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: targets.map((t) => ({ Id: '127.0.0.1', Port: t.port })) }))
  }
  return arn
}

export async function createRule(alb: TestOpenAlb, listenerArn: string, priority: number, conditions: RuleCondition[], actions: Action[]): Promise<string> {
  try {
    return (await alb.elbv2.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: priority, Conditions: conditions, Actions: actions }))).Rules![0]!.RuleArn!
  } catch (err) {
    if (!notImplemented(err)) throw err
  }
  const arn = `${listenerArn.replace(':listener/', ':listener-rule/')}/${(++counter).toString(16).padStart(16, '0')}`
  await alb.store.tx((tx) => {
    tx.put('rule', arn, {
      arn, listenerArn, priority, conditions: conditions.map(toRecordCondition) as never,
      actions: actions.map((a, i) => toRecordAction(a, i + 1)) as never, region: 'us-east-1', tags: [],
    })
  })
  return arn
}
