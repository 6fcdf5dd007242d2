// The metadata store contract: what the coordinator keeps of a job (StoredJob)
// so that another coordinator can take it over, and where it keeps it.
import type { JobGraph } from '@weir/common';
import type { JobStatus } from '@weir/protocol';

export type { JobAssignment } from '@weir/protocol';

/** What the coordinator keeps of a job so that another coordinator can take it over. */
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
  /** Where the job's code is (etcd mode: in the shared checkpoint storage). */
  artifactPath?: string | null;
}

/**
 * The coordinator's small, durable metadata (job records). The embedded
 * implementation keeps them as files under the coordinator's data dir; the
 * etcd implementation (high availability) keeps them in etcd. Large data
 * (artifacts, state) never goes here.
 */
export interface MetadataStore {
  putJob(job: StoredJob): Promise<void>;
  listJobs(): Promise<StoredJob[]>;
}
