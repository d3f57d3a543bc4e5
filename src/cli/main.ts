#!/usr/bin/env node
/**
 * @module cli/main
 * `openalb serve` — flags, or OPENALB_* environment variables, then start and print the API URL.
 */
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { DEFAULT_API_OPTIONS, caDirectory, startOpenAlb } from '../main.ts'

const USAGE = `usage: openalb serve [options]
       openalb ca [--data-dir DIR]   print the local CA certificate (PEM) that signs
                                     RequestCertificate certificates; trust it in clients

  --api-port N          API port (OPENALB_API_PORT, default 8777; 0 picks a free port)
  --bind ADDR           address for the API and listeners (OPENALB_BIND, default 127.0.0.1)
  --data-dir DIR        where the SQLite file lives (OPENALB_DATA_DIR, default ./.data)
  --region R            region when a request names none (OPENALB_REGION, default us-east-1)
  --dns-suffix S        load balancer DNS suffix (OPENALB_DNS_SUFFIX, default elb.localhost)
  --credentials K:S     verify SigV4 with this access key and secret (OPENALB_CREDENTIALS; comma-separated)
  --credentials-file F  file of "ACCESS_KEY_ID SECRET" lines (OPENALB_CREDENTIALS_FILE)
  --allow-reset         expose POST /_openalb/reset for test isolation (OPENALB_ALLOW_RESET=1)
  --workers N           worker processes for the listeners, 0/1 = one process, auto = one per
                        core (OPENALB_WORKERS, default 0); GET /_openalb/workers shows their counters
`

function parseCredentials(inline: string | undefined, file: string | undefined): Map<string, string> {
  const credentials = new Map<string, string>()
  for (const pair of (inline ?? '').split(',').filter((p) => p.trim() !== '')) {
    const i = pair.indexOf(':')
    if (i <= 0) throw new Error(`--credentials expects ACCESS_KEY_ID:SECRET, got '${pair}'`)
    credentials.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim())
  }
  if (file !== undefined && file !== '') {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const trimmed = line.trim()
      if (trimmed === '' || trimmed.startsWith('#')) continue
      const [id, secret] = trimmed.split(/[\s:=]+/)
      if (id === undefined || secret === undefined) throw new Error(`${file}: expected "ACCESS_KEY_ID SECRET" lines`)
      credentials.set(id, secret)
    }
  }
  return credentials
}

/** `--workers`: a whole number of worker processes, or `auto` for one per core. */
function parseWorkers(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return 0
  if (text.trim() === 'auto') return availableParallelism()
  const workers = Number(text)
  // More than 1,024 workers on one machine is a typo, not a configuration.
  if (!/^\d+$/.test(text.trim()) || workers > 1024) throw new Error(`invalid --workers '${text}': expected 0-1024 or auto`)
  return workers
}

async function serve(args: string[]): Promise<void> {
  const env = process.env
  const { values } = parseArgs({
    args,
    options: {
      'api-port': { type: 'string' }, bind: { type: 'string' }, 'data-dir': { type: 'string' },
      region: { type: 'string' }, 'dns-suffix': { type: 'string' },
      credentials: { type: 'string' }, 'credentials-file': { type: 'string' },
      'allow-reset': { type: 'boolean' }, workers: { type: 'string' }, help: { type: 'boolean' },
    },
  })
  if (values.help === true) { process.stdout.write(USAGE); return }
  const apiPort = Number(values['api-port'] ?? env.OPENALB_API_PORT ?? 8777)
  if (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65535) throw new Error(`invalid --api-port '${values['api-port'] ?? env.OPENALB_API_PORT}'`)
  const workers = parseWorkers(values.workers ?? env.OPENALB_WORKERS)
  const openAlb = await startOpenAlb({
    apiPort,
    workers,
    bind: values.bind ?? env.OPENALB_BIND ?? '127.0.0.1',
    dataDir: values['data-dir'] ?? env.OPENALB_DATA_DIR ?? '.data',
    allowReset: values['allow-reset'] === true || env.OPENALB_ALLOW_RESET === '1' || env.OPENALB_ALLOW_RESET === 'true',
    credentials: parseCredentials(values.credentials ?? env.OPENALB_CREDENTIALS, values['credentials-file'] ?? env.OPENALB_CREDENTIALS_FILE),
    api: {
      ...DEFAULT_API_OPTIONS,
      defaultRegion: values.region ?? env.OPENALB_REGION ?? DEFAULT_API_OPTIONS.defaultRegion,
      dnsSuffix: values['dns-suffix'] ?? env.OPENALB_DNS_SUFFIX ?? DEFAULT_API_OPTIONS.dnsSuffix,
    },
    log: (line) => process.stderr.write(`${line}\n`),
  })
  process.stdout.write(`OpenALB API listening on ${openAlb.apiUrl}\n`)
  const stop = (): void => {
    openAlb.close().then(() => process.exit(0), () => process.exit(1))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

async function printCa(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' } } })
  const dataDir = values['data-dir'] ?? process.env.OPENALB_DATA_DIR ?? '.data'
  const { LocalCa } = await import('../tls/local-ca.ts')
  const ca = await LocalCa.open(caDirectory(dataDir))
  process.stdout.write(ca.certificatePem)
}

const [command, ...rest] = process.argv.slice(2)
if (command === 'ca') {
  printCa(rest).catch((err: unknown) => {
    process.stderr.write(`openalb: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  })
} else if (command === 'serve') {
  serve(rest).catch((err: unknown) => {
    process.stderr.write(`openalb: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  })
} else {
  process.stdout.write(USAGE)
  process.exit(command === undefined || command === 'help' || command === '--help' ? 0 : 2)
}
