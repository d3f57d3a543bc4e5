import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2'
import type { TestOpenAlb } from './openalb.ts'

/** The default VPC's subnets (one per AZ), through DescribeSubnets. */
export async function defaultSubnets(alb: TestOpenAlb): Promise<string[]> {
  const out = await alb.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }))
  return (out.Subnets ?? []).map((s) => s.SubnetId!).sort()
}
