// The records Weir keeps in etcd under `/weir/<clusterId>/` (keys from
// `EtcdKeys`), as JSON: one definition for the coordinators and workers that
// write and read them. Types only; `etcd-record-codec.ts` reads them back.
import type { JobGraph } from '@weir/common';
import type { JobStatus } from '../execution-state.ts';

/** What a worker publishes under `workers/<workerId>` (on its own lease). */
export interface EtcdWorkerRecord {
  workerId: string;
  address: string;
  host: string;
  pid: number;
  slots: number;
  startedAtMs: number;
}

/** Which worker runs each subtask of a job's attempt, under `assignments/<jobId>` (written by the leader before it deploys the attempt). */
export interface JobAssignment {
  jobId: string;
  attempt: number;
  /** The leader epoch that made it. */
  epoch: number;
  /** `subtaskId(vertexId, subtaskIndex)` (`<vertexId>#<subtaskIndex>`) -> workerId. */
  subtasks: Record<string, string>;
  /**
   * `subtaskId(vertexId, subtaskIndex)` -> the source splits (Kafka
   * partitions, file ranges, generator splits) that subtask reads, as the
   * sources report them; rewritten when they change (new partitions found, a
   * restore elsewhere).
   */
  splits?: Record<string, string[]>;
}

/**
 * What the coordinator keeps of a job so that another coordinator can take it
 * over: under `jobs/<jobId>` in etcd, or as `job.json` in the embedded file
 * store.
 */
export interface StoredJob {
  jobId: string;
  name: string;
  graph: JobGraph;
  args: string[];
  submittedAtMs: number;
  status: JobStatus;
  endTimeMs: number | null;
  /** The savepoint directory the job started from, if any. */
  restoreFromDirectory: string | null;
  /** Started with --allow-non-restored-state: state of the savepoint for operators the job does not have is dropped. */
  allowNonRestoredState?: boolean;
  /** Where the job's code is (etcd mode: in the shared checkpoint storage). */
  artifactPath?: string | null;
}

/** Where a job's latest completed checkpoint is, under `checkpoints/<jobId>/latest` (the checkpoint's metadata stays in checkpoint storage). */
export interface CheckpointPointer {
  checkpointId: number;
  /** The checkpoint's directory in checkpoint storage. */
  directory: string;
  completedAtMs: number;
}
