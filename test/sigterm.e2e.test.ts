// SIGTERM, as Kubernetes sends it before it deletes a pod, against a real
// etcd and real processes: the leading coordinator resigns at once (its
// election key's lease revoked) so the standby leads long before the lease
// TTL would run out, and a worker stops its subtasks, ends its session and
// exits 0 so the job is restarted elsewhere at once; output stays exactly once.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectedCounts, startHaCluster, type HaCluster, type HaMember } from './helpers/etcd-cluster.ts';
import { eventually } from './helpers/local-cluster.ts';
import { haClusterLifecycle, nextLeader, runningWithCheckpoint, submitCounts } from './helpers/ha-jobs.ts';
import { checkExactCounts, readJsonLines } from './helpers/outputs.ts';

/** Far longer than a resignation takes: a standby leading sooner than this proves the lease did not just run out. */
const TTL_SECONDS = 15;
let cluster: HaCluster;
let work: string;

beforeAll(async () => {
  cluster = await startHaCluster({ coordinators: 2, workers: 2, slots: 4, leaseTtlSeconds: TTL_SECONDS });
  work = await mkdtemp(join(tmpdir(), 'weir-sigterm-'));
}, 120_000);

haClusterLifecycle(() => cluster, () => work);

function report(line: string): void {
  process.stdout.write(`[sigterm e2e] ${line}\n`);
}

/** Resolves with the exit code (null when killed by a signal) once `member` has exited. */
function exitOf(member: HaMember): Promise<number | null> {
  if (!member.alive()) return Promise.resolve(member.process.exitCode);
  return new Promise((resolve) => member.process.once('exit', (code) => resolve(code)));
}

describe('SIGTERM', () => {
  it('to the leader: it resigns at once, the standby leads long before the lease TTL, the job ends exactly once', async () => {
    const events = 100_000;
    const keys = 10;
    const output = join(work, 'leader-terminated');
    const jobId = await submitCounts(cluster, output, events, keys, 8_000);
    await runningWithCheckpoint(cluster, jobId, 60_000);
    const old = await cluster.leader();
    const exited = exitOf(old);
    const signalledAt = performance.now();
    old.process.kill('SIGTERM');
    const { at: ledAt } = await nextLeader(cluster, old, 30_000);
    report(`2 coordinators, lease TTL ${TTL_SECONDS} s: the standby leads ${(ledAt - signalledAt).toFixed(0)} ms after SIGTERM to the leader`);
    expect(ledAt - signalledAt).toBeLessThan(10_000);
    expect(await exited).toBe(0);
    const end = await cluster.waitForEnd(jobId, 120_000);
    expect(end.status, end.error ?? '').toBe('FINISHED');
    expect(end.attempt).toBeGreaterThan(0);
    expect(checkExactCounts(await readJsonLines(output), expectedCounts(events, keys))).toEqual([]);
  }, 240_000);

  it('to a worker running the job: it exits 0 and the job recovers on the other worker, exactly once', async () => {
    const events = 100_000;
    const keys = 10;
    const output = join(work, 'worker-terminated');
    const jobId = await submitCounts(cluster, output, events, keys, 8_000);
    await runningWithCheckpoint(cluster, jobId, 60_000);
    const view = await cluster.status(jobId);
    const victimId = view.vertices[1]!.subtasks[0]!.workerId;
    const victim = cluster.workers[Number(/(\d+)$/.exec(victimId ?? '')?.[1])];
    expect(victim?.alive(), `a living worker runs the keyed subtask (${victimId})`).toBe(true);
    const exited = exitOf(victim!);
    const signalledAt = performance.now();
    victim!.process.kill('SIGTERM');
    expect(await exited).toBe(0);
    const exitedAt = performance.now();
    // The coordinator learns at once (the session ended), not after the heartbeat timeout.
    await eventually(async () => {
      const workers = (await cluster.cluster().catch(() => undefined))?.workers;
      return workers && !workers.some((w) => w.workerId === victimId && w.connected) ? true : undefined;
    }, 30_000, `the coordinator to drop ${victimId}`);
    report(`worker exited ${(exitedAt - signalledAt).toFixed(0)} ms after SIGTERM; dropped by the coordinator ${(performance.now() - signalledAt).toFixed(0)} ms after it`);
    const end = await cluster.waitForEnd(jobId, 120_000);
    expect(end.status, end.error ?? '').toBe('FINISHED');
    expect(end.restarts).toBeGreaterThanOrEqual(1);
    expect(checkExactCounts(await readJsonLines(output), expectedCounts(events, keys))).toEqual([]);
  }, 240_000);
});
