/**
 * Test support: compare a parsed JSON output (AWS CLI, boto3) with the shape a seed document
 * prints. Literals must be equal, RegExps match strings (ids, ARNs, timestamps differ per run).
 */
import assert from 'node:assert/strict'

export type Shape = string | number | boolean | null | RegExp | readonly Shape[] | { readonly [key: string]: Shape }

/**
 * Asserts `actual` has `expected`'s shape. With `exact`, objects must have exactly the
 * expected keys (no more); otherwise extra keys are allowed. Arrays always match element-wise.
 */
export function assertShape(actual: unknown, expected: Shape, options: { exact?: boolean } = {}, path = '$'): void {
  if (expected instanceof RegExp) {
    assert.equal(typeof actual, 'string', `${path}: expected a string matching ${expected}, got ${JSON.stringify(actual)}`)
    assert.match(actual as string, expected, `${path}: ${JSON.stringify(actual)} does not match ${expected}`)
    return
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`)
    assert.equal(actual.length, expected.length, `${path}: expected ${expected.length} items, got ${JSON.stringify(actual)}`)
    expected.forEach((item: Shape, i: number) => assertShape(actual[i], item, options, `${path}[${i}]`))
    return
  }
  if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object' && !Array.isArray(actual), `${path}: expected an object, got ${JSON.stringify(actual)}`)
    const record = actual as Record<string, unknown>
    for (const [key, value] of Object.entries(expected)) {
      assert.ok(Object.hasOwn(record, key), `${path}: missing key ${key} in ${JSON.stringify(actual)}`)
      assertShape(record[key], value as Shape, options, `${path}.${key}`)
    }
    if (options.exact === true) {
      assert.deepEqual(Object.keys(record).sort(), Object.keys(expected).sort(), `${path}: keys differ`)
    }
    return
  }
  assert.equal(actual, expected, `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`)
}

export const ID = {
  vpc: /^vpc-[0-9a-f]{8,17}$/,
  subnet: /^subnet-[0-9a-f]{8,17}$/,
  securityGroup: /^sg-[0-9a-f]{8,17}$/,
  internetGateway: /^igw-[0-9a-f]{8,17}$/,
  routeTable: /^rtb-[0-9a-f]{8,17}$/,
  routeTableAssociation: /^rtbassoc-[0-9a-f]{8,17}$/,
  instance: /^i-[0-9a-f]{8,17}$/,
  /** The CLI prints timestamps as ISO 8601 (v2: `+00:00`; v1 the same via botocore). */
  timestamp: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/,
  hostedZone: /^Z[0-9A-Z]+$/,
  loopback: /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/,
} as const

const ELB_ARN_PREFIX = 'arn:aws:elasticloadbalancing:us-east-1:\\d{12}:'
export function loadBalancerArn(name: string): RegExp {
  return new RegExp(`^${ELB_ARN_PREFIX}loadbalancer/app/${name}/[0-9a-f]{16}$`)
}
export function targetGroupArn(name: string): RegExp {
  return new RegExp(`^${ELB_ARN_PREFIX}targetgroup/${name}/[0-9a-f]{16}$`)
}
export function listenerArn(lbName: string): RegExp {
  return new RegExp(`^${ELB_ARN_PREFIX}listener/app/${lbName}/[0-9a-f]{16}/[0-9a-f]{16}$`)
}
export function dnsName(lbName: string): RegExp {
  return new RegExp(`^${lbName}-\\d+\\.us-east-1\\.elb\\.localhost$`)
}
