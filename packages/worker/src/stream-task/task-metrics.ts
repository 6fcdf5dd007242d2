// The metrics a subtask reports to its worker every half second and at its end.
import type { SplitStatus, TaskDeployment, TaskMetrics } from '@weir/protocol/runtime';
import type { TaskOutput } from '../network/task-output.ts';
import type { OperatorChain } from './operator-chain.ts';

/**
 * The subtask's metrics now. `watermark`: what to report as its watermark
 * (a source's output watermark, another task's input watermark), undefined
 * when it has none yet.
 */
export function taskMetrics(d: TaskDeployment, chain: OperatorChain, output: TaskOutput, watermark: number | undefined): TaskMetrics {
  const { source, deadLetters, counters } = chain;
  const metrics: TaskMetrics = {
    jobId: d.jobId,
    attempt: d.attempt,
    vertexId: d.vertexId,
    subtaskIndex: d.subtaskIndex,
    recordsIn: chain.recordsIn,
    recordsOut: output.recordsOut,
    deadLetters: deadLetters.reduce((n, l) => n + l.count, 0),
    backpressuredFrames: output.backlogFrames(),
  };
  if (watermark !== undefined) metrics.inputWatermark = Number.isFinite(watermark) ? watermark : null;
  const splits: SplitStatus[] | undefined = source?.op.splits?.();
  if (splits) metrics.splits = splits;
  if (counters.size > 0) metrics.counters = Object.fromEntries(counters);
  return metrics;
}

/** The directory of the first dead-letter file that got entries, for the status views. */
export function deadLetterDirectory(chain: OperatorChain): string | null {
  return chain.deadLetters.find((l) => l.count > 0)?.directory ?? null;
}
