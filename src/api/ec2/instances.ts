/**
 * @module api/ec2/instances
 * RunInstances, DescribeInstances, StopInstances, StartInstances, TerminateInstances.
 *
 * An instance here is a record, not a virtual machine: its private IP says where the
 * application it stands for listens on this machine, so that an ELBv2 target
 * `Id=i-…,Port=80` reaches `privateIpAddress:80` (DESIGN.md, "Addressing on your own machine").
 *
 * Private IP rule:
 *   - `PrivateIpAddress` is honoured as given if it is in 127.0.0.0/8 (every such address
 *     reaches this machine) or inside the subnet's CIDR (for users who run the data plane
 *     on a network where that address is real); anything else is refused with EC2's
 *     "Address … is not in subnet's CIDR".
 *   - Otherwise the next free host address of the subnet is taken, skipping the first four
 *     (AWS reserves them) and the broadcast address, and mapped onto loopback by replacing
 *     its first octet with 127: 172.31.16.4 → 127.31.16.4. The result is unique per VPC,
 *     as private IPs are on AWS.
 *   - Terminated instances release their address.
 *
 * States come from model/instance-state.ts: RunInstances enters `pending`, which settles
 * into `running`; Stop enters `stopping` → `stopped`; Start `pending` → `running`;
 * Terminate `shutting-down` → `terminated`.
 */
import { randomBytes } from 'node:crypto'
import { ApiError } from '../errors.ts'
import type { QueryObject } from '../query.ts'
import { Timestamp } from '../xml.ts'
import type { Context, Handlers } from '../context.ts'
import type { Tx } from '../../store/store.ts'
import type { Instance, InstanceStateName, SecurityGroup, Subnet } from '../../model/resources.ts'
import { ec2Id } from '../../model/ids.ts'
import { INSTANCE_TRANSITION_MS, currentInstanceState, instanceStateCode } from '../../model/instance-state.ts'
import { availabilityZones } from './default-vpc.ts'
import {
  OWNER_ID, applyFilters, bool, getRegional, int, invalidParameterValue, listRegional, missingParameter, obj, objList,
  paginate, parseFilters, parseTagSpecifications, str, strList, wireTags, type FilterSpec,
} from './common.ts'
import { assignableRange, cidrContainsIp, formatIpv4, isLoopback, parseCidr, parseIpv4, toLoopback } from './cidr.ts'

/** AWS lists terminated instances for about an hour after termination, then forgets them. */
const TERMINATED_VISIBLE_MS = 60 * 60 * 1000

/** Instances per region that are not terminated; stands in for AWS's vCPU-based quota. */
const MAX_LIVE_INSTANCES = 1000

const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/

function stateOf(instance: Instance, now: number): InstanceStateName {
  return currentInstanceState(instance, now)
}

function wireState(state: InstanceStateName): { code: number; name: InstanceStateName } {
  return { code: instanceStateCode(state), name: state }
}

function isLive(instance: Instance, now: number): boolean {
  return stateOf(instance, now) !== 'terminated'
}

