/**
 * @module api/ec2/gateways
 * Internet gateways and route tables: Create/Attach/Detach/Describe/DeleteInternetGateway,
 * Create/Describe/DeleteRouteTable, Create/DeleteRoute, Associate/DisassociateRouteTable.
 *
 * These are records only: OpenALB serves on this machine's addresses, so routes do not
 * change where traffic goes. They exist so scripts written for AWS run unchanged.
 */
import { ApiError } from '../errors.ts'
import type { QueryObject } from '../query.ts'
import type { Context, Handlers } from '../context.ts'
import type { InternetGateway, Route, RouteTable } from '../../model/resources.ts'
import { ec2Id } from '../../model/ids.ts'
import {
  OWNER_ID, applyFilters, boolValue, getRegional, invalidParameterValue, requestedOrAll, listRegional, missingParameter,
  paginate, parseFilters, parseTagSpecifications, reqStr, str, strList, type FilterSpec,
} from './common.ts'
import { parseCidr } from './cidr.ts'
import { tagSet } from './vpcs.ts'

// ------------------------------------------------------------- internet gateways

function wireInternetGateway(igw: InternetGateway): Record<string, unknown> {
  return {
    attachmentSet: igw.attachments.map((a) => ({ state: a.state, vpcId: a.vpcId })),
    internetGatewayId: igw.id,
    ownerId: OWNER_ID,
    tagSet: tagSet(igw.tags),
  }
}

const INTERNET_GATEWAY_FILTERS: FilterSpec<InternetGateway> = {
  names: {
    'attachment.state': (g) => g.attachments.map((a) => a.state),
    'attachment.vpc-id': (g) => g.attachments.map((a) => a.vpcId),
    'internet-gateway-id': (g) => [g.id],
    'owner-id': () => [OWNER_ID],
  },
  tags: (g) => g.tags,
}

function createInternetGateway(input: QueryObject, ctx: Context): unknown {
  const tags = parseTagSpecifications(input, ['internet-gateway']).get('internet-gateway') ?? []
  const id = ec2Id('igw')
  const igw: InternetGateway = { id, region: ctx.region, tags, attachments: [] }
  ctx.tx.put('internetGateway', id, igw)
  return { internetGateway: wireInternetGateway(igw) }
}

function attachInternetGateway(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const igw = getRegional(tx, region, 'internetGateway', reqStr(input, 'InternetGatewayId'))
  const vpc = getRegional(tx, region, 'vpc', reqStr(input, 'VpcId'))
  const current = igw.attachments[0]
  if (current !== undefined) throw new ApiError('Resource.AlreadyAssociated', `resource ${igw.id} is already attached to network ${current.vpcId}`)
  const other = listRegional(tx, region, 'internetGateway').find((g) => g.attachments.some((a) => a.vpcId === vpc.id))
  if (other !== undefined) throw invalidParameterValue(`Network ${vpc.id} already has an internet gateway attached`)
  // AWS reports an attached internet gateway's attachment state as `available`.
  tx.put('internetGateway', igw.id, { ...igw, attachments: [{ vpcId: vpc.id, state: 'available' }] })
  return { return: true }
}

function detachInternetGateway(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const igw = getRegional(tx, region, 'internetGateway', reqStr(input, 'InternetGatewayId'))
  const vpcId = reqStr(input, 'VpcId')
  getRegional(tx, region, 'vpc', vpcId)
  if (!igw.attachments.some((a) => a.vpcId === vpcId)) {
    throw new ApiError('Gateway.NotAttached', `resource ${igw.id} is not attached to network ${vpcId}`)
  }
  tx.put('internetGateway', igw.id, { ...igw, attachments: [] })
  return { return: true }
}

function describeInternetGateways(input: QueryObject, ctx: Context): unknown {
  const ids = strList(input, 'InternetGatewayId')
  let gateways = requestedOrAll(ctx.tx, ctx.region, 'internetGateway', ids)
  gateways = applyFilters(gateways, parseFilters(input), INTERNET_GATEWAY_FILTERS)
  const { page, nextToken } = paginate(gateways, input)
  return { internetGatewaySet: page.map(wireInternetGateway), nextToken }
}

function deleteInternetGateway(input: QueryObject, ctx: Context): unknown {
  const igw = getRegional(ctx.tx, ctx.region, 'internetGateway', reqStr(input, 'InternetGatewayId'))
  if (igw.attachments.length > 0) throw new ApiError('DependencyViolation', `The internetGateway '${igw.id}' has dependencies and cannot be deleted.`)
  ctx.tx.delete('internetGateway', igw.id)
  return { return: true }
}

// ------------------------------------------------------------- route tables

