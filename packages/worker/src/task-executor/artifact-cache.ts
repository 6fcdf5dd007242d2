import { mkdir, stat, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { unaryCall, type JobManagerClient } from '@weir/protocol';

/** Job artifacts downloaded from the coordinator, kept as files the slot threads import. */
export class ArtifactCache {
  private readonly directory: string;
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(dataDir: string) {
    this.directory = join(dataDir, 'artifacts');
  }

  /** The local path of a job's artifact, downloading it once. */
  get(jobId: string, client: JobManagerClient): Promise<string> {
    let pending = this.inFlight.get(jobId);
    if (!pending) {
      pending = this.download(jobId, client);
      this.inFlight.set(jobId, pending);
      pending.catch(() => this.inFlight.delete(jobId));
    }
    return pending;
  }

  private async download(jobId: string, client: JobManagerClient): Promise<string> {
    const path = join(this.directory, `${jobId}.mjs`);
    if (await stat(path).then(() => true, () => false)) return path;
    const response = await unaryCall(client, 'fetchArtifact', { jobId });
    await mkdir(this.directory, { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, response.artifact);
    await rename(temporary, path);
    return path;
  }
}
