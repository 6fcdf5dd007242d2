// The light public entry point of @weir/common: only what a bundled job (the
// SDK's DataStream API) needs. No gRPC, logging or native modules here.
export * from './errors.ts';
export * from './job-artifact.ts';
export * from './job-graph.ts';
export * from './key-groups.ts';
export type * from './user-functions.ts';
export * from './watermarks.ts';
