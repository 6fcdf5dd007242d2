// State assignment: which state of a checkpoint or savepoint each subtask of
// a (maybe rescaled) job restores, and whether a savepoint fits a job.
import { keyGroupRangeForSubtask, type JobGraph, type JobVertex } from '@weir/common';
import { type CheckpointMetadata, type OperatorSubtaskState, type RestoreSpec } from '@weir/protocol';

/**
 * Hands the state of a checkpoint or savepoint to the subtasks of a (maybe
 * rescaled) job, as Flink does: keyed state by key-group range (each new
 * subtask gets every file whose range meets its own and keeps only its key
 * groups), operator list state round-robin over the new subtasks, union list
 * state whole to every subtask, and to every subtask one copy of the
 * broadcast state (that of old subtask `index % old parallelism`).
 */
export function restoreSpecFor(metadata: CheckpointMetadata, directory: string, vertex: JobVertex, subtaskIndex: number): RestoreSpec {
  const operators: Record<string, OperatorSubtaskState> = {};
  const range = keyGroupRangeForSubtask(subtaskIndex, vertex.parallelism, vertex.maxParallelism);
  for (const op of vertex.operators) {
    const saved = metadata.operators[op.id];
    if (!saved) continue;
    const keyedState = saved.subtasks.flatMap((s) => s.keyedState).filter((h) => h.keyGroupRange.start <= range.end && h.keyGroupRange.end >= range.start);
    const items = [...saved.subtasks].sort((a, b) => a.index - b.index).flatMap((s) => s.operatorState);
    // Union list state (the operator says so in its snapshot, e.g. the Kafka source) goes whole to every subtask.
    const union = saved.subtasks.some((s) => s.unionListState);
    const operatorState = union ? items : items.filter((_, i) => i % vertex.parallelism === subtaskIndex);
    // Broadcast state: every subtask held the same, so each new subtask takes one old copy (Flink's BROADCAST mode).
    const copies = [...saved.subtasks].sort((a, b) => a.index - b.index).filter((s) => s.broadcastState !== undefined);
    const broadcastState = copies.length > 0 ? copies[subtaskIndex % copies.length]!.broadcastState : undefined;
    operators[op.id] = { keyedState, operatorState, ...(union ? { unionListState: true } : {}), ...(broadcastState ? { broadcastState } : {}) };
  }
  return { checkpointId: metadata.checkpointId, directory, operators };
}

/**
 * Checks that a job can start from a checkpoint or savepoint: every operator
 * with saved state exists in the job (unless allowed to drop it), and keyed
 * state keeps its number of key groups. Returns the problems, naming the
 * operator and what to do; empty when compatible.
 */
export function checkStateCompatibility(metadata: CheckpointMetadata, graph: JobGraph, allowNonRestoredState: boolean): string[] {
  const problems: string[] = [];
  const operators = new Map(graph.vertices.flatMap((v) => v.operators.map((o) => [o.id, v] as const)));
  for (const [id, saved] of Object.entries(metadata.operators)) {
    const hasState = saved.subtasks.some((s) => s.keyedState.length > 0 || s.operatorState.length > 0 || Object.values(s.broadcastState ?? {}).some((e) => e.length > 0));
    const vertex = operators.get(id);
    if (!vertex) {
      if (hasState && !allowNonRestoredState) {
        problems.push(`the savepoint has state for operator '${id}', which the job does not have: give the operator its old .uid(), or pass --allow-non-restored-state to drop that state`);
      }
      continue;
    }
    const keyed = saved.subtasks.some((s) => s.keyedState.length > 0);
    if (keyed && saved.maxParallelism !== vertex.maxParallelism) {
      problems.push(
        `operator '${id}' has keyed state in ${saved.maxParallelism} key groups but the job gives it maxParallelism ${vertex.maxParallelism}: keep setMaxParallelism(${saved.maxParallelism}); the number of key groups cannot change once a job has state`,
      );
    }
  }
  return problems;
}
