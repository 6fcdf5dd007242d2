import type { ChainedOperator, OperatorContext } from '../runtime/operator.ts';
import { TwoPhaseCommitFiles, type PendingFile } from '../runtime/two-phase-commit-files.ts';

/**
 * The exactly-once file sink (two-phase commit on checkpoints, see
 * TwoPhaseCommitFiles): records go to in-progress part files
 * `<dir>/.in-progress/part-<subtask>-<attempt>-<n>`, which are pre-committed on
 * each checkpoint's barrier (the list of pending files is the operator's
 * state) and renamed into `<dir>` when the checkpoint completes.
 */
export function transactionalFileSink(ctx: OperatorContext): ChainedOperator {
  const text = ctx.descriptor.config.format === 'text';
  const files = new TwoPhaseCommitFiles({
    directory: ctx.descriptor.config.directory as string,
    prefix: 'part',
    subtaskIndex: ctx.runtime.subtaskIndex,
    extension: text ? 'txt' : 'jsonl',
    token: ctx.deployment.attemptToken,
    restored: (ctx.restoredState as PendingFile[] | undefined) ?? [],
    restoredCheckpointId: ctx.restoredCheckpointId,
  });
  let lines: string[] = [];

  async function writeLines(): Promise<void> {
    if (lines.length === 0) return;
    const chunk = lines.join('\n') + '\n';
    lines = [];
    await files.write(chunk);
  }

  return {
    open: () => files.open(),
    process(record) {
      lines.push(text ? String(record) : JSON.stringify(record));
    },
    endBatch: writeLines,
    async snapshotState(checkpointId) {
      await writeLines();
      return files.preCommit(checkpointId);
    },
    notifyCheckpointComplete: (checkpointId) => files.commit(checkpointId),
    close: () => files.close(),
  };
}
