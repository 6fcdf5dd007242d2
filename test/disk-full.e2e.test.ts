// Disk errors lose nothing silently: the checkpoint directory and the sink's
// output directory are small tmpfs mounts that a test fills up while an
// exactly-once job runs. Checkpoints taken while the checkpoint directory is
// full fail with ENOSPC in their reason (`weir checkpoints`); a full output
// directory fails the sink, and the job restarts from its latest checkpoint.
// Once space is freed the job goes on, and its committed output is exactly
// once.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointView } from '@weir/protocol';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { checkExactCounts, readJsonLines } from './helpers/outputs.ts';

const exec = promisify(execFile);

let cluster: TestCluster | undefined;
let work = '';
const mounts: string[] = [];

/** Mounts a tmpfs of `size` at a new directory under the work directory. */
async function smallFileSystem(name: string, size: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir);
  await exec('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

/** Fills the file system of `dir` up with one file (dd stops at ENOSPC); returns the file. */
async function fill(dir: string): Promise<string> {
  const filler = join(dir, 'filler');
  await exec('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k']).catch((error: { stderr?: string }) => {
    if (!/No space left on device/.test(error.stderr ?? '')) throw error;
  });
  const { stdout } = await exec('df', ['--output=avail', '-B1', dir]);
  expect(Number(stdout.trim().split('\n').at(-1)), `${dir} is full`).toBeLessThan(64 * 1024);
  return filler;
}

let checkpointDir = '';
let outputDir = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'weir-disk-full-'));
  checkpointDir = await smallFileSystem('checkpoints', '8m');
  // The output is about 8 MiB in all: room for it, until the test fills the rest.
  outputDir = await smallFileSystem('output', '16m');
  cluster = await startCluster({ workers: 2, slots: 4, checkpointDir });
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
  for (const dir of mounts.reverse()) await exec('umount', [dir]).catch(() => {});
  if (work) await rm(work, { recursive: true, force: true });
});

async function checkpoints(jobId: string): Promise<CheckpointView[]> {
  const result = await cluster!.run(['checkpoints', jobId, '--json']);
  if (result.code !== 0) throw new Error(`weir checkpoints failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as CheckpointView[];
}

describe('a file system that fills up', () => {
  it('declines checkpoints with ENOSPC, fails over when the sink cannot write, and commits everything exactly once after space is freed', async () => {
    const events = 300_000;
    const keys = 500;
    const output = join(outputDir, 'counts');
    const submitted = await cluster!.run(['run', 'examples/exactly-once-counts.ts', '-d', '--json', '-p', '2', '--', '--events', String(events), '--keys', String(keys), '--rate', '8000', '--checkpoint-interval', '300', '--output', output]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const jobId = (JSON.parse(submitted.stdout) as { jobId: string }).jobId;
    await eventually(async () => ((await checkpoints(jobId)).some((c) => c.status === 'COMPLETED' && c.bytes > 0) ? true : undefined), 60_000, 'a first completed checkpoint');

    // The checkpoint directory fills up: checkpoints fail, naming ENOSPC; the job runs on.
    const checkpointFiller = await fill(checkpointDir);
    const failed = await eventually(async () => (await checkpoints(jobId)).find((c) => c.status === 'FAILED' && /ENOSPC/.test(c.failure ?? '')), 60_000, 'a checkpoint failed with ENOSPC');
    expect(failed.failure).toMatch(/ENOSPC: no space left on device/);
    expect(failed.failure, 'the reason names the file').toMatch(new RegExp(checkpointDir));
    await rm(checkpointFiller);
    await eventually(async () => ((await checkpoints(jobId)).some((c) => c.status === 'COMPLETED' && c.checkpointId > failed.checkpointId) ? true : undefined), 60_000, 'a checkpoint completed after space was freed');

    // The output directory fills up: the sink fails, the job restarts from its latest checkpoint.
    const restartsBefore = (await cluster!.status(jobId)).restarts;
    const outputFiller = await fill(outputDir);
    await eventually(async () => ((await cluster!.status(jobId)).restarts > restartsBefore ? true : undefined), 60_000, 'a restart after the sink could not write');
    const status = await cluster!.status(jobId);
    expect(status.error ?? '', 'the restart names the full disk').toMatch(/ENOSPC/);
    await rm(outputFiller);

    const view = await cluster!.waitForEnd(jobId, 120_000);
    expect(view.status, view.error ?? '').toBe('FINISHED');
    const expected = new Map<string, number>();
    for (let i = 0; i < events; i++) expected.set(`k${i % keys}`, (expected.get(`k${i % keys}`) ?? 0) + 1);
    expect(checkExactCounts(await readJsonLines(output), expected)).toEqual([]);
  });
});
