// The broadcast state pattern across processes: a keyed events stream
// enriched with a broadcast rules stream, exactly once through a worker
// SIGKILL (broadcast and keyed state restored from a checkpoint), and
// restored from a savepoint at another parallelism, where every new subtask
// gets the rules (the rules source has finished: only the state carries them).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { readJsonLines } from './helpers/outputs.ts';
import { factorOf, KINDS, ruleEvent, type Enriched, type UserTotal } from './fixtures/broadcast-events.ts';

let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 8 });
  work = await mkdtemp(join(tmpdir(), 'weir-broadcast-'));
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});

const JOB = 'test/fixtures/broadcast-rules-job.ts';

/** The job's arguments. */
function jobArgs(o: { events: number; eventsRate: number; rules: number; rulesRate: number; output: string; bump?: number }): string[] {
  return ['--events', String(o.events), '--events-rate', String(o.eventsRate), '--rules', String(o.rules), '--rules-rate', String(o.rulesRate), '--bump', String(o.bump ?? 0), '--output', o.output];
}

/** Every event enriched once with its kind's factor (the subtask and whether it waited are left out). */
function expectedEnriched(events: number): string[] {
  return Array.from({ length: events }, (_, i) => {
    const e = ruleEvent(i);
    return JSON.stringify({ id: e.id, user: e.user, kind: e.kind, value: e.amount * factorOf(e.kind) });
  }).sort();
}

function expectedTotals(events: number): string[] {
  const totals = new Map<number, number>();
  for (let i = 0; i < events; i++) {
    const e = ruleEvent(i);
    totals.set(e.user, (totals.get(e.user) ?? 0) + e.amount * factorOf(e.kind));
  }
  return [...totals].map(([user, total]) => JSON.stringify({ user, total, waiting: 0 })).sort();
}

const enrichedOf = (records: (Enriched | UserTotal)[]): Enriched[] => records.filter((r): r is Enriched => 'id' in r);
const totalsOf = (records: (Enriched | UserTotal)[]): UserTotal[] => records.filter((r): r is UserTotal => 'total' in r);
const comparable = (records: Enriched[]): string[] => records.map((r) => JSON.stringify({ id: r.id, user: r.user, kind: r.kind, value: r.value })).sort();

describe('broadcast state', () => {
  it('enriches keyed events with broadcast rules exactly once through a worker SIGKILL', async () => {
    const events = 40_000;
    const output = join(work, 'killed');
    const submit = await cluster.run(['run', JOB, '-p', '2', '-d', '--json', '--', ...jobArgs({ events, eventsRate: 2_000, rules: KINDS, rulesRate: 2, output })]);
    expect(submit.code, submit.stderr).toBe(0);
    const { jobId } = JSON.parse(submit.stdout) as { jobId: string };
    // Some rules are in a checkpoint and others still to come when the worker dies (the rules take 10 s, the events 20 s).
    await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length >= 1 ? true : undefined), 60_000, 'a checkpoint');
    const view = await cluster.status(jobId);
    expect(view.status, 'the job must still run when the worker is killed').toBe('RUNNING');
    const vertex = view.vertices.find((v) => v.name.includes('KeyedBroadcastProcess'));
    expect(vertex, view.vertices.map((v) => v.name).join(', ')).toBeDefined();
    const victim = (await cluster.cluster()).workers.find((w) => w.workerId === vertex!.subtasks[0]!.workerId)!;
    process.kill(victim.pid, 'SIGKILL');
    const done = await cluster.waitForEnd(jobId, 150_000);
    expect(done.status, done.error ?? '').toBe('FINISHED');
    expect(done.restarts).toBeGreaterThanOrEqual(1);

    const records = await readJsonLines<Enriched | UserTotal>(output);
    const enriched = enrichedOf(records);
    expect(enriched.length).toBe(events);
    expect(comparable(enriched)).toEqual(expectedEnriched(events));
    // Rules arrive over ~10 s: early events waited in keyed state and were released by applyToKeyedState.
    expect(enriched.filter((r) => r.waited).length).toBeGreaterThan(events / 10);
    expect(new Set(enriched.map((r) => r.subtask))).toEqual(new Set([0, 1]));
    expect(totalsOf(records).map((t) => JSON.stringify(t)).sort()).toEqual(expectedTotals(events));
  }, 240_000);

  it('restores broadcast state from a savepoint at parallelism 3: every subtask applies the rules, which no source sends again', async () => {
    const events = 40_000;
    const first = join(work, 'sp-first');
    const args = { events, eventsRate: 1_500, rules: KINDS, rulesRate: 40 };
    const submit = await cluster.run(['run', JOB, '-p', '2', '-d', '--json', '--', ...jobArgs({ ...args, output: first })]);
    expect(submit.code, submit.stderr).toBe(0);
    const { jobId } = JSON.parse(submit.stdout) as { jobId: string };
    // Wait until the rules source has sent every rule, then stop with a savepoint (its barrier follows them).
    await eventually(async () => {
      const view = await cluster.status(jobId);
      const rulesVertex = view.vertices.find((v) => v.parallelism === 1 && v.subtasks[0]!.recordsOut >= KINDS);
      return rulesVertex ? true : undefined;
    }, 60_000, 'the rules source to send every rule');
    const stop = await cluster.run(['stop', jobId, '--savepoint-path', join(work, 'savepoint'), '--json']);
    expect({ code: stop.code, stderr: stop.stderr }).toEqual({ code: 0, stderr: '' });
    const { path: savepoint } = JSON.parse(stop.stdout) as { path: string };
    const before = enrichedOf(await readJsonLines<Enriched | UserTotal>(first));
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(events);

    // Restored at p=3; a rule the restored job emitted would carry factor + 1000 and spoil the values.
    const second = join(work, 'sp-restored');
    const restored = await cluster.run(['run', JOB, '-p', '3', '--from-savepoint', savepoint, '--', ...jobArgs({ ...args, eventsRate: 20_000, output: second, bump: 1000 })]);
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
    const afterRecords = await readJsonLines<Enriched | UserTotal>(second);
    const after = enrichedOf(afterRecords);
    expect(after.every((r) => !r.waited), 'no event waited for a rule after the restore').toBe(true);
    expect(new Set(after.map((r) => r.subtask)), 'every new subtask enriched events with the restored rules').toEqual(new Set([0, 1, 2]));
    expect(comparable([...before, ...after])).toEqual(expectedEnriched(events));
    expect(totalsOf(afterRecords).map((t) => JSON.stringify(t)).sort()).toEqual(expectedTotals(events));
  }, 240_000);
});
