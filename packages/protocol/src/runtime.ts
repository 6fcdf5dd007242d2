/**
 * The entry point of @weir/protocol for code that runs inside slot threads:
 * frames, channel ids and subtask keys, execution states, the checkpoint
 * storage layout, and the deployment and checkpoint metadata contracts as
 * types only. No gRPC, logging or zod, so a slot thread starts
 * fast.
 */
export * from './backoff.ts';
export * from './channel-id.ts';
export * from './checkpoint-layout.ts';
export * from './checkpoint-location.ts';
export * from './durable-files.ts';
export type * from './checkpoint-metadata.ts';
export * from './execution-state.ts';
export * from './frame.ts';
export * from './subtask-keys.ts';
export type * from './task-deployment.ts';
