// The artifact store: the bundled code of each job, kept for workers to fetch.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Job artifacts (bundled job code) kept by the coordinator for workers to fetch. */
export class ArtifactStore {
  private readonly directory: string;

  constructor(dataDir: string) {
    this.directory = join(dataDir, 'jobs');
  }

  async put(jobId: string, artifact: Uint8Array): Promise<string> {
    const dir = join(this.directory, jobId);
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'artifact.mjs');
    await writeFile(`${path}.tmp`, artifact);
    await rename(`${path}.tmp`, path);
    return path;
  }

  async get(jobId: string): Promise<Uint8Array> {
    const path = join(this.directory, jobId, 'artifact.mjs');
    try {
      return await readFile(path);
    } catch (error) {
      throw new Error(
        `the code of job ${jobId} is missing from the coordinator (${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); the coordinator's --data-dir must persist while the job exists`,
        { cause: error },
      );
    }
  }
}
