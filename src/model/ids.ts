/**
 * @module model/ids
 * Identifiers in AWS's formats (spec §2.4): 16-hex ELBv2 ids inside ARNs, 17-hex EC2 ids.
 */
import { randomBytes } from 'node:crypto'

export function hex(length: number): string {
  return randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length)
}

/** EC2 resource id: `vpc-0123456789abcdef0` (17 hex digits, as in accounts created since 2018). */
export function ec2Id(prefix: string): string {
  return `${prefix}-${hex(17)}`
}

/** The decimal part of a load balancer's DNS name (`my-lb-424835706.…`). */
export function dnsNumber(): string {
  return String(100_000_000 + (randomBytes(4).readUInt32BE(0) % 1_900_000_000))
}
