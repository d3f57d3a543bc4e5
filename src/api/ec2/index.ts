/**
 * @module api/ec2
 * The EC2 operations of the ALB workflow (seed 001), by Action name: the network a load
 * balancer lives in (VPCs, subnets, security groups, gateways, route tables), instances
 * to register as targets, and tags on all of them.
 */
import { ApiError } from '../errors.ts'
import type { Handler, Handlers } from '../context.ts'
import { bool } from './common.ts'
import { vpcHandlers } from './vpcs.ts'
import { securityGroupHandlers } from './security-groups.ts'
import { gatewayHandlers } from './gateways.ts'
import { tagHandlers } from './tags.ts'
import { instanceHandlers } from './instances.ts'

/**
 * DryRun=true: the call is validated in full and then refused with DryRunOperation
 * (HTTP 412), as EC2 does. Throwing aborts the handler's transaction, so nothing it
 * wrote is kept.
 */
function withDryRun(handler: Handler): Handler {
  return (input, ctx) => {
    const dryRun = bool(input, 'DryRun') ?? false
    const result = handler(input, ctx)
    if (dryRun) throw new ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412)
    return result
  }
}

const all: Handlers = { ...vpcHandlers, ...securityGroupHandlers, ...gatewayHandlers, ...tagHandlers, ...instanceHandlers }

export const ec2Handlers: Handlers = Object.fromEntries(Object.entries(all).map(([action, handler]) => [action, withDryRun(handler)]))
