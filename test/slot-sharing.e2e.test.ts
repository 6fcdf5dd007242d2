// Slot sharing on a real cluster of two workers with one slot each: a
// three-vertex job at parallelism 2 fits, through a worker SIGKILL too; two
// slot sharing groups take the sum of their slots; a job that needs more
// slots than the cluster has says so at once and fails after its slot
// request timeout, unless a worker joins in time.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEIR_ENV, type JobStatusView } from '@weir/protocol';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { checkExactCounts, readJsonLines } from './helpers/outputs.ts';
import { REPO_ROOT, WEIR_BIN } from './helpers/weir-cli.ts';
import { TEST_TLS_ENV } from './helpers/test-tls.ts';

let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 1 });
  work = await mkdtemp(join(tmpdir(), 'weir-slot-sharing-'));
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Update {
  key: string;
  count: number;
  sum: number;
}

/** What the job must write, computed on its own: per key its number of events and the sum of the tripled values. */
function reference(events: number, keys: number): Map<string, { count: number; sum: number }> {
  const totals = new Map<string, { count: number; sum: number }>();
  for (let i = 0; i < events; i++) {
    const t = totals.get(`k${i % keys}`) ?? { count: 0, sum: 0 };
    t.count++;
    t.sum += ((i * 31) % 97) * 3;
    totals.set(`k${i % keys}`, t);
  }
  return totals;
}

/** Problems with the output: every count 1..n once per key, and the last sum as the reference has it. */
async function checkOutput(output: string, events: number, keys: number): Promise<string[]> {
  const updates = await readJsonLines<Update>(output);
  const expected = reference(events, keys);
  const problems = checkExactCounts(updates, new Map([...expected].map(([k, t]) => [k, t.count])));
  for (const [key, t] of expected) {
    const last = updates.find((u) => u.key === key && u.count === t.count);
    if (last?.sum !== t.sum) problems.push(`key ${key}: final sum ${last?.sum} instead of ${t.sum}`);
  }
  return problems;
}

