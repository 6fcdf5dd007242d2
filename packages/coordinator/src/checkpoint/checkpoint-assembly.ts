// Putting a completed checkpoint together: each subtask's state (from its
// acknowledgement, or carried over for a subtask that finished earlier) and
// the metadata that names them, operator by operator.
import { mergeStateMetadata, type JobGraph, type StateMetadata } from '@weir/common';
import { joinLocation, subtaskId, type CheckpointMetadata, type OperatorSubtaskState, type SubtaskCheckpointAck } from '@weir/protocol';
import type { CheckpointFileSystem } from '@weir/protocol/storage';

/** Each subtask's operator states in a completed checkpoint, and the directory their files are in. */
export type CompletedStates = Map<string, { operators: Record<string, OperatorSubtaskState>; directory: string }>;

/**
 * The states of a checkpoint in `directory`: those the subtasks acknowledged,
 * and for subtasks that finished earlier, the state of their last checkpoint
 * (its keyed-state files copied into `directory`, so the checkpoint is self-contained).
 */
export async function carryStates(acks: ReadonlyMap<string, SubtaskCheckpointAck>, last: CompletedStates, directory: string, fs: CheckpointFileSystem): Promise<CompletedStates> {
  const states: CompletedStates = new Map();
  for (const [key, ack] of acks) states.set(key, { operators: ack.operators, directory });
  for (const [key, previous] of last) {
    if (states.has(key)) continue;
    const copied: Record<string, OperatorSubtaskState> = {};
    for (const [opId, state] of Object.entries(previous.operators)) {
      for (const handle of state.keyedState) {
        await fs.copy(joinLocation(previous.directory, handle.file), joinLocation(directory, handle.file));
      }
      copied[opId] = state;
    }
    states.set(key, { operators: copied, directory });
  }
  return states;
}

/** The metadata of a checkpoint: `header`, and per operator of `graph` the states of its subtasks. */
export function assembleMetadata(graph: JobGraph, states: CompletedStates, header: Omit<CheckpointMetadata, 'operators'>): CheckpointMetadata {
  const metadata: CheckpointMetadata = { ...header, operators: {} };
  for (const vertex of graph.vertices) {
    for (const op of vertex.operators) {
      const subtasks: CheckpointMetadata['operators'][string]['subtasks'] = [];
      const recorded: StateMetadata[][] = [];
      for (let i = 0; i < vertex.parallelism; i++) {
        const state = states.get(subtaskId(vertex.id, i))?.operators[op.id];
        if (!state) continue;
        const { states: subtaskStates, ...rest } = state;
        if (subtaskStates) recorded.push(subtaskStates);
        subtasks.push({ index: i, ...rest });
      }
      // Each subtask records the states it knows (declared, used, restored); the operator has all of them.
      const opStates = mergeStateMetadata(...recorded);
      metadata.operators[op.id] = { parallelism: vertex.parallelism, maxParallelism: vertex.maxParallelism, ...(opStates.length > 0 ? { states: opStates } : {}), subtasks };
    }
  }
  return metadata;
}
