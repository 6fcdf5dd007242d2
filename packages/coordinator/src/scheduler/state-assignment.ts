// State assignment: which state of a checkpoint or savepoint each subtask of
// a (maybe rescaled) job restores (whether a savepoint fits the job is
// checkSavepointStates of @weir/protocol).
import { keyGroupRangeForSubtask, type JobVertex } from '@weir/common';
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
    operators[op.id] = {
      keyedState,
      operatorState,
      ...(union ? { unionListState: true } : {}),
      ...(broadcastState ? { broadcastState } : {}),
      ...(saved.states ? { states: saved.states } : {}),
    };
  }
  return { checkpointId: metadata.checkpointId, directory, operators };
}
