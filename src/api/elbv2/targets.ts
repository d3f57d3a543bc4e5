import type { Handlers } from '../context.ts'

export const targetsHandlers: Handlers = {}