function wireRouteTable(rtb: RouteTable): Record<string, unknown> {
  return {
    associationSet: rtb.associations.map((a) => ({
      main: a.main,
      routeTableAssociationId: a.id,
      routeTableId: rtb.id,
      subnetId: a.subnetId,
      associationState: { state: 'associated' },
    })),
    propagatingVgwSet: [],
    routeTableId: rtb.id,
    routeSet: rtb.routes.map((r) => ({ destinationCidrBlock: r.destinationCidrBlock, gatewayId: r.gatewayId, origin: r.origin, state: r.state })),
    tagSet: tagSet(rtb.tags),
    vpcId: rtb.vpcId,
    ownerId: OWNER_ID,
  }
}

const ROUTE_TABLE_FILTERS: FilterSpec<RouteTable> = {
  names: {
    'association.main': (t) => [boolValue(t.associations.some((a) => a.main))],
    'association.route-table-association-id': (t) => t.associations.map((a) => a.id),
    'association.route-table-id': (t) => (t.associations.length > 0 ? [t.id] : []),
    'association.subnet-id': (t) => t.associations.map((a) => a.subnetId),
    'owner-id': () => [OWNER_ID],
    'route-table-id': (t) => [t.id],
    'route.destination-cidr-block': (t) => t.routes.map((r) => r.destinationCidrBlock),
    'route.gateway-id': (t) => t.routes.map((r) => r.gatewayId),
    'route.origin': (t) => t.routes.map((r) => r.origin),
    'route.state': (t) => t.routes.map((r) => r.state),
    'vpc-id': (t) => [t.vpcId],
  },
  tags: (t) => t.tags,
}

function createRouteTable(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const vpc = getRegional(tx, region, 'vpc', reqStr(input, 'VpcId'))
  const tags = parseTagSpecifications(input, ['route-table']).get('route-table') ?? []
  const id = ec2Id('rtb')
  const rtb: RouteTable = {
    id, region, tags, vpcId: vpc.id,
    // Every route table starts with the VPC's local route.
    routes: [{ destinationCidrBlock: vpc.cidrBlock, gatewayId: 'local', state: 'active', origin: 'CreateRouteTable' }],
    associations: [],
  }
  tx.put('routeTable', id, rtb)
  return { routeTable: wireRouteTable(rtb) }
}

function describeRouteTables(input: QueryObject, ctx: Context): unknown {
  const ids = strList(input, 'RouteTableId')
  let tables = requestedOrAll(ctx.tx, ctx.region, 'routeTable', ids)
  tables = applyFilters(tables, parseFilters(input), ROUTE_TABLE_FILTERS)
  const { page, nextToken } = paginate(tables, input)
  return { routeTableSet: page.map(wireRouteTable), nextToken }
}

function deleteRouteTable(input: QueryObject, ctx: Context): unknown {
  const rtb = getRegional(ctx.tx, ctx.region, 'routeTable', reqStr(input, 'RouteTableId'))
  if (rtb.associations.length > 0) throw new ApiError('DependencyViolation', `The routeTable '${rtb.id}' has dependencies and cannot be deleted.`)
  ctx.tx.delete('routeTable', rtb.id)
  return { return: true }
}

/** Route targets OpenALB does not model: naming one is naming a resource that does not exist. */
const UNMODELLED_TARGETS = [
  ['NatGatewayId', 'InvalidNatGatewayID.NotFound', 'natGateway'],
  ['VpcPeeringConnectionId', 'InvalidVpcPeeringConnectionID.NotFound', 'vpcPeeringConnection'],
  ['TransitGatewayId', 'InvalidTransitGatewayID.NotFound', 'transitGateway'],
  ['NetworkInterfaceId', 'InvalidNetworkInterfaceID.NotFound', 'networkInterface'],
  ['EgressOnlyInternetGatewayId', 'InvalidGatewayID.NotFound', 'gateway'],
  ['LocalGatewayId', 'InvalidLocalGatewayID.NotFound', 'localGateway'],
  ['CarrierGatewayId', 'InvalidCarrierGatewayID.NotFound', 'carrierGateway'],
  ['VpcEndpointId', 'InvalidVpcEndpointId.NotFound', 'vpcEndpoint'],
] as const

