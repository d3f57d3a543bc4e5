// Runs every compiled test file (unit tests beside the code, integration tests in test/)
// with node:test. Kept as a script so `npm test` needs no glob support from the shell.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'

function collect(dir, out) {
  let names
  try { names = readdirSync(dir) } catch { return out }
  for (const name of names) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) collect(path, out)
    else if (name.endsWith('.test.js')) out.push(path)
  }
  return out
}

const only = process.argv.slice(2)
const files = only.length > 0 ? only : [...collect('dist/src', []), ...collect('dist/test', [])].sort()
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-reporter=spec', ...files], { stdio: 'inherit' })
process.exit(result.status ?? 1)
