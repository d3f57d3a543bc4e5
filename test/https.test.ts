/**
 * HTTPS listeners end to end (issue 4): the seed 002 flow replayed with openssl, the AWS CLI v2
 * and curl — a self-signed certificate imported into ACM, an HTTPS listener using it, the site
 * reached over HTTPS (HTTP/1.1 and HTTP/2), and HTTP redirected to HTTPS by a listener rule.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { startTestOpenAlb, type TestOpenAlb } from './support/openalb.ts'
import { freePort, startTarget, waitFor, type TestTarget } from './support/dataplane.ts'
import { defaultSubnets } from './support/network.ts'
import { AwsCli, CLI_V2_PATH } from './support/cli.ts'
import { certificateFiles, curl, run, type CertificateFiles } from './support/tls.ts'

const SITE = 'www.seed002.test'

describe('HTTPS listener: seed 002 with the AWS CLI v2, openssl and curl', () => {
  let alb: TestOpenAlb
  let cli: AwsCli
  let target: TestTarget
  let cert: CertificateFiles
  let httpsPort: number
  let httpPort: number
  let listenerArn: string

  before(async () => {
    alb = await startTestOpenAlb()
    cli = new AwsCli(CLI_V2_PATH, { endpointUrl: alb.apiUrl })
    target = await startTarget('seed-002')
    cert = certificateFiles(SITE, [SITE])
    httpsPort = await freePort()
    httpPort = await freePort()
  })
  after(async () => {
    await alb.close()
    await target.close()
    cli.dispose()
    rmSync(cert.dir, { recursive: true, force: true })
  })

  it('imports the openssl certificate and serves it on an HTTPS listener', async () => {
    // As the seed: `openssl genrsa 2048 > my-private-key`, `openssl req -new -x509 -nodes -sha256 -days 365 …`.
    const key = await run('openssl', ['genrsa', '2048'], { cwd: cli.cwd })
    assert.equal(key.code, 0, key.stderr)
    await import('node:fs').then((fs) => fs.writeFileSync(`${cli.cwd}/my-private-key`, key.stdout))
    const req = await run('openssl', [
      'req', '-new', '-x509', '-nodes', '-sha256', '-days', '365', '-key', 'my-private-key', '-outform', 'PEM', '-out', 'my-certificate.pem',
      '-subj', `/CN=${SITE}`,
    ], { cwd: cli.cwd })
    assert.equal(req.code, 0, req.stderr)

    const imported = await cli.json<{ CertificateArn: string }>([
      'acm', 'import-certificate', '--certificate', 'fileb://my-certificate.pem', '--private-key', 'fileb://my-private-key',
    ])
    assert.match(imported.CertificateArn, /^arn:aws:acm:us-east-1:123456789012:certificate\//)

    const subnets = await defaultSubnets(alb)
    const lb = await cli.json<{ LoadBalancers: Array<{ LoadBalancerArn: string }> }>([
      'elbv2', 'create-load-balancer', '--name', 'seed-002', '--subnets', ...subnets.slice(0, 2),
    ])
    const lbArn = lb.LoadBalancers[0]!.LoadBalancerArn
    const vpcs = await cli.json<{ Vpcs: Array<{ VpcId: string }> }>(['ec2', 'describe-vpcs', '--filters', 'Name=is-default,Values=true'])
    const tg = await cli.json<{ TargetGroups: Array<{ TargetGroupArn: string }> }>([
      'elbv2', 'create-target-group', '--name', 'seed-002-tg', '--protocol', 'HTTP', '--port', '80', '--vpc-id', vpcs.Vpcs[0]!.VpcId,
      '--target-type', 'ip',
    ])
    const tgArn = tg.TargetGroups[0]!.TargetGroupArn
    await cli.ok(['elbv2', 'register-targets', '--target-group-arn', tgArn, '--targets', `Id=127.0.0.1,Port=${target.port}`])
    const listener = await cli.json<{ Listeners: Array<{ ListenerArn: string; Protocol: string; SslPolicy: string; Certificates: Array<{ CertificateArn: string }> }> }>([
      'elbv2', 'create-listener', '--load-balancer-arn', lbArn, '--protocol', 'HTTPS', '--port', String(httpsPort),
      '--certificates', `CertificateArn=${imported.CertificateArn}`, '--default-actions', `Type=forward,TargetGroupArn=${tgArn}`,
    ])
    listenerArn = listener.Listeners[0]!.ListenerArn
    assert.equal(listener.Listeners[0]!.SslPolicy, 'ELBSecurityPolicy-2016-08')

    // `curl --cacert my-certificate.pem` trusts exactly the self-signed certificate.
    const url = `https://${SITE}:${httpsPort}/hostname`
    const resolve = ['--resolve', `${SITE}:${httpsPort}:127.0.0.1`]
    const viaCa = await waitFor(async () => {
      const r = await curl(['--cacert', `${cli.cwd}/my-certificate.pem`, ...resolve, url])
      return r.code === 0 ? r : undefined
    }, 10_000, 'HTTPS listener')
    assert.equal(viaCa.stdout, 'seed-002')

    // `curl -k` (accepting the self-signed warning), HTTP/1.1 explicitly.
    const insecure = await curl(['-k', '--http1.1', '-w', ' %{http_version}', `https://127.0.0.1:${httpsPort}/hostname`])
    assert.equal(insecure.code, 0, insecure.stderr)
    assert.equal(insecure.stdout, 'seed-002 1.1')

    // HTTP/2 via ALPN (routing.http2.enabled defaults to true).
    const h2 = await curl(['-k', '--http2', '-w', ' %{http_version}', `https://127.0.0.1:${httpsPort}/hostname`])
    assert.equal(h2.code, 0, h2.stderr)
    assert.equal(h2.stdout, 'seed-002 2')

    // Without --cacert or -k, curl refuses the self-signed certificate.
    const refused = await curl([...resolve, url])
    assert.equal(refused.code, 60, 'curl: SSL certificate problem')
  })

  it('tells the target the request came over HTTPS', async () => {
    const r = await curl(['-k', `https://127.0.0.1:${httpsPort}/headers`, '-H', 'X-Forwarded-Proto: http'])
    assert.equal(r.code, 0, r.stderr)
    const seen = JSON.parse(r.stdout) as { rawHeaders: string[] }
    const header = (name: string): string[] => {
      const out: string[] = []
      for (let i = 0; i < seen.rawHeaders.length; i += 2) if (seen.rawHeaders[i]!.toLowerCase() === name) out.push(seen.rawHeaders[i + 1]!)
      return out
    }
    assert.deepEqual(header('x-forwarded-proto'), ['https'])
    assert.deepEqual(header('x-forwarded-port'), [String(httpsPort)])
    assert.deepEqual(header('host'), [`127.0.0.1:${httpsPort}`])
  })

  it('redirects HTTP to HTTPS with a listener rule, which curl -L follows', async () => {
    const lbArn = listenerArn.replace(':listener/', ':loadbalancer/').replace(/\/[0-9a-f]+$/, '')
    const http = await cli.json<{ Listeners: Array<{ ListenerArn: string }> }>([
      'elbv2', 'create-listener', '--load-balancer-arn', lbArn, '--protocol', 'HTTP', '--port', String(httpPort),
      '--default-actions', 'Type=fixed-response,FixedResponseConfig={StatusCode=404,ContentType=text/plain,MessageBody=no}',
    ])
    await cli.ok([
      'elbv2', 'create-rule', '--listener-arn', http.Listeners[0]!.ListenerArn, '--priority', '1',
      '--conditions', 'Field=path-pattern,Values=/*',
      '--actions', `Type=redirect,RedirectConfig={Protocol=HTTPS,Port=${httpsPort},StatusCode=HTTP_301}`,
    ])
    const head = await waitFor(async () => {
      const r = await curl(['-i', `http://${SITE}:${httpPort}/hostname?x=1`, '--resolve', `${SITE}:${httpPort}:127.0.0.1`])
      return r.code === 0 && r.stdout.startsWith('HTTP/1.1 301') ? r : undefined
    }, 10_000, 'redirect rule')
    assert.match(head.stdout, new RegExp(`\\r\\nLocation: https://${SITE.replace(/\./g, '\\.')}:${httpsPort}/hostname\\?x=1\\r\\n`, 'i'))
    const followed = await curl([
      '-L', '--cacert', `${cli.cwd}/my-certificate.pem`, '--resolve', `${SITE}:${httpPort}:127.0.0.1`, '--resolve', `${SITE}:${httpsPort}:127.0.0.1`,
      `http://${SITE}:${httpPort}/hostname`,
    ])
    assert.equal(followed.code, 0, followed.stderr)
    assert.equal(followed.stdout, 'seed-002')
  })
})
