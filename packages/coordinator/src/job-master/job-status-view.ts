// The status view of a job (what `weir status` and GetJob show): every
// vertex with its subtasks' states, workers and metrics, and the job's totals.
import type { JobStatus, JobStatusView, SlotRequestView, TaskMetrics } from '@weir/protocol';
import type { ExecutionGraph } from '../scheduler/execution-graph.ts';
import type { JobRecord } from './job-record.ts';

/** The job-level facts the view shows beside the current attempt. */
export interface JobStatusFacts {
  status: JobStatus;
  restarts: number;
  endTimeMs: number | null;
  error: string | null;
  /** What the current attempt waits for, while it waits for slots. */
  slotRequest: SlotRequestView | null;
  /** The job's restart strategy in its compact form. */
  restartStrategy: string;
}

const RATES = ['busyTimeMsPerSecond', 'backPressuredTimeMsPerSecond', 'idleTimeMsPerSecond', 'recordsInPerSecond', 'recordsOutPerSecond'] as const;

/** The subtask's time accounting and record rates, those it reported. */
function timeRates(metrics: TaskMetrics | null | undefined): Partial<Pick<TaskMetrics, (typeof RATES)[number]>> {
  const rates: Partial<Pick<TaskMetrics, (typeof RATES)[number]>> = {};
  for (const name of RATES) if (metrics?.[name] !== undefined) rates[name] = metrics[name];
  return rates;
}

/** Builds the status view of a job from its record and its current attempt. */
export function jobStatusView(record: JobRecord, graph: ExecutionGraph, facts: JobStatusFacts): JobStatusView {
  const g = record.graph;
  let deadLetters = 0;
  let deadLetterDir: string | null = null;
  const vertices = g.vertices.map((v) => ({
    id: v.id,
    name: v.name,
    operators: v.operators.map((o) => `${o.name} (${o.id})`),
    parallelism: v.parallelism,
    subtasks: Array.from({ length: v.parallelism }, (_, i) => {
      const e = graph.get(v.id, i)!;
      deadLetters += e.metrics?.deadLetters ?? 0;
      deadLetterDir ??= e.deadLetterDir;
      return {
        index: i,
        state: e.state,
        workerId: e.workerId,
        recordsIn: e.metrics?.recordsIn ?? 0,
        recordsOut: e.metrics?.recordsOut ?? 0,
        deadLetters: e.metrics?.deadLetters ?? 0,
        ...(e.error ? { error: e.error } : {}),
        ...(e.metrics?.inputWatermark !== undefined ? { inputWatermark: e.metrics.inputWatermark } : {}),
        ...(e.metrics?.splits ? { splits: e.metrics.splits } : {}),
        ...(e.metrics?.counters ? { counters: e.metrics.counters } : {}),
        ...timeRates(e.metrics),
      };
    }),
  }));
  return {
    jobId: record.jobId,
    name: record.name,
    status: facts.status,
    attempt: graph.attempt,
    restarts: facts.restarts,
    startTimeMs: record.submittedAtMs,
    endTimeMs: facts.endTimeMs,
    vertices,
    error: facts.error,
    deadLetters,
    deadLetterDir,
    slotRequest: facts.slotRequest,
    restartStrategy: facts.restartStrategy,
  };
}
