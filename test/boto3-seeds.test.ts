/**
 * End to end (issue 2): seeds 001, 000 and 004 driven by boto3 against the real
 * `openalb serve`. The flow and its assertions live in test/fixtures/seed_flow.py, which
 * exits non-zero on the first mismatch with the value it expected.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { findBoto3, isolatedEnv, toolMissing } from './support/cli.ts'
import { REPO_ROOT, privateLoopback, startOpenAlbProcess } from './support/process.ts'

const SCRIPT = join(REPO_ROOT, 'test', 'fixtures', 'seed_flow.py')

test('seed flows with boto3', { timeout: 180_000 }, async (t) => {
  const boto3 = await findBoto3()
  if ('missing' in boto3) return void toolMissing(t, boto3.missing)
  t.diagnostic(`boto3 ${boto3.version}`)
  const server = await startOpenAlbProcess({ bind: privateLoopback() })
  const home = mkdtempSync(join(tmpdir(), 'openalb-boto3-'))
  try {
    const result = await promisify(execFile)(boto3.python, [SCRIPT, server.url], { env: isolatedEnv(home), timeout: 170_000 })
      .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }), (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }))
    assert.equal(result.code, 0, `seed_flow.py failed:\n${result.stderr}\n--- server log ---\n${server.stderr()}`)
    assert.deepEqual(JSON.parse(result.stdout), { ok: true })
  } finally {
    rmSync(home, { recursive: true, force: true })
    await server.close()
  }
})
