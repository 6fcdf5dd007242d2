// Savepoints that fail at once and never overwrite, and a checkpoint history
// that outlives the coordinator: a savepoint into an unwritable directory
// (chattr +i) fails fast naming the path and the job goes on exactly once,
// `weir stop` into it leaves the job running, two savepoints into one
// directory are two new restorable directories, a stop whose savepoint does
// not fit (a full tmpfs) resumes the sources, and `weir checkpoints` lists
// the same checkpoints and savepoints after the coordinator is SIGKILLed.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_METADATA_FILE, type CheckpointView } from '@weir/protocol';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { checkExactCounts, readJsonLines } from './helpers/outputs.ts';

const exec = promisify(execFile);

let cluster: TestCluster;
let work: string;
/** A directory nothing can be created in (immutable), even by root. */
let locked: string;
/** A tmpfs of one page: a savepoint directory can be created in it, its files do not fit. */
let full = '';

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 4 });
  work = await mkdtemp(join(tmpdir(), 'weir-savepoints-'));
  locked = join(work, 'locked');
  await mkdir(locked);
  await exec('chattr', ['+i', locked]);
  await mkdir(join(work, 'full'));
  await exec('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', join(work, 'full')]);
  full = join(work, 'full');
});

logOnFailure(() => cluster);

afterAll(async () => {
  if (locked) await exec('chattr', ['-i', locked]).catch(() => {});
  if (full) await exec('umount', [full]).catch(() => {});
  await cluster?.stop();
});

function expectedCounts(events: number, keys: number): Map<string, number> {
  const expected = new Map<string, number>();
  for (let i = 0; i < events; i++) expected.set(`k${i % keys}`, (expected.get(`k${i % keys}`) ?? 0) + 1);
  return expected;
}

async function submit(events: number, keys: number, rate: number, output: string): Promise<string> {
  const result = await cluster.run(['run', 'examples/exactly-once-counts.ts', '-d', '--json', '-p', '2', '--', '--events', String(events), '--keys', String(keys), '--rate', String(rate), '--checkpoint-interval', '300', '--output', output]);
  if (result.code !== 0) throw new Error(`submit failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { jobId: string }).jobId;
}

async function checkpoints(jobId: string): Promise<CheckpointView[]> {
  const result = await cluster.run(['checkpoints', jobId, '--json']);
  if (result.code !== 0) throw new Error(`weir checkpoints failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as CheckpointView[];
}

/** Waits for a completed checkpoint with state that was triggered after `afterId`. */
async function completedAfter(jobId: string, afterId: number): Promise<CheckpointView> {
  return eventually(async () => (await checkpoints(jobId)).find((c) => c.status === 'COMPLETED' && c.checkpointId > afterId && c.bytes > 0), 30_000, `a checkpoint after ${afterId}`);
}

/** A failed savepoint into `locked`: its FAILED entry names the directory it tried and the OS error. */
function expectLockedFailure(view: CheckpointView | undefined): void {
  expect(view, 'a FAILED savepoint in weir checkpoints').toBeDefined();
  expect(view!.failure).toContain(`mkdir '${locked}/savepoint-`);
  expect(view!.failure).toContain('EPERM');
}

const failedJob = { id: '', failedId: 0 };
const twiceJob = { id: '', paths: [] as string[] };

describe('a savepoint that cannot be written', () => {
  it('fails within seconds naming the path, is listed FAILED, and the job goes on exactly once', async () => {
    const events = 60_000;
    const keys = 5;
    const output = join(work, 'unwritable');
    const jobId = await submit(events, keys, 6000, output);
    await completedAfter(jobId, 0);
    const started = Date.now();
    const result = await cluster.run(['savepoint', jobId, locked]);
    const tookMs = Date.now() - started;
    expect(result.code, result.stdout).toBe(1);
    expect(tookMs).toBeLessThan(10_000);
    expect(result.stderr).toContain(`mkdir '${locked}/savepoint-`);
    const failed = (await checkpoints(jobId)).find((c) => c.savepoint && c.status === 'FAILED');
    expectLockedFailure(failed);
    expect(await readdir(locked)).toEqual([]);
    // Checkpoints go on completing with state after it.
    await completedAfter(jobId, failed!.checkpointId);
    const view = await cluster.waitForEnd(jobId);
    expect(view.status).toBe('FINISHED');
    expect(checkExactCounts(await readJsonLines(output), expectedCounts(events, keys))).toEqual([]);
    failedJob.id = jobId;
    failedJob.failedId = failed!.checkpointId;
  });

  it('weir stop into it fails, says the job keeps running, and the job keeps producing to the end', async () => {
    const events = 60_000;
    const keys = 5;
    const output = join(work, 'unwritable-stop');
    const jobId = await submit(events, keys, 6000, output);
    await completedAfter(jobId, 0);
    const started = Date.now();
    const result = await cluster.run(['stop', jobId, '--savepoint-path', locked]);
    expect(result.code, result.stdout).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.stderr).toContain(`mkdir '${locked}/savepoint-`);
    expect(result.stderr).toContain('keeps running');
    expect((await cluster.status(jobId)).status).toBe('RUNNING');
    const failed = (await checkpoints(jobId)).find((c) => c.savepoint && c.status === 'FAILED');
    expectLockedFailure(failed);
    const before = (await readJsonLines(output)).length;
    await completedAfter(jobId, failed!.checkpointId);
    await eventually(async () => ((await readJsonLines(output)).length > before ? true : undefined), 30_000, 'more output after the failed stop');
    const view = await cluster.waitForEnd(jobId);
    expect(view.status).toBe('FINISHED');
    expect(checkExactCounts(await readJsonLines(output), expectedCounts(events, keys))).toEqual([]);
  });
});

