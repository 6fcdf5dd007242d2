// Where an Execution's metrics come from: a worker's heartbeat (the latest
// report of each running subtask) and a subtask's final state report.
import { isTerminalExecutionState } from '@weir/protocol';
import type { Execution, ExecutionGraph } from '../scheduler/execution-graph.ts';
import type { RegisteredWorker } from '../resource-manager/worker-registry.ts';

/** Copies `worker`'s latest metrics into the executions of `graph` it runs. */
export function applyHeartbeatMetrics(graph: ExecutionGraph, worker: RegisteredWorker): void {
  for (const execution of graph.all()) {
    if (execution.workerId !== worker.workerId || isTerminalExecutionState(execution.state)) continue;
    const entry = worker.metrics.get(execution.key);
    if (entry) {
      execution.metrics = entry.metrics;
      execution.deadLetterDir = entry.deadLetterDir;
    }
  }
}

/** Copies the metrics of a subtask's final state report (JSON) into its execution. */
export function applyFinalMetrics(execution: Execution, metricsJson: string): void {
  const final = JSON.parse(metricsJson) as { metrics: Execution['metrics']; deadLetterDir: string | null };
  execution.metrics = final.metrics;
  execution.deadLetterDir = final.deadLetterDir;
}
