// Keyed-state files of a subtask when checkpoint storage is S3-compatible
// object storage: snapshots are written (and incremental chains staged) in
// the worker's local state directory, as RocksDB needs, then uploaded into
// the checkpoint's prefix; a restore downloads them first. The file system
// implementation (and the AWS SDK) is loaded only for such jobs.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkpointDirectoryName,
  INCREMENTAL_STAGING_DIRECTORY,
  isS3Location,
  joinLocation,
  LOCAL_STATE_DIRECTORY,
  localStateDirectoryName,
  type TaskDeployment,
} from '@weir/protocol/runtime';
import type { KeyedStateHandle } from './keyed-state-backend.ts';

/** What this module needs of `@weir/protocol/storage` (loaded on first use). */
interface RemoteFileSystem {
  copy(from: string, to: string): Promise<void>;
  upload(path: string, file: string): Promise<void>;
  download(file: string, path: string): Promise<void>;
}

/** Uploads (and downloads) one subtask's keyed-state files to and from S3 checkpoint storage. */
export class RemoteCheckpointFiles {
  /** Where this subtask writes a checkpoint's files before they are uploaded. */
  private readonly uploadRoot: string;
  private readonly downloadRoot: string;
  private readonly deployment: TaskDeployment;
  /** The deployment's checkpoints go to object storage (else only its restore comes from there). */
  readonly uploading: boolean;
  private fileSystem: Promise<RemoteFileSystem> | undefined;
  /** Where each file (by checksum) was uploaded before: chain files are copied there on the server, not uploaded again. */
  private readonly uploaded = new Map<string, string>();

  constructor(d: TaskDeployment, dataDir: string) {
    this.deployment = d;
    this.uploading = RemoteCheckpointFiles.uploads(d);
    const local = join(dataDir, LOCAL_STATE_DIRECTORY, d.jobId);
    this.uploadRoot = join(local, `${localStateDirectoryName(d.attemptToken, d.vertexId, d.subtaskIndex)}.upload`);
    this.downloadRoot = join(local, `${localStateDirectoryName(d.attemptToken, d.vertexId, d.subtaskIndex)}.restore`);
  }

  /** Whether the deployment's checkpoints go to object storage. */
  static uploads(d: TaskDeployment): boolean {
    return d.checkpointDir !== null && isS3Location(d.checkpointDir);
  }

  /** Whether the deployment restores from object storage. */
  static downloads(d: TaskDeployment): boolean {
    return d.restore !== null && isS3Location(d.restore.directory);
  }

  /** The local directory under which incremental chains are staged (instead of the checkpoint storage's). */
  static stagingRoot(d: TaskDeployment, dataDir: string): string {
    return join(dataDir, LOCAL_STATE_DIRECTORY, d.jobId, INCREMENTAL_STAGING_DIRECTORY);
  }

  /** The local directory a checkpoint's files are written to before `publish`. */
  localCheckpointDirectory(checkpointId: number): string {
    return join(this.uploadRoot, checkpointDirectoryName(checkpointId));
  }

  /**
   * Uploads the files of `handles` from the local checkpoint directory into
   * the checkpoint's prefix (a file uploaded before is copied on the server),
   * then removes the local copies.
   */
  async publish(checkpointId: number, handles: readonly KeyedStateHandle[]): Promise<void> {
    const fs = await this.remote();
    const local = this.localCheckpointDirectory(checkpointId);
    const target = joinLocation(this.deployment.checkpointDir!, checkpointDirectoryName(checkpointId));
    try {
      for (const handle of handles) {
        const to = joinLocation(target, handle.file);
        const earlier = this.uploaded.get(handle.sha256);
        const copied = earlier !== undefined && (await fs.copy(earlier, to).then(() => true, () => false));
        if (!copied) await fs.upload(join(local, handle.file), to);
        this.uploaded.set(handle.sha256, to);
      }
    } finally {
      await rm(local, { recursive: true, force: true });
    }
  }

  /** Downloads the files of `handles` from `directory` (an `s3://` location) and returns the local directory holding them. */
  async fetch(directory: string, handles: readonly KeyedStateHandle[]): Promise<string> {
    const fs = await this.remote();
    await rm(this.downloadRoot, { recursive: true, force: true });
    for (const handle of handles) await fs.download(joinLocation(directory, handle.file), join(this.downloadRoot, handle.file));
    return this.downloadRoot;
  }

  /** Removes what `fetch` downloaded (after the backend restored and adopted it) and any upload left over. */
  async cleanUp(): Promise<void> {
    await rm(this.downloadRoot, { recursive: true, force: true });
  }

  /** Removes everything local this subtask made (the task ends). */
  async close(): Promise<void> {
    await rm(this.downloadRoot, { recursive: true, force: true });
    await rm(this.uploadRoot, { recursive: true, force: true });
  }

  private remote(): Promise<RemoteFileSystem> {
    // Kept out of the slot-thread bundle: only jobs with checkpoints on S3 load the storage entry and the AWS SDK.
    this.fileSystem ??= import('@weir/protocol/storage').then(async ({ CheckpointFileSystems }) => (await new CheckpointFileSystems(this.deployment.s3 ?? {}).for('s3://checkpoints')) as RemoteFileSystem);
    return this.fileSystem;
  }
}
