import { z } from 'zod';
import { stateMetadataSchema } from '@weir/common';

export const keyGroupRangeSchema = z.object({ start: z.number().int().min(0), end: z.number().int().min(-1) });

/** A keyed-state snapshot file written by one subtask. */
export const keyedStateHandleSchema = z.object({
  /** File name relative to the checkpoint's directory. */
  file: z.string(),
  keyGroupRange: keyGroupRangeSchema,
  bytes: z.number().int().min(0),
  entries: z.number().int().min(0),
  sha256: z.string(),
});
export type KeyedStateHandleSpec = z.infer<typeof keyedStateHandleSchema>;

/** The state of one operator in one subtask. */
export const operatorSubtaskStateSchema = z.object({
  keyedState: z.array(keyedStateHandleSchema),
  /** Operator list state (source positions, sink transactions): redistributed round-robin on rescale. */
  operatorState: z.array(z.unknown()),
  /** Union list state (Flink's getUnionListState): on restore every subtask gets every subtask's items and picks its own. */
  unionListState: z.boolean().optional(),
  /**
   * Broadcast state (Flink's BROADCAST operator state): each state's entries
   * by name. Every subtask holds the same; on restore each new subtask gets
   * the copy of old subtask `index % old parallelism`.
   */
  broadcastState: z.record(z.string(), z.array(z.tuple([z.unknown(), z.unknown()]))).optional(),
  /** The operator's states (descriptors: name, kind, serializer, version), as the subtask knows them. */
  states: z.array(stateMetadataSchema).optional(),
});
export type OperatorSubtaskState = z.infer<typeof operatorSubtaskStateSchema>;

/** What a subtask reports when it has written its part of a checkpoint. */
export const subtaskCheckpointAckSchema = z.object({
  jobId: z.string(),
  attempt: z.number().int(),
  checkpointId: z.number().int(),
  vertexId: z.string(),
  subtaskIndex: z.number().int(),
  operators: z.record(z.string(), operatorSubtaskStateSchema),
  bytes: z.number().int().min(0),
  /** Bytes of the state files written for this checkpoint (less than `bytes` when it is incremental and shares files with earlier ones). */
  incrementalBytes: z.number().int().min(0).optional(),
  alignmentMs: z.number().min(0),
  syncMs: z.number().min(0),
  asyncMs: z.number().min(0),
});
export type SubtaskCheckpointAck = z.infer<typeof subtaskCheckpointAckSchema>;

/** A completed checkpoint or savepoint: written last, atomically, with a checksum. */
export const checkpointMetadataSchema = z.object({
  format: z.literal('weir-checkpoint'),
  version: z.literal(1),
  jobId: z.string(),
  jobName: z.string(),
  checkpointId: z.number().int(),
  savepoint: z.boolean(),
  triggeredAtMs: z.number(),
  completedAtMs: z.number(),
  operators: z.record(
    z.string(),
    z.object({
      parallelism: z.number().int().min(1),
      maxParallelism: z.number().int().min(1),
      /** The operator's states, merged over its subtasks; absent in checkpoints written before states were recorded. */
      states: z.array(stateMetadataSchema).optional(),
      subtasks: z.array(operatorSubtaskStateSchema.omit({ states: true }).extend({ index: z.number().int().min(0) })),
    }),
  ),
});
export type CheckpointMetadata = z.infer<typeof checkpointMetadataSchema>;

/** State handed to one subtask of a restarted or restored job. */
export const restoreSpecSchema = z.object({
  checkpointId: z.number().int(),
  /** Directory of the checkpoint or savepoint the state files are in. */
  directory: z.string(),
  operators: z.record(z.string(), operatorSubtaskStateSchema),
});
export type RestoreSpec = z.infer<typeof restoreSpecSchema>;

/** What `weir checkpoints` shows per checkpoint. */
export interface CheckpointView {
  checkpointId: number;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  savepoint: boolean;
  triggeredAtMs: number;
  durationMs: number | null;
  /** Size of the state the checkpoint references (all its files). */
  bytes: number;
  /** Size of the files written for it (the rest is shared with earlier checkpoints). */
  incrementalBytes: number;
  alignmentMsMax: number;
  /** Longest synchronous part (between two records) of any subtask. */
  syncMsMax: number;
  /** Longest asynchronous part (writing state files) of any subtask. */
  asyncMsMax: number;
  path: string | null;
  failure: string | null;
}

/** One subtask's acknowledgement of a checkpoint (the REST API's checkpoint details, Flink's per-subtask statistics). */
export interface SubtaskCheckpointAckView {
  vertexId: string;
  subtaskIndex: number;
  /** When the coordinator received it. */
  ackTimestampMs: number;
  /** From the trigger to this acknowledgement. */
  endToEndDurationMs: number;
  bytes: number;
  incrementalBytes: number;
  alignmentMs: number;
  syncMs: number;
  asyncMs: number;
}

/**
 * Reads a stored checkpoint history (JSON: an array of `CheckpointView`, as the
 * metadata store keeps it). Entries that are not finished checkpoints are left out.
 * @throws Error naming `where` when the text is not a JSON array.
 */
export function parseCheckpointHistory(where: string, text: string): CheckpointView[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`the checkpoint history at ${where} is not JSON (${(error as Error).message}); delete it to start a new one`, { cause: error });
  }
  if (!Array.isArray(value)) throw new Error(`the checkpoint history at ${where} is not a list; delete it to start a new one`);
  return (value as Partial<CheckpointView>[]).filter(
    (v): v is CheckpointView => v !== null && typeof v === 'object' && Number.isSafeInteger(v.checkpointId) && (v.status === 'COMPLETED' || v.status === 'FAILED'),
  );
}
