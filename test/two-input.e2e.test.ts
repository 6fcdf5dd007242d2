// Two-input operators across processes, each family through a worker
// SIGKILL with checkpoints, against an independent computation of the
// expected output: a keyed co-process (state shared by both inputs, timers),
// a co-map and a non-keyed process with a side output; an interval join, a
// window join and a sliding-window coGroup.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointView, JobStatusView } from '@weir/protocol';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { readJsonLines } from './helpers/outputs.ts';
import {
  auction,
  COGROUP_SIZE_MS,
  COGROUP_SLIDE_MS,
  JOIN_LOWER_MS,
  JOIN_UPPER_MS,
  JOIN_WINDOW_MS,
  order,
  payment,
  person,
} from './fixtures/two-input-events.ts';

let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 16 });
  work = await mkdtemp(join(tmpdir(), 'weir-two-input-'));
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});

/** Runs the fixture's `family`, SIGKILLs the worker of `victimVertex`'s first subtask after some checkpoints, and waits for the end. */
async function runThroughKill(family: string, events: number, rate: number, victimVertex: string): Promise<string> {
  const output = join(work, family);
  const submit = await cluster.run(['run', 'test/fixtures/two-input-job.ts', '-p', '2', '-d', '--json', '--', '--family', family, '--events', String(events), '--rate', String(rate), '--output', output]);
  expect(submit.code, submit.stderr).toBe(0);
  const { jobId } = JSON.parse(submit.stdout) as { jobId: string };
  await eventually(async () => {
    const done = (JSON.parse((await cluster.run(['checkpoints', jobId, '--json'])).stdout) as CheckpointView[]).filter((c) => c.status === 'COMPLETED');
    return done.length >= 1 ? true : undefined;
  }, 60_000, 'checkpoints');
  const view = await cluster.status(jobId);
  expect(view.status, 'the job must still run when the worker is killed').toBe('RUNNING');
  const vertex = view.vertices.find((v) => v.name.includes(victimVertex));
  expect(vertex, `a vertex named ${victimVertex} in ${view.vertices.map((v) => v.name).join(', ')}`).toBeDefined();
  const victim = (await cluster.cluster()).workers.find((w) => w.workerId === vertex!.subtasks[0]!.workerId)!;
  process.kill(victim.pid, 'SIGKILL');
  const done = await eventually(async () => {
    const v = await cluster.status(jobId);
    return ['FINISHED', 'FAILED', 'CANCELED'].includes(v.status) ? v : undefined;
  }, 120_000, 'the job to end');
  expect((done as JobStatusView).status, (done as JobStatusView).error ?? '').toBe('FINISHED');
  expect(done.restarts).toBeGreaterThanOrEqual(1);
  return output;
}

const sorted = <T>(records: T[]): string[] => records.map((r) => JSON.stringify(r)).sort();