function createRoute(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const rtb = getRegional(tx, region, 'routeTable', reqStr(input, 'RouteTableId'))
  const destination = str(input, 'DestinationCidrBlock')
  if (destination === undefined) {
    if (str(input, 'DestinationIpv6CidrBlock') !== undefined) throw invalidParameterValue('IPv6 routes are not supported: OpenALB VPCs have no IPv6 CIDR block')
    if (str(input, 'DestinationPrefixListId') !== undefined) throw new ApiError('InvalidPrefixListId.NotFound', `The prefix list ID '${str(input, 'DestinationPrefixListId')}' does not exist`)
    throw missingParameter('destinationCidrBlock')
  }
  if (parseCidr(destination) === undefined) {
    throw invalidParameterValue(`Value (${destination}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.`)
  }
  for (const [param, code, noun] of UNMODELLED_TARGETS) {
    const id = str(input, param)
    if (id !== undefined) throw new ApiError(code, `The ${noun} ID '${id}' does not exist`)
  }
  if (str(input, 'InstanceId') !== undefined) {
    throw invalidParameterValue('Routes to instances are not supported by OpenALB')
  }
  const gatewayId = str(input, 'GatewayId')
  if (gatewayId === undefined) {
    throw missingParameter('gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId, transitGatewayId or instanceId')
  }
  const igw = ctx.tx.get('internetGateway', gatewayId)
  if (igw === undefined || igw.region !== region) throw new ApiError('InvalidGatewayID.NotFound', `The gateway ID '${gatewayId}' does not exist`)
  if (!igw.attachments.some((a) => a.vpcId === rtb.vpcId)) {
    throw invalidParameterValue(`route table ${rtb.id} and network gateway ${igw.id} belong to different networks`)
  }
  if (rtb.routes.some((r) => r.destinationCidrBlock === destination)) {
    throw new ApiError('RouteAlreadyExists', `The route identified by ${destination} already exists.`)
  }
  const route: Route = { destinationCidrBlock: destination, gatewayId: igw.id, state: 'active', origin: 'CreateRoute' }
  tx.put('routeTable', rtb.id, { ...rtb, routes: [...rtb.routes, route] })
  return { return: true }
}

function deleteRoute(input: QueryObject, ctx: Context): unknown {
  const rtb = getRegional(ctx.tx, ctx.region, 'routeTable', reqStr(input, 'RouteTableId'))
  const destination = reqStr(input, 'DestinationCidrBlock', 'destinationCidrBlock')
  const route = rtb.routes.find((r) => r.destinationCidrBlock === destination)
  if (route === undefined) {
    throw new ApiError('InvalidRoute.NotFound', `no route with destination-cidr-block ${destination} in route table ${rtb.id}`)
  }
  if (route.gatewayId === 'local') throw invalidParameterValue(`cannot remove local route ${destination} in route table ${rtb.id}`)
  ctx.tx.put('routeTable', rtb.id, { ...rtb, routes: rtb.routes.filter((r) => r !== route) })
  return { return: true }
}

function associateRouteTable(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const rtb = getRegional(tx, region, 'routeTable', reqStr(input, 'RouteTableId'))
  const subnetId = str(input, 'SubnetId')
  if (subnetId === undefined) {
    if (str(input, 'GatewayId') !== undefined) throw invalidParameterValue('Gateway route table associations are not supported by OpenALB')
    throw missingParameter('subnetId or gatewayId')
  }
  const subnet = getRegional(tx, region, 'subnet', subnetId)
  if (subnet.vpcId !== rtb.vpcId) throw invalidParameterValue(`Route table ${rtb.id} and subnet ${subnet.id} belong to different networks`)
  if (listRegional(tx, region, 'routeTable').some((t) => t.associations.some((a) => a.subnetId === subnet.id))) {
    throw new ApiError('Resource.AlreadyAssociated', `the specified association for route table ${rtb.id} conflicts with an existing association`)
  }
  const associationId = ec2Id('rtbassoc')
  tx.put('routeTable', rtb.id, { ...rtb, associations: [...rtb.associations, { id: associationId, subnetId: subnet.id, main: false }] })
  return { associationId, associationState: { state: 'associated' } }
}

function disassociateRouteTable(input: QueryObject, ctx: Context): unknown {
  const { tx, region } = ctx
  const associationId = reqStr(input, 'AssociationId')
  const rtb = listRegional(tx, region, 'routeTable').find((t) => t.associations.some((a) => a.id === associationId))
  if (rtb === undefined) throw new ApiError('InvalidAssociationID.NotFound', `The association ID '${associationId}' does not exist`)
  const association = rtb.associations.find((a) => a.id === associationId)!
  if (association.main) throw invalidParameterValue(`cannot disassociate the main route table association ${associationId}`)
  tx.put('routeTable', rtb.id, { ...rtb, associations: rtb.associations.filter((a) => a.id !== associationId) })
  return { return: true }
}

export const gatewayHandlers: Handlers = {
  CreateInternetGateway: createInternetGateway,
  AttachInternetGateway: attachInternetGateway,
  DetachInternetGateway: detachInternetGateway,
  DescribeInternetGateways: describeInternetGateways,
  DeleteInternetGateway: deleteInternetGateway,
  CreateRouteTable: createRouteTable,
  DescribeRouteTables: describeRouteTables,
  DeleteRouteTable: deleteRouteTable,
  CreateRoute: createRoute,
  DeleteRoute: deleteRoute,
  AssociateRouteTable: associateRouteTable,
  DisassociateRouteTable: disassociateRouteTable,
}