/** `ip-127-31-16-4.ec2.internal` in us-east-1, `ip-….{region}.compute.internal` elsewhere (AWS's ip-name hostnames). */
export function privateDnsName(ip: string, region: string): string {
  const host = `ip-${ip.replaceAll('.', '-')}`
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`
}

// ------------------------------------------------------------- wire shapes

function gmt(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19)
}

function wireInstance(tx: Tx, instance: Instance): Record<string, unknown> {
  const state = stateOf(instance, tx.now)
  const changedAt = instance.stateChangedAt ?? instance.launchTime
  const userStopped = state === 'stopping' || state === 'stopped' || state === 'shutting-down' || state === 'terminated'
  // A terminated instance has released its network interface: AWS drops its addresses and network.
  const attached = state !== 'terminated'
  const groups = instance.securityGroupIds.map((id) => ({ groupName: tx.get('securityGroup', id)?.groupName, groupId: id }))
  const dnsName = attached ? privateDnsName(instance.privateIpAddress, instance.region) : ''
  return {
    amiLaunchIndex: instance.amiLaunchIndex,
    imageId: instance.imageId,
    instanceId: instance.id,
    instanceType: instance.instanceType,
    keyName: instance.keyName,
    launchTime: new Timestamp(instance.launchTime),
    monitoring: { state: instance.monitoringEnabled === true ? 'enabled' : 'disabled' },
    placement: { availabilityZone: instance.availabilityZone, groupName: '', tenancy: 'default' },
    privateDnsName: dnsName,
    privateIpAddress: attached ? instance.privateIpAddress : undefined,
    productCodes: [],
    dnsName: '',
    instanceState: wireState(state),
    reason: userStopped ? `User initiated (${gmt(changedAt)} GMT)` : '',
    subnetId: attached ? instance.subnetId : undefined,
    vpcId: attached ? instance.vpcId : undefined,
    architecture: 'x86_64',
    blockDeviceMapping: [],
    clientToken: instance.clientToken ?? '',
    ebsOptimized: false,
    enaSupport: true,
    hypervisor: 'xen',
    networkInterfaceSet: attached && instance.networkInterfaceId !== undefined ? [{
      attachment: {
        attachTime: new Timestamp(instance.launchTime),
        attachmentId: `eni-attach-${instance.networkInterfaceId.slice(4)}`,
        deleteOnTermination: true,
        deviceIndex: 0,
        status: 'attached',
        networkCardIndex: 0,
      },
      description: '',
      groupSet: groups,
      ipv6AddressesSet: [],
      macAddress: instance.macAddress,
      networkInterfaceId: instance.networkInterfaceId,
      ownerId: OWNER_ID,
      privateDnsName: dnsName,
      privateIpAddress: instance.privateIpAddress,
      privateIpAddressesSet: [{ primary: true, privateDnsName: dnsName, privateIpAddress: instance.privateIpAddress }],
      sourceDestCheck: true,
      status: 'in-use',
      subnetId: instance.subnetId,
      vpcId: instance.vpcId,
      interfaceType: 'interface',
    }] : [],
    rootDeviceName: '/dev/xvda',
    rootDeviceType: 'ebs',
    groupSet: groups,
    sourceDestCheck: true,
    stateReason: userStopped
      ? { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' }
      : (state === 'pending' ? { code: 'pending', message: 'pending' } : undefined),
    tagSet: instance.tags.length === 0 ? undefined : wireTags(instance.tags),
    virtualizationType: 'hvm',
    cpuOptions: { coreCount: 1, threadsPerCore: 2 },
    capacityReservationSpecification: { capacityReservationPreference: 'open' },
    hibernationOptions: { configured: false },
    metadataOptions: { state: 'applied', httpTokens: 'required', httpPutResponseHopLimit: 2, httpEndpoint: 'enabled', httpProtocolIpv6: 'disabled', instanceMetadataTags: 'disabled' },
    enclaveOptions: { enabled: false },
    platformDetails: 'Linux/UNIX',
    usageOperation: 'RunInstances',
    usageOperationUpdateTime: new Timestamp(instance.launchTime),
    privateDnsNameOptions: { hostnameType: 'ip-name', enableResourceNameDnsARecord: false, enableResourceNameDnsAAAARecord: false },
    maintenanceOptions: { autoRecovery: 'default' },
    currentInstanceBootMode: 'legacy-bios',
  }
}

function wireReservation(tx: Tx, reservationId: string, instances: readonly Instance[]): Record<string, unknown> {
  return {
    groupSet: [],
    instancesSet: instances.map((i) => wireInstance(tx, i)),
    ownerId: OWNER_ID,
    reservationId,
  }
}

// ------------------------------------------------------------- RunInstances

function defaultSubnet(tx: Tx, region: string, zone: string | undefined): Subnet {
  const vpc = listRegional(tx, region, 'vpc').find((v) => v.isDefault)
  if (vpc === undefined) throw new ApiError('VPCIdNotSpecified', 'No default VPC for this user')
  const wanted = zone ?? availabilityZones(region)[0]!
  const subnet = listRegional(tx, region, 'subnet').find((s) => s.vpcId === vpc.id && s.defaultForAz && s.availabilityZone === wanted)
  if (subnet === undefined) throw new ApiError('MissingInput', `No default subnet for availability zone: '${wanted}'.`)
  return subnet
}

function resolveGroups(tx: Tx, region: string, subnet: Subnet, ids: readonly string[], names: readonly string[]): SecurityGroup[] {
  const groups: SecurityGroup[] = []
  for (const id of ids) {
    const sg = getRegional(tx, region, 'securityGroup', id)
    if (sg.vpcId !== subnet.vpcId) throw new ApiError('InvalidParameter', `Security group ${sg.id} and subnet ${subnet.id} belong to different networks.`)
    groups.push(sg)
  }
  for (const name of names) {
    const sg = listRegional(tx, region, 'securityGroup').find((g) => g.vpcId === subnet.vpcId && g.groupName === name)
    if (sg === undefined) throw new ApiError('InvalidGroup.NotFound', `The security group '${name}' does not exist in VPC '${subnet.vpcId}'`)
    groups.push(sg)
  }
  if (groups.length === 0) {
    const fallback = listRegional(tx, region, 'securityGroup').find((g) => g.vpcId === subnet.vpcId && g.groupName === 'default')
    if (fallback !== undefined) groups.push(fallback)
  }
  return [...new Map(groups.map((g) => [g.id, g])).values()]
}

/** Addresses held in `vpcId` by instances that are not terminated. */
function usedAddresses(tx: Tx, vpcId: string): Set<number> {
  const used = new Set<number>()
  for (const i of tx.list('instance')) {
    if (i.vpcId !== vpcId || !isLive(i, tx.now)) continue
    const ip = parseIpv4(i.privateIpAddress)
    if (ip !== undefined) used.add(ip)
  }
  return used
}

/** Validates a requested address against the rule in the module comment. */
function requestedAddress(text: string, subnet: Subnet, used: Set<number>): number {
  const ip = parseIpv4(text)
  if (ip === undefined) throw invalidParameterValue(`Invalid value '${text}' for PrivateIpAddress. It is not a valid IPv4 address.`)
  const cidr = parseCidr(subnet.cidrBlock)!
  if (!isLoopback(ip)) {
    if (!cidrContainsIp(cidr, ip)) throw invalidParameterValue(`Address ${text} is not in subnet's CIDR`)
    const { first, last } = assignableRange(cidr)
    // UNVERIFIED message; AWS refuses the subnet's reserved addresses.
    if (ip < first || ip > last) throw invalidParameterValue(`Address ${text} is in subnet's reserved address range`)
  }
  if (used.has(ip)) throw new ApiError('InvalidIPAddress.InUse', `Address ${text} is in use.`)
  return ip
}

