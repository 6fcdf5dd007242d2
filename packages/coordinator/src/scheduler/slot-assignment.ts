// Slot assignment: where each subtask of a job goes among the workers' free slots.
import { topologicalVertices, type JobGraph } from '@weir/common';
import { subtaskId } from '@weir/protocol';
import type { RegisteredWorker } from '../resource-manager/worker-registry.ts';

/**
 * Places every subtask on a worker with a free slot, spreading each vertex's
 * subtasks over the workers (the one with the most free slots first).
 * Returns undefined when there are not enough free slots.
 */
export function assignSlots(graph: JobGraph, workers: readonly RegisteredWorker[], freeSlots: (w: RegisteredWorker) => number): Map<string, RegisteredWorker> | undefined {
  const free = new Map(workers.map((w) => [w, freeSlots(w)]));
  const needed = graph.vertices.reduce((n, v) => n + v.parallelism, 0);
  const available = [...free.values()].reduce((n, f) => n + Math.max(0, f), 0);
  if (available < needed) return undefined;
  const placement = new Map<string, RegisteredWorker>();
  let turn = 0;
  for (const vertex of topologicalVertices(graph)) {
    // Subtasks of this vertex per worker: among the freest workers, prefer those with fewest.
    const ofVertex = new Map<RegisteredWorker, number>();
    for (let i = 0; i < vertex.parallelism; i++) {
      const candidates = [...free.entries()].filter(([, f]) => f > 0);
      const most = Math.max(...candidates.map(([, f]) => f));
      const mostFree = candidates.filter(([, f]) => f === most);
      const fewest = Math.min(...mostFree.map(([w]) => ofVertex.get(w) ?? 0));
      const best = mostFree.filter(([w]) => (ofVertex.get(w) ?? 0) === fewest);
      const [worker] = best[turn++ % best.length]!;
      free.set(worker, free.get(worker)! - 1);
      ofVertex.set(worker, (ofVertex.get(worker) ?? 0) + 1);
      placement.set(subtaskId(vertex.id, i), worker);
    }
  }
  return placement;
}

/** Total free slots over all workers. */
export function totalFreeSlots(workers: readonly RegisteredWorker[], freeSlots: (w: RegisteredWorker) => number): number {
  return workers.reduce((n, w) => n + Math.max(0, freeSlots(w)), 0);
}
