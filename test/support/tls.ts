/**
 * Test support for HTTPS, HTTP/2 and gRPC suites: curl, openssl s_client and h2load run
 * asynchronously (the OpenALB under test lives in this process, so a synchronous child
 * process would deadlock it), certificates written to files for `fileb://` and `--cacert`.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { selfSigned, type KeyPair } from './openssl.ts'

export interface RunResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** run: a child process with `input` on stdin; never throws on a non-zero exit. */
export function run(command: string, args: readonly string[], options: { input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024, cwd: options.cwd }, (err, stdout, stderr) => {
      const code = err === null ? 0 : (err as { code?: unknown }).code
      if (err !== null && typeof code !== 'number') {
        reject(err)
        return
      }
      resolve({ code: code as number, stdout: String(stdout), stderr: String(stderr) })
    })
    child.stdin?.end(options.input ?? '')
  })
}

/** A key pair made with openssl (seed 002), also written to files in a private directory. */
export interface CertificateFiles extends KeyPair {
  readonly dir: string
  readonly certFile: string
  readonly keyFile: string
}

export function certificateFiles(commonName: string, altNames: readonly string[] = [commonName]): CertificateFiles {
  const pair = selfSigned(commonName, altNames)
  const dir = mkdtempSync(join(tmpdir(), 'openalb-tls-'))
  const certFile = join(dir, 'my-certificate.pem')
  const keyFile = join(dir, 'my-private-key.pem')
  writeFileSync(certFile, pair.certPem)
  writeFileSync(keyFile, pair.keyPem)
  return { ...pair, dir, certFile, keyFile }
}

/** curl with `-sS`; `-w` output appended after the body when given. */
export function curl(args: readonly string[]): Promise<RunResult> {
  return run('curl', ['-sS', '--max-time', '10', ...args])
}

/**
 * sClient: `openssl s_client -connect 127.0.0.1:<port> <args>` sending `input` (e.g. a request),
 * returning its transcript. `-ign_eof` keeps it reading until the server closes.
 */
export function sClient(port: number, args: readonly string[], input = ''): Promise<RunResult> {
  return run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], { input, timeoutMs: 15_000 })
}

/** The subject CN the server presented in an s_client transcript. */
export function presentedCommonName(transcript: string): string | undefined {
  return /subject=.*?CN\s*=\s*([^,\n/]+)/.exec(transcript)?.[1]?.trim()
}
