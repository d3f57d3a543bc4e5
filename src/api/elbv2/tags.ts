import type { Handlers } from '../context.ts'

export const tagsHandlers: Handlers = {}