/** The next free subnet host address, mapped onto loopback (see the module comment); undefined when full. */
function nextAddress(subnet: Subnet, used: Set<number>): number | undefined {
  const cidr = parseCidr(subnet.cidrBlock)!
  const { first, last } = assignableRange(cidr)
  for (let ip = first; ip <= last; ip++) {
    const mapped = toLoopback(ip)
    // The subnet address itself counts as taken when someone asked for it verbatim.
    if (!used.has(mapped) && !used.has(ip)) return mapped
  }
  return undefined
}

function macAddress(): string {
  const bytes = randomBytes(5)
  return ['0e', ...[...bytes].map((b) => b.toString(16).padStart(2, '0'))].join(':')
}

const IMAGE_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/

function runInstances(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const minCount = int(input, 'MinCount')
  const maxCount = int(input, 'MaxCount')
  if (minCount === undefined) throw missingParameter('MinCount')
  if (maxCount === undefined) throw missingParameter('MaxCount')
  if (minCount < 1) throw invalidParameterValue(`Invalid value '${minCount}' for minCount. Must be greater than 0.`)
  if (maxCount < minCount) throw invalidParameterValue(`Invalid value '${maxCount}' for maxCount. Must be greater than or equal to minCount.`)

  const clientToken = str(input, 'ClientToken')
  if (clientToken !== undefined) {
    // Idempotency (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html): same token, same reservation.
    const earlier = listRegional(tx, region, 'instance').filter((i) => i.clientToken === clientToken)
    if (earlier.length > 0) return wireReservation(tx, earlier[0]!.reservationId, earlier)
  }

  const launchTemplate = obj(input, 'LaunchTemplate')
  if (launchTemplate !== undefined) {
    const id = str(launchTemplate, 'LaunchTemplateId')
    if (id !== undefined) throw new ApiError('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${id}, does not exist.`)
    throw new ApiError('InvalidLaunchTemplateName.NotFoundException', `The specified launch template, with template name ${str(launchTemplate, 'LaunchTemplateName') ?? ''}, does not exist.`)
  }
  const imageId = str(input, 'ImageId')
  if (imageId === undefined || imageId === '') throw missingParameter('ImageId')
  if (!IMAGE_ID.test(imageId)) throw new ApiError('InvalidAMIID.Malformed', `Invalid id: "${imageId}" (expecting "ami-...")`)
  // AWS's default instance type when none is given.
  const instanceType = str(input, 'InstanceType') ?? 'm1.small'
  if (!INSTANCE_TYPE.test(instanceType)) throw invalidParameterValue(`Invalid value '${instanceType}' for InstanceType.`)

  // Subnet, groups and address come either top-level or from the primary network interface.
  const interfaces = objList(input, 'NetworkInterface') ?? []
  if (interfaces.length > 1) throw invalidParameterValue('OpenALB instances have one network interface; specify at most one NetworkInterface.')
  const primary = interfaces[0]
  let subnetId = str(input, 'SubnetId')
  let groupIds = strList(input, 'SecurityGroupId') ?? []
  const groupNames = strList(input, 'SecurityGroup') ?? []
  let privateIp = str(input, 'PrivateIpAddress')
  if (primary !== undefined) {
    if (subnetId !== undefined) throw new ApiError('InvalidParameterCombination', 'Network interfaces and an instance-level subnet ID may not be specified on the same request')
    if (groupIds.length > 0 || groupNames.length > 0) throw new ApiError('InvalidParameterCombination', 'Network interfaces and an instance-level security groups may not be specified on the same request')
    if (privateIp !== undefined) throw new ApiError('InvalidParameterCombination', 'Network interfaces and an instance-level private IP address may not be specified on the same request')
    const deviceIndex = int(primary, 'DeviceIndex') ?? 0
    if (deviceIndex !== 0) throw invalidParameterValue('Each network interface requires a device index; the primary one must be 0.')
    const eni = str(primary, 'NetworkInterfaceId')
    if (eni !== undefined) throw new ApiError('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${eni}' does not exist`)
    subnetId = str(primary, 'SubnetId')
    groupIds = strList(primary, 'SecurityGroupId') ?? []
    privateIp = str(primary, 'PrivateIpAddress')
  }

  const placement = obj(input, 'Placement')
  const zone = placement === undefined ? undefined : str(placement, 'AvailabilityZone')
  if (zone !== undefined && !availabilityZones(region).includes(zone)) {
    throw invalidParameterValue(`Invalid availability zone: [${zone}]`)
  }
  const tenancy = placement === undefined ? undefined : str(placement, 'Tenancy')
  if (tenancy !== undefined && tenancy !== 'default') throw invalidParameterValue(`Value (${tenancy}) for parameter tenancy is invalid. OpenALB runs only default tenancy.`)
  const subnet = subnetId !== undefined ? getRegional(tx, region, 'subnet', subnetId) : defaultSubnet(tx, region, zone)
  if (zone !== undefined && subnet.availabilityZone !== zone) {
    // UNVERIFIED message.
    throw invalidParameterValue(`The subnet ${subnet.id} is not in availability zone ${zone}.`)
  }
  const groups = resolveGroups(tx, region, subnet, groupIds, groupNames)
  const keyName = str(input, 'KeyName')
  const monitoring = obj(input, 'Monitoring')
  const monitoringEnabled = monitoring === undefined ? false : bool(monitoring, 'Enabled') ?? false
  const disableApiTermination = bool(input, 'DisableApiTermination') ?? false
  const tags = parseTagSpecifications(input, ['instance'], ['volume', 'network-interface', 'spot-instances-request', 'elastic-gpu']).get('instance') ?? []

  const live = listRegional(tx, region, 'instance').filter((i) => isLive(i, tx.now)).length
  const quota = MAX_LIVE_INSTANCES - live
  if (quota < minCount) {
    throw new ApiError('InstanceLimitExceeded', `You have requested more instances (${minCount}) than your current instance limit of ${MAX_LIVE_INSTANCES} allows.`)
  }

  const used = usedAddresses(tx, subnet.vpcId)
  const addresses: number[] = []
  if (privateIp !== undefined) {
    if (maxCount > 1) {
      // UNVERIFIED message: one address cannot go to several instances.
      throw new ApiError('InvalidParameterCombination', 'Cannot specify a private IP address when launching more than one instance.')
    }
    addresses.push(requestedAddress(privateIp, subnet, used))
  } else {
    for (let n = 0; n < Math.min(maxCount, quota); n++) {
      const ip = nextAddress(subnet, used)
      if (ip === undefined) break
      used.add(ip)
      addresses.push(ip)
    }
    if (addresses.length < minCount) {
      throw new ApiError('InsufficientFreeAddressesInSubnet', `There are not enough free addresses in subnet '${subnet.id}' to satisfy the requested number of instances.`)
    }
  }

  const reservationId = ec2Id('r')
  const instances = addresses.map((ip, index): Instance => ({
    id: ec2Id('i'), region, tags, reservationId, imageId, instanceType,
    ...(keyName !== undefined ? { keyName } : {}),
    subnetId: subnet.id, vpcId: subnet.vpcId, availabilityZone: subnet.availabilityZone,
    privateIpAddress: formatIpv4(ip),
    securityGroupIds: groups.map((g) => g.id),
    state: 'pending', launchTime: tx.now, stateChangedAt: tx.now, amiLaunchIndex: index,
    networkInterfaceId: ec2Id('eni'), macAddress: macAddress(),
    ...(clientToken !== undefined ? { clientToken } : {}),
    monitoringEnabled, disableApiTermination,
  }))
  for (const instance of instances) tx.put('instance', instance.id, instance)
  return wireReservation(tx, reservationId, instances)
}

// ------------------------------------------------------------- DescribeInstances

function instanceFilters(tx: Tx): FilterSpec<Instance> {
  const groupNames = (i: Instance) => i.securityGroupIds.map((id) => tx.get('securityGroup', id)?.groupName)
  return {
    names: {
      'instance-id': (i) => [i.id],
      'instance-state-name': (i) => [stateOf(i, tx.now)],
      'instance-state-code': (i) => [String(instanceStateCode(stateOf(i, tx.now)))],
      'instance-type': (i) => [i.instanceType],
      'image-id': (i) => [i.imageId],
      'key-name': (i) => [i.keyName],
      'subnet-id': (i) => [i.subnetId],
      'vpc-id': (i) => [i.vpcId],
      'private-ip-address': (i) => [i.privateIpAddress],
      'network-interface.addresses.private-ip-address': (i) => [i.privateIpAddress],
      'private-dns-name': (i) => [privateDnsName(i.privateIpAddress, i.region)],
      'availability-zone': (i) => [i.availabilityZone],
      'reservation-id': (i) => [i.reservationId],
      'launch-index': (i) => [String(i.amiLaunchIndex)],
      'instance.group-id': (i) => i.securityGroupIds,
      'instance.group-name': groupNames,
      'group-id': (i) => i.securityGroupIds,
      'group-name': groupNames,
      'network-interface.network-interface-id': (i) => [i.networkInterfaceId],
      'architecture': () => ['x86_64'],
      'root-device-type': () => ['ebs'],
      'tenancy': () => ['default'],
      'monitoring-state': (i) => [i.monitoringEnabled === true ? 'enabled' : 'disabled'],
      'owner-id': () => [OWNER_ID],
      'client-token': (i) => [i.clientToken],
    },
    tags: (i) => i.tags,
  }
}

function checkInstanceIds(ids: readonly string[]): void {
  for (const id of ids) {
    if (!INSTANCE_ID.test(id)) throw new ApiError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`)
  }
}

/** The named instances in request order, without repeats; unknown ones fail together. */
function instancesById(tx: Tx, region: string, ids: readonly string[]): Instance[] {
  checkInstanceIds(ids)
  const visible = (i: Instance | undefined): i is Instance => i !== undefined && i.region === region && isVisible(i, tx.now)
  const missingIds = ids.filter((id) => !visible(tx.get('instance', id)))
  if (missingIds.length === 1) throw new ApiError('InvalidInstanceID.NotFound', `The instance ID '${missingIds[0]!}' does not exist`)
  if (missingIds.length > 1) throw new ApiError('InvalidInstanceID.NotFound', `The instance IDs '${missingIds.join(', ')}' do not exist`)
  return [...new Set(ids)].map((id) => tx.get('instance', id)!)
}

function isVisible(instance: Instance, now: number): boolean {
  if (stateOf(instance, now) !== 'terminated') return true
  const terminatedAt = (instance.stateChangedAt ?? instance.launchTime) + INSTANCE_TRANSITION_MS
  return now - terminatedAt < TERMINATED_VISIBLE_MS
}

function describeInstances(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const ids = strList(input, 'InstanceId')
  const explicit = ids !== undefined && ids.length > 0
  if (explicit && input.MaxResults !== undefined) {
    throw new ApiError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults')
  }
  let instances = explicit ? instancesById(tx, region, ids) : listRegional(tx, region, 'instance').filter((i) => isVisible(i, tx.now))
  instances = applyFilters(instances, parseFilters(input), instanceFilters(tx))
  // Reservations in order of first appearance, each with its matching instances.
  const byReservation = new Map<string, Instance[]>()
  for (const i of instances) {
    const list = byReservation.get(i.reservationId)
    if (list === undefined) byReservation.set(i.reservationId, [i])
    else list.push(i)
  }
  const { page, nextToken } = paginate([...byReservation], input)
  return { reservationSet: page.map(([id, list]) => wireReservation(tx, id, list)), nextToken }
}

// ------------------------------------------------------------- state changes

interface StateChange { readonly instance: Instance; readonly previous: InstanceStateName; readonly next: InstanceStateName }

/**
 * Applies one lifecycle operation to every named instance: `plan` returns the state to
 * enter, the current state to leave it alone, or throws IncorrectInstanceState. All
 * instances are checked before any is changed, so a refusal changes nothing.
 */
function changeStates(input: QueryObject, ctx: Context, plan: (instance: Instance, current: InstanceStateName) => InstanceStateName): StateChange[] {
  const { tx, region } = ctx
  const ids = strList(input, 'InstanceId')
  if (ids === undefined || ids.length === 0) throw missingParameter('InstanceId')
  const changes = instancesById(tx, region, ids).map((instance) => {
    const previous = stateOf(instance, tx.now)
    return { instance, previous, next: plan(instance, previous) }
  })
  for (const { instance, previous, next } of changes) {
    if (next !== previous) tx.put('instance', instance.id, { ...instance, state: next, stateChangedAt: tx.now })
  }
  return changes
}

function wireChanges(changes: readonly StateChange[]): Array<Record<string, unknown>> {
  return changes.map((c) => ({ currentState: wireState(c.next), instanceId: c.instance.id, previousState: wireState(c.previous) }))
}

function incorrectState(instance: Instance, verb: string): ApiError {
  return new ApiError('IncorrectInstanceState', `The instance '${instance.id}' is not in a state from which it can be ${verb}.`)
}

function stopInstances(input: QueryObject, ctx: Context): unknown {
  const hibernate = bool(input, 'Hibernate') ?? false
  bool(input, 'Force')
  const changes = changeStates(input, ctx, (instance, current) => {
    if (hibernate) throw new ApiError('UnsupportedHibernationConfiguration', `The instance ${instance.id} does not have hibernation configured. Stopping an instance with hibernation requires hibernation to be configured at launch.`)
    if (current === 'running') return 'stopping'
    // Stopping a stopping or stopped instance is accepted and changes nothing, as on AWS.
    if (current === 'stopping' || current === 'stopped') return current
    // pending (AWS refuses to stop an instance that has not finished launching), shutting-down, terminated.
    throw incorrectState(instance, 'stopped')
  })
  return { instancesSet: wireChanges(changes) }
}

function startInstances(input: QueryObject, ctx: Context): unknown {
  str(input, 'AdditionalInfo')
  const changes = changeStates(input, ctx, (instance, current) => {
    if (current === 'stopped') return 'pending'
    if (current === 'pending' || current === 'running') return current
    throw incorrectState(instance, 'started')
  })
  return { instancesSet: wireChanges(changes) }
}

function terminateInstances(input: QueryObject, ctx: Context): unknown {
  const changes = changeStates(input, ctx, (instance, current) => {
    if (current === 'terminated' || current === 'shutting-down') return current
    if (instance.disableApiTermination === true) {
      throw new ApiError('OperationNotPermitted', `The instance '${instance.id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`)
    }
    return 'shutting-down'
  })
  return { instancesSet: wireChanges(changes) }
}

export const instanceHandlers: Handlers = {
  RunInstances: runInstances,
  DescribeInstances: describeInstances,
  StopInstances: stopInstances,
  StartInstances: startInstances,
  TerminateInstances: terminateInstances,
}
