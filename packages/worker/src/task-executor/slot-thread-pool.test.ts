import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { createLogger } from '@weir/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlotThreadPool } from './slot-thread-pool.ts';

/** A stand-in for the runtime: answers each message with whether the job's code was imported in its thread. */
const ENTRY = `
import { parentPort } from 'node:worker_threads';
parentPort.on('message', () => parentPort.postMessage({ jobCodeLoaded: globalThis.jobCodeLoaded === true }));
`;
const ARTIFACT = 'globalThis.jobCodeLoaded = true; export default {};';

let dir: string;
let pool: SlotThreadPool;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weir-slot-pool-'));
  await writeFile(join(dir, 'entry.mjs'), ENTRY);
  await writeFile(join(dir, 'job.mjs'), ARTIFACT);
  pool = new SlotThreadPool(pathToFileURL(join(dir, 'entry.mjs')), { maxOldGenerationSizeMb: 64 }, createLogger('test'));
});

afterEach(async () => {
  await pool.close();
  await rm(dir, { recursive: true, force: true });
});

async function ask(worker: Worker): Promise<{ jobCodeLoaded: boolean }> {
  // The job's code loads after the runtime: ask until it has (or give up after 5 s).
  for (let i = 0; i < 50; i++) {
    const answer = await new Promise<{ jobCodeLoaded: boolean }>((resolve) => {
      worker.once('message', resolve);
      worker.postMessage('?');
    });
    if (answer.jobCodeLoaded) return answer;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { jobCodeLoaded: false };
}

describe('SlotThreadPool', () => {
  it('hands a subtask of a job a thread prepared for it, with the job code already imported', async () => {
    pool.prepare('job-a', join(dir, 'job.mjs'), 2);
    expect(pool.preparedFor('job-a')).toBe(2);
    const worker = pool.take('job-a', 'subtask a 0');
    expect(pool.preparedFor('job-a')).toBe(1);
    expect(await ask(worker)).toEqual({ jobCodeLoaded: true });
    await worker.terminate();
  });

  it('starts a new thread for a job with none prepared: a thread never runs code of two jobs', async () => {
    pool.prepare('job-a', join(dir, 'job.mjs'), 1);
    const worker = pool.take('job-b', 'subtask b 0');
    const answer = await new Promise<{ jobCodeLoaded: boolean }>((resolve) => {
      worker.once('message', resolve);
      worker.postMessage('?');
    });
    expect(answer).toEqual({ jobCodeLoaded: false });
    expect(pool.preparedFor('job-a')).toBe(1);
    await worker.terminate();
  });

  it('prepares up to the count asked, and drops or shrinks on request', () => {
    pool.prepare('job-a', join(dir, 'job.mjs'), 2);
    pool.prepare('job-a', join(dir, 'job.mjs'), 3);
    pool.prepare('job-b', join(dir, 'job.mjs'), 2);
    expect(pool.size).toBe(5);
    pool.drop('job-a');
    expect(pool.preparedFor('job-a')).toBe(0);
    pool.shrinkTo(1);
    expect(pool.size).toBe(1);
  });

  it('ends prepared threads that no subtask takes in time', async () => {
    pool.prepare('job-a', join(dir, 'job.mjs'), 1, 50);
    await new Promise((r) => setTimeout(r, 200));
    expect(pool.size).toBe(0);
  });
});
