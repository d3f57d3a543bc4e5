/**
 * @module api/ec2
 * The EC2 operations of the ALB workflow (seed 001), by Action name.
 */
import type { Handlers } from '../context.ts'

export const ec2Handlers: Handlers = {}
