/**
 * HTTPS listeners: SSL policies as real TLS versions and ciphers (spec §5.1), and the TLS
 * headers of `routing.http.x_amzn_tls_version_and_cipher_suite.enabled` (spec §6.2, §7.2)
 * with the names the listener attributes give them (spec §5.2). Issue 4.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm'
import {
  CreateListenerCommand, CreateLoadBalancerCommand, ModifyListenerAttributesCommand, ModifyListenerCommand,
  ModifyLoadBalancerAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { startTestOpenAlb, TEST_CREDENTIALS, TEST_REGION, type TestOpenAlb } from './support/openalb.ts'
import { createTargetGroup, freePort, startTarget, waitFor, type TestTarget } from './support/dataplane.ts'
import { defaultSubnets } from './support/network.ts'
import { certificateFiles, curl, sClient, type CertificateFiles } from './support/tls.ts'

/** OpenSSL 3 clients refuse TLS 1.0 at their default security level; a legacy client is configured like this. */
const TLS10_CLIENT = ['-tls1', '-cipher', 'DEFAULT:@SECLEVEL=0']
const REQUEST = 'GET /hostname HTTP/1.1\r\nHost: policy.test\r\nConnection: close\r\n\r\n'

function negotiated(transcript: string): { protocol?: string; cipher?: string } {
  const protocol = /Protocol\s*:\s*(\S+)/.exec(transcript)?.[1]
  const cipher = /Cipher\s*:\s*(\S+)/.exec(transcript)?.[1]
  return { ...(protocol !== undefined ? { protocol } : {}), ...(cipher !== undefined && cipher !== '0000' ? { cipher } : {}) }
}

