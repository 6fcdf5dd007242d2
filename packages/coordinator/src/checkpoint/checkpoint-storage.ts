// Checkpoint storage (Flink's CheckpointStorage): the directories of a job's
// checkpoints and savepoints, their `_metadata` files (written last, with a
// checksum) and finding the latest valid checkpoint, on a file system or on
// S3-compatible object storage (`s3://bucket/prefix`).
import { createHash } from 'node:crypto';
import {
  CHECKPOINT_METADATA_FILE,
  checkpointDirectoryName,
  checkpointMetadataSchema,
  joinLocation,
  parseCheckpointDirectoryName,
  resolveLocation,
  type CheckpointMetadata,
} from '@weir/protocol';
import type { CheckpointFileSystem, CheckpointFileSystems, S3Settings } from '@weir/protocol/storage';

/** A checkpoint directory that could not be used, and why. */
export interface SkippedCheckpoint {
  checkpointId: number;
  directory: string;
  reason: string;
}

/**
 * The checkpoint storage (Flink's CheckpointStorage): one directory per job,
 * one per checkpoint (`chk-<id>`), and in it the state files the subtasks
 * wrote and `_metadata`, written last with a checksum (on a file system:
 * temporary name, fsync, rename; on S3: one PUT). A directory without valid
 * metadata is not a checkpoint. Savepoints are the same layout in a new
 * directory under one of the user's choosing (a path or an `s3://` location);
 * every path in them is relative, so they can be moved.
 */
export class CheckpointStorage {
  /** The cluster's checkpoint directory: an absolute path or an `s3://bucket/prefix` location. */
  readonly root: string;
  /** How this coordinator and the workers reach S3 (handed to workers with their deployments). */
  readonly s3Settings: S3Settings;
  private readonly fileSystems: CheckpointFileSystems;

  constructor(root: string, fileSystems: CheckpointFileSystems) {
    this.root = resolveLocation(root);
    this.fileSystems = fileSystems;
    this.s3Settings = fileSystems.s3Settings;
  }

  jobDirectory(jobId: string): string {
    return joinLocation(this.root, jobId);
  }

  checkpointDirectory(jobId: string, checkpointId: number): string {
    return joinLocation(this.jobDirectory(jobId), checkpointDirectoryName(checkpointId));
  }

  /** The file system of a location (the S3 one for `s3://`). */
  fileSystem(location: string): Promise<CheckpointFileSystem> {
    return this.fileSystems.for(location);
  }

  /**
   * Checks that the storage answers (lists the root): names the location and
   * the reason when it does not (unreachable endpoint, wrong credentials, no bucket).
   */
  async probe(): Promise<void> {
    const fs = await this.fileSystem(this.root);
    if (fs.local) return;
    try {
      await fs.list(this.root);
    } catch (error) {
      throw new Error(`the checkpoint storage ${this.root} cannot be used: ${(error as Error).message}`, { cause: error });
    }
  }

  /** One more than the highest checkpoint id ever used for the job here, so ids never repeat. */
  async nextCheckpointId(jobId: string): Promise<number> {
    const ids = await this.checkpointIds(jobId);
    return (ids.length > 0 ? Math.max(...ids) : 0) + 1;
  }

  async writeMetadata(directory: string, metadata: CheckpointMetadata): Promise<void> {
    const body = JSON.stringify(metadata);
    const content = JSON.stringify({ sha256: createHash('sha256').update(body).digest('hex'), metadata: JSON.parse(body) as unknown });
    await (await this.fileSystem(directory)).writeAtomic(joinLocation(directory, CHECKPOINT_METADATA_FILE), content);
  }

