// The coordinator's metadata store interface; the job record it keeps is
// `StoredJob` of @weir/protocol (the same record in etcd and in files).
import type { StoredJob } from '@weir/protocol';

export type { JobAssignment, StoredJob } from '@weir/protocol';

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
