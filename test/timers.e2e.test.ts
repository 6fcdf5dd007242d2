// Timers are keyed state: they fire once each, also across a worker SIGKILL
// and a restore from a checkpoint.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointView, JobStatusView } from '@weir/protocol';
import { eventually, startCluster, type TestCluster, logOnFailure } from './helpers/local-cluster.ts';
import { readJsonLines } from './helpers/outputs.ts';

let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 4 });
  work = await mkdtemp(join(tmpdir(), 'weir-timers-'));
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});

describe('keyed timers', () => {
  it('fire processing-time and end-of-input event-time timers exactly once per key through a worker SIGKILL', async () => {
    const events = 80_000;
    const keys = 20;
    const output = join(work, 'timers');
    const submit = await cluster.run(['run', 'test/fixtures/timers-job.ts', '-p', '2', '-d', '--json', '--', '--events', String(events), '--keys', String(keys), '--rate', '8000', '--output', output]);
    expect(submit.code, submit.stderr).toBe(0);
    const { jobId } = JSON.parse(submit.stdout) as { jobId: string };
    // Kill a worker once processing-time timers have fired and been checkpointed.
    await eventually(async () => {
      const done = (JSON.parse((await cluster.run(['checkpoints', jobId, '--json'])).stdout) as CheckpointView[]).filter((c) => c.status === 'COMPLETED');
      return done.length >= 3 ? true : undefined;
    }, 30_000, 'checkpoints');
    const view = await cluster.status(jobId);
    expect(view.status, 'the job must still run when the worker is killed').toBe('RUNNING');
    const victim = (await cluster.cluster()).workers.find((w) => w.workerId === view.vertices[1]!.subtasks[0]!.workerId)!;
    process.kill(victim.pid, 'SIGKILL');
    const done = await eventually(async () => {
      const v = await cluster.status(jobId);
      return ['FINISHED', 'FAILED', 'CANCELED'].includes(v.status) ? v : undefined;
    }, 90_000, 'the job to end');
    expect((done as JobStatusView).status).toBe('FINISHED');
    expect(done.restarts).toBeGreaterThanOrEqual(1);

    const records = await readJsonLines<{ key: string; kind: string; count: number }>(output);
    const perKey = events / keys;
    for (let k = 0; k < keys; k++) {
      const key = `k${k}`;
      const finals = records.filter((r) => r.key === key && r.kind === 'final');
      expect(finals, key).toEqual([{ key, kind: 'final', count: perKey }]);
      const processing = records.filter((r) => r.key === key && r.kind === 'processing');
      expect(processing, key).toHaveLength(1);
      expect(processing[0]!.count).toBeGreaterThan(0);
    }
    expect(records).toHaveLength(2 * keys);
  });
});
