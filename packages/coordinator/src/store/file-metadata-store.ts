// The embedded metadata store: job records and checkpoint histories as files under the data dir.
import { mkdir, open, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCheckpointHistory, type CheckpointView, type Logger } from '@weir/protocol';
import type { MetadataStore, StoredJob } from './metadata-store.ts';

const JOB_FILE = 'job.json';
const HISTORY_FILE = 'checkpoints.json';

/**
 * The embedded metadata store: one `job.json` and one `checkpoints.json` (its
 * checkpoint history) per job under `<data-dir>/jobs/<jobId>/`, each replaced
 * atomically (temporary file, fsync, rename), so a coordinator restarted on
 * the same data dir finds its jobs and what they checkpointed.
 */
export class FileMetadataStore implements MetadataStore {
  private readonly directory: string;
  private readonly logger: Logger;

  constructor(dataDir: string, logger: Logger) {
    this.directory = join(dataDir, 'jobs');
    this.logger = logger;
  }

  async putJob(job: StoredJob): Promise<void> {
    await this.replace(job.jobId, JOB_FILE, JSON.stringify(job));
  }

  async putCheckpointHistory(jobId: string, views: readonly CheckpointView[]): Promise<void> {
    await this.replace(jobId, HISTORY_FILE, JSON.stringify(views));
  }

  async getCheckpointHistory(jobId: string): Promise<CheckpointView[]> {
    const path = join(this.directory, jobId, HISTORY_FILE);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return parseCheckpointHistory(path, text);
  }

  async listJobs(): Promise<StoredJob[]> {
    const ids = await readdir(this.directory).catch(() => [] as string[]);
    const jobs: StoredJob[] = [];
    for (const id of ids) {
      const path = join(this.directory, id, JOB_FILE);
      try {
        jobs.push(JSON.parse(await readFile(path, 'utf8')) as StoredJob);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ path, err: (error as Error).message }, 'skipping an unreadable job record');
      }
    }
    return jobs.sort((a, b) => a.submittedAtMs - b.submittedAtMs);
  }

  /** Replaces a file of the job's directory atomically (temporary file, fsync, rename). */
  private async replace(jobId: string, name: string, content: string): Promise<void> {
    const dir = join(this.directory, jobId);
    await mkdir(dir, { recursive: true });
    const path = join(dir, name);
    const temporary = `${path}.tmp`;
    const handle = await open(temporary, 'w');
    try {
      await handle.write(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  }
}
