/**
 * The contracts between the processes of a Weir cluster: the gRPC services
 * and messages (`proto/weir.proto`), task deployments, frames on a channel,
 * checkpoint metadata, the status views, the etcd records, and the logger
 * and backoff every process uses.
 *
 * @packageDocumentation
 */
export * from './backoff.ts';
export * from './channel-id.ts';
export * from './checkpoint-metadata.ts';
export * from './execution-state.ts';
export * from './frame.ts';
export * from './logger.ts';
export * from './rpc.ts';
export type * from './rpc-messages.ts';
export * from './task-deployment.ts';
export type * from './views.ts';
export type * from './etcd-records.ts';
