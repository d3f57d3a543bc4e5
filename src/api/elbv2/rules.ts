import type { Handlers } from '../context.ts'

export const rulesHandlers: Handlers = {}
