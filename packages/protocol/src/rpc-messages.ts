// The TypeScript types of the messages and services in proto/weir.proto,
// generated into src/generated/ by `npm run generate:proto` (never by hand).
//
// Every message comes in two shapes, as @grpc/proto-loader's generator names them:
// - `SubmitJobRequest`: what a sender builds. Every field is optional; a
//   missing one goes on the wire as its default.
// - `SubmitJobRequest__Output`: what a receiver gets, loaded with
//   PROTO_LOADER_OPTIONS (camelCase fields, longs as numbers, defaults filled,
//   `body` naming the field a oneof holds). Message fields are null when unset.
// Per service: `JobManagerClient` (the client `jobManagerClient()` returns),
// `JobManagerHandlers` (what a server implements; bind it with
// `addJobManagerService`) and `JobManagerDefinition`; likewise TaskExecutor.
//
// leaderEpoch (every order to a worker): the leader's etcd fence revision, 0
// without etcd.
export type * from './generated/index.ts';
