import type { Handlers } from '../context.ts'

export const miscHandlers: Handlers = {}
