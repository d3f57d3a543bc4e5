/**
 * @module dataplane/router/conditions/source-ip
 * `source-ip` condition (UG "Condition types for listener rules" → Source IP address
 * conditions): IPv4 and IPv6 CIDRs matched against the TCP peer address — never
 * X-Forwarded-For ("If a client is behind a proxy, this is the IP address of the proxy").
 * An IPv4-mapped IPv6 peer (`::ffff:1.2.3.4`) is an IPv4 client and matches IPv4 CIDRs.
 */
import type { Condition } from '../../../model/resources.ts'
import { cidrContains, parseCidr, type Cidr } from '../ip.ts'
import type { ConditionPredicate } from '../request.ts'

export function compileSourceIpCondition(condition: Condition, problems: string[]): ConditionPredicate {
  const cidrs: Cidr[] = []
  for (const text of condition.sourceIpConfig?.values ?? condition.values ?? []) {
    const cidr = parseCidr(text.trim())
    if (cidr === undefined) problems.push(`invalid CIDR ${JSON.stringify(text)} never matches`)
    else cidrs.push(cidr)
  }
  return (view) => {
    const ip = view.sourceIp()
    if (ip.kind === 0) return false
    for (let i = 0; i < cidrs.length; i++) if (cidrContains(cidrs[i]!, ip)) return true
    return false
  }
}
