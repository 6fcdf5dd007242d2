// List, map, reducing and aggregating keyed state (and TTL-wrapped values)
// survive checkpoint and restore on the default RocksDB backend: a job using
// them all at parallelism 2 on two workers loses a worker to SIGKILL after its
// first committed output, restarts from the checkpoint, and its exactly-once
// output matches a computation of its own.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JobStatusView } from '@weir/protocol';
import { eventually, startCluster, type TestCluster, logOnFailure } from './helpers/local-cluster.ts';
import { checkExactCounts, readJsonLines } from './helpers/outputs.ts';

interface Summary {
  key: string;
  n: number;
  ttlCount: number;
  sum: number;
  avg: number;
  max: number;
  buckets: [number, number][];
  listLength: number;
  listSum: number;
}

let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 4 });
  work = await mkdtemp(join(tmpdir(), 'weir-keyed-state-'));
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * What the last summary of each key must be, computed from the event
 * definition alone, in seq order: every field of it is independent of the
 * order in which a key's events arrive.
 */
function expectedSummaries(events: number, keys: number): Map<string, Omit<Summary, 'key'>> {
  const perKey = new Map<string, { n: number; sum: number; max: number; buckets: Map<number, number>; list: number[] }>();
  for (let seq = 0; seq < events; seq++) {
    const key = `k${seq % keys}`;
    const amount = (seq * 7919) % 1000;
    let s = perKey.get(key);
    if (!s) perKey.set(key, (s = { n: 0, sum: 0, max: -1, buckets: new Map(), list: [] }));
    s.n++;
    s.sum += amount;
    s.max = Math.max(s.max, amount);
    const b = amount % 4;
    s.buckets.set(b, ((s.buckets.get(b) ?? 0) + 1) % 10);
    if (amount % 7 === 0) {
      s.list.push(seq);
      if (s.list.length === 5) s.list = [s.list.reduce((x, y) => x + y, 0)];
    }
  }
  const expected = new Map<string, Omit<Summary, 'key'>>();
  for (const [key, s] of perKey) {
    expected.set(key, {
      n: s.n,
      ttlCount: s.n,
      sum: s.sum,
      avg: s.sum / s.n,
      max: s.max,
      buckets: [...s.buckets].filter(([, c]) => c !== 0).sort((x, y) => x[0] - y[0]),
      listLength: s.list.length,
      listSum: s.list.reduce((x, y) => x + y, 0),
    });
  }
  return expected;
}


it('keeps list, map, reducing and aggregating state through a worker SIGKILL and a restore from a checkpoint', async () => {
  const events = 60_000;
  const keys = 6;
  const output = join(work, 'out');
  const submitted = await cluster.run([
    'run',
    'test/fixtures/keyed-state-job.ts',
    '-d',
    '--json',
    '-p',
    '2',
    '--',
    '--events',
    String(events),
    '--keys',
    String(keys),
    '--rate',
    '10000',
    '--checkpoint-interval',
    '500',
    '--output',
    output,
  ]);
  expect(submitted.code, submitted.stderr).toBe(0);
  const { jobId } = JSON.parse(submitted.stdout) as { jobId: string };

  // Wait until a checkpoint has completed and committed output, so the restart must restore state rather than start over.
  await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length > 0 && (await readJsonLines(output).catch(() => [])).length > 0 ? true : undefined), 30_000, 'a checkpoint with committed output');
  const running = await cluster.status(jobId);
  expect(running.status).toBe('RUNNING');
  const stateVertex = running.vertices.find((v) => v.subtasks.length === 2 && v.operators.length > 1) ?? running.vertices.at(-1)!;
  const victim = (await cluster.cluster()).workers.find((w) => w.workerId === stateVertex.subtasks[0]!.workerId);
  expect(victim, 'a worker running the keyed-state subtask').toBeDefined();
  process.kill(victim!.pid, 'SIGKILL');

  const view = await eventually<JobStatusView>(async () => {
    const status = await cluster.status(jobId).catch(() => undefined);
    return status && ['FINISHED', 'FAILED', 'CANCELED'].includes(status.status) ? status : undefined;
  }, 90_000, `job ${jobId} to end`);
  expect(view.status, view.error ?? '').toBe('FINISHED');
  expect(view.restarts).toBeGreaterThanOrEqual(1);

  const records = await readJsonLines<Summary>(output);
  expect(records).toHaveLength(events);
  // Exactly once: each key's event counts are 1..total, once each.
  const expected = expectedSummaries(events, keys);
  expect(checkExactCounts(records.map((r) => ({ key: r.key, count: r.n })), new Map([...expected].map(([key, s]) => [key, s.n])))).toEqual([]);
  // The TTL-wrapped ValueState moved in step with the ReducingState in every record, restored or not.
  expect(records.filter((r) => r.ttlCount !== r.n)).toEqual([]);
  for (const [key, summary] of expected) {
    const last = records.find((r) => r.key === key && r.n === summary.n);
    expect(last, `the last summary of ${key}`).toEqual({ key, ...summary });
  }
  // The run exercised every path for every key: map entries removed at 10, lists compacted (over a thousand adds each).
  expect([...expected.values()].some((s) => s.buckets.length < 4)).toBe(true);
  expect([...expected.values()].every((s) => s.listSum > 0 && s.listLength > 0)).toBe(true);
});
