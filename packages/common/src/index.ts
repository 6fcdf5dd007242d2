/**
 * The contracts every part of Weir shares, and the only package the SDK
 * depends on: the JobGraph schema, key groups, the user-function and state
 * interfaces, watermark strategy specs and the error hierarchy. No gRPC,
 * logging or native modules.
 *
 * @packageDocumentation
 */
export * from './errors.ts';
export * from './user-stack.ts';
export * from './job-artifact.ts';
export * from './job-graph.ts';
export * from './key-groups.ts';
export * from './murmur3.ts';
export * from './slot-sharing.ts';
export * from './on-error-policy.ts';
export * from './restart-strategy.ts';
export * from './state-metadata.ts';
export type * from './user-functions.ts';
export type * from './two-input-functions.ts';
export type * from './broadcast-functions.ts';
export * from './watermarks.ts';
export * from './async-io.ts';
