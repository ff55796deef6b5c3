/**
 * The script cluster forks each worker from (cluster.setupPrimary's `exec`). Read from disk at every
 * fork, so a worker started by a restart runs the code installed now.
 */
import { runWorker } from './worker-main.ts';

runWorker();
