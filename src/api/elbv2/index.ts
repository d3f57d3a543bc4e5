/**
 * @module api/elbv2
 * Every ELBv2 operation OpenALB answers, by Action name. Each module owns one resource family.
 */
import type { Handlers } from '../context.ts'
import { loadBalancerHandlers } from './load-balancers.ts'
import { targetGroupsHandlers } from './target-groups.ts'
import { targetsHandlers } from './targets.ts'
import { listenersHandlers } from './listeners.ts'
import { rulesHandlers } from './rules.ts'
import { tagsHandlers } from './tags.ts'
import { miscHandlers } from './misc.ts'

export const elbv2Handlers: Handlers = {
  ...loadBalancerHandlers,
  ...targetGroupsHandlers,
  ...targetsHandlers,
  ...listenersHandlers,
  ...rulesHandlers,
  ...tagsHandlers,
  ...miscHandlers,
}