async function submit(args: string[]): Promise<string> {
  const result = await cluster.run(['run', 'test/fixtures/slot-sharing-job.ts', '-d', '--json', ...args]);
  if (result.code !== 0) throw new Error(`submit failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { jobId: string }).jobId;
}

const allRunning = (view: JobStatusView): boolean => view.status === 'RUNNING' && view.vertices.every((v) => v.subtasks.every((s) => s.state === 'RUNNING'));

/** The jobs the coordinator knows, as `weir list` shows them. */
async function listJobs(): Promise<{ jobId: string }[]> {
  const result = await cluster.run(['list', '--json']);
  if (result.code !== 0) throw new Error(`weir list failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as { jobId: string }[];
}

/** Free slots per worker, as `weir cluster` shows them. */
async function freeSlots(): Promise<number[]> {
  return (await cluster.cluster()).workers.map((w) => w.freeSlots);
}

describe('slot sharing', () => {
  it('runs source -> map -> keyBy -> process -> sink (three vertices) at parallelism 2 on two workers with one slot each, exactly right', async () => {
    const events = 60_000;
    const keys = 7;
    const output = join(work, 'shared');
    const jobId = await submit(['-p', '2', '--', '--events', String(events), '--keys', String(keys), '--rate', '15000', '--output', output]);
    const running = await eventually(async () => {
      const view = await cluster.status(jobId);
      return allRunning(view) ? view : undefined;
    }, 30_000, 'every subtask to run');
    expect(running.vertices.map((v) => v.parallelism)).toEqual([2, 2, 2]);
    // Subtask i of every vertex shares slot i; the two slots are on the two workers.
    const workerOf = (i: number): string[] => running.vertices.map((v) => v.subtasks[i]!.workerId!);
    expect(new Set(workerOf(0)).size).toBe(1);
    expect(new Set(workerOf(1)).size).toBe(1);
    expect(workerOf(0)[0]).not.toBe(workerOf(1)[0]);
    expect(running.slotRequest).toBeNull();
    // Both slots are used, none is free.
    expect(await freeSlots()).toEqual([0, 0]);

    const view = await cluster.waitForEnd(jobId);
    expect(view.status).toBe('FINISHED');
    expect(view.restarts).toBe(0);
    expect(await checkOutput(output, events, keys)).toEqual([]);
    await eventually(async () => ((await freeSlots()).every((f) => f === 1) ? true : undefined), 10_000, 'the slots to be free again');
  });

  it('restarts from a checkpoint when a worker is SIGKILLed, into the shared slots again, with exactly-once output', async () => {
    const events = 180_000;
    const keys = 11;
    const output = join(work, 'killed');
    const jobId = await submit(['-p', '2', '--', '--events', String(events), '--keys', String(keys), '--rate', '12000', '--checkpoint-interval', '500', '--output', output]);
    await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length > 0 ? true : undefined), 30_000, 'a completed checkpoint');
    const view = await cluster.status(jobId);
    expect(view.status).toBe('RUNNING');
    const victimId = view.vertices[1]!.subtasks[1]!.workerId!;
    const victim = (await cluster.cluster()).workers.find((w) => w.workerId === victimId)!;
    process.kill(victim.pid, 'SIGKILL');

    // The launcher starts the worker again; the next attempt takes both shared slots.
    const restarted = await eventually(async () => {
      const v = await cluster.status(jobId);
      return (v.restarts >= 1 && allRunning(v)) || v.status === 'FINISHED' ? v : undefined;
    }, 60_000, 'the job to run again after the kill');
    if (restarted.status === 'RUNNING') {
      for (const i of [0, 1]) expect(new Set(restarted.vertices.map((v) => v.subtasks[i]!.workerId)).size).toBe(1);
    }
    const ended = await cluster.waitForEnd(jobId, 120_000);
    expect(ended.status).toBe('FINISHED');
    expect(ended.restarts).toBeGreaterThanOrEqual(1);
    expect(ended.error).toMatch(/worker .* was lost|lost the data connection|peer/);
    expect(await checkOutput(output, events, keys)).toEqual([]);
  }, 180_000);

  it('gives each of two slot sharing groups its slots: at parallelism 1 the job takes both slots', async () => {
    const events = 30_000;
    const keys = 5;
    const output = join(work, 'two-groups');
    const jobId = await submit(['-p', '1', '--', '--events', String(events), '--keys', String(keys), '--rate', '10000', '--output', output, '--groups', 'two']);
    const running = await eventually(async () => {
      const view = await cluster.status(jobId);
      return allRunning(view) ? view : undefined;
    }, 30_000, 'every subtask to run');
    // The sink's group has a slot of its own, on the other worker.
    const [source, count, sink] = running.vertices.map((v) => v.subtasks[0]!.workerId);
    expect(count).toBe(source);
    expect(sink).not.toBe(source);
    expect(await freeSlots()).toEqual([0, 0]);
    expect((await cluster.waitForEnd(jobId)).status).toBe('FINISHED');
    expect(await checkOutput(output, events, keys)).toEqual([]);
  });

  it('shows a job that needs 4 slots on a 2-slot cluster waiting within seconds, then fails it after its slot request timeout, without restarts', async () => {
    const before = new Set((await listJobs()).map((j) => j.jobId));
    // weir run waits for the job (not -d): it says the job waits for slots, then prints the failure.
    const run = cluster.run(['run', 'test/fixtures/slot-sharing-job.ts', '-p', '2', '--slot-request-timeout', '15000', '--', '--events', '1000', '--keys', '3', '--output', join(work, 'too-big'), '--groups', 'two']);
    const jobId = await eventually(async () => (await listJobs()).find((j) => !before.has(j.jobId))?.jobId, 15_000, 'the job to be submitted');
    // Two groups at parallelism 2: 2 + 2 slots.
    const waiting = await eventually(async () => {
      const view = await cluster.status(jobId);
      return view.slotRequest ? view : undefined;
    }, 8_000, 'weir status to show the job waiting for slots');
    expect(Date.now() - waiting.startTimeMs, 'seen waiting within seconds of its submission').toBeLessThan(8000);
    // The wait shows from the job's first moment: the slot request starts as the job starts.
    expect(waiting.slotRequest!.waitingSinceMs - waiting.startTimeMs).toBeLessThan(3000);
    expect(waiting.status).toBe('RUNNING');
    expect(waiting.slotRequest).toMatchObject({
      groups: [{ name: 'default', slots: 2 }, { name: 'sink', slots: 2 }],
      slotsNeeded: 4,
      freeSlots: 2,
      totalSlots: 2,
      workers: 2,
      timeoutMs: 15_000,
    });
    expect(waiting.slotRequest!.failsAtMs).toBeGreaterThan(Date.now() - 1000);
    const text = await cluster.run(['status', jobId]);
    expect(text.stdout).toContain("the job needs 4 (per slot sharing group: 'default' 2, 'sink' 2); the cluster has 2 free of 2 on 2 workers");
    expect(text.stdout).toMatch(/the job fails in [\d.]+ m?s \(slot request timeout 15.0 s\) unless workers join/);

    const ended = await cluster.waitForEnd(jobId, 30_000);
    expect(ended.status).toBe('FAILED');
    expect(ended.restarts).toBe(0);
    expect(ended.slotRequest).toBeNull();
    expect(ended.error).toContain("not enough slots: the job needs 4 slots (slot sharing groups 'default': 2, 'sink': 2), the cluster has 2 (2 free) on 2 workers");
    expect(ended.error).toMatch(/add workers \(weir worker\) or give them more --slots, lower the parallelism .*slotSharingGroup/);
    expect(ended.vertices.every((v) => v.subtasks.every((s) => s.workerId === null))).toBe(true);
    const failure = await cluster.run(['status', jobId]);
    expect(failure.stdout).toContain('Failure:');
    expect(failure.stdout).toContain('not enough slots');
    expect(await freeSlots()).toEqual([1, 1]);
    const result = await run;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`waiting for slots: the job needs 4, the cluster has 2 free of 2 (weir status ${jobId})`);
    expect(result.stdout).toContain(`Job ${jobId} 'slot-sharing': FAILED`);
    expect(result.stdout).toContain('not enough slots: the job needs 4 slots');
  });

  it('runs a job that needs 3 slots once a third worker joins before the timeout', async () => {
    const events = 30_000;
    const keys = 4;
    const output = join(work, 'joined');
    const jobId = await submit(['-p', '3', '--slot-request-timeout', '120000', '--', '--events', String(events), '--keys', String(keys), '--rate', '10000', '--output', output]);
    const waiting = await eventually(async () => {
      const view = await cluster.status(jobId);
      return view.slotRequest ? view : undefined;
    }, 5_000, 'the job to wait for slots');
    expect(waiting.slotRequest).toMatchObject({ slotsNeeded: 3, totalSlots: 2 });

    const extra = startWorker(await mkdtemp(join(work, 'extra-worker-')));
    try {
      const view = await cluster.waitForEnd(jobId, 60_000);
      expect(view.status, view.error ?? '').toBe('FINISHED');
      expect(view.restarts).toBe(0);
      expect(new Set(view.vertices[0]!.subtasks.map((s) => s.workerId)).size).toBe(3);
      expect(await checkOutput(output, events, keys)).toEqual([]);
    } finally {
      await stopProcess(extra);
    }
  }, 120_000);
});

/** A third worker with one slot, for the cluster of this file. */
function startWorker(dataDir: string): ChildProcess {
  return spawn(process.execPath, [WEIR_BIN, 'worker', '--coordinator', cluster.address, '--slots', '1', '--data-dir', dataDir, '--worker-id', 'extra-worker'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...TEST_TLS_ENV, [WEIR_ENV.logLevel]: 'warn' },
    stdio: 'ignore',
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
