/**
 * Test support: an OpenALB on 127.0.0.1 port 0 with a fresh data directory, plus SDK v3
 * clients pointed at it. Every suite starts its own, so suites run in parallel.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2'
import { EC2Client } from '@aws-sdk/client-ec2'
import { DEFAULT_API_OPTIONS, startOpenAlb, type OpenAlb, type OpenAlbConfig } from '../../src/main.ts'

export const TEST_REGION = 'us-east-1'
export const TEST_CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }

export interface TestOpenAlb extends OpenAlb {
  readonly elbv2: ElasticLoadBalancingV2Client
  readonly ec2: EC2Client
  readonly dataDir: string
  /** POST /_openalb/reset */
  reset(): Promise<void>
}

export async function startTestOpenAlb(overrides: Partial<OpenAlbConfig> = {}): Promise<TestOpenAlb> {
  const dataDir = mkdtempSync(join(tmpdir(), 'openalb-test-'))
  const openAlb = await startOpenAlb({
    apiPort: 0, bind: '127.0.0.1', dataDir, allowReset: true, credentials: new Map(),
    api: { ...DEFAULT_API_OPTIONS, provisioningMs: 200 },
    log: () => {},
    ...overrides,
  })
  const clientConfig = { endpoint: openAlb.apiUrl, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 }
  const elbv2 = new ElasticLoadBalancingV2Client(clientConfig)
  const ec2 = new EC2Client(clientConfig)
  return {
    ...openAlb,
    elbv2, ec2, dataDir,
    async reset() {
      const res = await fetch(`${openAlb.apiUrl}/_openalb/reset`, { method: 'POST' })
      if (res.status !== 200) throw new Error(`reset failed: ${res.status}`)
    },
    async close() {
      elbv2.destroy()
      ec2.destroy()
      await openAlb.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
