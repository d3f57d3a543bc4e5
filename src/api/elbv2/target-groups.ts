import type { Handlers } from '../context.ts'

export const targetGroupsHandlers: Handlers = {}
