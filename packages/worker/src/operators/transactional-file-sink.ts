import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChainedOperator, OperatorContext } from '../runtime/operator.ts';

/** A part file pre-committed for a checkpoint, waiting for it to complete. */
interface PendingFile {
  /** The sink directory it belongs to (a restored job may write elsewhere). */
  directory: string;
  name: string;
  checkpointId: number;
}

const IN_PROGRESS = '.in-progress';
const PENDING = '.pending';
const NAME = /^part-\d+-([0-9a-z]+)-(?:\d+|cp(\d+))\.(jsonl|txt)$/;

/**
 * The exactly-once file sink (two-phase commit on checkpoints):
 * - records go to an in-progress file `<dir>/.in-progress/part-<subtask>-<attempt>-<n>`;
 * - on a checkpoint's barrier it is closed and moved to `<dir>/.pending/`
 *   (pre-commit), and the list of pending files is the operator's state;
 * - when the checkpoint completes, pending files are renamed into `<dir>`
 *   (commit: atomic, so readers see whole files or nothing);
 * - on restore, the pending files in the restored state belong to a completed
 *   checkpoint and are committed; leftovers of other attempts are deleted.
 */
export function transactionalFileSink(ctx: OperatorContext): ChainedOperator {
  const directory = ctx.descriptor.config.directory as string;
  const text = ctx.descriptor.config.format === 'text';
  const extension = text ? 'txt' : 'jsonl';
  const { subtaskIndex } = ctx.runtime;
  const token = ctx.deployment.attemptToken;
  let pending: PendingFile[] = ctx.restoredState ? (ctx.restoredState as PendingFile[]).map((p) => ({ ...p })) : [];
  let handle: FileHandle | undefined;
  let currentName: string | undefined;
  let sequence = 0;
  let lines: string[] = [];

  async function commit(file: PendingFile): Promise<void> {
    try {
      await rename(join(file.directory, PENDING, file.name), join(file.directory, file.name));
    } catch (error) {
      // Committed already (by an earlier attempt after the same checkpoint)?
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && (await exists(join(file.directory, file.name)))) return;
      throw new Error(`cannot commit part file ${file.name} of checkpoint ${file.checkpointId}: ${(error as Error).message}`, { cause: error });
    }
  }

  async function writeLines(): Promise<void> {
    if (lines.length === 0) return;
    if (!handle) {
      currentName = `part-${subtaskIndex}-${token}-${sequence++}.${extension}`;
      handle = await open(join(directory, IN_PROGRESS, currentName), 'w');
    }
    const chunk = lines.join('\n') + '\n';
    lines = [];
    await handle.write(chunk);
  }

  return {
    async open() {
      await mkdir(join(directory, IN_PROGRESS), { recursive: true });
      await mkdir(join(directory, PENDING), { recursive: true });
      // Commit what the restored checkpoint pre-committed.
      for (const file of pending) await commit(file);
      pending = [];
      // Discard what other attempts left: in-progress files, and pending files
      // of checkpoints that never completed (newer than the restored one).
      const restored = ctx.restoredCheckpointId ?? 0;
      for (const sub of [IN_PROGRESS, PENDING]) {
        for (const name of await readdir(join(directory, sub))) {
          const match = NAME.exec(name);
          if (!match || match[1] === token) continue;
          const checkpointId = match[2] === undefined ? undefined : Number(match[2]);
          if (sub === IN_PROGRESS || checkpointId === undefined || checkpointId > restored) await unlink(join(directory, sub, name)).catch(() => {});
        }
      }
    },
    process(record) {
      lines.push(text ? String(record) : JSON.stringify(record));
    },
    endBatch: writeLines,
    async snapshotState(checkpointId) {
      await writeLines();
      if (handle && currentName) {
        await handle.sync();
        await handle.close();
        handle = undefined;
        const name = currentName.replace(/-\d+\.(jsonl|txt)$/, `-cp${checkpointId}.$1`);
        await rename(join(directory, IN_PROGRESS, currentName), join(directory, PENDING, name));
        pending.push({ directory, name, checkpointId });
        currentName = undefined;
      }
      return pending.map((p) => ({ ...p }));
    },
    async notifyCheckpointComplete(checkpointId) {
      const ready = pending.filter((p) => p.checkpointId <= checkpointId);
      for (const file of ready) await commit(file);
      pending = pending.filter((p) => p.checkpointId > checkpointId);
    },
    async close() {
      await handle?.close();
      handle = undefined;
    },
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
