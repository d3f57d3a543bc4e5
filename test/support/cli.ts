/**
 * Test support: the AWS CLI (v2 from Debian at /usr/bin/aws, v1 from pip as `aws` on PATH)
 * and python3 + boto3, run as a user would against an OpenALB endpoint: no shell, argv
 * exactly as bash hands it over, fake credentials, no user config.
 */
import { execFile } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'

const run = promisify(execFile)

export const CLI_V2_PATH = '/usr/bin/aws'

/** True under CI (CI=true): a missing tool is then a failure, never a skip. */
export const IN_CI = process.env.CI === 'true' || process.env.CI === '1'

export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

function isExecutable(path: string): boolean {
  try { accessSync(path, constants.X_OK); return true } catch { return false }
}

/** Like `command -v name`: the first executable `name` on PATH. */
export function whichOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '' ) continue
    const candidate = join(dir, name)
    if (isExecutable(candidate)) return candidate
  }
  return undefined
}

/** `aws --version` of a CLI binary, or undefined when it cannot run. */
async function cliVersion(path: string): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await run(path, ['--version'], { env: isolatedEnv(tmpdir()), timeout: 60_000 })
    return (stdout + stderr).trim()
  } catch {
    return undefined
  }
}

/** The AWS CLI of a major version: v2 is Debian's /usr/bin/aws, v1 is `aws` on PATH (pip). */
export async function findAwsCli(major: 1 | 2): Promise<{ path: string; version: string } | { missing: string }> {
  const candidates = major === 2 ? [CLI_V2_PATH] : [whichOnPath('aws')].filter((p): p is string => p !== undefined)
  for (const path of candidates) {
    if (!isExecutable(path)) continue
    const version = await cliVersion(path)
    if (version?.startsWith(`aws-cli/${major}.`) === true) return { path, version }
  }
  return { missing: major === 2 ? `AWS CLI v2 (${CLI_V2_PATH}, Debian package awscli)` : 'AWS CLI v1 (`aws` on PATH, `pip install awscli`)' }
}

/** python3 with boto3 importable, or why not. */
export async function findBoto3(): Promise<{ python: string; version: string } | { missing: string }> {
  const python = whichOnPath('python3')
  if (python === undefined) return { missing: 'python3' }
  try {
    const { stdout } = await run(python, ['-c', 'import boto3; print(boto3.__version__)'], { timeout: 60_000 })
    return { python, version: stdout.trim() }
  } catch {
    return { missing: 'boto3 for python3 (`pip install boto3` or Debian python3-boto3)' }
  }
}

/**
 * A tool the test needs is missing: fail under CI, skip (with the reason) elsewhere.
 * Returns false so the caller can `return` from the test.
 */
export function toolMissing(t: TestContext, what: string): false {
  if (IN_CI) assert.fail(`${what} is required under CI=true but is not installed`)
  t.skip(`${what} is not installed`)
  return false
}

/**
 * The environment a CLI run sees: the fake credentials and region, no pager, and a private
 * HOME with no config or credentials files, so nothing of the machine's AWS setup leaks in.
 */
export function isolatedEnv(home: string, credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, region = 'us-east-1'): NodeJS.ProcessEnv {
  const keep = ['PATH', 'PYENV_ROOT', 'PYENV_VERSION', 'LANG', 'LC_ALL', 'TMPDIR', 'SYSTEMROOT']
  const env: NodeJS.ProcessEnv = {}
  for (const key of keep) if (process.env[key] !== undefined) env[key] = process.env[key]
  return {
    ...env,
    HOME: home,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: region,
    AWS_REGION: region,
    AWS_PAGER: '',
    AWS_CLI_AUTO_PROMPT: 'off',
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    // Errors must surface at once, not after the CLI's retries.
    AWS_MAX_ATTEMPTS: '1',
    AWS_RETRY_MODE: 'standard',
  }
}

export interface AwsCliOptions {
  readonly endpointUrl: string
  readonly credentials?: { accessKeyId: string; secretAccessKey: string }
  readonly region?: string
}

/** One AWS CLI binary bound to one endpoint; `cwd` is a private temp dir (for file:// inputs). */
export class AwsCli {
  readonly path: string
  readonly cwd: string
  readonly #endpointUrl: string
  readonly #env: NodeJS.ProcessEnv

  constructor(path: string, options: AwsCliOptions) {
    this.path = path
    this.cwd = mkdtempSync(join(tmpdir(), 'openalb-cli-'))
    this.#endpointUrl = options.endpointUrl
    this.#env = isolatedEnv(this.cwd, options.credentials, options.region)
  }

  /** Runs `aws <args> --endpoint-url …`; never throws on a non-zero exit. */
  async run(args: readonly string[]): Promise<CliResult> {
    try {
      const { stdout, stderr } = await run(this.path, [...args, '--endpoint-url', this.#endpointUrl], {
        cwd: this.cwd, env: this.#env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024,
      })
      return { code: 0, stdout, stderr }
    } catch (err) {
      const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string }
      if (typeof e.code !== 'number') throw err
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
    }
  }

  /** Runs a command that must succeed; returns its stdout. */
  async ok(args: readonly string[]): Promise<string> {
    const result = await this.run(args)
    assert.equal(result.code, 0, `aws ${args.join(' ')} failed (exit ${result.code}):\n${result.stderr}${result.stdout}`)
    return result.stdout
  }

  /** Runs a command that must succeed and print JSON (the default output). */
  async json<T = any>(args: readonly string[]): Promise<T> {
    const stdout = await this.ok(args)
    try {
      return JSON.parse(stdout) as T
    } catch {
      assert.fail(`aws ${args.join(' ')} printed no JSON:\n${stdout}`)
    }
  }

  /** Runs a command that must fail with `An error occurred (<code>)`; returns stderr. */
  async fails(args: readonly string[], code: string): Promise<string> {
    const result = await this.run(args)
    assert.notEqual(result.code, 0, `aws ${args.join(' ')} succeeded, expected ${code}:\n${result.stdout}`)
    assert.match(result.stderr, new RegExp(`An error occurred \\(${code}\\)`), `aws ${args.join(' ')}: expected ${code}`)
    return result.stderr
  }

  dispose(): void {
    rmSync(this.cwd, { recursive: true, force: true })
  }
}
