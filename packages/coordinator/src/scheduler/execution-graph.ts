// The ExecutionGraph: one attempt of a job, one Execution per subtask.
import { randomBytes } from 'node:crypto';
import type { JobGraph } from '@weir/common';
import { attemptSubtaskKey, type ExecutionState, type TaskMetrics } from '@weir/protocol';

/** One parallel instance of a vertex in one attempt (Flink's Execution). */
export interface Execution {
  readonly key: string;
  readonly vertexId: string;
  readonly subtaskIndex: number;
  state: ExecutionState;
  workerId: string | null;
  error: string | null;
  metrics: TaskMetrics | null;
  deadLetterDir: string | null;
}

/**
 * The parallel, per-attempt form of a JobGraph (Flink's ExecutionGraph): one
 * Execution per subtask.
 */
export class ExecutionGraph {
  readonly attempt: number;
  /** Unique across coordinator restarts: names the files this attempt's sinks leave. */
  readonly attemptToken: string;
  readonly executions = new Map<string, Execution>();
  private readonly jobId: string;

  constructor(jobId: string, graph: JobGraph, attempt: number) {
    this.jobId = jobId;
    this.attempt = attempt;
    this.attemptToken = `${attempt}x${randomBytes(4).toString('hex')}`;
    for (const vertex of graph.vertices) {
      for (let i = 0; i < vertex.parallelism; i++) {
        const key = this.key(vertex.id, i);
        this.executions.set(key, { key, vertexId: vertex.id, subtaskIndex: i, state: 'CREATED', workerId: null, error: null, metrics: null, deadLetterDir: null });
      }
    }
  }

  key(vertexId: string, subtaskIndex: number): string {
    return attemptSubtaskKey(this.jobId, this.attempt, vertexId, subtaskIndex);
  }

  get(vertexId: string, subtaskIndex: number): Execution | undefined {
    return this.executions.get(this.key(vertexId, subtaskIndex));
  }

  all(): Execution[] {
    return [...this.executions.values()];
  }

  allIn(state: ExecutionState): boolean {
    for (const e of this.executions.values()) if (e.state !== state) return false;
    return true;
  }
}
