// Waiting for slots: asks the worker registry for a placement of every
// subtask of a job until one fits, the slot wait times out, or the attempt is
// no longer wanted.
import type { JobGraph } from '@weir/common';
import type { RegisteredWorker, WorkerRegistry } from '../resource-manager/worker-registry.ts';
import { assignSlots, totalFreeSlots } from './slot-assignment.ts';

/** The outcome of a slot request: a placement, or why there is none. */
export type SlotRequestResult = { placement: Map<string, RegisteredWorker> } | { abandoned: true } | { error: string };

/**
 * Places the job's subtasks on free slots, retrying every 200 ms until
 * `timeoutMs` passes (then the error says what is missing and how to get it).
 * Abandoned as soon as `wanted()` turns false.
 */
export async function requestSlots(graph: JobGraph, registry: WorkerRegistry, timeoutMs: number, wanted: () => boolean): Promise<SlotRequestResult> {
  const deadline = Date.now() + timeoutMs;
  let placement = assignSlots(graph, registry.all(), (w) => registry.freeSlots(w));
  while (!placement) {
    if (!wanted()) return { abandoned: true };
    if (Date.now() > deadline) {
      const needed = graph.vertices.reduce((n, v) => n + v.parallelism, 0);
      const free = totalFreeSlots(registry.all(), (w) => registry.freeSlots(w));
      return {
        error: `not enough free slots: the job needs ${needed}, the cluster has ${free} free on ${registry.all().length} workers; start more workers (weir worker), give them more --slots, or lower the parallelism (weir run -p)`,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    placement = assignSlots(graph, registry.all(), (w) => registry.freeSlots(w));
  }
  return { placement };
}
