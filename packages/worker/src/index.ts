export { startWorker, TaskExecutor, type RunningWorker } from './task-executor/task-executor.ts';
export { resolveWorkerOptions, type WorkerOptions, type ResolvedWorkerOptions } from './worker-options.ts';
