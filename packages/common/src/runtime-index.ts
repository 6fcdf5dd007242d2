// The public entry point of @weir/common for code that runs inside slot
// threads: frames, key groups, deployment and checkpoint contracts. No gRPC,
// logging or zod (schemas are checked in the main thread; only their types
// are exported here), so a slot thread starts fast.
export * from './backoff.ts';
export * from './channel-id.ts';
export type * from './checkpoint-metadata.ts';
export * from './errors.ts';
export * from './execution-state.ts';
export * from './frame.ts';
export * from './job-artifact.ts';
export type * from './job-graph.ts';
export * from './key-groups.ts';
export * from './murmur3.ts';
export type * from './task-deployment.ts';
export type * from './user-functions.ts';
export type * from './watermarks.ts';
