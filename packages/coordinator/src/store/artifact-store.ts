// The artifact store: the bundled code of each job, kept for workers to fetch.
import { joinLocation } from '@weir/protocol';
import type { CheckpointFileSystems } from '@weir/protocol/storage';

/**
 * Job artifacts (bundled job code) kept by the coordinator for workers to
 * fetch: under its data dir, or (etcd mode) in the shared checkpoint storage,
 * which may be an `s3://` location.
 */
export class ArtifactStore {
  private readonly directory: string;
  private readonly fileSystems: CheckpointFileSystems;

  constructor(root: string, fileSystems: CheckpointFileSystems) {
    this.directory = joinLocation(root, 'jobs');
    this.fileSystems = fileSystems;
  }

  async put(jobId: string, artifact: Uint8Array): Promise<string> {
    const path = joinLocation(this.directory, jobId, 'artifact.mjs');
    await (await this.fileSystems.for(path)).writeAtomic(path, artifact);
    return path;
  }

  async get(jobId: string): Promise<Uint8Array> {
    const path = joinLocation(this.directory, jobId, 'artifact.mjs');
    try {
      return await (await this.fileSystems.for(path)).read(path);
    } catch (error) {
      throw new Error(
        `the code of job ${jobId} is missing from the coordinator (${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); the coordinator's --data-dir must persist while the job exists`,
        { cause: error },
      );
    }
  }
}
