// Exactly-once state and output through real failures: SIGKILLed workers,
// a SIGKILLed coordinator, stop-with-savepoint and restore at other
// parallelism, relocated savepoints, incompatible savepoints, corrupt checkpoints.
import { cp, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_METADATA_FILE, type CheckpointView } from '@weir/protocol';
import { eventually, startCluster, type TestCluster, logOnFailure } from './helpers/local-cluster.ts';
import { checkExactCounts, readJsonLines } from './helpers/outputs.ts';

let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 4 });
  work = await mkdtemp(join(tmpdir(), 'weir-checkpoints-'));
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});

function expectedCounts(events: number, keys: number): Map<string, number> {
  const expected = new Map<string, number>();
  for (let i = 0; i < events; i++) expected.set(`k${i % keys}`, (expected.get(`k${i % keys}`) ?? 0) + 1);
  return expected;
}

async function submit(args: string[]): Promise<string> {
  const result = await cluster.run(['run', ...args.slice(0, 1), '-d', '--json', ...args.slice(1)]);
  if (result.code !== 0) throw new Error(`submit failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { jobId: string }).jobId;
}



describe('exactly-once through failures', () => {
  it('commits each count exactly once while workers are SIGKILLed three times', async () => {
    // 30 s of input at 12,000 events/s: time for three kills and recoveries before the end, also on a loaded machine.
    const events = 360_000;
    const keys = 7;
    const output = join(work, 'killed-workers');
    const jobId = await submit(['examples/exactly-once-counts.ts', '-p', '2', '--', '--events', String(events), '--keys', String(keys), '--rate', '12000', '--checkpoint-interval', '500', '--output', output]);
    for (let kill = 0; kill < 3; kill++) {
      // Let a checkpoint complete in this attempt, then kill a worker that runs the job.
      const before = (await cluster.completedCheckpoints(jobId)).length;
      await eventually(
        async () => ((await cluster.completedCheckpoints(jobId)).length > before || (await cluster.status(jobId)).status === 'FINISHED' ? true : undefined),
        30_000,
        'a checkpoint',
      );
      const view = await cluster.status(jobId);
      if (view.status === 'FINISHED') break;
      if (kill === 0) {
        // RocksDB checkpoints are incremental: the newest checkpoint's chain files are hard links shared with the backend's staging.
        const newest = (await cluster.completedCheckpoints(jobId)).at(-1)!;
        const chain = (await readdir(newest.path!)).filter((name) => /^keyed-.*\.\d+\.state$/.test(name));
        expect(chain.length, 'keyed state as a chain of files').toBeGreaterThan(0);
        expect((await stat(join(newest.path!, chain[0]!))).nlink, 'a chain file linked from more than one place').toBeGreaterThanOrEqual(2);
      }
      const victim = (await cluster.cluster()).workers.find((w) => w.workerId === view.vertices[1]!.subtasks[kill % 2]!.workerId);
      if (victim) process.kill(victim.pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 1500));
    }
    const view = await cluster.waitForEnd(jobId);
    expect(view.status).toBe('FINISHED');
    expect(view.restarts).toBeGreaterThanOrEqual(2);
    expect(checkExactCounts(await readJsonLines(output), expectedCounts(events, keys))).toEqual([]);
    const checkpoints = await cluster.completedCheckpoints(jobId);
    expect(
      checkpoints.some((c) => c.incrementalBytes < c.bytes),
      'later checkpoints write less than the state they reference',
    ).toBe(true);
  });

  it('resumes from the checkpoint directory when the coordinator is SIGKILLed and restarted', async () => {
    const events = 100_000;
    const keys = 5;
    const output = join(work, 'killed-coordinator');
    const jobId = await submit(['examples/exactly-once-counts.ts', '-p', '2', '--', '--events', String(events), '--keys', String(keys), '--rate', '12000', '--checkpoint-interval', '500', '--output', output]);
    await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length >= 2 ? true : undefined), 30_000, 'two checkpoints');
    const [coordinatorPid] = await cluster.pids();
    process.kill(coordinatorPid!, 'SIGKILL');
    // the launcher starts the coordinator again on the same port and directories.
    const view = await cluster.waitForEnd(jobId, 120_000);
    expect(view.status).toBe('FINISHED');
    expect(checkExactCounts(await readJsonLines(output), expectedCounts(events, keys))).toEqual([]);
  });
});

describe('checkpoint settings from the command line', () => {
  it('weir run --checkpoint-interval and --checkpoint-mode at-least-once: checkpoints a job that has none, and loses nothing through a SIGKILL', async () => {
    // 20 s of input: the job still runs after two checkpoints, also on a loaded machine.
    const events = 240_000;
    const keys = 5;
    const output = join(work, 'at-least-once');
    // keyed-counts does not enable checkpointing itself.
    const jobId = await submit(['examples/keyed-counts.ts', '-p', '2', '--checkpoint-interval', '400', '--checkpoint-mode', 'at-least-once', '--', '--events', String(events), '--keys', String(keys), '--rate', '12000', '--output', output]);
    await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length >= 2 ? true : undefined), 30_000, 'two checkpoints');
    const view = await cluster.status(jobId);
    expect(view.status, 'the job must still run when the worker is killed').toBe('RUNNING');
    const victim = (await cluster.cluster()).workers.find((w) => w.workerId === view.vertices[1]!.subtasks[0]!.workerId)!;
    process.kill(victim.pid, 'SIGKILL');
    const done = await cluster.waitForEnd(jobId);
    expect(done.status).toBe('FINISHED');
    expect(done.restarts).toBeGreaterThanOrEqual(1);
    // At least once: nothing is lost. Without alignment, records that passed a
    // barrier may be in the snapshot and replayed after recovery, so a key may
    // be counted more than once (its count may exceed the total), but every
    // count 1..total is there.
    const seen = new Map<string, Set<number>>();
    for (const r of await readJsonLines<{ key: string; count: number }>(output)) {
      const set = seen.get(r.key) ?? new Set<number>();
      set.add(r.count);
      seen.set(r.key, set);
    }
    for (const [key, total] of expectedCounts(events, keys)) {
      const set = seen.get(key) ?? new Set<number>();
      expect(Math.max(...set), key).toBeGreaterThanOrEqual(total);
      const missing = Array.from({ length: total }, (_, i) => i + 1).filter((c) => !set.has(c));
      expect(missing, key).toEqual([]);
    }
  });
});

describe('savepoints', () => {
  it('stops with a savepoint and restores at parallelism 1, 2 and 4 with identical results, also from a copy', async () => {
    const events = 90_000;
    const keys = 9;
    const first = join(work, 'sp-first');
    const jobId = await submit(['examples/exactly-once-counts.ts', '-p', '2', '--', '--events', String(events), '--keys', String(keys), '--rate', '15000', '--checkpoint-interval', '500', '--output', first]);
    await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length >= 2 ? true : undefined), 30_000, 'two checkpoints');
    const target = join(work, 'savepoint');
    const stop = await cluster.run(['stop', jobId, '--savepoint-path', target, '--json']);
    expect({ code: stop.code, stderr: stop.stderr }).toEqual({ code: 0, stderr: '' });
    const { path: savepoint, status } = JSON.parse(stop.stdout) as { path: string; status: string };
    expect(status).toBe('FINISHED');
    // A new directory under the one given.
    expect(dirname(savepoint)).toBe(target);
    const firstRecords = await readJsonLines<{ key: string; count: number }>(first);
    expect(firstRecords.length).toBeGreaterThan(0);
    expect(firstRecords.length).toBeLessThan(events);

    // The savepoint is self-contained: a copy elsewhere restores too.
    const moved = join(work, 'moved-savepoint');
    await cp(savepoint, moved, { recursive: true });

    for (const [parallelism, from] of [[1, savepoint], [2, moved], [4, savepoint]] as const) {
      const output = join(work, `sp-restored-p${parallelism}`);
      const restored = await cluster.run(['run', 'examples/exactly-once-counts.ts', '-p', String(parallelism), '--from-savepoint', from, '--', '--events', String(events), '--keys', String(keys), '--checkpoint-interval', '500', '--output', output]);
      expect(restored.code, restored.stdout).toBe(0);
      const all = [...firstRecords, ...(await readJsonLines<{ key: string; count: number }>(output))];
      expect(checkExactCounts(all, expectedCounts(events, keys))).toEqual([]);
    }
  });

  it('fails a job whose state does not fit the savepoint at once, naming the operator, and runs nothing of it', async () => {
    const running = await submit(['examples/exactly-once-counts.ts', '-p', '2', '--', '--events', '1000000', '--keys', '4', '--rate', '5000', '--checkpoint-interval', '500', '--output', join(work, 'variant-src')]);
    await eventually(async () => ((await cluster.completedCheckpoints(running)).length >= 1 ? true : undefined), 30_000, 'a checkpoint');
    const stopped = await cluster.run(['stop', running, '--savepoint-path', join(work, 'variant-savepoint'), '--json']);
    expect(stopped.code).toBe(0);
    const savepoint = (JSON.parse(stopped.stdout) as { path: string }).path;

    const failedAtOnce = async (args: string[], output: string): Promise<string> => {
      const result = await cluster.run(['run', 'test/fixtures/counts-variant-job.ts', '--from-savepoint', savepoint, '--', '--events', '10', '--keys', '4', '--output', output, ...args]);
      expect(result.code).toBe(1);
      const view = await cluster.status(/Job ([0-9a-f]{32})/.exec(result.stdout)![1]!);
      expect(view.status).toBe('FAILED');
      expect(view.restarts).toBe(0);
      expect(await readdir(output).catch(() => [])).toEqual([]);
      return view.error ?? '';
    };
    const renamed = await failedAtOnce(['--count-uid', 'other'], join(work, 'x'));
    expect(renamed).toContain("state for operator 'count'");
    expect(renamed).toContain('--allow-non-restored-state');
    const rekeyed = await failedAtOnce(['--max-parallelism', '64'], join(work, 'y'));
    expect(rekeyed).toContain("operator 'count' has keyed state in 128 key groups");

    const allowed = await cluster.run(['run', 'test/fixtures/counts-variant-job.ts', '--from-savepoint', savepoint, '--allow-non-restored-state', '--', '--events', '10', '--keys', '4', '--output', join(work, 'z'), '--count-uid', 'other']);
    expect(allowed.code).toBe(0);
  });
});

describe('corrupt checkpoints', () => {
  it('skips a corrupt latest checkpoint with the reason and restores from the previous one', async () => {
    const output = join(work, 'corrupt');
    const jobId = await submit(['examples/exactly-once-counts.ts', '-p', '2', '--', '--events', '2000000', '--keys', '3', '--rate', '4000', '--checkpoint-interval', '4000', '--output', output]);
    // A checkpoint to fall back to, and the worker to kill, found before the race starts.
    await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length >= 1 ? true : undefined), 30_000, 'a first checkpoint');
    const view = await cluster.status(jobId);
    const victim = (await cluster.cluster()).workers.find((w) => w.workerId === view.vertices[0]!.subtasks[0]!.workerId)!;
    const before = (await cluster.completedCheckpoints(jobId)).length;
    // As soon as the next checkpoint completes (the one after it is 4 s away),
    // truncate its metadata and kill a worker: the restart must fall back.
    const newest = await eventually(async () => {
      const done = await cluster.completedCheckpoints(jobId);
      return done.length > before ? done.at(-1) : undefined;
    }, 30_000, 'the next checkpoint');
    await writeFile(join(newest.path!, CHECKPOINT_METADATA_FILE), '{"sha256":"');
    process.kill(victim.pid, 'SIGKILL');
    const failed = await eventually(async () => {
      const all = JSON.parse((await cluster.run(['checkpoints', jobId, '--json'])).stdout) as CheckpointView[];
      return all.find((c) => c.checkpointId === newest.checkpointId && c.status === 'FAILED');
    }, 30_000, 'the corrupt checkpoint to be reported');
    expect(failed.failure).toMatch(/truncated or not JSON|fails its checksum/);
    await eventually(async () => {
      const v = await cluster.status(jobId);
      return v.status === 'RUNNING' && v.restarts >= 1 && v.vertices.every((x) => x.subtasks.every((t) => t.state === 'RUNNING')) ? true : undefined;
    }, 30_000, 'the job to run again');
    expect((await cluster.run(['cancel', jobId])).code).toBe(0);
  });
});
