// Files committed with checkpoints (two-phase commit), the machinery of the
// exactly-once file sink and of dead letters when the job checkpoints.
import { open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDirectoryDurably, syncDirectory } from '@weir/protocol/runtime';
import { OpenPart, transactionalPartName, type PartFileConfig } from './part-files.ts';

/** A file pre-committed for a checkpoint, waiting for it to complete. */
export interface PendingFile {
  /** The directory it belongs to (a restored job may write elsewhere). */
  directory: string;
  name: string;
  checkpointId: number;
}

const IN_PROGRESS = '.in-progress';
const PENDING = '.pending';

/** Where and under which names one writer (an operator's subtask) puts its files, and when it rolls to the next. */
export interface TwoPhaseCommitFilesOptions {
  /** Directory, part prefix and suffix, and the rolling policy (`text` is not used here). */
  parts: Omit<PartFileConfig, 'text'>;
  subtaskIndex: number;
  /** The attempt's token: names of this attempt's files, told apart from those other attempts left. */
  token: string;
  /** The pending files of the checkpoint the task starts from (they are committed on open). */
  restored: PendingFile[];
  restoredCheckpointId: number | undefined;
}

/**
 * Two-phase commit of files on checkpoints:
 * - text goes to an in-progress file `<dir>/.in-progress/<prefix>-<subtask>-<attempt>-<n><suffix>`,
 *   rolled over to the next one by size or age (the closed ones wait there);
 * - `preCommit` (on a checkpoint's barrier) closes the current file and moves
 *   every closed one to `<dir>/.pending/` as `...-<n>-cp<checkpoint><suffix>`;
 *   the list of pending files goes into the checkpoint;
 * - `commit` (the checkpoint completed) renames pending files into `<dir>`
 *   (atomic: readers see whole files or nothing);
 * - `open` commits the pending files of the restored checkpoint and deletes
 *   what other attempts left of files with this prefix: in-progress files, and
 *   pending files of checkpoints that never completed (newer than the restored one).
 *
 * Durability: a file is fsynced when it is closed, and the directories whose
 * names a step changed are fsynced before the step resolves, so a checkpoint
 * is acknowledged only with its pending files on disk, and a commit is
 * reported only with the files in place. A step that fails (ENOSPC, EIO)
 * throws with the OS error; what it already moved stays consistent, and the
 * next checkpoint pre-commits the rest.
 */
export class TwoPhaseCommitFiles {
  private readonly options: TwoPhaseCommitFilesOptions;
  private readonly names: ReturnType<typeof transactionalPartName>;
  private pending: PendingFile[];
  private part: OpenPart | undefined;
  /** Files rolled over since the last checkpoint: closed, in progress, pre-committed with the next checkpoint. */
  private closed: string[] = [];
  private sequence = 0;

  constructor(options: TwoPhaseCommitFilesOptions) {
    this.options = options;
    this.names = transactionalPartName(options.parts);
    this.pending = options.restored.map((p) => ({ ...p }));
  }

  get directory(): string {
    return this.options.parts.directory;
  }

  async open(): Promise<void> {
    const { directory } = this;
    const { token } = this.options;
    await makeDirectoryDurably(join(directory, IN_PROGRESS));
    await makeDirectoryDurably(join(directory, PENDING));
    for (const file of this.pending) await commitFile(file);
    if (this.pending.length > 0) await syncCommitted(this.pending);
    this.pending = [];
    const restored = this.options.restoredCheckpointId ?? 0;
    for (const sub of [IN_PROGRESS, PENDING]) {
      for (const name of await readdir(join(directory, sub))) {
        const match = this.names.pattern.exec(name);
        if (!match || match[1] === token) continue;
        const checkpointId = match[2] === undefined ? undefined : Number(match[2]);
        if (sub === IN_PROGRESS || checkpointId === undefined || checkpointId > restored) await unlink(join(directory, sub, name)).catch(() => {});
      }
    }
  }

  /** Appends `text` to the in-progress file, first rolling over to a new one when the policy says so. */
  async write(text: string): Promise<void> {
    if (text.length === 0) return;
    if (this.part?.shouldRoll(this.options.parts)) await this.closePart();
    if (!this.part) {
      const name = this.names.inProgress(this.options.subtaskIndex, this.options.token, this.sequence++);
      this.part = new OpenPart(name, await open(join(this.directory, IN_PROGRESS, name), 'w'));
    }
    await this.part.write(text, join(this.directory, IN_PROGRESS, this.part.name));
  }

  /** Pre-commits every file written since the last checkpoint for `checkpointId`; returns every pending file, the writer's state in the checkpoint. */
  async preCommit(checkpointId: number): Promise<PendingFile[]> {
    await this.closePart();
    const { directory } = this;
    const moved = this.closed.length > 0;
    // One at a time, forgotten as closed once moved: after a failure the rest is moved by the next checkpoint.
    while (this.closed.length > 0) {
      const inProgress = this.closed[0]!;
      const name = this.names.preCommitted(inProgress, checkpointId);
      await rename(join(directory, IN_PROGRESS, inProgress), join(directory, PENDING, name));
      this.pending.push({ directory, name, checkpointId });
      this.closed.shift();
    }
    if (moved) {
      await syncDirectory(join(directory, IN_PROGRESS));
      await syncDirectory(join(directory, PENDING));
    }
    return this.pending.map((p) => ({ ...p }));
  }

  /** Checkpoint `checkpointId` completed: commits the files pre-committed up to it. */
  async commit(checkpointId: number): Promise<void> {
    const ready = this.pending.filter((p) => p.checkpointId <= checkpointId);
    for (const file of ready) await commitFile(file);
    if (ready.length > 0) await syncCommitted(ready);
    this.pending = this.pending.filter((p) => p.checkpointId > checkpointId);
  }

  async close(): Promise<void> {
    await this.part?.handle.close();
    this.part = undefined;
  }

  private async closePart(): Promise<void> {
    if (!this.part) return;
    await this.part.handle.sync();
    await this.part.handle.close();
    // A new in-progress file's name: synced with it, before it is moved on.
    await syncDirectory(join(this.directory, IN_PROGRESS));
    this.closed.push(this.part.name);
    this.part = undefined;
  }
}

async function commitFile(file: PendingFile): Promise<void> {
  try {
    await rename(join(file.directory, PENDING, file.name), join(file.directory, file.name));
  } catch (error) {
    // Committed already (by an earlier attempt after the same checkpoint, or by another subtask given the same union state)?
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && (await exists(join(file.directory, file.name)))) return;
    throw new Error(`cannot commit file ${file.name} of checkpoint ${file.checkpointId}: ${(error as Error).message}`, { cause: error });
  }
}

/** fsyncs the directories committed files were renamed out of and into. */
async function syncCommitted(files: readonly PendingFile[]): Promise<void> {
  for (const directory of new Set(files.map((f) => f.directory))) {
    await syncDirectory(join(directory, PENDING));
    await syncDirectory(directory);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
