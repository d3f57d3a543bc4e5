/**
 * The systems under test: the target process, OpenALB (a `serve` process configured through
 * its API, as a user would), nginx and HAProxy (one worker / one thread each, configured by
 * the scenario) and http-proxy (node-http-proxy, benchmarks/http-proxy-server.ts). Every one
 * of them runs in its own process so /proc charges it alone.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm'
import {
  CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand, DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client, RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2'
import { ROOT, freePort, kill, sleep, startProcess, waitForPort } from './support.ts'

/** Set BENCH_WORKERS=N to run OpenALB with `--workers N` (CPU and RSS then count every worker). */
const WORKERS = process.env.BENCH_WORKERS

export interface Targets {
  readonly http: number[]
  readonly tls: number | undefined
  readonly pid: number
  stop(): Promise<void>
}

export async function startTargets(options: { ports?: number; count?: number; tls?: { certFile: string; keyFile: string } }): Promise<Targets> {
  const args = [join(ROOT, 'dist/benchmarks/target.js')]
  for (let i = 0; i < (options.ports ?? 0); i++) args.push('0')
  if (options.count !== undefined) args.push('--count', String(options.count))
  if (options.tls !== undefined) args.push('--tls-cert', options.tls.certFile, '--tls-key', options.tls.keyFile)
  const { child, match } = await startProcess(process.execPath, args, /^ready (.*)$/)
  const ready = JSON.parse(match[1]!) as { http: number[]; tls?: number }
  return { http: ready.http, tls: ready.tls, pid: child.pid!, stop: () => kill(child) }
}

/**
 * The `http-proxy` package (a devDependency, so present after `npm ci`, absent after
 * `npm ci --omit=dev`): the version, or undefined when it cannot be resolved.
 */
export function httpProxyVersion(): string | undefined {
  try {
    const require = createRequire(import.meta.url)
    return (JSON.parse(readFileSync(require.resolve('http-proxy/package.json'), 'utf8')) as { version: string }).version
  } catch {
    return undefined
  }
}

/** node-http-proxy in its own process, round robin over `targetPorts` with a keep-alive agent. */
export async function startHttpProxy(targetPorts: number[]): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const args = [join(ROOT, 'dist/benchmarks/http-proxy-server.js'), '0', ...targetPorts.map(String)]
  const { child, match } = await startProcess(process.execPath, args, /^ready (.*)$/)
  const ready = JSON.parse(match[1]!) as { port: number }
  return { port: ready.port, pid: child.pid!, stop: () => kill(child) }
}

export interface OpenAlb {
  readonly child: ChildProcess
  readonly pid: number
  readonly elbv2: ElasticLoadBalancingV2Client
  readonly acm: ACMClient
  readonly loadBalancerArn: string
  readonly vpcId: string
  readonly dataDir: string
  stop(): Promise<void>
}

export interface OpenAlbOptions {
  /** The build to run (another build's dist/src/cli/main.js for an A/B); default this one. */
  readonly main?: string
  /** Node flags (e.g. `--cpu-prof --cpu-prof-dir=…`, `--trace-gc`). */
  readonly nodeArgs?: readonly string[]
  /**
   * Stop with SIGTERM and wait for a normal exit (so --cpu-prof writes its profile), and keep
   * the data directory, where what OpenALB printed after start-up is in stdout.log. Default:
   * SIGKILL and remove the directory.
   */
  readonly keep?: boolean
}

