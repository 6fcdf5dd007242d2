import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChainedOperator, OperatorContext } from '../runtime/operator.ts';
import { OpenPart, partFileConfig, transactionalPartName } from './part-files.ts';

/** A part file pre-committed for a checkpoint, waiting for it to complete. */
interface PendingFile {
  /** The sink directory it belongs to (a restored job may write elsewhere). */
  directory: string;
  name: string;
  checkpointId: number;
}

const IN_PROGRESS = '.in-progress';
const PENDING = '.pending';

/**
 * The exactly-once file sink (two-phase commit on checkpoints):
 * - records go to an in-progress file `<dir>/.in-progress/<prefix>-<subtask>-<attempt>-<n><suffix>`,
 *   rolled over to the next one by size or age (the closed ones wait there);
 * - on a checkpoint's barrier the current part is closed, and every closed
 *   part is moved to `<dir>/.pending/` as `...-<n>-cp<checkpoint><suffix>`
 *   (pre-commit); the list of pending files is the operator's state;
 * - when the checkpoint completes, pending files are renamed into `<dir>`
 *   (commit: atomic, so readers see whole files or nothing);
 * - on restore, the pending files in the restored state belong to a completed
 *   checkpoint and are committed; leftovers of other attempts are deleted.
 */
export function transactionalFileSink(ctx: OperatorContext): ChainedOperator {
  const config = partFileConfig(ctx.descriptor.config);
  const { directory } = config;
  const names = transactionalPartName(config);
  const { subtaskIndex } = ctx.runtime;
  const token = ctx.deployment.attemptToken;
  let pending: PendingFile[] = ctx.restoredState ? (ctx.restoredState as PendingFile[]).map((p) => ({ ...p })) : [];
  let part: OpenPart | undefined;
  /** Parts rolled over since the last checkpoint: closed, in progress, pre-committed with the next checkpoint. */
  let closed: string[] = [];
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

  async function closePart(): Promise<void> {
    if (!part) return;
    await part.handle.sync();
    await part.handle.close();
    closed.push(part.name);
    part = undefined;
  }

  async function writeLines(): Promise<void> {
    if (lines.length === 0) return;
    const chunk = lines.join('\n') + '\n';
    lines = [];
    if (part?.shouldRoll(config)) await closePart();
    if (!part) {
      const name = names.inProgress(subtaskIndex, token, sequence++);
      part = new OpenPart(name, await open(join(directory, IN_PROGRESS, name), 'w'));
    }
    await part.write(chunk);
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
          const match = names.pattern.exec(name);
          if (!match || match[1] === token) continue;
          const checkpointId = match[2] === undefined ? undefined : Number(match[2]);
          if (sub === IN_PROGRESS || checkpointId === undefined || checkpointId > restored) await unlink(join(directory, sub, name)).catch(() => {});
        }
      }
    },
    process(record) {
      lines.push(config.text ? String(record) : JSON.stringify(record));
    },
    endBatch: writeLines,
    async snapshotState(checkpointId) {
      await writeLines();
      await closePart();
      for (const inProgress of closed) {
        const name = names.preCommitted(inProgress, checkpointId);
        await rename(join(directory, IN_PROGRESS, inProgress), join(directory, PENDING, name));
        pending.push({ directory, name, checkpointId });
      }
      closed = [];
      return pending.map((p) => ({ ...p }));
    },
    async notifyCheckpointComplete(checkpointId) {
      const ready = pending.filter((p) => p.checkpointId <= checkpointId);
      for (const file of ready) await commit(file);
      pending = pending.filter((p) => p.checkpointId > checkpointId);
    },
    async close() {
      await part?.handle.close();
      part = undefined;
    },
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
