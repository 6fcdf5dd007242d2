/**
 * The entry point of @weir/protocol for code that runs inside slot threads:
 * frames, channel ids, execution states, and the deployment and checkpoint
 * contracts as types only. No gRPC, logging or zod, so a slot thread starts
 * fast.
 */
export * from './backoff.ts';
export * from './channel-id.ts';
export type * from './checkpoint-metadata.ts';
export * from './execution-state.ts';
export * from './frame.ts';
export type * from './task-deployment.ts';