/** A fresh `openalb serve` process with one load balancer; the scenario adds listeners and target groups. */
export async function startOpenAlb(options: OpenAlbOptions = {}): Promise<OpenAlb> {
  const dataDir = mkdtempSync(join(tmpdir(), 'openalb-bench-'))
  const args = [...options.nodeArgs ?? [], options.main ?? join(ROOT, 'dist/src/cli/main.js'), 'serve', '--api-port', '0', '--data-dir', dataDir]
  if (WORKERS !== undefined && WORKERS !== '') args.push('--workers', WORKERS)
  const { child, match } = await startProcess(process.execPath, args, /listening on (http:\/\/\S+)/, join(dataDir, 'openalb.log'))
  child.stdout?.pipe(createWriteStream(join(dataDir, 'stdout.log')))
  const stopChild = (): Promise<void> => options.keep === true ? terminate(child) : kill(child)
  try {
    const config = { endpoint: match[1]!, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, maxAttempts: 1 }
    const elbv2 = new ElasticLoadBalancingV2Client(config)
    const acm = new ACMClient(config)
    const ec2 = new EC2Client(config)
    const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets!.map((s) => s.SubnetId!)
    ec2.destroy()
    const lb = (await elbv2.send(new CreateLoadBalancerCommand({ Name: 'bench', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!
    return {
      child, pid: child.pid!, elbv2, acm, loadBalancerArn: lb.LoadBalancerArn!, vpcId: lb.VpcId!, dataDir,
      stop: async () => {
        elbv2.destroy()
        acm.destroy()
        await stopChild()
        if (options.keep !== true) rmSync(dataDir, { recursive: true, force: true })
      },
    }
  } catch (err) {
    await kill(child)
    throw err
  }
}

/** SIGTERM, then the exit: OpenALB shuts down normally. */
function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

/** A target group of `ip` targets on 127.0.0.1, health-checked every `intervalSeconds`. */
export async function createTargetGroup(alb: OpenAlb, name: string, ports: number[], intervalSeconds = 5): Promise<string> {
  const tg = (await alb.elbv2.send(new CreateTargetGroupCommand({
    Name: name, Protocol: 'HTTP', Port: 80, VpcId: alb.vpcId, TargetType: 'ip',
    HealthCheckIntervalSeconds: intervalSeconds, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2,
  }))).TargetGroups![0]!.TargetGroupArn!
  if (ports.length > 0) await alb.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: ports.map((p) => ({ Id: '127.0.0.1', Port: p })) }))
  return tg
}

/** Resolves once every registered target is healthy (AWS's own signal that traffic will flow). */
export async function waitHealthy(alb: OpenAlb, targetGroupArn: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const health = await alb.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))
    const states = health.TargetHealthDescriptions ?? []
    if (states.length > 0 && states.every((d) => d.TargetHealth?.State === 'healthy')) return
    if (Date.now() > deadline) {
      const healthy = states.filter((d) => d.TargetHealth?.State === 'healthy').length
      throw new Error(`targets not healthy after ${timeoutMs} ms (${healthy}/${states.length})`)
    }
    await sleep(250) // polling the API: there is no event to await across processes
  }
}

/** Imports a certificate through ACM, as a user of an HTTPS listener does. */
export async function importCertificate(alb: OpenAlb, cert: { certPem: string; keyPem: string }): Promise<string> {
  return (await alb.acm.send(new ImportCertificateCommand({ Certificate: Buffer.from(cert.certPem), PrivateKey: Buffer.from(cert.keyPem) }))).CertificateArn!
}

/**
 * The TLS policy every system uses in the HTTPS and HTTP/2 scenarios: TLS 1.2 and 1.3 with
 * AES-GCM (ELBSecurityPolicy-TLS13-1-2-2021-06 on OpenALB, the same set on nginx and HAProxy).
 */
export const SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06'

/**
 * openAlbForwarding: a fresh OpenALB with one HTTP listener whose default action forwards to a
 * target group of `ports`, returned once every target is healthy.
 */
export async function openAlbForwarding(name: string, ports: number[]): Promise<{ alb: OpenAlb; port: number }> {
  const alb = await startOpenAlb()
  try {
    const tg = await createTargetGroup(alb, name, ports)
    const port = await freePort()
    await createListener(alb, { port, protocol: 'HTTP', targetGroupArn: tg })
    await waitHealthy(alb, tg)
    return { alb, port }
  } catch (err) {
    await alb.stop()
    throw err
  }
}

/** nginx `upstream targets` over `ports`; `keepalive`: idle connections kept to the targets (0: none). */
export function nginxUpstream(ports: number[], keepalive = 64): string {
  return `upstream targets { ${ports.map((p) => `server 127.0.0.1:${p};`).join(' ')}${keepalive > 0 ? ` keepalive ${keepalive};` : ''} }`
}

/** HAProxy `backend targets`, round robin over `ports`; `lines` go before the servers (health checks …). */
export function haproxyBackend(ports: number[], lines: readonly string[] = []): string {
  return ['backend targets', '  balance roundrobin', ...lines.map((l) => `  ${l}`), ...ports.map((p, i) => `  server t${i} 127.0.0.1:${p}`)].join('\n')
}

/** HAProxy `frontend fe` on `port` to `backend targets` (haproxyBackend). */
export function haproxyProxy(port: number, ports: number[], backendLines: readonly string[] = []): string {
  return `frontend fe\n  bind 127.0.0.1:${port}\n  default_backend targets\n${haproxyBackend(ports, backendLines)}`
}

export async function createListener(alb: OpenAlb, options: {
  port: number
  protocol: 'HTTP' | 'HTTPS'
  targetGroupArn?: string
  certificateArn?: string
}): Promise<string> {
  return (await alb.elbv2.send(new CreateListenerCommand({
    LoadBalancerArn: alb.loadBalancerArn, Protocol: options.protocol, Port: options.port,
    ...(options.certificateArn === undefined ? {} : { Certificates: [{ CertificateArn: options.certificateArn }], SslPolicy: SSL_POLICY }),
    DefaultActions: options.targetGroupArn === undefined
      ? [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'no rule' } }]
      : [{ Type: 'forward', TargetGroupArn: options.targetGroupArn }],
  }))).Listeners![0]!.ListenerArn!
}

