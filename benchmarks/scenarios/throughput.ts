/**
 * Request/response scenarios, each system driven in interleaved rounds (so drift on a shared
 * machine spreads over all of them): plain HTTP/1.1 keep-alive and 100 rules (wrk), HTTPS
 * with TLS termination (wrk over TLS) and HTTP/2 clients (h2load, ALPN h2).
 * Two targets in a separate process answer 100-byte bodies; every proxy keeps its target
 * connections alive. `plain` also measures http-proxy (node-http-proxy), the Node.js baseline.
 */
import { rmSync } from 'node:fs'
import { CreateRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { selfSigned } from '../../test/support/openssl.ts'
import {
  ROUNDS, WARMUP_SECONDS, fmt, freePort, h2load, has, log, wrk, type Metrics, type Sample, type System,
} from './support.ts'
import {
  createListener, createTargetGroup, haproxyBackend, haproxyProxy, httpProxyVersion, importCertificate, nginxUpstream, startHaproxy, startHttpProxy, startNginx,
  startOpenAlb, startTargets, waitHealthy, writeTlsFiles, type OpenAlb, type Targets,
} from './systems.ts'

/** `seconds`: the load's duration (the warm-up's is shorter than a round's). */
interface Measured { readonly scenario: string; readonly system: System; measure(system: System, seconds?: number): Promise<Metrics> }

async function interleave(measured: Measured[]): Promise<Sample[]> {
  const samples: Sample[] = []
  if (WARMUP_SECONDS > 0) for (const m of measured) await m.measure(m.system, WARMUP_SECONDS)
  for (let round = 1; round <= ROUNDS; round++) {
    for (const m of measured) {
      const metrics = await m.measure(m.system)
      samples.push({ scenario: m.scenario, system: m.system.name, round, metrics })
      log(`  ${m.scenario} round ${round} ${m.system.name}: ${fmt(metrics.rps, 0)} req/s, p99 ${fmt(metrics.p99ms, 2)} ms, ${fmt(metrics.cpuUsPerReq)} µs CPU/req, ${metrics.errors} errors`)
    }
  }
  return samples
}

/** An OpenALB with one HTTP listener whose `rules` path rules only match at the last one. */
async function openAlbWithRules(targets: Targets, rules: number): Promise<{ alb: OpenAlb; system: System }> {
  const alb = await startOpenAlb()
  try {
    const tg = await createTargetGroup(alb, 'bench', targets.http)
    const other = rules > 1 ? await createTargetGroup(alb, 'bench-other', []) : undefined
    const port = await freePort()
    const listenerArn = await createListener(alb, { port, protocol: 'HTTP' })
    // Rules 1 … rules-1 never match the benchmark's path; the last (lowest precedence) does.
    for (let i = 1; i <= rules; i++) {
      const last = i === rules
      await alb.elbv2.send(new CreateRuleCommand({
        ListenerArn: listenerArn, Priority: i,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [last ? '/*' : `/never-${i}/*`] } }],
        Actions: [{ Type: 'forward', TargetGroupArn: last || other === undefined ? tg : other }],
      }))
    }
    await waitHealthy(alb, tg)
    const name = rules > 1 ? `openalb-${rules}-rules` : 'openalb'
    return { alb, system: { name, url: `http://127.0.0.1:${port}/`, pid: alb.pid, stop: () => {} } }
  } catch (err) {
    await alb.stop()
    throw err
  }
}

const nginxProxy = 'proxy_pass http://targets; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;'

/** `plain` and `rules`: HTTP/1.1 keep-alive through one rule and through 100 rules. */
export async function runHttp1(scenarios: Set<string>): Promise<Sample[]> {
  const targets = await startTargets({ ports: 2 })
  const cleanup: Array<() => Promise<void>> = [() => targets.stop()]
  try {
    const measured: Measured[] = []
    const plain = (system: System): Measured => ({ scenario: 'plain', system, measure: (s, seconds) => wrk(s.url, s.pid, seconds) })
    if (scenarios.has('plain')) measured.push(plain({ name: 'direct', url: `http://127.0.0.1:${targets.http[0]}/`, pid: undefined, stop: () => {} }))
    // The 1-rule OpenALB is also the baseline the 100-rules figure is compared with.
    const one = await openAlbWithRules(targets, 1)
    cleanup.push(() => one.alb.stop())
    measured.push({ ...plain(one.system), scenario: scenarios.has('plain') ? 'plain' : 'rules' })
    if (scenarios.has('rules')) {
      const hundred = await openAlbWithRules(targets, 100)
      cleanup.push(() => hundred.alb.stop())
      measured.push({ scenario: 'rules', system: hundred.system, measure: (s, seconds) => wrk(s.url, s.pid, seconds) })
    }
    if (scenarios.has('plain') && has('nginx')) {
      const port = await freePort()
      const nginx = await startNginx(`${nginxUpstream(targets.http)}\n  server { listen 127.0.0.1:${port}; location / { ${nginxProxy} } }`, port)
      cleanup.push(() => nginx.stop())
      measured.push(plain({ name: 'nginx', url: `http://127.0.0.1:${port}/`, pid: nginx.pid, stop: () => {} }))
    }
    if (scenarios.has('plain') && has('haproxy')) {
      const port = await freePort()
      const haproxy = await startHaproxy(haproxyProxy(port, targets.http), port)
      cleanup.push(() => haproxy.stop())
      measured.push(plain({ name: 'haproxy', url: `http://127.0.0.1:${port}/`, pid: haproxy.pid, stop: () => {} }))
    }
    // What a Node.js user would otherwise run (issue 5: OpenALB's throughput ≥ 2× it).
    if (scenarios.has('plain')) {
      if (httpProxyVersion() === undefined) {
        log('  http-proxy: the http-proxy package is not installed (npm ci installs it), skipped')
      } else {
        const httpProxy = await startHttpProxy(targets.http)
        cleanup.push(() => httpProxy.stop())
        measured.push(plain({ name: 'http-proxy', url: `http://127.0.0.1:${httpProxy.port}/`, pid: httpProxy.pid, stop: () => {} }))
      }
    }
    return await interleave(measured)
  } finally {
    for (const stop of cleanup.reverse()) await stop()
  }
}

