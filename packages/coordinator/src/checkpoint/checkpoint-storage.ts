// Checkpoint storage on a file system: the directories of a job's checkpoints
// and savepoints, their `_metadata` files (written last, with a checksum) and
// finding the latest valid checkpoint.
import { createHash } from 'node:crypto';
import { cp, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  CHECKPOINT_METADATA_FILE,
  checkpointDirectoryName,
  checkpointMetadataSchema,
  parseCheckpointDirectoryName,
  temporaryFileName,
  type CheckpointMetadata,
} from '@weir/protocol';

/** A checkpoint directory that could not be used, and why. */
export interface SkippedCheckpoint {
  checkpointId: number;
  directory: string;
  reason: string;
}

/**
 * The checkpoint storage (Flink's CheckpointStorage) on a file system: one
 * directory per job, one per checkpoint (`chk-<id>`), and in it the state
 * files the subtasks wrote and `_metadata`, written last (temporary name,
 * fsync, rename) with a checksum. A directory without valid metadata is not
 * a checkpoint. Savepoints are the same layout in a new directory under one of
 * the user's choosing; every path in them is relative, so they can be moved.
 */
export class CheckpointStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  jobDirectory(jobId: string): string {
    return join(this.root, jobId);
  }

  checkpointDirectory(jobId: string, checkpointId: number): string {
    return join(this.jobDirectory(jobId), checkpointDirectoryName(checkpointId));
  }

  /** One more than the highest checkpoint id ever used for the job here, so ids never repeat. */
  async nextCheckpointId(jobId: string): Promise<number> {
    const ids = await this.checkpointIds(jobId);
    return (ids.length > 0 ? Math.max(...ids) : 0) + 1;
  }

  async writeMetadata(directory: string, metadata: CheckpointMetadata): Promise<void> {
    await mkdir(directory, { recursive: true });
    const body = JSON.stringify(metadata);
    const content = JSON.stringify({ sha256: createHash('sha256').update(body).digest('hex'), metadata: JSON.parse(body) as unknown });
    const path = join(directory, CHECKPOINT_METADATA_FILE);
    const temporary = temporaryFileName(path);
    const handle = await open(temporary, 'w');
    try {
      await handle.write(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    const dir = await open(directory, 'r');
    await dir.sync().finally(() => dir.close());
  }

  /**
   * Reads and checks a checkpoint's or savepoint's metadata: present, whole,
   * checksum right, shape right, and every state file there with its size.
   * Throws an Error whose message says what is wrong.
   */
  async readMetadata(directory: string): Promise<CheckpointMetadata> {
    const path = join(directory, CHECKPOINT_METADATA_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new Error(`no metadata at ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): the checkpoint is incomplete`);
    }
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
          const file = join(directory, handle.file);
          const size = await stat(file).then((s) => s.size, () => -1);
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
    const ids = (await this.checkpointIds(jobId)).sort((a, b) => b - a);
    const kept = new Set<number>();
    for (const id of ids) {
      if (id > latestId) continue; // in progress
      if (kept.size < keep && (await stat(join(this.checkpointDirectory(jobId, id), CHECKPOINT_METADATA_FILE)).then(() => true, () => false))) {
        kept.add(id);
        continue;
      }
      await rm(this.checkpointDirectory(jobId, id), { recursive: true, force: true });
    }
  }

  async removeCheckpoint(jobId: string, checkpointId: number): Promise<void> {
    await rm(this.checkpointDirectory(jobId, checkpointId), { recursive: true, force: true });
  }

  async removeJob(jobId: string): Promise<void> {
    await rm(this.jobDirectory(jobId), { recursive: true, force: true });
  }

  /**
   * Creates a new savepoint directory: its parent as needed, the directory
   * itself exclusively (an existing one fails with EEXIST, never overwritten).
   * Errors carry the OS error and the path (`EACCES: permission denied, mkdir '...'`).
   */
  async createSavepointDirectory(directory: string): Promise<void> {
    await mkdir(dirname(directory), { recursive: true });
    await mkdir(directory);
  }

  /** Removes a savepoint directory (one that failed while it was written). */
  async removeSavepoint(directory: string): Promise<void> {
    await rm(directory, { recursive: true, force: true });
  }

  /** Copies a completed checkpoint into a savepoint directory created by `createSavepointDirectory` (self-contained: relative paths only). */
  async copy(from: string, to: string): Promise<void> {
    const entries = await readdir(from);
    for (const name of entries) if (name !== CHECKPOINT_METADATA_FILE) await cp(join(from, name), join(to, name), { recursive: true });
    // Metadata last, so an interrupted copy is not a savepoint.
    await cp(join(from, CHECKPOINT_METADATA_FILE), join(to, temporaryFileName(CHECKPOINT_METADATA_FILE)));
    await rename(join(to, temporaryFileName(CHECKPOINT_METADATA_FILE)), join(to, CHECKPOINT_METADATA_FILE));
  }

  private async checkpointIds(jobId: string): Promise<number[]> {
    const names = await readdir(this.jobDirectory(jobId)).catch(() => [] as string[]);
    return names.map(parseCheckpointDirectoryName).filter((id): id is number => id !== undefined);
  }
}