export interface ProxyProcess {
  readonly pid: number
  readonly dir: string
  /** HAProxy's master CLI socket, when asked for. */
  readonly masterSocket?: string
  readonly child: ChildProcess
  stop(): Promise<void>
}

/**
 * nginx with one worker; `http` is the body of its http {} block. The master stays (the
 * config-change scenario reloads it with SIGHUP); CPU and RSS count master and worker.
 * keepalive_requests is lifted from its default of 1,000 per connection: HAProxy has no such
 * limit, and h2load does not reconnect after a GOAWAY, so the default would end its clients.
 */
export async function startNginx(http: string, port: number, options: { connections?: number } = {}): Promise<ProxyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'nginx-bench-'))
  const config = nginxConfig(dir, http, options.connections)
  writeFileSync(join(dir, 'nginx.conf'), config)
  const child = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: ['ignore', 'ignore', 'inherit'] })
  await startedOrExited(child, port, join(dir, 'error.log'))
  return { pid: child.pid!, dir, child, stop: async () => { await stopNginxMaster(child); rmSync(dir, { recursive: true, force: true }) } }
}

/**
 * SIGTERM, not SIGKILL: nginx's master stops its worker on SIGTERM and exits once the worker
 * has, whereas a killed master leaves the worker running (reparented to init, still holding
 * its listening socket and memory) after every run. SIGKILL only if the master is stuck.
 */
function stopNginxMaster(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const stuck = setTimeout(() => child.kill('SIGKILL'), 5_000)
    child.once('exit', () => { clearTimeout(stuck); resolve() })
    child.kill('SIGTERM')
  })
}

/** Rewrites nginx's config (same frame as startNginx) for a reload. */
export function nginxConfig(dir: string, http: string, connections = 4096): string {
  return `
worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${connections}; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  ${http}
}`
}

/**
 * HAProxy with one thread; `sections` follow the global and defaults sections. maxconn
 * stays below what `ulimit -n` allows (HAProxy refuses a maxconn whose sockets exceed it).
 * Master-worker mode (-W) so the config-change scenario can reload it (master CLI on request).
 */
export async function startHaproxy(sections: string, port: number, options: { maxconn?: number; global?: string; masterSocket?: boolean } = {}): Promise<ProxyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'haproxy-bench-'))
  writeFileSync(join(dir, 'haproxy.cfg'), haproxyConfig(sections, options))
  const masterSocket = options.masterSocket === true ? join(dir, 'master.sock') : undefined
  // -W prints a NOTICE per reload on stderr: keep it in the directory, show it if HAProxy refuses to start.
  const logFile = join(dir, 'haproxy.log')
  const args = ['-W', ...(masterSocket === undefined ? [] : ['-S', masterSocket]), '-f', join(dir, 'haproxy.cfg'), '-db']
  const child = spawn('haproxy', args, { stdio: ['ignore', 'ignore', openSync(logFile, 'a')] })
  await startedOrExited(child, port, logFile)
  return { pid: child.pid!, dir, child, ...(masterSocket === undefined ? {} : { masterSocket }), stop: async () => { await kill(child); rmSync(dir, { recursive: true, force: true }) } }
}

export function haproxyConfig(sections: string, options: { maxconn?: number; global?: string } = {}): string {
  return `
global
  nbthread 1
  maxconn ${options.maxconn ?? 4000}
  ${options.global ?? ''}
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout tunnel 60s
  option forwardfor
  http-reuse always
${sections}
`
}

/** The PEM files the TLS scenarios give nginx and HAProxy (HAProxy wants key and cert in one file). */
export function writeTlsFiles(cert: { certPem: string; keyPem: string }): { dir: string; certFile: string; keyFile: string; bundleFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bench-tls-'))
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  const bundleFile = join(dir, 'bundle.pem')
  writeFileSync(certFile, cert.certPem)
  writeFileSync(keyFile, cert.keyPem)
  writeFileSync(bundleFile, cert.certPem + cert.keyPem)
  return { dir, certFile, keyFile, bundleFile }
}

/** Resolves when `port` accepts connections; rejects with the log's text if the process exits first. */
async function startedOrExited(child: ChildProcess, port: number, logFile: string): Promise<void> {
  let onExit: (() => void) | undefined
  const exited = new Promise<never>((_, reject) => {
    onExit = () => {
      let text = ''
      try { text = readFileSync(logFile, 'utf8').trim() } catch { /* no log yet */ }
      reject(new Error(`${child.spawnfile} exited before listening: ${text}`))
    }
    child.once('exit', onExit)
  })
  try {
    await Promise.race([waitForPort(port), exited])
  } finally {
    child.off('exit', onExit!)
  }
}

export { freePort }