/**
 * `https` and `h2`: TLS terminated by the proxy with the same self-signed RSA-2048 certificate
 * (imported through ACM for OpenALB) and the same TLS 1.2/1.3 policy; targets stay plain HTTP/1.1.
 * `direct` is the target process serving TLS itself (node:http2 with HTTP/1.1 allowed).
 */
export async function runTls(scenarios: Set<string>, workDir: string): Promise<Sample[]> {
  const cert = selfSigned('bench.test', ['bench.test', 'localhost'])
  const files = writeTlsFiles(cert)
  const targets = await startTargets({ ports: 2, tls: files })
  const cleanup: Array<() => Promise<void>> = [() => targets.stop(), async () => rmSync(files.dir, { recursive: true, force: true })]
  try {
    const systems: Array<{ name: string; https: string; h2: string; pid: number | undefined }> = [
      { name: 'direct', https: `https://127.0.0.1:${targets.tls}/`, h2: `https://127.0.0.1:${targets.tls}/`, pid: undefined },
    ]
    const alb = await startOpenAlb()
    cleanup.push(() => alb.stop())
    const tg = await createTargetGroup(alb, 'bench', targets.http)
    const albPort = await freePort()
    await createListener(alb, { port: albPort, protocol: 'HTTPS', targetGroupArn: tg, certificateArn: await importCertificate(alb, cert) })
    await waitHealthy(alb, tg)
    // One HTTPS listener serves both: wrk offers no ALPN (HTTP/1.1), h2load offers h2.
    systems.push({ name: 'openalb', https: `https://127.0.0.1:${albPort}/`, h2: `https://127.0.0.1:${albPort}/`, pid: alb.pid })
    if (has('nginx')) {
      const [https, h2] = [await freePort(), await freePort()]
      const tls = `ssl_certificate ${files.certFile}; ssl_certificate_key ${files.keyFile}; ssl_protocols TLSv1.2 TLSv1.3; ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384; ssl_session_cache shared:SSL:10m;`
      const nginx = await startNginx(`${nginxUpstream(targets.http)}
  server { listen 127.0.0.1:${https} ssl; ${tls} location / { ${nginxProxy} } }
  server { listen 127.0.0.1:${h2} ssl http2; ${tls} location / { ${nginxProxy} } }`, https)
      cleanup.push(() => nginx.stop())
      systems.push({ name: 'nginx', https: `https://127.0.0.1:${https}/`, h2: `https://127.0.0.1:${h2}/`, pid: nginx.pid })
    }
    if (has('haproxy')) {
      const [https, h2] = [await freePort(), await freePort()]
      const bind = `ssl crt ${files.bundleFile} ssl-min-ver TLSv1.2 ciphers ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384`
      const haproxy = await startHaproxy(`frontend https
  bind 127.0.0.1:${https} ${bind}
  default_backend targets
frontend h2
  bind 127.0.0.1:${h2} ${bind} alpn h2,http/1.1
  default_backend targets
${haproxyBackend(targets.http)}`, https)
      cleanup.push(() => haproxy.stop())
      systems.push({ name: 'haproxy', https: `https://127.0.0.1:${https}/`, h2: `https://127.0.0.1:${h2}/`, pid: haproxy.pid })
    }
    const measured: Measured[] = []
    if (scenarios.has('https')) {
      for (const s of systems) measured.push({ scenario: 'https', system: { name: s.name, url: s.https, pid: s.pid, stop: () => {} }, measure: (x, seconds) => wrk(x.url, x.pid, seconds) })
    }
    if (scenarios.has('h2')) {
      for (const s of systems) measured.push({ scenario: 'h2', system: { name: s.name, url: s.h2, pid: s.pid, stop: () => {} }, measure: (x, seconds) => h2load(x.url, x.pid, workDir, seconds) })
    }
    return await interleave(measured)
  } finally {
    for (const stop of cleanup.reverse()) await stop()
  }
}
