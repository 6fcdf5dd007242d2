// Failover: waits until every subtask of a failed attempt is confirmed gone
// (a worker terminates threads that ignore cancellation) before the next
// attempt starts, so an old sink never writes beside a new one.
import { attemptKeyPrefix, isTerminalExecutionState } from '@weir/protocol';
import type { ExecutionGraph } from '../scheduler/execution-graph.ts';
import type { WorkerRegistry } from '../resource-manager/worker-registry.ts';

/** Waits for the end of a failed attempt's subtasks; woken at once by each confirmation. */
export class AttemptEndWatch {
  /** Set while a wait is in progress: called when a subtask of an old attempt ends. */
  private ended: (() => void) | undefined;

  /** A subtask of an old attempt ended (or its worker was lost): a wait in progress checks again at once. */
  notify(): void {
    this.ended?.();
  }

  /** Whether any worker still holds a slot of the job's attempt `attempt`. */
  static lingering(registry: WorkerRegistry, jobId: string, attempt: number): boolean {
    const prefix = attemptKeyPrefix(jobId, attempt);
    return registry.all().some((w) => [...w.occupied.subtasks()].some((key) => key.startsWith(prefix)));
  }

  /** Waits while `lingering()` holds, until `deadline` (epoch ms) or until `wanted()` turns false; checks at least every 200 ms. */
  async wait(lingering: () => boolean, deadline: number, wanted: () => boolean): Promise<void> {
    while (lingering() && Date.now() < deadline) {
      if (!wanted()) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, Math.min(200, deadline - Date.now())));
        this.ended = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.ended = undefined;
    }
  }
}

/** Resolves once every execution of `graph` is in a terminal state, or at `deadline` (epoch ms); checks every 50 ms. */
export function whenAllTerminal(graph: ExecutionGraph, deadline: number): Promise<void> {
  return new Promise((resolve) => {
    const check = setInterval(() => {
      if (graph.all().every((e) => isTerminalExecutionState(e.state)) || Date.now() > deadline) {
        clearInterval(check);
        resolve();
      }
    }, 50);
  });
}
