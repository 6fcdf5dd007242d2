// The public entry of @weir/testing: test Weir jobs on a real local cluster
// from any test runner (vitest, node:test, ...).
export { MiniCluster, type JobOptions, type JobResult, type KilledWorker, type MiniClusterOptions } from './mini-cluster.ts';
export { JobHandle, DEFAULT_WAIT_MS } from './job-handle.ts';
export { eventually, JobEndedError, TimeoutError } from './poll.ts';
export { partFiles, readJsonLines, readTextLines } from './read-output.ts';
