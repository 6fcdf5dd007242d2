// The status views (views.ts, CheckpointView) as the typed gRPC messages
// clients read, and back: one module per view.
export * from './checkpoint-message.ts';
export * from './cluster-message.ts';
export * from './job-message.ts';