describe('a savepoint that fails after the sources stopped', () => {
  it('weir stop whose savepoint files do not fit: the sources resume and the job ends exactly once', async () => {
    const events = 40_000;
    const keys = 50;
    const output = join(work, 'full-stop');
    const jobId = await submit(events, keys, 5000, output);
    await completedAfter(jobId, 0);
    const result = await cluster.run(['stop', jobId, '--savepoint-path', full]);
    expect(result.code, result.stdout).toBe(1);
    expect(result.stderr).toContain(`writing the savepoint to ${full}/savepoint-`);
    expect(result.stderr).toContain('ENOSPC');
    expect(result.stderr).toContain('keeps running');
    // The failed savepoint's directory is removed again.
    expect(await readdir(full)).toEqual([]);
    const failed = (await checkpoints(jobId)).find((c) => c.savepoint && c.status === 'FAILED');
    expect(failed?.failure).toContain('ENOSPC');
    await completedAfter(jobId, failed!.checkpointId);
    const view = await cluster.waitForEnd(jobId);
    expect(view.status).toBe('FINISHED');
    expect(checkExactCounts(await readJsonLines(output), expectedCounts(events, keys))).toEqual([]);
  });
});

describe('savepoints into one directory', () => {
  it('go into two new directories savepoint-<job>-<random>, both restorable', async () => {
    const events = 1_000_000;
    const keys = 4;
    const target = join(work, 'shared');
    const jobId = await submit(events, keys, 5000, join(work, 'twice-source'));
    await completedAfter(jobId, 0);
    const paths: string[] = [];
    for (let i = 0; i < 2; i++) {
      const result = await cluster.run(['savepoint', jobId, target, '--json']);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      const { path } = JSON.parse(result.stdout) as { path: string };
      expect(dirname(path)).toBe(target);
      expect(basename(path)).toMatch(new RegExp(`^savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}$`));
      paths.push(path);
    }
    expect(paths[0]).not.toBe(paths[1]);
    expect((await readdir(target)).sort()).toEqual(paths.map((p) => basename(p)).sort());
    for (const path of paths) expect(await readdir(path)).toContain(CHECKPOINT_METADATA_FILE);
    const listed = (await checkpoints(jobId)).filter((c) => c.savepoint && c.status === 'COMPLETED').map((c) => c.path);
    expect(listed).toEqual(paths);
    expect((await cluster.run(['cancel', jobId])).code).toBe(0);

    // Each restores: its counts go on from the state it saved, each once, up to the end.
    const restoredEvents = 2000;
    for (const [i, path] of paths.entries()) {
      const output = join(work, `twice-restored-${i}`);
      const restored = await cluster.run(['run', 'examples/exactly-once-counts.ts', '-p', '2', '--from-savepoint', path, '--', '--events', String(restoredEvents), '--keys', String(keys), '--checkpoint-interval', '300', '--output', output]);
      expect(restored.code, restored.stderr).toBe(0);
      expect(continuedCounts(await readJsonLines(output), restoredEvents / keys)).toEqual([]);
    }
    twiceJob.id = jobId;
    twiceJob.paths = paths;
  });
});

