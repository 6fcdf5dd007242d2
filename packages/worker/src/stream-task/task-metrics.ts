// The metrics a subtask reports to its worker every half second and at its end.
import type { SplitStatus, TaskDeployment, TaskMetrics } from '@weir/protocol/runtime';
import type { TaskOutput } from '../network/task-output.ts';
import type { OperatorChain } from './operator-chain.ts';
import type { SlotThreadHealth } from './slot-thread-health.ts';
import type { CounterRates, TaskTime } from './task-time.ts';

/** What a running task measures over time, beside its counters. */
export interface TaskMeters {
  time: TaskTime;
  records: CounterRates;
  health: SlotThreadHealth;
}

/**
 * The subtask's metrics now. `watermark`: what to report as its watermark
 * (a source's output watermark, another task's input watermark), undefined
 * when it has none yet.
 */
export function taskMetrics(d: TaskDeployment, chain: OperatorChain, output: TaskOutput, watermark: number | undefined, meters: TaskMeters): TaskMetrics {
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
  const now = performance.now();
  const time = meters.time.rates(now);
  if (time) Object.assign(metrics, time);
  [metrics.recordsInPerSecond, metrics.recordsOutPerSecond] = meters.records.sample(now, [metrics.recordsIn, metrics.recordsOut]) as [number, number];
  Object.assign(metrics, meters.health.sample());
  return metrics;
}

/** The directory of the first dead-letter file that got entries, for the status views. */
export function deadLetterDirectory(chain: OperatorChain): string | null {
  return chain.deadLetters.find((l) => l.count > 0)?.directory ?? null;
}
