/**
 * @module model/arn
 * ELBv2 ARN formats (spec §2.4) and parsing them back.
 */
import { hex } from './ids.ts'

const PARTITION = 'aws'

export function loadBalancerArn(region: string, account: string, name: string): string {
  return `arn:${PARTITION}:elasticloadbalancing:${region}:${account}:loadbalancer/app/${name}/${hex(16)}`
}

export function targetGroupArn(region: string, account: string, name: string): string {
  return `arn:${PARTITION}:elasticloadbalancing:${region}:${account}:targetgroup/${name}/${hex(16)}`
}

/** `listener/app/{lb-name}/{lb-id}/{id}` */
export function listenerArn(lbArn: string): string {
  return `${lbArn.replace(':loadbalancer/', ':listener/')}/${hex(16)}`
}

/** `listener-rule/app/{lb-name}/{lb-id}/{listener-id}/{id}` */
export function ruleArn(listenerArn: string): string {
  return `${listenerArn.replace(':listener/', ':listener-rule/')}/${hex(16)}`
}

export function trustStoreArn(region: string, account: string, name: string): string {
  return `arn:${PARTITION}:elasticloadbalancing:${region}:${account}:truststore/${name}/${hex(16)}`
}

/** The `app/{name}/{id}` suffix used as metric dimension and in access logs. */
export function arnSuffix(arn: string): string {
  const i = arn.indexOf(':', arn.indexOf(':', arn.indexOf(':', arn.indexOf(':', arn.indexOf(':') + 1) + 1) + 1) + 1)
  return arn.slice(i + 1).replace(/^loadbalancer\//, '')
}

/** True for strings shaped like an ARN of this kind (any region/account). */
export function looksLikeArn(value: string, resource: 'loadbalancer' | 'targetgroup' | 'listener' | 'listener-rule' | 'truststore'): boolean {
  return new RegExp(`^arn:[a-z-]+:elasticloadbalancing:[a-z0-9-]*:\\d*:${resource}/`).test(value)
}
