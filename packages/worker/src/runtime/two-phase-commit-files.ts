// Files committed with checkpoints (two-phase commit), the machinery of the
// exactly-once file sink and of dead letters when the job checkpoints.
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** A file pre-committed for a checkpoint, waiting for it to complete. */
export interface PendingFile {
  /** The directory it belongs to (a restored job may write elsewhere). */
  directory: string;
  name: string;
  checkpointId: number;
}

const IN_PROGRESS = '.in-progress';
const PENDING = '.pending';

/** Where and under which names one writer (an operator's subtask) puts its files. */
export interface TwoPhaseCommitFilesOptions {
  directory: string;
  /** The name's start, shared by every subtask of the operator (`part` gives `part-<subtask>-<attempt>-<n>.<extension>`). */
  prefix: string;
  subtaskIndex: number;
  extension: string;
  /** The attempt's token: names of this attempt's files, told apart from those other attempts left. */
  token: string;
  /** The pending files of the checkpoint the task starts from (they are committed on open). */
  restored: PendingFile[];
  restoredCheckpointId: number | undefined;
}

/**
 * Two-phase commit of files on checkpoints:
 * - text goes to an in-progress file `<dir>/.in-progress/<prefix>-<subtask>-<attempt>-<n>.<ext>`;
 * - `preCommit` (on a checkpoint's barrier) closes it and moves it to `<dir>/.pending/`
 *   as `...-cp<checkpoint>.<ext>`; the list of pending files goes into the checkpoint;
 * - `commit` (the checkpoint completed) renames pending files into `<dir>`
 *   (atomic: readers see whole files or nothing);
 * - `open` commits the pending files of the restored checkpoint and deletes
 *   what other attempts left of files with this prefix: in-progress files, and
 *   pending files of checkpoints that never completed (newer than the restored one).
 */
export class TwoPhaseCommitFiles {
  private readonly options: TwoPhaseCommitFilesOptions;
  private readonly names: RegExp;
  private pending: PendingFile[];
  private handle: FileHandle | undefined;
  private currentName: string | undefined;
  private sequence = 0;

  constructor(options: TwoPhaseCommitFilesOptions) {
    this.options = options;
    this.pending = options.restored.map((p) => ({ ...p }));
    const prefix = options.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const extension = options.extension.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.names = new RegExp(`^${prefix}-\\d+-([0-9a-z]+)-(?:\\d+|cp(\\d+))\\.${extension}$`);
  }

  get directory(): string {
    return this.options.directory;
  }

  async open(): Promise<void> {
    const { directory, token } = this.options;
    await mkdir(join(directory, IN_PROGRESS), { recursive: true });
    await mkdir(join(directory, PENDING), { recursive: true });
    for (const file of this.pending) await commitFile(file);
    this.pending = [];
    const restored = this.options.restoredCheckpointId ?? 0;
    for (const sub of [IN_PROGRESS, PENDING]) {
      for (const name of await readdir(join(directory, sub))) {
        const match = this.names.exec(name);
        if (!match || match[1] === token) continue;
        const checkpointId = match[2] === undefined ? undefined : Number(match[2]);
        if (sub === IN_PROGRESS || checkpointId === undefined || checkpointId > restored) await unlink(join(directory, sub, name)).catch(() => {});
      }
    }
  }

  /** Appends `text` to the in-progress file (opened at the first write after a pre-commit). */
  async write(text: string): Promise<void> {
    if (text.length === 0) return;
    if (!this.handle) {
      const { prefix, subtaskIndex, token, extension } = this.options;
      this.currentName = `${prefix}-${subtaskIndex}-${token}-${this.sequence++}.${extension}`;
      this.handle = await open(join(this.options.directory, IN_PROGRESS, this.currentName), 'w');
    }
    await this.handle.write(text);
  }

  /** Pre-commits the in-progress file for `checkpointId`; returns every pending file, the writer's state in the checkpoint. */
  async preCommit(checkpointId: number): Promise<PendingFile[]> {
    if (this.handle && this.currentName) {
      const { directory } = this.options;
      await this.handle.sync();
      await this.handle.close();
      this.handle = undefined;
      const name = this.currentName.replace(/-\d+\.([^.]+)$/, `-cp${checkpointId}.$1`);
      await rename(join(directory, IN_PROGRESS, this.currentName), join(directory, PENDING, name));
      this.pending.push({ directory, name, checkpointId });
      this.currentName = undefined;
    }
    return this.pending.map((p) => ({ ...p }));
  }

  /** Checkpoint `checkpointId` completed: commits the files pre-committed up to it. */
  async commit(checkpointId: number): Promise<void> {
    const ready = this.pending.filter((p) => p.checkpointId <= checkpointId);
    for (const file of ready) await commitFile(file);
    this.pending = this.pending.filter((p) => p.checkpointId > checkpointId);
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
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

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
