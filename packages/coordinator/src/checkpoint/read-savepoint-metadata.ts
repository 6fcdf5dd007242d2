// Reading a savepoint's or retained checkpoint's `_metadata` outside a
// coordinator (`weir savepoint check`), with the same checks a restore makes.
import { CheckpointFileSystems, type S3Settings } from '@weir/protocol/storage';
import type { CheckpointMetadata } from '@weir/protocol';
import { CheckpointStorage } from './checkpoint-storage.ts';

/**
 * The metadata of the checkpoint or savepoint in `directory` (a path or an
 * `s3://` prefix), checked as a restore checks it (checksum, schema, state files present).
 * @throws Error naming the file and what is wrong
 */
export async function readSavepointMetadata(directory: string, s3: S3Settings = {}): Promise<CheckpointMetadata> {
  return new CheckpointStorage(directory, new CheckpointFileSystems(s3)).readMetadata(directory);
}
