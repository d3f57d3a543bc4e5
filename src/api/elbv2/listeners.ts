import type { Handlers } from '../context.ts'

export const listenersHandlers: Handlers = {}
