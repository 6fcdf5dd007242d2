// The coordinator's metadata store interface; the job record it keeps is
// `StoredJob` of @weir/protocol (the same record in etcd and in files).
import type { CheckpointView, StoredJob } from '@weir/protocol';

export type { JobAssignment, StoredJob } from '@weir/protocol';

/**
 * The coordinator's small, durable metadata (job records and each job's
 * bounded checkpoint history). The embedded
 * implementation keeps them as files under the coordinator's data dir; the
 * etcd implementation (high availability) keeps them in etcd. Large data
 * (artifacts, state) never goes here.
 */
export interface MetadataStore {
  putJob(job: StoredJob): Promise<void>;
  listJobs(): Promise<StoredJob[]>;
  /** Replaces the job's stored checkpoint history (the newest finished checkpoints and savepoints). */
  putCheckpointHistory(jobId: string, views: readonly CheckpointView[]): Promise<void>;
  /** The job's stored checkpoint history, oldest first; empty when none was stored. */
  getCheckpointHistory(jobId: string): Promise<CheckpointView[]>;
}
