import type { SplitStatus } from './task-deployment.ts';
import type { ExecutionState, JobStatus } from './execution-state.ts';

/** One subtask as `weir status` shows it. */
export interface SubtaskView {
  index: number;
  state: ExecutionState;
  workerId: string | null;
  recordsIn: number;
  recordsOut: number;
  deadLetters: number;
  error?: string;
  /** The subtask's current input watermark (ms), when the job uses event time. */
  inputWatermark?: number | null;
  splits?: SplitStatus[];
  counters?: Record<string, number>;
  /** Where the subtask's time goes, ms per second (see TaskMetrics); absent when the worker does not account it. */
  busyTimeMsPerSecond?: number;
  backPressuredTimeMsPerSecond?: number;
  idleTimeMsPerSecond?: number;
  recordsInPerSecond?: number;
  recordsOutPerSecond?: number;
}

export interface VertexView {
  id: string;
  name: string;
  operators: string[];
  parallelism: number;
  subtasks: SubtaskView[];
}

/** A job as `weir status` shows it (JSON over GetJob). */
export interface JobStatusView {
  jobId: string;
  name: string;
  status: JobStatus;
  attempt: number;
  restarts: number;
  startTimeMs: number;
  endTimeMs: number | null;
  vertices: VertexView[];
  /** The error that failed the job or caused the latest restart, with the user's stack. */
  error: string | null;
  deadLetters: number;
  deadLetterDir: string | null;
  /** While the current attempt waits for slots: what it needs and what the cluster has; null otherwise. */
  slotRequest: SlotRequestView | null;
  /** The job's restart strategy, in the compact form `weir run --restart-strategy` reads (absent from older coordinators). */
  restartStrategy?: string;
}

/** A job waiting for slots: what it needs (per slot sharing group) and what the cluster has. */
export interface SlotRequestView {
  /** Slots needed per slot sharing group (its highest parallelism). */
  groups: { name: string; slots: number }[];
  /** The sum over the groups. */
  slotsNeeded: number;
  freeSlots: number;
  /** Slots of the registered workers, free or not. */
  totalSlots: number;
  workers: number;
  waitingSinceMs: number;
  /** How long the job may wait while the cluster has fewer slots than it needs. */
  timeoutMs: number;
  /** While the cluster has fewer slots in total than needed: when the job fails unless workers join; null while it only waits for slots to free. */
  failsAtMs: number | null;
}

export interface WorkerView {
  workerId: string;
  address: string;
  host: string;
  pid: number;
  slots: number;
  freeSlots: number;
  lastHeartbeatMs: number;
  /** etcd mode: whether the worker's session with the leader is open (false: registered in etcd only). */
  connected?: boolean;
}

/** A coordinator taking part in the leader election (etcd mode). */
export interface CoordinatorCandidateView {
  address: string;
  /** The create revision of its election key: the lowest leads. */
  createRevision: string;
}

/** etcd mode: who leads, who stands by. */
export interface LeadershipView {
  clusterId: string;
  leaseTtlSeconds: number;
  /** The leader's epoch: the create revision of its leader key. */
  epoch: string;
  leader: CoordinatorCandidateView;
  standbys: CoordinatorCandidateView[];
}

/** The cluster as `weir cluster` shows it. */
export interface ClusterView {
  coordinatorId: string;
  address: string;
  workers: WorkerView[];
  /** Only in etcd mode. */
  leadership?: LeadershipView;
}
