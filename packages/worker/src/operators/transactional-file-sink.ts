import type { ChainedOperator, OperatorContext } from '../runtime/operator.ts';
import { partFileConfig } from '../runtime/part-files.ts';
import { TwoPhaseCommitFiles, type PendingFile } from '../runtime/two-phase-commit-files.ts';

/**
 * The exactly-once file sink (two-phase commit on checkpoints, see
 * TwoPhaseCommitFiles): records go to in-progress part files
 * `<dir>/.in-progress/<prefix>-<subtask>-<attempt>-<n><suffix>`, rolled over
 * by size or age, pre-committed on each checkpoint's barrier (the list of
 * pending files is the operator's state) and renamed into `<dir>` as
 * `...-<n>-cp<checkpoint><suffix>` when the checkpoint completes; on restore
 * the restored checkpoint's files are committed and other attempts'
 * leftovers deleted.
 */
export function transactionalFileSink(ctx: OperatorContext): ChainedOperator {
  const config = partFileConfig(ctx.descriptor.config);
  const files = new TwoPhaseCommitFiles({
    parts: config,
    subtaskIndex: ctx.runtime.subtaskIndex,
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
      lines.push(config.text ? String(record) : JSON.stringify(record));
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
