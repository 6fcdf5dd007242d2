// Records coordinators and workers exchange through etcd (under
// `/weir/<clusterId>/`): one definition for both sides.

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
  /** `<vertexId>#<subtaskIndex>` -> workerId. */
  subtasks: Record<string, string>;
  /**
   * `<vertexId>#<subtaskIndex>` -> the source splits (Kafka partitions, file
   * ranges, generator splits) that subtask reads, as the sources report them;
   * rewritten when they change (new partitions found, a restore elsewhere).
   */
  splits?: Record<string, string[]>;
}
