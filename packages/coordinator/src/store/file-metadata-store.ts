// The embedded metadata store: job records as files under the data dir.
import { mkdir, open, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@weir/protocol';
import type { MetadataStore, StoredJob } from './metadata-store.ts';

/**
 * The embedded metadata store: one `job.json` per job under
 * `<data-dir>/jobs/<jobId>/`, replaced atomically (temporary file, fsync,
 * rename), so a coordinator restarted on the same data dir finds its jobs.
 */
export class FileMetadataStore implements MetadataStore {
  private readonly directory: string;
  private readonly logger: Logger;

  constructor(dataDir: string, logger: Logger) {
    this.directory = join(dataDir, 'jobs');
    this.logger = logger;
  }

  async putJob(job: StoredJob): Promise<void> {
    const dir = join(this.directory, job.jobId);
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'job.json');
    const temporary = `${path}.tmp`;
    const handle = await open(temporary, 'w');
    try {
      await handle.write(JSON.stringify(job));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  }

  async listJobs(): Promise<StoredJob[]> {
    const ids = await readdir(this.directory).catch(() => [] as string[]);
    const jobs: StoredJob[] = [];
    for (const id of ids) {
      const path = join(this.directory, id, 'job.json');
      try {
        jobs.push(JSON.parse(await readFile(path, 'utf8')) as StoredJob);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ path, err: (error as Error).message }, 'skipping an unreadable job record');
      }
    }
    return jobs.sort((a, b) => a.submittedAtMs - b.submittedAtMs);
  }
}
