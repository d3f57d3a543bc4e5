/**
 * Micro-benchmark: RegexValues on V8 (backtracking engine with the linear fallback enabled by
 * model/conditions.ts) against the Pike VM (dataplane/router/regex-vm.ts), per `test()`.
 *   npx tsc -p tsconfig.json && node dist/benchmarks/micro/regex.js
 */
import '../../src/model/conditions.ts' // sets V8's linear-engine flags, as in production
import { compileRegexProgram } from '../../src/model/regex-program.ts'
import { RegexVm } from '../../src/dataplane/router/regex-vm.ts'

function measure(name: string, fn: () => unknown, iterations: number): number {
  for (let i = 0; i < Math.min(iterations, 10_000); i++) fn() // warm up
  const start = process.hrtime.bigint()
  let sink = 0
  for (let i = 0; i < iterations; i++) if (fn()) sink++
  const ns = Number(process.hrtime.bigint() - start) / iterations
  console.log(`${name.padEnd(64)} ${ns.toFixed(1).padStart(10)} ns/op  (${sink})`)
  return ns
}

function vm(source: string): RegexVm {
  const result = compileRegexProgram(source)
  if (result.program === undefined) throw new Error(`${source}: ${result.problem}`)
  return new RegexVm(result.program)
}

const cases: Array<[source: string, subjects: string[]]> = [
  ['^/api/v[0-9]+/users$', ['/api/v12/users', '/api/v12/users/1', '/static/logo.png', '/api/vx/users']],
  ['\\.(png|jpe?g|gif)$', ['/static/img/logo.png', '/static/app.js', '/a/b/c/d/e/f/photo.jpeg', '/x']],
  ['^api\\.example\\.com(:[0-9]+)?$', ['api.example.com', 'api.example.com:8443', 'www.example.com', 'api.example.org']],
  ['^/items/[0-9]{1,20}$', ['/items/12345', '/items/123456789012345678901', '/items/abc', '/other/path/here']],
  ['^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', ['0f8fad5b-d9cb-469f-a165-70867728950e', '0f8fad5b-d9cb-469f-a165-70867728950', 'nope', '0f8fad5b-d9cb-469f-a165-70867728950ez']],
  ['/users/[a-z]{2,20}/orders', ['/api/v1/users/alice/orders/7', '/api/v1/users/a/orders', '/api/v1/customers/alice/orders', '/x']],
  ['v[0-9]+', ['/api/v12/users', '/api/users/latest/version', '/static/img/logo.png', '/']],
]

for (const [source, subjects] of cases) {
  let k = 0
  let v8: RegExp | undefined
  try {
    v8 = new RegExp(source, 'l')
    v8 = new RegExp(source) // the form production uses: backtracking with the linear fallback
  } catch {
    v8 = undefined
  }
  const machine = vm(source)
  if (v8 !== undefined) measure(`V8        ${source}`, () => v8!.test(subjects[k++ & 3]!), 2_000_000)
  else {
    const backtracking = new RegExp(source) // NOT linear: for comparison only
    measure(`V8 (backtracking only) ${source}`, () => backtracking.test(subjects[k++ & 3]!), 2_000_000)
  }
  measure(`Pike VM   ${source}`, () => machine.test(subjects[k++ & 3]!), 1_000_000)
}

// Cost on a 16 KB subject (the longest request line ALB takes): typical counted patterns, the
// worst programs at MAX_REGEX_PROGRAM_SIZE, and V8's own linear engine (`l`) on 16-fold repeats
// it admits, which is what a pathological input costs on the V8 path today.
const digits = `/items/${'1'.repeat(16_000)}x`
const as = 'a'.repeat(16_000)
const perSubject: Array<[source: string, subject: string]> = [
  ['^/items/[0-9]{1,20}$', digits],
  ['[0-9]{1,20}x$', digits],
  ['[0-9a-f]{1,249}z', as],
  ['(?:a?){249}b', as],
  ['(?:a|\\w){124}b', as],
  ['(?:\\Ba?){165}b', as],
]
for (const [source, subject] of perSubject) {
  const machine = vm(source)
  const ns = measure(`Pike VM   ${source} on 16 KB`, () => machine.test(subject), 10)
  console.log(`          = ${(ns / 1e6).toFixed(1)} ms per 16 KB`)
}
for (const source of ['(?:a?){16}b', '[0-9a-f]{1,16}z', '(?:a|\\w){16}b', '(?:(?:a|b|\\w|.)?){16}c']) {
  const linear = new RegExp(source, 'l')
  const ns = measure(`V8 linear ${source} on 16 KB`, () => linear.test(as), 5)
  console.log(`          = ${(ns / 1e6).toFixed(1)} ms per 16 KB`)
}
