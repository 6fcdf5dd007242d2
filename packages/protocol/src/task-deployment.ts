import { z } from 'zod';
import { restoreSpecSchema } from './checkpoint-metadata.ts';
import { s3SettingsSchema } from './storage/s3-settings.ts';
import { jobConfigSchema, operatorDescriptorSchema, PARTITIONINGS } from '@weir/common';

const subtaskLocationSchema = z.object({
  vertexId: z.string(),
  subtaskIndex: z.number().int().min(0),
  workerId: z.string(),
});
export type SubtaskLocation = z.infer<typeof subtaskLocationSchema>;

export const inputGateDeploymentSchema = z.object({
  /** Which input of the head operator this feeds: 1 for the second input of a two-input operator, else 0. */
  inputIndex: z.number().int().min(0),
  keySelector: z.string().optional(),
  producers: z.array(subtaskLocationSchema),
  /** Tells this edge's channels from those of other edges between the same two vertices (see channelId); absent: 0. */
  edgeTag: z.number().int().min(1).optional(),
});
export type InputGateDeployment = z.infer<typeof inputGateDeploymentSchema>;

export const resultPartitionDeploymentSchema = z.object({
  partitioning: z.enum(PARTITIONINGS),
  keySelector: z.string().optional(),
  /** Key groups of the consumer, for hash partitioning. */
  maxParallelism: z.number().int().min(1),
  consumers: z.array(subtaskLocationSchema),
  /** The edge carries this side output of the producer's chain, not its main output. */
  sideOutput: z.string().optional(),
  /** Tells this edge's channels from those of other edges between the same two vertices (see channelId); absent: 0. */
  edgeTag: z.number().int().min(1).optional(),
});
export type ResultPartitionDeployment = z.infer<typeof resultPartitionDeploymentSchema>;

/** Everything a worker needs to run one subtask (Flink's TaskDeploymentDescriptor). */
export const taskDeploymentSchema = z.object({
  jobId: z.string(),
  jobName: z.string(),
  attempt: z.number().int().min(0),
  /** Unique across coordinator restarts, for names of files an attempt leaves behind. */
  attemptToken: z.string().regex(/^[0-9a-z]+$/),
  vertexId: z.string(),
  vertexName: z.string(),
  subtaskIndex: z.number().int().min(0),
  parallelism: z.number().int().min(1),
  maxParallelism: z.number().int().min(1),
  /** The vertex's slot sharing group: the subtask runs in the attempt's slot `attemptSlotKey(jobId, attempt, slotSharingGroup, subtaskIndex)`. */
  slotSharingGroup: z.string().min(1).default('default'),
  operators: z.array(operatorDescriptorSchema).min(1),
  inputs: z.array(inputGateDeploymentSchema),
  outputs: z.array(resultPartitionDeploymentSchema),
  config: jobConfigSchema,
  args: z.array(z.string()),
  /** TaskExecutor address of every worker this subtask exchanges data with. */
  peers: z.record(z.string(), z.string()),
  /** Where this job's checkpoints go (null: checkpointing disabled). */
  checkpointDir: z.string().nullable(),
  /** How to reach the object storage when `checkpointDir` (or the restore's directory) is an `s3://` location; no credentials. */
  s3: s3SettingsSchema.optional(),
  /** State to start from (a checkpoint or savepoint), or null to start empty. */
  restore: restoreSpecSchema.nullable(),
});
export type TaskDeployment = z.infer<typeof taskDeploymentSchema>;

/** Counters a subtask reports with every heartbeat. */
export interface TaskMetrics {
  jobId: string;
  attempt: number;
  vertexId: string;
  subtaskIndex: number;
  recordsIn: number;
  recordsOut: number;
  deadLetters: number;
  /** Frames waiting for credit at this subtask's outputs right now. */
  backpressuredFrames: number;
  /** The subtask's current input watermark (ms); null before the first one. */
  inputWatermark?: number | null;
  /** For sources: each split (file range, generator split, Kafka partition) the subtask reads. */
  splits?: SplitStatus[];
  /** Named counters of the chain's operators, e.g. `lateRecordsDropped`. */
  counters?: Record<string, number>;
  /**
   * Where the subtask's time went over the last few seconds, in ms per second
   * (Flink's busyTimeMsPerSecond, backPressuredTimeMsPerSecond,
   * idleTimeMsPerSecond): processing, waiting for output credit, waiting for
   * input. Absent when the accounting is switched off (a worker started with WEIR_TIME_ACCOUNTING=off).
   */
  busyTimeMsPerSecond?: number;
  backPressuredTimeMsPerSecond?: number;
  idleTimeMsPerSecond?: number;
  /** Records in and out per second over the last few seconds (Flink's numRecordsInPerSecond, numRecordsOutPerSecond). */
  recordsInPerSecond?: number;
  recordsOutPerSecond?: number;
  /** The slot thread's event-loop delay since the previous report (perf_hooks monitorEventLoopDelay): 99th percentile and maximum, ms. */
  eventLoopDelayP99Ms?: number;
  eventLoopDelayMaxMs?: number;
  /** The slot thread's V8 heap in use, bytes. */
  heapUsedBytes?: number;
}

/** Where a source subtask is in one of its splits, for `weir status`. */
export interface SplitStatus {
  /** The split's name, e.g. `orders-3` for a Kafka partition. */
  id: string;
  /** The split's current position (offset, line, index). */
  position?: string;
  /** The position recorded by the latest checkpoint. */
  checkpointedPosition?: string;
  /** How far behind the end of the split the subtask is, in records. */
  lag?: number;
  /** The split's current watermark (ms); null before its first event. */
  watermark?: number | null;
  /** No event for longer than the idleness timeout: the split does not hold back the watermark. */
  idle?: boolean;
  /** Why the split makes no progress right now (e.g. the broker is unreachable). */
  waiting?: string;
}
