/**
 * @module cluster/worker-entry
 * The script node:cluster forks for each `--workers N` worker (cluster/primary.ts sets it as
 * `exec`); everything else is in cluster/worker.ts.
 */
import { runWorker } from './worker.ts'

runWorker()
