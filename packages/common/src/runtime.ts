/**
 * The entry point of @weir/common for code that runs inside slot threads:
 * the same contracts with the zod schemas as types only, so a slot thread
 * does not load zod.
 */
export * from './errors.ts';
export * from './user-stack.ts';
export * from './job-artifact.ts';
export type * from './job-graph.ts';
export * from './key-groups.ts';
export * from './murmur3.ts';
export type * from './on-error-policy.ts';
export type * from './restart-strategy.ts';
export * from './state-metadata.ts';
export type * from './user-functions.ts';
export type * from './two-input-functions.ts';
export type * from './broadcast-functions.ts';
export type * from './watermarks.ts';
export * from './async-io.ts';
