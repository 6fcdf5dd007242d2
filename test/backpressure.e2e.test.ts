// Credit-based flow control: an unbounded source feeding a slow sink is
// throttled to the sink's pace, and no process's memory grows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, rssMiB, startCluster, type TestCluster, logOnFailure } from './helpers/local-cluster.ts';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 4 });
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});

describe('backpressure', () => {
  it('throttles the source to a slow sink and keeps every process bounded, then cancels', async () => {
    const submit = await cluster.run(['run', 'test/fixtures/slow-sink-job.ts', '-p', '2', '-d', '--json']);
    expect(submit.code).toBe(0);
    const { jobId } = JSON.parse(submit.stdout) as { jobId: string };
    await eventually(async () => ((await cluster.status(jobId)).status === 'RUNNING' ? true : undefined), 30_000, 'the job to run');
    const pids = await cluster.pids();

    const samples: { t: number; produced: number; consumed: number; rss: number[] }[] = [];
    const start = Date.now();
    while (Date.now() - start < 10_000) {
      await new Promise((r) => setTimeout(r, 1000));
      const view = await cluster.status(jobId);
      const produced = view.vertices[0]!.subtasks.reduce((n, s) => n + s.recordsOut, 0);
      const consumed = view.vertices[1]!.subtasks.reduce((n, s) => n + s.recordsIn, 0);
      samples.push({ t: Date.now() - start, produced, consumed, rss: await Promise.all(pids.map(rssMiB)) });
    }
    const last = samples.at(-1)!;
    // The sink made progress, at its slow pace (about 1,000 records/s per subtask).
    expect(last.consumed).toBeGreaterThan(2_000);
    // The source ran only as fast as the sink: what is in flight stays bounded
    // by the credits (a few frames per channel), not by time.
    for (const s of samples) expect(s.produced - s.consumed).toBeLessThan(60_000);
    expect(last.produced).toBeLessThan(last.consumed + 60_000);
    // Every process stays small and flat.
    for (let p = 0; p < pids.length; p++) {
      const series = samples.map((s) => s.rss[p]!);
      expect(Math.max(...series)).toBeLessThan(400);
      expect(series.at(-1)! - series[3]!).toBeLessThan(50);
    }

    const cancel = await cluster.run(['cancel', jobId]);
    expect(cancel.code).toBe(0);
    const view = await eventually(async () => {
      const v = await cluster.status(jobId);
      return v.status === 'CANCELED' ? v : undefined;
    }, 20_000, 'the job to be cancelled');
    expect(view.vertices.flatMap((v) => v.subtasks.map((s) => s.state)).every((s) => s === 'CANCELED')).toBe(true);
    // Its slots are free again.
    await eventually(async () => ((await cluster.cluster()).workers.every((w) => w.freeSlots === w.slots) ? true : undefined), 10_000, 'slots to free');
  });
});
