/**
 * @module api/ec2/cidr
 * IPv4 addresses and CIDR blocks as unsigned 32-bit numbers: parsing, containment,
 * overlap, and the host range EC2 hands out (it reserves the first four addresses and
 * the last one of every subnet: https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
 */

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  readonly base: number
  readonly prefix: number
  /** Number of addresses, 2^(32 - prefix). */
  readonly size: number
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/

/** `10.0.1.4` → number, or undefined when not a dotted-quad IPv4 address. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.')
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0)
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.')
}

/**
 * `10.0.0.0/16` → Cidr. Undefined when malformed or when host bits are set
 * (`10.0.0.1/16`), which EC2 refuses as "not a valid CIDR block".
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/')
  if (slash < 0) return undefined
  const ip = parseIpv4(text.slice(0, slash))
  const prefixText = text.slice(slash + 1)
  if (ip === undefined || !/^\d{1,2}$/.test(prefixText)) return undefined
  const prefix = Number(prefixText)
  if (prefix > 32) return undefined
  const size = 2 ** (32 - prefix)
  if (ip % size !== 0) return undefined
  return { base: ip, prefix, size }
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpv4(cidr.base)}/${cidr.prefix}`
}

export function cidrContainsIp(cidr: Cidr, ip: number): boolean {
  return ip >= cidr.base && ip < cidr.base + cidr.size
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size
}

/** Addresses EC2 may assign in a subnet: all but the first four and the broadcast address. */
export function assignableRange(cidr: Cidr): { first: number; last: number } {
  return { first: cidr.base + 4, last: cidr.base + cidr.size - 2 }
}

/** 127.0.0.0/8: every address in it reaches this machine. */
export function isLoopback(ip: number): boolean {
  return ip >>> 24 === 127
}

/** `172.31.16.4` → `127.31.16.4`: the subnet address mapped onto loopback (see instances.ts). */
export function toLoopback(ip: number): number {
  return ((127 << 24) >>> 0) + (ip & 0xffffff)
}
