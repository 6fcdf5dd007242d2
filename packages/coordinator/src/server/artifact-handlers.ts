// The JobManager service's artifact call: FetchArtifact, a job's code for the
// workers that run it. Any coordinator serves it (the code is in shared
// storage in etcd mode): a worker may still talk to a standby.
import type { JobManagerHandlers } from '@weir/protocol';
import type { ArtifactStore } from '../store/artifact-store.ts';
import { requireJobId } from '../dispatcher/job-id.ts';
import type { UnaryFactory } from './unary-handler.ts';

/** The handler of FetchArtifact. */
export function artifactHandlers(unary: UnaryFactory, artifacts: ArtifactStore): Pick<JobManagerHandlers, 'FetchArtifact'> {
  return {
    FetchArtifact: unary(async (req) => ({ artifact: await artifacts.get(requireJobId('job_id', req.jobId)) }), false),
  };
}
