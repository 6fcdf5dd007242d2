// Slot assignment: where each subtask of a job goes among the workers' free
// slots. Subtask i of every vertex of a slot sharing group runs in the
// group's i-th shared slot (so forward edges inside a group stay on one
// worker); the shared slots spread over the workers.
import { slotRequirements, slotSharingGroupOf, type JobGraph } from '@weir/common';
import { subtaskId } from '@weir/protocol';
import type { RegisteredWorker } from '../resource-manager/worker-registry.ts';

/**
 * Places every shared slot of the job on a worker with a free slot,
 * spreading each slot sharing group's slots over the workers (the one with
 * the most free slots first, then the one with the fewest slots of the
 * group), and every subtask into its slot. Returns the worker of each
 * subtask by `<vertexId>#<subtaskIndex>`, or undefined when there are not
 * enough free slots.
 */
export function assignSlots(graph: JobGraph, workers: readonly RegisteredWorker[], freeSlots: (w: RegisteredWorker) => number): Map<string, RegisteredWorker> | undefined {
  const free = new Map(workers.map((w) => [w, freeSlots(w)]));
  const { groups, total } = slotRequirements(graph);
  if (totalFreeSlots(workers, freeSlots) < total) return undefined;
  const slotWorker = new Map<string, RegisteredWorker>();
  let turn = 0;
  for (const group of groups) {
    // Slots of this group per worker: among the freest workers, prefer those with fewest.
    const ofGroup = new Map<RegisteredWorker, number>();
    for (let i = 0; i < group.slots; i++) {
      const candidates = [...free.entries()].filter(([, f]) => f > 0);
      const most = Math.max(...candidates.map(([, f]) => f));
      const mostFree = candidates.filter(([, f]) => f === most);
      const fewest = Math.min(...mostFree.map(([w]) => ofGroup.get(w) ?? 0));
      const best = mostFree.filter(([w]) => (ofGroup.get(w) ?? 0) === fewest);
      const [worker] = best[turn++ % best.length]!;
      free.set(worker, free.get(worker)! - 1);
      ofGroup.set(worker, (ofGroup.get(worker) ?? 0) + 1);
      slotWorker.set(sharedSlotId(group.name, i), worker);
    }
  }
  const placement = new Map<string, RegisteredWorker>();
  for (const vertex of graph.vertices) {
    const group = slotSharingGroupOf(vertex);
    for (let i = 0; i < vertex.parallelism; i++) placement.set(subtaskId(vertex.id, i), slotWorker.get(sharedSlotId(group, i))!);
  }
  return placement;
}

function sharedSlotId(group: string, index: number): string {
  return `${group}@${index}`;
}

/** Total free slots over all workers. */
export function totalFreeSlots(workers: readonly RegisteredWorker[], freeSlots: (w: RegisteredWorker) => number): number {
  return workers.reduce((n, w) => n + Math.max(0, freeSlots(w)), 0);
}
