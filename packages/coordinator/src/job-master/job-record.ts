// What a JobMaster is given about its job: the submitted job as the
// coordinator keeps it, and (etcd mode) the records of the job's checkpoint
// counter and latest-checkpoint pointer.
import type { JobGraph } from '@weir/common';
import type { CheckpointHost, CompletedCheckpoint } from '../checkpoint/checkpoint-coordinator.ts';
import type { CheckpointPointer } from '@weir/protocol';

/** A submitted job as the coordinator keeps it. */
export interface JobRecord {
  jobId: string;
  name: string;
  graph: JobGraph;
  args: string[];
  submittedAtMs: number;
  /** A savepoint (or retained checkpoint) to start from. */
  restoreFrom?: CompletedCheckpoint | null;
  /** Drop state of `restoreFrom` for operators the job does not have (--allow-non-restored-state). */
  allowNonRestoredState?: boolean;
}

/** Where a leader keeps a job's checkpoint counter and latest-checkpoint pointer (etcd mode). */
export interface CheckpointRecords {
  /** Advances the job's counter to at least `atLeast` and returns the id handed out. */
  reserveId(jobId: string, atLeast: number): Promise<number>;
  /** Records a completed checkpoint; must succeed before sinks are told to commit. */
  recordCompleted(jobId: string, pointer: CheckpointPointer): Promise<void>;
  latest(jobId: string): Promise<CheckpointPointer | null>;
}

/** The checkpoint records of one job, as its CheckpointCoordinator asks for them (none without etcd). */
export function jobCheckpointRecords(records: CheckpointRecords | undefined, jobId: string): Pick<CheckpointHost, 'reserveId' | 'recordCompleted' | 'latestPointer'> {
  if (!records) return {};
  return {
    reserveId: (atLeast) => records.reserveId(jobId, atLeast),
    recordCompleted: (pointer) => records.recordCompleted(jobId, pointer),
    latestPointer: () => records.latest(jobId),
  };
}
