/**
 * `@weir/protocol/storage`: the files of checkpoint storage, for the
 * coordinator (metadata, savepoints, retention) and the workers (state
 * files): the {@link CheckpointFileSystem} interface, its file-system
 * implementation, and the S3 one loaded on first use of an `s3://` location.
 * A separate entry point, so that slot threads load it (and the AWS SDK)
 * only when a job's checkpoints are on S3.
 *
 * @packageDocumentation
 */
export type { CheckpointFileSystem } from './checkpoint-file-system.ts';
export { CheckpointFileSystems } from './checkpoint-file-systems.ts';
export { LocalCheckpointFileSystem } from './local-checkpoint-file-system.ts';
export { describeS3Endpoint, s3SettingsSchema, type S3Settings } from './s3-settings.ts';