/**
 * Output of a counts job restored from a savepoint: for each key the counts are
 * consecutive and each once, the first above 1 (restored state), `fresh` of them.
 */
function continuedCounts(records: { key: string; count: number }[], fresh: number): string[] {
  const byKey = new Map<string, number[]>();
  for (const r of records) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r.count]);
  const problems: string[] = [];
  for (const [key, counts] of byKey) {
    counts.sort((a, b) => a - b);
    const first = counts[0]!;
    if (first <= 1) problems.push(`key ${key}: starts at ${first}, not from restored state`);
    if (counts.length !== fresh || !counts.every((c, i) => c === first + i)) problems.push(`key ${key}: ${counts.length} updates ${first}..${counts.at(-1)}, expected ${fresh} consecutive`);
  }
  return problems;
}

describe('checkpoint history', () => {
  it('lists the same checkpoints and savepoints after the coordinator is SIGKILLed and restarted', async () => {
    // A job of its own (with a savepoint), and those of the tests above.
    const jobId = await submit(20_000, 4, 5000, join(work, 'history'));
    await completedAfter(jobId, 0);
    const saved = await cluster.run(['savepoint', jobId, join(work, 'history-savepoints'), '--json']);
    expect(saved.code, saved.stderr).toBe(0);
    expect((await cluster.waitForEnd(jobId)).status).toBe('FINISHED');
    const jobs = [jobId, failedJob.id, twiceJob.id].filter((id) => id !== '');
    const before = new Map(jobs.map((id) => [id, [] as CheckpointView[]]));
    for (const id of before.keys()) before.set(id, await checkpoints(id));
    const [coordinatorPid] = await cluster.pids();
    process.kill(coordinatorPid!, 'SIGKILL');
    // The launcher starts the coordinator again on the same port and data dir.
    await eventually(async () => ((await cluster.pids().catch(() => [coordinatorPid]))[0] !== coordinatorPid ? true : undefined), 60_000, 'a new coordinator');
    for (const [id, views] of before) {
      const after = await eventually(() => checkpoints(id).catch(() => undefined), 30_000, `the checkpoints of ${id}`);
      const key = (v: CheckpointView): string => `${v.checkpointId} ${v.status} ${v.savepoint} ${v.path} ${v.failure} ${v.bytes} ${v.triggeredAtMs}`;
      expect(after.map(key)).toEqual(views.map(key));
    }
    const own = await checkpoints(jobId);
    expect(own.filter((c) => c.status === 'COMPLETED').length, 'checkpoints listed after the restart').toBeGreaterThan(1);
    expect(own.find((c) => c.savepoint)?.path).toBe((JSON.parse(saved.stdout) as { path: string }).path);
    expect(failedJob.id && twiceJob.id, 'the jobs of the tests above').toBeTruthy();
    expectLockedFailure((await checkpoints(failedJob.id)).find((c) => c.checkpointId === failedJob.failedId));
    expect((await checkpoints(twiceJob.id)).filter((c) => c.savepoint && c.status === 'COMPLETED').map((c) => c.path)).toEqual(twiceJob.paths);
  });
});
