/**
 * @module api/ec2/default-vpc
 * Every region starts as a new AWS account does: a default VPC (172.31.0.0/16) with a
 * default subnet per Availability Zone, a default security group, a main route table and
 * an attached internet gateway — so users who skip EC2 can still create load balancers.
 */
import type { Tx } from '../../store/store.ts'
import { ec2Id } from '../../model/ids.ts'

export const DEFAULT_OWNER_ID = '123456789012'

/** Availability Zones of a region: `{region}a`, `b`, `c`. */
export function availabilityZones(region: string): string[] {
  return ['a', 'b', 'c'].map((letter) => `${region}${letter}`)
}

/** AWS zone ids look like `use1-az1`, `apne2-az3`. */
export function availabilityZoneId(zoneName: string): string {
  const region = zoneName.slice(0, -1)
  const letter = zoneName.slice(-1)
  const parts = region.split('-')
  const direction = (parts[1] ?? '').replace('north', 'n').replace('south', 's').replace('east', 'e').replace('west', 'w').replace('central', 'c')
  return `${parts[0] ?? ''}${direction}${parts[2] ?? ''}-az${letter.charCodeAt(0) - 96}`
}

export function ensureDefaultNetwork(tx: Tx, region: string): void {
  if (tx.list('vpc').some((v) => v.region === region && v.isDefault)) return
  const vpcId = ec2Id('vpc')
  tx.put('vpc', vpcId, {
    id: vpcId, region, tags: [], cidrBlock: '172.31.0.0/16', cidrAssociationId: ec2Id('vpc-cidr-assoc'),
    isDefault: true, instanceTenancy: 'default', dhcpOptionsId: ec2Id('dopt'), enableDnsSupport: true, enableDnsHostnames: true,
  })
  availabilityZones(region).forEach((zone, i) => {
    const subnetId = ec2Id('subnet')
    tx.put('subnet', subnetId, {
      id: subnetId, region, tags: [], vpcId, cidrBlock: `172.31.${i * 16}.0/20`, availabilityZone: zone,
      availabilityZoneId: availabilityZoneId(zone), defaultForAz: true, mapPublicIpOnLaunch: true,
    })
  })
  const sgId = ec2Id('sg')
  tx.put('securityGroup', sgId, {
    id: sgId, region, tags: [], vpcId, groupName: 'default', description: 'default VPC security group',
    ingress: [{ ipProtocol: '-1', ipRanges: [], ipv6Ranges: [], userIdGroupPairs: [{ groupId: sgId, userId: DEFAULT_OWNER_ID, ruleId: ec2Id('sgr') }] }],
    egress: [{ ipProtocol: '-1', ipRanges: [{ cidrIp: '0.0.0.0/0', ruleId: ec2Id('sgr') }], ipv6Ranges: [], userIdGroupPairs: [] }],
  })
  const igwId = ec2Id('igw')
  tx.put('internetGateway', igwId, { id: igwId, region, tags: [], attachments: [{ vpcId, state: 'available' }] })
  const rtbId = ec2Id('rtb')
  tx.put('routeTable', rtbId, {
    id: rtbId, region, tags: [], vpcId,
    routes: [
      { destinationCidrBlock: '172.31.0.0/16', gatewayId: 'local', state: 'active', origin: 'CreateRouteTable' },
      { destinationCidrBlock: '0.0.0.0/0', gatewayId: igwId, state: 'active', origin: 'CreateRoute' },
    ],
    associations: [{ id: ec2Id('rtbassoc'), main: true }],
  })
}
