/**
 * Test support: the real `openalb serve` as a child process, for tests that must see the
 * whole program (the CLI entry point, SIGKILL and restart on the same data directory,
 * external clients such as the AWS CLI and boto3).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The repository root: the nearest ancestor of this file whose package.json is OpenALB's (works from test/ and dist/test/). */
export const REPO_ROOT: string = findRepoRoot(dirname(fileURLToPath(import.meta.url)))

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'openalb') return dir
    if (dirname(dir) === dir) throw new Error(`no openalb package.json above ${start}`)
  }
}

export const MAIN_JS = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js')
const READY_LINE = /^OpenALB API listening on (http:\/\/\S+)\s*$/

export interface OpenAlbProcessOptions {
  /** Reuse a data directory (restart); a fresh temporary one otherwise. */
  readonly dataDir?: string
  /** Address for the API and the listeners; tests that create port-80 listeners pass distinct loopback addresses. */
  readonly bind?: string
  /** Extra `serve` arguments, e.g. ['--credentials', 'AKID:secret']. */
  readonly args?: readonly string[]
}

export interface OpenAlbProcess {
  /** The API URL the server printed, e.g. http://127.0.0.1:40123 */
  readonly url: string
  readonly dataDir: string
  readonly bind: string
  readonly pid: number
  /** Everything the server wrote to stderr so far (its log). */
  stderr(): string
  /** Sends `signal` and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Starts a new server on the same data directory and bind address (kill this one first). */
  restart(): Promise<OpenAlbProcess>
  /** SIGTERM, wait for exit, remove the data directory. */
  close(): Promise<void>
}

/** Spawns `node dist/src/cli/main.js serve --api-port 0 --data-dir … --allow-reset` and waits for its ready line. */
export async function startOpenAlbProcess(options: OpenAlbProcessOptions = {}): Promise<OpenAlbProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'openalb-proc-'))
  const bind = options.bind ?? '127.0.0.1'
  const env = { ...process.env }
  for (const key of Object.keys(env)) if (key.startsWith('OPENALB_')) delete env[key]
  const child = spawn(process.execPath, [MAIN_JS, 'serve', '--api-port', '0', '--bind', bind, '--data-dir', dataDir, '--allow-reset', ...(options.args ?? [])], {
    cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => { log += chunk })
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })

  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    const onExit = (code: number | null, signal: string | null): void => {
      reject(new Error(`openalb exited before it was ready (code ${code}, signal ${signal}):\n${log}`))
    }
    child.once('error', reject)
    child.once('exit', onExit)
    lines.on('line', (line) => {
      const match = READY_LINE.exec(line)
      if (match === null) return
      child.off('exit', onExit)
      child.off('error', reject)
      resolve(match[1]!)
    })
  })

  return processHandle(child, exited, url, dataDir, bind, options, () => log)
}

function processHandle(
  child: ChildProcess, exited: Promise<void>, url: string, dataDir: string, bind: string,
  options: OpenAlbProcessOptions, log: () => string,
): OpenAlbProcess {
  const kill = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    await exited
  }
  return {
    url, dataDir, bind, pid: child.pid!,
    stderr: log,
    kill,
    restart: () => startOpenAlbProcess({ ...options, dataDir, bind }),
    async close() {
      await kill('SIGTERM')
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** A loopback address of its own per server, so several servers can each open listener port 80. */
export function privateLoopback(): string {
  const byte = (): number => 2 + Math.floor(Math.random() * 250)
  return `127.${byte()}.${byte()}.${byte()}`
}
