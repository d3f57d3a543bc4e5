/**
 * @module api/query
 * Turns Query-protocol pairs (`Subnets.member.1=subnet-a`, `Filter.1.Value.1=x`) into a tree.
 *
 * One parser serves both dialects (spec §2.1): ELBv2 lists are `Name.member.N`, EC2 lists are
 * flattened `Name.N`, maps are `Name.entry.N.key/value`. A numeric segment makes an array,
 * `member` before a number is transparent, and `entry.N.key/value` becomes an object.
 * An empty value for a list name (`SecurityGroups=`) reads as an empty list via `list()`.
 */
import { ApiError, missing, constraint } from './errors.ts'

export type QueryValue = string | QueryValue[] | { [key: string]: QueryValue }
export type QueryObject = { [key: string]: QueryValue }

/** Reject absurd inputs before building a tree from them. */
const MAX_PAIRS = 10_000
const MAX_INDEX = 10_000

export function parseQuery(params: URLSearchParams): QueryObject {
  const root: QueryObject = {}
  let count = 0
  for (const [rawKey, value] of params) {
    if (++count > MAX_PAIRS) throw new ApiError('InvalidQueryParameter', 'Too many query parameters')
    const parts = rawKey.split('.')
    const path: (string | number)[] = []
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!
      const next = parts[i + 1]
      if ((part === 'member' || part === 'entry' || part === 'item') && next !== undefined && /^\d+$/.test(next)) continue
      if (/^\d+$/.test(part)) {
        const index = Number(part)
        if (index < 1 || index > MAX_INDEX) throw new ApiError('InvalidQueryParameter', `The parameter ${rawKey} has an invalid list index`)
        path.push(index - 1)
      } else {
        if (part === '' || part === '__proto__' || part === 'constructor' || part === 'prototype') {
          throw new ApiError('InvalidQueryParameter', `The parameter ${rawKey} is not recognized`)
        }
        path.push(part)
      }
    }
    if (path.length === 0) continue
    assign(root, path, value, rawKey)
  }
  return compact(root) as QueryObject
}

function assign(root: QueryObject, path: (string | number)[], value: string, rawKey: string): void {
  let node: QueryValue = root
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!
    const last = i === path.length - 1
    const nextIsIndex = typeof path[i + 1] === 'number'
    if (typeof seg === 'number') {
      if (!Array.isArray(node)) throw new ApiError('InvalidQueryParameter', `The parameter ${rawKey} is not recognized`)
      if (last) { node[seg] = value; return }
      let child: QueryValue | undefined = node[seg]
      if (child === undefined || typeof child === 'string') { child = nextIsIndex ? [] : {}; node[seg] = child }
      node = child
    } else {
      if (typeof node !== 'object' || Array.isArray(node)) throw new ApiError('InvalidQueryParameter', `The parameter ${rawKey} is not recognized`)
      const obj: { [key: string]: QueryValue } = node
      if (last) {
        if (obj[seg] === undefined || typeof obj[seg] === 'string') obj[seg] = value
        return
      }
      let child: QueryValue | undefined = Object.hasOwn(obj, seg) ? obj[seg] : undefined
      if (child === undefined || typeof child === 'string') { child = nextIsIndex ? [] : {}; obj[seg] = child }
      node = child
    }
  }
}

/** Drops holes left by sparse indexes (`member.1` and `member.3`) and turns `entry` pairs into maps. */
function compact(value: QueryValue): QueryValue {
  if (typeof value === 'string') return value
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compact)
  const out: { [key: string]: QueryValue } = {}
  for (const [k, v] of Object.entries(value)) out[k] = compact(v)
  return out
}

// ------------------------------------------------------------- typed readers
// Handlers read their input through these, so a wrong type is a ValidationError, never a crash.

export function str(input: QueryObject, name: string): string | undefined {
  const v = input[name]
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw constraint('[object]', lowerFirst(name), 'Member must be a string')
  return v
}

export function reqStr(input: QueryObject, name: string): string {
  const v = str(input, name)
  if (v === undefined) throw missing(lowerFirst(name))
  return v
}

export function int(input: QueryObject, name: string): number | undefined {
  const v = str(input, name)
  if (v === undefined) return undefined
  if (!/^-?\d+$/.test(v.trim())) {
    throw new ApiError('ValidationError', `Invalid value for parameter ${name}: '${v}' is not a valid integer`)
  }
  return Number(v.trim())
}

export function bool(input: QueryObject, name: string): boolean | undefined {
  const v = str(input, name)
  if (v === undefined) return undefined
  const lower = v.trim().toLowerCase()
  if (lower === 'true') return true
  if (lower === 'false') return false
  throw new ApiError('ValidationError', `Invalid value for parameter ${name}: '${v}' is not a valid boolean`)
}

export function obj(input: QueryObject, name: string): QueryObject | undefined {
  const v = input[name]
  if (v === undefined || v === '') return undefined
  if (typeof v !== 'object' || Array.isArray(v)) throw constraint(String(v), lowerFirst(name), 'Member must be a structure')
  return v
}

/** A list member: undefined when absent, [] for `Name=`. */
export function list(input: QueryObject, name: string): QueryValue[] | undefined {
  const v = input[name]
  if (v === undefined) return undefined
  if (v === '') return []
  if (!Array.isArray(v)) throw constraint(typeof v === 'string' ? v : '[object]', lowerFirst(name), 'Member must be a list')
  return v
}

export function strList(input: QueryObject, name: string): string[] | undefined {
  const v = list(input, name)
  if (v === undefined) return undefined
  return v.map((item) => {
    if (typeof item !== 'string') throw constraint('[object]', lowerFirst(name), 'Member must be a list of strings')
    return item
  })
}

export function objList(input: QueryObject, name: string): QueryObject[] | undefined {
  const v = list(input, name)
  if (v === undefined) return undefined
  return v.map((item) => {
    if (typeof item !== 'object' || Array.isArray(item)) throw constraint(String(item), lowerFirst(name), 'Member must be a list of structures')
    return item
  })
}

export function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1)
}
