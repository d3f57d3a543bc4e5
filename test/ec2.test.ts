import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  AssociateRouteTableCommand, AttachInternetGatewayCommand, AuthorizeSecurityGroupIngressCommand, CreateInternetGatewayCommand,
  CreateRouteCommand, CreateRouteTableCommand, CreateSecurityGroupCommand, CreateSubnetCommand, CreateTagsCommand, CreateVpcCommand,
  DescribeAvailabilityZonesCommand, DescribeInstancesCommand, DescribeRouteTablesCommand, DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand, DescribeTagsCommand, DescribeVpcAttributeCommand, DescribeVpcsCommand, ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand, RunInstancesCommand, StartInstancesCommand, StopInstancesCommand, TerminateInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2'
import { startTestOpenAlb, type TestOpenAlb } from './support/openalb.ts'

const IMAGE_ID = 'ami-0123456789abcdef0'

/** Polls `read` until `done` holds (instances settle ~300 ms after a state change); fails after `ms`. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) assert.fail(`condition not met within ${ms} ms: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

function instancesOf(out: { Reservations?: Array<{ Instances?: Instance[] }> }): Instance[] {
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? [])
}

async function rejectsWith(promise: Promise<unknown>, code: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.equal(err.name, code)
    if (typeof message === 'string') assert.equal(err.message, message)
    else if (message !== undefined) assert.match(err.message, message)
    return true
  })
}

describe('EC2 (SDK v3)', () => {
  let alb: TestOpenAlb
  before(async () => { alb = await startTestOpenAlb() })
  after(async () => { await alb.close() })

  it('runs the seed-001 flow: VPC, subnets, tags, security group, gateway, routes, instances', async () => {
    const { ec2 } = alb
    // VPC, found again by the cidr-block filter as the seed script does.
    const created = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))
    assert.match(created.Vpc!.VpcId!, /^vpc-[0-9a-f]{17}$/)
    const vpcs = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr-block', Values: ['10.0.0.0/16'] }] }))
    assert.deepEqual(vpcs.Vpcs?.map((v) => v.VpcId), [created.Vpc!.VpcId])
    const vpcId = vpcs.Vpcs![0]!.VpcId!
    assert.equal(vpcs.Vpcs![0]!.State, 'available')
    assert.equal(vpcs.Vpcs![0]!.IsDefault, false)
    await ec2.send(new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'Name', Value: 'seed-vpc' }] }))
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }))
    const dns = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsHostnames' }))
    assert.equal(dns.EnableDnsHostnames?.Value, true)
    const tagged = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: ['seed-*'] }] }))
    assert.deepEqual(tagged.Vpcs?.map((v) => v.VpcId), [vpcId])
    assert.deepEqual(tagged.Vpcs![0]!.Tags, [{ Key: 'Name', Value: 'seed-vpc' }])

    // Two subnets in two zones, each found by cidr-block.
    const subnetIds: string[] = []
    for (const [cidr, zone] of [['10.0.1.0/24', 'us-east-1a'], ['10.0.2.0/24', 'us-east-1c']] as const) {
      const out = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone }))
      assert.equal(out.Subnet?.AvailabilityZone, zone)
      assert.equal(out.Subnet?.AvailableIpAddressCount, 251)
      const found = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'cidr-block', Values: [cidr] }] }))
      assert.equal(found.Subnets?.length, 1)
      subnetIds.push(found.Subnets![0]!.SubnetId!)
      await ec2.send(new CreateTagsCommand({ Resources: [found.Subnets![0]!.SubnetId!], Tags: [{ Key: 'Name', Value: `subnet-${zone}` }] }))
    }
    const [subnet1, subnet2] = subnetIds as [string, string]
    const byAlias = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'cidr', Values: ['10.0.?.0/24'] }, { Name: 'vpc-id', Values: [vpcId] }] }))
    assert.deepEqual(byAlias.Subnets?.map((s) => s.SubnetId).sort(), [...subnetIds].sort())

    // Security group with SSH and HTTP from anywhere; a repeat is a duplicate.
    const sg = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'seed-sg', Description: 'security group for efs', VpcId: vpcId }))
    const groupId = sg.GroupId!
    for (const port of [22, 80]) {
      const rule = await ec2.send(new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }))
      assert.equal(rule.Return, true)
      assert.equal(rule.SecurityGroupRules?.[0]?.FromPort, port)
      assert.equal(rule.SecurityGroupRules?.[0]?.CidrIpv4, '0.0.0.0/0')
      assert.match(rule.SecurityGroupRules?.[0]?.SecurityGroupRuleId ?? '', /^sgr-/)
    }
    await rejectsWith(
      ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpProtocol: 'tcp', FromPort: 80, ToPort: 80, CidrIp: '0.0.0.0/0' })),
      'InvalidPermission.Duplicate',
    )
    await ec2.send(new CreateTagsCommand({ Resources: [groupId], Tags: [{ Key: 'Name', Value: 'seed-sg' }] }))
    const groups = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))
    const group = groups.SecurityGroups![0]!
    assert.equal(group.GroupName, 'seed-sg')
    assert.equal(group.Description, 'security group for efs')
    assert.equal(group.VpcId, vpcId)
    assert.deepEqual(group.IpPermissions?.map((p) => [p.IpProtocol, p.FromPort, p.ToPort, p.IpRanges?.map((r) => r.CidrIp)]), [
      ['tcp', 22, 22, ['0.0.0.0/0']], ['tcp', 80, 80, ['0.0.0.0/0']],
    ])
    assert.deepEqual(group.IpPermissionsEgress?.map((p) => [p.IpProtocol, p.IpRanges?.[0]?.CidrIp]), [['-1', '0.0.0.0/0']])
    const byName = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['seed-sg'] }] }))
    assert.deepEqual(byName.SecurityGroups?.map((g) => g.GroupId), [groupId])

    // Internet gateway, route table, default route, association.
    const igw = await ec2.send(new CreateInternetGatewayCommand({}))
    const igwId = igw.InternetGateway!.InternetGatewayId!
    assert.match(igwId, /^igw-/)
    await ec2.send(new CreateTagsCommand({ Resources: [igwId], Tags: [{ Key: 'Name', Value: 'seed-igw' }] }))
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }))
    await rejectsWith(ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId })), 'Resource.AlreadyAssociated')
    const rtb = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))
    const rtbId = rtb.RouteTable!.RouteTableId!
    assert.deepEqual(rtb.RouteTable?.Routes?.map((r) => [r.DestinationCidrBlock, r.GatewayId]), [['10.0.0.0/16', 'local']])
    await ec2.send(new CreateTagsCommand({ Resources: [rtbId], Tags: [{ Key: 'Name', Value: 'seed-rtb' }] }))
    const route = await ec2.send(new CreateRouteCommand({ RouteTableId: rtbId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igwId }))
    assert.equal(route.Return, true)
    await rejectsWith(ec2.send(new CreateRouteCommand({ RouteTableId: rtbId, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igwId })), 'RouteAlreadyExists')
    const association = await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtbId, SubnetId: subnet1 }))
    assert.match(association.AssociationId!, /^rtbassoc-/)
    assert.equal(association.AssociationState?.State, 'associated')
    const tables = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtbId] }))
    assert.deepEqual(tables.RouteTables?.[0]?.Associations?.map((a) => a.SubnetId), [subnet1])
    assert.deepEqual(tables.RouteTables?.[0]?.Routes?.map((r) => r.GatewayId), ['local', igwId])

    // Two instances, one per subnet; each found by the subnet-id filter.
    await ec2.send(new ModifySubnetAttributeCommand({ SubnetId: subnet1, MapPublicIpOnLaunch: { Value: true } }))
    const mapped = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnet1] }))
    assert.equal(mapped.Subnets?.[0]?.MapPublicIpOnLaunch, true)
    const instanceIds: string[] = []
    for (const subnetId of subnetIds) {
      const run = await ec2.send(new RunInstancesCommand({
        ImageId: IMAGE_ID, InstanceType: 't2.micro', MinCount: 1, MaxCount: 1, KeyName: 'seed-key', SecurityGroupIds: [groupId], SubnetId: subnetId,
      }))
      assert.match(run.ReservationId!, /^r-[0-9a-f]{17}$/)
      assert.equal(run.OwnerId, '123456789012')
      const launched = run.Instances![0]!
      assert.deepEqual(launched.State, { Code: 0, Name: 'pending' })
      const found = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'subnet-id', Values: [subnetId] }] }))
      const ids = instancesOf(found).map((i) => i.InstanceId)
      assert.deepEqual(ids, [launched.InstanceId])
      instanceIds.push(launched.InstanceId!)
      await ec2.send(new CreateTagsCommand({ Resources: [launched.InstanceId!], Tags: [{ Key: 'Name', Value: `web-${instanceIds.length}` }] }))
    }
    const [instance1, instance2] = instanceIds as [string, string]

    const described = instancesOf(await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instance1] })))[0]!
    assert.equal(described.ImageId, IMAGE_ID)
    assert.equal(described.InstanceType, 't2.micro')
    assert.equal(described.KeyName, 'seed-key')
    assert.equal(described.AmiLaunchIndex, 0)
    assert.equal(described.PrivateIpAddress, '127.0.1.4', 'first free host of 10.0.1.0/24 mapped onto loopback')
    assert.equal(described.PrivateDnsName, 'ip-127-0-1-4.ec2.internal')
    assert.equal(described.SubnetId, subnet1)
    assert.equal(described.VpcId, vpcId)
    assert.equal(described.Placement?.AvailabilityZone, 'us-east-1a')
    assert.equal(described.Placement?.Tenancy, 'default')
    assert.equal(described.Monitoring?.State, 'disabled')
    assert.equal(described.Architecture, 'x86_64')
    assert.equal(described.RootDeviceType, 'ebs')
    assert.ok(described.LaunchTime instanceof Date)
    assert.deepEqual(described.SecurityGroups, [{ GroupId: groupId, GroupName: 'seed-sg' }])
    assert.deepEqual(described.Tags, [{ Key: 'Name', Value: 'web-1' }])
    assert.equal(described.NetworkInterfaces?.length, 1)
    assert.match(described.NetworkInterfaces![0]!.NetworkInterfaceId!, /^eni-/)
    assert.equal(described.NetworkInterfaces![0]!.PrivateIpAddress, '127.0.1.4')
    const second = instancesOf(await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instance2] })))[0]!
    assert.equal(second.SubnetId, subnet2)
    assert.equal(second.Placement?.AvailabilityZone, 'us-east-1c')
    assert.equal(second.PrivateIpAddress, '127.0.2.4')

    // Running shortly after launch.
    await until(
      () => ec2.send(new DescribeInstancesCommand({ InstanceIds: instanceIds })),
      (out) => instancesOf(out).every((i) => i.State?.Name === 'running'),
    )

    // Stop one: the response says running → stopping; the state filter sees stopping, then stopped.
    const stop = await ec2.send(new StopInstancesCommand({ InstanceIds: [instance1] }))
    assert.deepEqual(stop.StoppingInstances, [{
      InstanceId: instance1, CurrentState: { Code: 64, Name: 'stopping' }, PreviousState: { Code: 16, Name: 'running' },
    }])
    const stateFilter = (name: string) => ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: [name] }] }))
    assert.deepEqual(instancesOf(await stateFilter('stopping')).map((i) => i.InstanceId), [instance1])
    await until(() => stateFilter('stopped'), (out) => instancesOf(out).some((i) => i.InstanceId === instance1))
    assert.deepEqual(instancesOf(await stateFilter('running')).map((i) => i.InstanceId), [instance2])
    const stoppedAgain = await ec2.send(new StopInstancesCommand({ InstanceIds: [instance1] }))
    assert.deepEqual(stoppedAgain.StoppingInstances?.[0]?.CurrentState, { Code: 80, Name: 'stopped' })

    // Start it again, then terminate both.
    const start = await ec2.send(new StartInstancesCommand({ InstanceIds: [instance1] }))
    assert.deepEqual(start.StartingInstances?.[0]?.CurrentState, { Code: 0, Name: 'pending' })
    assert.deepEqual(start.StartingInstances?.[0]?.PreviousState, { Code: 80, Name: 'stopped' })
    await until(() => stateFilter('running'), (out) => instancesOf(out).length === 2)
    const terminate = await ec2.send(new TerminateInstancesCommand({ InstanceIds: instanceIds }))
    assert.deepEqual(terminate.TerminatingInstances?.map((c) => [c.InstanceId, c.CurrentState?.Name, c.PreviousState?.Name]), [
      [instance1, 'shutting-down', 'running'], [instance2, 'shutting-down', 'running'],
    ])
    await until(() => stateFilter('terminated'), (out) => instancesOf(out).length === 2)
    await rejectsWith(ec2.send(new StartInstancesCommand({ InstanceIds: [instance1] })), 'IncorrectInstanceState',
      `The instance '${instance1}' is not in a state from which it can be started.`)

    // Every tag the flow created, through DescribeTags.
    const tags = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['Name'] }, { Name: 'value', Values: ['seed-*'] }] }))
    assert.deepEqual(tags.Tags?.map((t) => [t.ResourceType, t.ResourceId]).sort(), [
      ['internet-gateway', igwId], ['route-table', rtbId], ['security-group', groupId], ['vpc', vpcId],
    ].sort())
    const instanceTags = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-type', Values: ['instance'] }] }))
    assert.deepEqual(instanceTags.Tags?.map((t) => t.Value).sort(), ['web-1', 'web-2'])
  })

  it('assigns loopback addresses per subnet and honours requested ones by the documented rule', async () => {
    const { ec2 } = alb
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!
    const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.20.5.0/28', AvailabilityZone: 'us-east-1b' }))).Subnet!.SubnetId!
    // A /28 has 16 addresses; AWS reserves the first four and the last: 11 usable, .4 to .14.
    const run = await ec2.send(new RunInstancesCommand({ ImageId: IMAGE_ID, MinCount: 1, MaxCount: 3, SubnetId: subnetId }))
    assert.deepEqual(run.Instances?.map((i) => i.PrivateIpAddress), ['127.20.5.4', '127.20.5.5', '127.20.5.6'])
    assert.deepEqual(run.Instances?.map((i) => i.AmiLaunchIndex), [0, 1, 2])
    assert.equal(run.Instances?.[0]?.InstanceType, 'm1.small', "AWS's default instance type")
    assert.equal(new Set(run.Instances?.map((i) => i.InstanceId)).size, 3)
    const oneReservation = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'reservation-id', Values: [run.ReservationId!] }] }))
    assert.equal(oneReservation.Reservations?.length, 1)
    assert.equal(oneReservation.Reservations?.[0]?.Instances?.length, 3)
    // The VPC's default security group is used when none is given.
    const defaultGroup = (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'group-name', Values: ['default'] }] }))).SecurityGroups![0]!
    assert.deepEqual(run.Instances?.[0]?.SecurityGroups?.map((g) => g.GroupId), [defaultGroup.GroupId])

    const loopback = await ec2.send(new RunInstancesCommand({ ImageId: IMAGE_ID, MinCount: 1, MaxCount: 1, SubnetId: subnetId, PrivateIpAddress: '127.0.0.42' }))
    assert.equal(loopback.Instances?.[0]?.PrivateIpAddress, '127.0.0.42')
    const inSubnet = await ec2.send(new RunInstancesCommand({ ImageId: IMAGE_ID, MinCount: 1, MaxCount: 1, SubnetId: subnetId, PrivateIpAddress: '10.20.5.10' }))
    assert.equal(inSubnet.Instances?.[0]?.PrivateIpAddress, '10.20.5.10')
    await rejectsWith(
      ec2.send(new RunInstancesCommand({ ImageId: IMAGE_ID, MinCount: 1, MaxCount: 1, SubnetId: subnetId, PrivateIpAddress: '192.168.1.10' })),
      'InvalidParameterValue', "Address 192.168.1.10 is not in subnet's CIDR",
    )
    await rejectsWith(
      ec2.send(new RunInstancesCommand({ ImageId: IMAGE_ID, MinCount: 1, MaxCount: 1, SubnetId: subnetId, PrivateIpAddress: '127.0.0.42' })),
      'InvalidIPAddress.InUse',
    )
    const byIp = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'private-ip-address', Values: ['127.0.0.*'] }] }))
    assert.deepEqual(instancesOf(byIp).map((i) => i.InstanceId), [loopback.Instances![0]!.InstanceId])

    // 11 usable addresses: 3 + .10 leave 7; asking for at least 8 fails and launches nothing.
    await rejectsWith(ec2.send(new RunInstancesCommand({ ImageId: IMAGE_ID, MinCount: 8, MaxCount: 8, SubnetId: subnetId })), 'InsufficientFreeAddressesInSubnet')
    const rest = await ec2.send(new RunInstancesCommand({ ImageId: IMAGE_ID, MinCount: 1, MaxCount: 20, SubnetId: subnetId }))
    assert.deepEqual(rest.Instances?.map((i) => i.PrivateIpAddress), ['127.20.5.7', '127.20.5.8', '127.20.5.9', '127.20.5.11', '127.20.5.12', '127.20.5.13', '127.20.5.14'])
    const full = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))
    assert.equal(full.Subnets?.[0]?.AvailableIpAddressCount, 0)

    // Without a subnet: the default subnet of the region's first zone, 172.31.0.0/20 → 127.31.0.x.
    const onDefault = await ec2.send(new RunInstancesCommand({ ImageId: IMAGE_ID, MinCount: 1, MaxCount: 1 }))
    const instance = onDefault.Instances![0]!
    assert.equal(instance.Placement?.AvailabilityZone, 'us-east-1a')
    assert.match(instance.PrivateIpAddress!, /^127\.31\.(\d+)\.(\d+)$/)
    const defaults = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }, { Name: 'availability-zone', Values: ['us-east-1a'] }] }))
    assert.equal(instance.SubnetId, defaults.Subnets?.[0]?.SubnetId)
  })

  it('answers bad input with EC2 error codes', async () => {
    const { ec2 } = alb
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }))).Vpc!.VpcId!
    await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.30.1.0/24' }))
    await rejectsWith(ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.30.1.128/25' })), 'InvalidSubnet.Conflict',
      "The CIDR '10.30.1.128/25' conflicts with another subnet")
    await rejectsWith(ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.31.1.0/24' })), 'InvalidSubnet.Range')
    await rejectsWith(ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.30.2.0/24', AvailabilityZone: 'us-east-1z' })), 'InvalidParameterValue')
    await rejectsWith(ec2.send(new CreateSubnetCommand({ VpcId: 'vpc-0123456789abcdef0', CidrBlock: '10.30.2.0/24' })), 'InvalidVpcID.NotFound',
      "The vpc ID 'vpc-0123456789abcdef0' does not exist")
    await rejectsWith(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/8' })), 'InvalidVpc.Range')
    await rejectsWith(ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.1/16' })), 'InvalidParameterValue')
    await rejectsWith(ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })), 'InvalidParameterValue',
      "The filter 'no-such-filter' is invalid")
    await rejectsWith(ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'bogus', Values: ['x'] }] })), 'InvalidParameterValue', "The filter 'bogus' is invalid")
    await rejectsWith(ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-0123456789abcdef0'] })), 'InvalidSubnetID.NotFound')
    await rejectsWith(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })), 'InvalidInstanceID.NotFound',
      "The instance ID 'i-0123456789abcdef0' does not exist")
    await rejectsWith(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-nothex'] })), 'InvalidInstanceID.Malformed')
    await rejectsWith(ec2.send(new StopInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })), 'InvalidInstanceID.NotFound')

    await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'twice', Description: 'd', VpcId: vpcId }))
    await rejectsWith(ec2.send(new CreateSecurityGroupCommand({ GroupName: 'twice', Description: 'd', VpcId: vpcId })), 'InvalidGroup.Duplicate',
      `The security group 'twice' already exists for VPC '${vpcId}'`)
    // The same name in another VPC (here the default one, VpcId omitted) is fine.
    const inDefault = await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'twice', Description: 'd' }))
    const found = await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['twice'] }))
    assert.deepEqual(found.SecurityGroups?.map((g) => g.GroupId), [inDefault.GroupId])
    await rejectsWith(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })), 'InvalidGroup.NotFound')
    await rejectsWith(ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: inDefault.GroupId, IpProtocol: 'tcp', CidrIp: '0.0.0.0/0' })), 'InvalidParameterValue')

    await rejectsWith(ec2.send(new CreateTagsCommand({ Resources: ['igw-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] })), 'InvalidInternetGatewayID.NotFound')
    await rejectsWith(ec2.send(new CreateTagsCommand({ Resources: ['rtb-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] })), 'InvalidRouteTableID.NotFound')
    await rejectsWith(ec2.send(new CreateTagsCommand({ Resources: ['nonsense'], Tags: [{ Key: 'a', Value: 'b' }] })), 'InvalidID')
    await rejectsWith(ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: 'igw-0123456789abcdef0', VpcId: vpcId })), 'InvalidInternetGatewayID.NotFound')
    await rejectsWith(ec2.send(new AssociateRouteTableCommand({ RouteTableId: 'rtb-0123456789abcdef0', SubnetId: 'subnet-0123456789abcdef0' })), 'InvalidRouteTableID.NotFound')
    await rejectsWith(ec2.send(new RunInstancesCommand({ ImageId: 'not-an-ami', MinCount: 1, MaxCount: 1 })), 'InvalidAMIID.Malformed')
    await rejectsWith(ec2.send(new RunInstancesCommand({ ImageId: IMAGE_ID, MinCount: 2, MaxCount: 1 })), 'InvalidParameterValue')
    await rejectsWith(ec2.send(new RunInstancesCommand({ ImageId: IMAGE_ID, MinCount: 1, MaxCount: 1, DryRun: true })), 'DryRunOperation')
    const none = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))
    assert.deepEqual(none.Reservations, [])
  })

  it('describes the region: zones, default VPC, per-region records', async () => {
    const { ec2 } = alb
    const zones = await ec2.send(new DescribeAvailabilityZonesCommand({}))
    assert.deepEqual(zones.AvailabilityZones?.map((z) => [z.ZoneName, z.ZoneId, z.State, z.RegionName]), [
      ['us-east-1a', 'use1-az1', 'available', 'us-east-1'],
      ['us-east-1b', 'use1-az2', 'available', 'us-east-1'],
      ['us-east-1c', 'use1-az3', 'available', 'us-east-1'],
    ])
    const defaults = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))
    assert.deepEqual(defaults.Vpcs?.map((v) => v.CidrBlock), ['172.31.0.0/16'])

    // Paging with MaxResults/NextToken returns exactly the unpaged list.
    const everything = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets!.map((s) => s.SubnetId)
    const paged: Array<string | undefined> = []
    let token: string | undefined
    do {
      const page = await ec2.send(new DescribeSubnetsCommand({ MaxResults: 5, NextToken: token }))
      assert.ok(page.Subnets!.length <= 5)
      paged.push(...page.Subnets!.map((s) => s.SubnetId))
      token = page.NextToken
    } while (token !== undefined)
    assert.deepEqual(paged, everything)
    assert.ok(everything.length >= 3)
    await rejectsWith(ec2.send(new DescribeSubnetsCommand({ MaxResults: 2 })), 'InvalidParameterValue')

    const { EC2Client } = await import('@aws-sdk/client-ec2')
    const west = new EC2Client({ endpoint: alb.apiUrl, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }, maxAttempts: 1 })
    try {
      const westVpcs = await west.send(new DescribeVpcsCommand({}))
      assert.deepEqual(westVpcs.Vpcs?.map((v) => v.IsDefault), [true], 'only the region’s own default VPC')
      const westZones = await west.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'zone-name', Values: ['*b'] }] }))
      assert.deepEqual(westZones.AvailabilityZones?.map((z) => [z.ZoneName, z.ZoneId]), [['eu-west-1b', 'euw1-az2']])
      const eastVpcId = defaults.Vpcs![0]!.VpcId!
      await rejectsWith(west.send(new DescribeVpcsCommand({ VpcIds: [eastVpcId] })), 'InvalidVpcID.NotFound')
    } finally {
      west.destroy()
    }
  })
})
