/**
 * The contracts between the processes of a Weir cluster: the gRPC services
 * and messages (`proto/weir.proto`), the status views as the typed messages
 * clients read, the standard health and reflection services, the
 * not-the-leader answer, task
 * deployments, subtask and channel keys, frames on a channel, checkpoint
 * metadata and storage layout, the status views, the etcd records, the
 * environment variable names, and the logger and backoff every process uses.
 * The etcd client and key layout are in `@weir/protocol/etcd`.
 *
 * @packageDocumentation
 */
export * from './backoff.ts';
export * from './channel-id.ts';
export * from './checkpoint-layout.ts';
export * from './checkpoint-location.ts';
export * from './durable-files.ts';
export * from './checkpoint-metadata.ts';
export * from './env-names.ts';
export * from './execution-state.ts';
export * from './frame.ts';
export * from './health-and-reflection.ts';
export * from './server-shutdown.ts';
export * from './transport-security.ts';
export * from './state-compatibility.ts';
export * from './logger.ts';
export * from './metrics-http.ts';
export * from './repeated-warning.ts';
export * from './not-leader.ts';
export * from './rpc.ts';
export * from './status-messages/index.ts';
export type * from './rpc-messages.ts';
export * from './subtask-keys.ts';
export * from './task-deployment.ts';
export type * from './views.ts';
export * from './vertex-figures.ts';
export type * from './etcd/etcd-records.ts';