describe('HTTPS listener: SSL policies and TLS headers', () => {
  let alb: TestOpenAlb
  let acm: ACMClient
  let target: TestTarget
  let cert: CertificateFiles
  let port: number
  let listenerArn: string
  let loadBalancerArn: string

  async function setPolicy(policy: string, probe: () => Promise<boolean>): Promise<void> {
    await alb.elbv2.send(new ModifyListenerCommand({ ListenerArn: listenerArn, SslPolicy: policy }))
    await waitFor(async () => (await probe()) ? true : undefined, 10_000, `policy ${policy} live`)
  }

  before(async () => {
    alb = await startTestOpenAlb()
    acm = new ACMClient({ endpoint: alb.apiUrl, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 })
    target = await startTarget('policy')
    cert = certificateFiles('policy.test')
    const arn = (await acm.send(new ImportCertificateCommand({ Certificate: Buffer.from(cert.certPem), PrivateKey: Buffer.from(cert.keyPem) }))).CertificateArn!
    const subnets = await defaultSubnets(alb)
    loadBalancerArn = (await alb.elbv2.send(new CreateLoadBalancerCommand({ Name: 'policy', Subnets: subnets.slice(0, 2) }))).LoadBalancers![0]!.LoadBalancerArn!
    const tg = await createTargetGroup(alb, 'policy-tg', [target])
    port = await freePort()
    listenerArn = (await alb.elbv2.send(new CreateListenerCommand({
      LoadBalancerArn: loadBalancerArn, Protocol: 'HTTPS', Port: port, SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      Certificates: [{ CertificateArn: arn }], DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }],
    }))).Listeners![0]!.ListenerArn!
    await waitFor(async () => (await curl(['-k', `https://127.0.0.1:${port}/hostname`])).stdout === 'policy' ? true : undefined, 10_000, 'listener live')
  })
  after(async () => {
    acm.destroy()
    await alb.close()
    await target.close()
    rmSync(cert.dir, { recursive: true, force: true })
  })

  it('refuses a TLS 1.0-only client under ELBSecurityPolicy-TLS13-1-2-2021-06 and accepts it under ELBSecurityPolicy-2016-08', async () => {
    const refused = await sClient(port, [...TLS10_CLIENT, '-ign_eof'], REQUEST)
    assert.notEqual(refused.code, 0)
    assert.equal(negotiated(refused.stdout).cipher, undefined, refused.stdout)
    assert.doesNotMatch(refused.stdout, /HTTP\/1\.1 200/)
    // TLS 1.3 is what this policy prefers.
    const modern = await sClient(port, ['-ign_eof'], REQUEST)
    assert.deepEqual(negotiated(modern.stdout), { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' })

    await setPolicy('ELBSecurityPolicy-2016-08', async () => negotiated((await sClient(port, [...TLS10_CLIENT], 'Q\n')).stdout).protocol === 'TLSv1')
    const legacy = await sClient(port, [...TLS10_CLIENT, '-ign_eof'], REQUEST)
    assert.deepEqual(negotiated(legacy.stdout), { protocol: 'TLSv1', cipher: 'ECDHE-RSA-AES128-SHA' }, 'server cipher order: first 2016-08 cipher TLS 1.0 can use')
    assert.match(legacy.stdout, /HTTP\/1\.1 200 OK[\s\S]*\r\n\r\npolicy/, 'the TLS 1.0 request reaches the target')
    // ELBSecurityPolicy-2016-08 has no TLS 1.3.
    const max = await sClient(port, [], 'Q\n')
    assert.equal(negotiated(max.stdout).protocol, 'TLSv1.2')
  })

  it('restricts ciphers: a CBC-only TLS 1.2 client is refused by ELBSecurityPolicy-TLS13-1-2-Res-2021-06', async () => {
    const cbc = ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA']
    await setPolicy('ELBSecurityPolicy-TLS13-1-2-Res-2021-06',
      async () => negotiated((await sClient(port, ['-tls1_2'], 'Q\n')).stdout).cipher === 'ECDHE-RSA-AES128-GCM-SHA256'
        && negotiated((await sClient(port, cbc, 'Q\n')).stdout).cipher === undefined)
    const gcm = await sClient(port, ['-tls1_2', '-cipher', 'ECDHE-RSA-AES256-GCM-SHA384'], 'Q\n')
    assert.equal(negotiated(gcm.stdout).cipher, 'ECDHE-RSA-AES256-GCM-SHA384')
    await setPolicy('ELBSecurityPolicy-2016-08', async () => negotiated((await sClient(port, cbc, 'Q\n')).stdout).cipher === 'ECDHE-RSA-AES128-SHA')
  })

  it('adds the TLS version and cipher headers when the attribute is on, under the listener\'s names', async () => {
    const seenHeaders = async (): Promise<Map<string, string[]>> => {
      const r = await curl(['-k', '--tlsv1.2', '--tls-max', '1.2', '-H', 'X-Amzn-Tls-Version: forged', `https://127.0.0.1:${port}/h`])
      assert.equal(r.code, 0, r.stderr)
      const raw = (JSON.parse(r.stdout) as { rawHeaders: string[] }).rawHeaders
      const map = new Map<string, string[]>()
      for (let i = 0; i < raw.length; i += 2) map.set(raw[i]!.toLowerCase(), [...(map.get(raw[i]!.toLowerCase()) ?? []), raw[i + 1]!])
      return map
    }
    const off = await seenHeaders()
    assert.deepEqual(off.get('x-amzn-tls-version'), ['forged'], 'off (default): the ALB adds nothing and leaves client headers alone')
    assert.equal(off.get('x-amzn-tls-cipher-suite'), undefined)

    await alb.elbv2.send(new ModifyLoadBalancerAttributesCommand({
      LoadBalancerArn: loadBalancerArn, Attributes: [{ Key: 'routing.http.x_amzn_tls_version_and_cipher_suite.enabled', Value: 'true' }],
    }))
    const on = await waitFor(async () => {
      const h = await seenHeaders()
      return h.has('x-amzn-tls-cipher-suite') ? h : undefined
    }, 10_000, 'TLS headers')
    assert.deepEqual(on.get('x-amzn-tls-version'), ['TLSv1.2'], 'the forged value is replaced')
    assert.deepEqual(on.get('x-amzn-tls-cipher-suite'), ['ECDHE-RSA-AES128-GCM-SHA256'])

    await alb.elbv2.send(new ModifyListenerAttributesCommand({
      ListenerArn: listenerArn, Attributes: [
        { Key: 'routing.http.request.x_amzn_tls_version.header_name', Value: 'X-Tls-Proto' },
        { Key: 'routing.http.request.x_amzn_tls_cipher_suite.header_name', Value: 'X-Tls-Cipher' },
      ],
    }))
    const renamed = await waitFor(async () => {
      const h = await seenHeaders()
      return h.has('x-tls-cipher') ? h : undefined
    }, 10_000, 'renamed TLS headers')
    assert.deepEqual(renamed.get('x-tls-proto'), ['TLSv1.2'])
    assert.deepEqual(renamed.get('x-tls-cipher'), ['ECDHE-RSA-AES128-GCM-SHA256'])
    assert.deepEqual(renamed.get('x-amzn-tls-version'), ['forged'], 'the old name is no longer the ALB\'s')
  })
})