describe('two-input operators through a worker SIGKILL', () => {
  it('keyed co-process, co-map and process with a side output are exactly once', async () => {
    const events = 60_000;
    const persons = events / 10;
    const output = await runThroughKill('connect', events, 4_000, 'KeyedCoProcess');

    // Every auction joined with its seller once, whichever came first; one final count per seller from its timer.
    const sellers = await readJsonLines<{ auction?: number; seller: number; name?: string; sold?: number }>(join(output, 'sellers'));
    const joined = sellers.filter((r) => r.auction !== undefined);
    const expectedJoined = Array.from({ length: events }, (_, j) => {
      const a = auction(j, persons);
      return { auction: a.id, seller: a.seller, name: person(a.seller).name };
    });
    expect(sorted(joined)).toEqual(sorted(expectedJoined));
    const soldBy = new Map<number, number>();
    for (let j = 0; j < events; j++) soldBy.set(auction(j, persons).seller, (soldBy.get(auction(j, persons).seller) ?? 0) + 1);
    expect(sorted(sellers.filter((r) => r.sold !== undefined))).toEqual(sorted([...soldBy].map(([seller, sold]) => ({ seller, sold }))));

    const coMap = await readJsonLines<string>(join(output, 'co-map'));
    const expectedCoMap = [...Array.from({ length: persons }, (_, i) => `person ${i}`), ...Array.from({ length: events }, (_, j) => `auction ${j}`)];
    expect(coMap.slice().sort()).toEqual(expectedCoMap.sort());

    const even = await readJsonLines<number>(join(output, 'even'));
    const odd = await readJsonLines<number>(join(output, 'odd'));
    expect(even.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: events / 2 }, (_, k) => 2 * k));
    expect(odd.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: events / 2 }, (_, k) => 2 * k + 1));
  }, 240_000);

  it('interval join, window join and coGroup are exactly once', async () => {
    const events = 60_000;
    const output = await runThroughKill('joins', events, 2_500, 'IntervalJoin');
    const orders = Array.from({ length: events }, (_, i) => order(i));
    const payments = Array.from({ length: events }, (_, j) => payment(j));
    const byUser = new Map<string, typeof payments>();
    for (const p of payments) byUser.set(p.user, [...(byUser.get(p.user) ?? []), p]);

    const interval = await readJsonLines<{ order: number; payment: number; ts: number }>(join(output, 'interval'));
    const expectedInterval = orders.flatMap((o) =>
      (byUser.get(o.user) ?? [])
        .filter((p) => p.ts >= o.ts + JOIN_LOWER_MS && p.ts <= o.ts + JOIN_UPPER_MS)
        .map((p) => ({ order: o.id, payment: p.id, ts: Math.max(o.ts, p.ts) })),
    );
    expect(expectedInterval.length).toBeGreaterThan(events / 2);
    expect(interval.length).toBe(expectedInterval.length);
    expect(sorted(interval)).toEqual(sorted(expectedInterval));

    const windowJoin = await readJsonLines<{ order: number; payment: number }>(join(output, 'window-join'));
    const windowOf = (ts: number): number => Math.floor(ts / JOIN_WINDOW_MS);
    const expectedWindowJoin = orders.flatMap((o) =>
      (byUser.get(o.user) ?? []).filter((p) => windowOf(p.ts) === windowOf(o.ts)).map((p) => ({ order: o.id, payment: p.id })),
    );
    expect(sorted(windowJoin)).toEqual(sorted(expectedWindowJoin));

    // Per user and sliding window (start = a multiple of the slide), orders counted and payments summed, also where one side is empty.
    const groups = new Map<string, { user: string; orders: number; paid: number }>();
    const add = (user: string, ts: number, orderCount: number, amount: number): void => {
      for (let start = ts - (ts % COGROUP_SLIDE_MS); start > ts - COGROUP_SIZE_MS; start -= COGROUP_SLIDE_MS) {
        const id = `${user}@${start}`;
        const g = groups.get(id) ?? { user, orders: 0, paid: 0 };
        g.orders += orderCount;
        g.paid += amount;
        groups.set(id, g);
      }
    };
    for (const o of orders) add(o.user, o.ts, 1, 0);
    for (const p of payments) add(p.user, p.ts, 0, p.amount);
    const coGroup = await readJsonLines<{ user: string; orders: number; paid: number }>(join(output, 'cogroup'));
    expect(sorted(coGroup)).toEqual(sorted([...groups.values()]));
  }, 240_000);
});

describe('two edges between the same two vertices', () => {
  it('keeps apart two edges between the same two vertices: a stream unioned with itself, a stream keyed two ways and connected with itself', async () => {
    const events = 6_000;
    const output = join(work, 'self-connect');
    const run = await cluster.run(['run', 'test/fixtures/self-connect-job.ts', '-p', '2', '--json', '--', '--events', String(events), '--output', output]);
    expect(run.code, run.stderr).toBe(0);
    const all = Array.from({ length: events }, (_, n) => n);
    expect((await readJsonLines<string>(join(output, 'union'))).sort()).toEqual([...all, ...all].map((n) => `twice ${n}`).sort());
    expect((await readJsonLines<string>(join(output, 'self'))).sort()).toEqual([...all.map((n) => `by7 ${n}`), ...all.map((n) => `by5 ${n}`)].sort());
    expect((await readJsonLines<string>(join(output, 'sides'))).sort()).toEqual(all.map((n) => (n % 3 === 0 ? `side ${n}` : `main ${n}`)).sort());
  }, 120_000);
});