  /**
   * Reads and checks a checkpoint's or savepoint's metadata: present, whole,
   * checksum right, shape right, and every state file there with its size.
   * Throws an Error whose message says what is wrong.
   */
  async readMetadata(directory: string): Promise<CheckpointMetadata> {
    const fs = await this.fileSystem(directory);
    const path = joinLocation(directory, CHECKPOINT_METADATA_FILE);
    if ((await fs.size(path)) < 0) throw new Error(`no metadata at ${path} (ENOENT): the checkpoint is incomplete`);
    const text = (await fs.read(path)).toString('utf8');
    let parsed: { sha256?: unknown; metadata?: unknown };
    try {
      parsed = JSON.parse(text) as { sha256?: unknown; metadata?: unknown };
    } catch {
      throw new Error(`metadata at ${path} is truncated or not JSON`);
    }
    const digest = createHash('sha256').update(JSON.stringify(parsed.metadata)).digest('hex');
    if (parsed.sha256 !== digest) throw new Error(`metadata at ${path} fails its checksum`);
    const result = checkpointMetadataSchema.safeParse(parsed.metadata);
    if (!result.success) throw new Error(`metadata at ${path} is malformed: ${result.error.issues[0]?.message ?? 'unknown'}`);
    for (const operator of Object.values(result.data.operators)) {
      for (const subtask of operator.subtasks) {
        for (const handle of subtask.keyedState) {
          const file = joinLocation(directory, handle.file);
          const size = await fs.size(file);
          if (size < 0) throw new Error(`state file ${file} named by the metadata is missing`);
          if (size !== handle.bytes) throw new Error(`state file ${file} has ${size} bytes, the metadata says ${handle.bytes}`);
        }
      }
    }
    return result.data;
  }

  /**
   * The newest checkpoint of the job that reads back whole, and the newer
   * ones that did not (with the reason), newest first.
   */
  async latestValid(jobId: string): Promise<{ found: { metadata: CheckpointMetadata; directory: string } | null; skipped: SkippedCheckpoint[] }> {
    const skipped: SkippedCheckpoint[] = [];
    for (const id of (await this.checkpointIds(jobId)).sort((a, b) => b - a)) {
      const directory = this.checkpointDirectory(jobId, id);
      try {
        return { found: { metadata: await this.readMetadata(directory), directory }, skipped };
      } catch (error) {
        skipped.push({ checkpointId: id, directory, reason: (error as Error).message });
      }
    }
    return { found: null, skipped };
  }

  /** Deletes completed checkpoints beyond the newest `keep`, and abandoned ones older than those. */
  async retain(jobId: string, keep: number, latestId: number): Promise<void> {
    const fs = await this.fileSystem(this.root);
    const ids = (await this.checkpointIds(jobId)).sort((a, b) => b - a);
    const kept = new Set<number>();
    for (const id of ids) {
      if (id > latestId) continue; // in progress
      if (kept.size < keep && (await fs.size(joinLocation(this.checkpointDirectory(jobId, id), CHECKPOINT_METADATA_FILE))) >= 0) {
        kept.add(id);
        continue;
      }
      await fs.removeDirectory(this.checkpointDirectory(jobId, id));
    }
  }

  async removeCheckpoint(jobId: string, checkpointId: number): Promise<void> {
    await (await this.fileSystem(this.root)).removeDirectory(this.checkpointDirectory(jobId, checkpointId));
  }

  async removeJob(jobId: string): Promise<void> {
    await (await this.fileSystem(this.root)).removeDirectory(this.jobDirectory(jobId));
  }

  /**
   * Creates a new savepoint directory: its parent as needed, the directory
   * itself exclusively (an existing one fails with EEXIST, never overwritten).
   * Errors carry the OS error and the path (`EACCES: permission denied, mkdir '...'`).
   */
  async createSavepointDirectory(directory: string): Promise<void> {
    await (await this.fileSystem(directory)).createExclusive(directory);
  }

  /** Removes a savepoint directory (one that failed while it was written). */
  async removeSavepoint(directory: string): Promise<void> {
    await (await this.fileSystem(directory)).removeDirectory(directory);
  }

  /**
   * Copies a completed checkpoint into a savepoint directory created by
   * `createSavepointDirectory` (self-contained: relative paths only),
   * metadata last, so an interrupted copy is not a savepoint. Between a
   * file system and S3 the files are uploaded or downloaded.
   */
  async copy(from: string, to: string): Promise<void> {
    const source = await this.fileSystem(from);
    const target = await this.fileSystem(to);
    const transfer = async (name: string): Promise<void> => {
      const a = joinLocation(from, name);
      const b = joinLocation(to, name);
      if (source === target) await source.copy(a, b);
      else if (source.local) await target.upload(a, b);
      else await source.download(a, b);
    };
    for (const name of await source.list(from)) if (name !== CHECKPOINT_METADATA_FILE) await transfer(name);
    await target.writeAtomic(joinLocation(to, CHECKPOINT_METADATA_FILE), await source.read(joinLocation(from, CHECKPOINT_METADATA_FILE)));
  }

  private async checkpointIds(jobId: string): Promise<number[]> {
    const names = await (await this.fileSystem(this.root)).list(this.jobDirectory(jobId));
    return names.map(parseCheckpointDirectoryName).filter((id): id is number => id !== undefined);
  }
}
