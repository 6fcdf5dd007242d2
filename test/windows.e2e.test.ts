// Windows on keyed streams against an independent computation: tumbling,
// sliding, chained and session windows over shuffled input with late and
// equal timestamps (parallelism 1 and 4); late data beyond the allowed
// lateness in a side output; count and processing-time windows; and
// exactly-once results through a worker SIGKILL with RocksDB state.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { readJsonLines } from './helpers/outputs.ts';
import {
  DISPLACED_EVERY,
  isLateWithinLateness,
  isTooLate,
  LATE_KEYS,
  LATE_WINDOW_MS,
  lateJobEvent,
  OUT_OF_ORDERNESS_MS,
  shuffledEvent,
  type WindowEvent,
} from './fixtures/windows-events.ts';

interface WindowResult {
  key: string;
  start: number;
  end: number;
  n: number;
  sum: number;
  windows?: number;
}

let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 16 });
  work = await mkdtemp(join(tmpdir(), 'weir-windows-'));
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});

async function submit(args: string[]): Promise<string> {
  const result = await cluster.run(['run', ...args.slice(0, 1), '-d', '--json', ...args.slice(1)]);
  if (result.code !== 0) throw new Error(`submit failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { jobId: string }).jobId;
}

const id = (r: { key: string; start: number; end: number }): string => `${r.key}@${r.start}-${r.end}`;

/** Per key and window, the count and sum of the events whose timestamp falls in it (assigned as Flink does, by start). */
function expectedTimeWindows(events: WindowEvent[], size: number, slide: number): Map<string, WindowResult> {
  const out = new Map<string, WindowResult>();
  for (const e of events) {
    const lastStart = e.ts - (((e.ts % slide) + slide) % slide);
    for (let start = lastStart; start > e.ts - size; start -= slide) {
      const r = out.get(id({ key: e.key, start, end: start + size })) ?? { key: e.key, start, end: start + size, n: 0, sum: 0 };
      r.n++;
      r.sum += e.value;
      out.set(id(r), r);
    }
  }
  return out;
}

/** Sessions per key: sorted by time, a new one starts after a pause longer than the gap ([t, t + gap) windows that touch merge). */
function expectedSessions(events: WindowEvent[], gap: number): Map<string, WindowResult> {
  const byKey = new Map<string, WindowEvent[]>();
  for (const e of events) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e]);
  const out = new Map<string, WindowResult>();
  for (const [key, list] of byKey) {
    list.sort((a, b) => a.ts - b.ts);
    let current: WindowResult | undefined;
    for (const e of list) {
      if (current && e.ts <= current.end) {
        current.end = Math.max(current.end, e.ts + gap);
      } else {
        if (current) out.set(id(current), current);
        current = { key, start: e.ts, end: e.ts + gap, n: 0, sum: 0 };
      }
      current.n++;
      current.sum += e.value;
    }
    if (current) out.set(id(current), current);
  }
  return out;
}

/** The last firing of each window: late firings only add elements, so the one with the most. */
function lastFirings(results: WindowResult[]): Map<string, WindowResult> {
  const out = new Map<string, WindowResult>();
  for (const r of results) if ((out.get(id(r))?.n ?? -1) < r.n) out.set(id(r), r);
  return out;
}

/** The differences between two result maps, for readable failures (empty when equal). */
function diff(actual: Map<string, WindowResult>, expected: Map<string, WindowResult>): string[] {
  const problems: string[] = [];
  for (const [k, e] of expected) {
    const a = actual.get(k);
    if (!a) problems.push(`missing ${k} ${JSON.stringify(e)}`);
    else if (a.n !== e.n || a.sum !== e.sum || (e.windows !== undefined && a.windows !== e.windows)) problems.push(`${k}: got ${JSON.stringify(a)}, expected ${JSON.stringify(e)}`);
  }
  for (const k of actual.keys()) if (!expected.has(k)) problems.push(`unexpected ${k} ${JSON.stringify(actual.get(k))}`);
  return problems.slice(0, 10);
}

/** Expected chained results: per key and 10 s window, the events in it and the 1 s windows they fill. */
function expectedChained(events: WindowEvent[]): Map<string, WindowResult> {
  const out = new Map<string, WindowResult>();
  const seconds = new Map<string, Set<number>>();
  for (const e of events) {
    const start = Math.floor(e.ts / 10_000) * 10_000;
    const r = out.get(id({ key: e.key, start, end: start + 10_000 })) ?? { key: e.key, start, end: start + 10_000, n: 0, sum: 0, windows: 0 };
    r.n++;
    r.sum += e.value;
    out.set(id(r), r);
    const filled = seconds.get(id(r)) ?? new Set<number>();
    filled.add(Math.floor(e.ts / 1000));
    seconds.set(id(r), filled);
  }
  for (const [k, r] of out) r.windows = seconds.get(k)!.size;
  return out;
}

/** Checks every output of windows-job.ts; returns how many windows fired more than once. */
async function checkWindowsJob(output: string, events: WindowEvent[]): Promise<{ refired: number; results: Record<string, WindowResult[]> }> {
  const results: Record<string, WindowResult[]> = {};
  for (const name of ['tumbling', 'sliding', 'chained', 'sessions']) results[name] = await readJsonLines<WindowResult>(join(output, name));
  const tumbling = expectedTimeWindows(events, 1000, 1000);
  expect(diff(lastFirings(results.tumbling!), tumbling)).toEqual([]);
  expect(diff(lastFirings(results.sliding!), expectedTimeWindows(events, 3000, 1000))).toEqual([]);
  expect(diff(lastFirings(results.chained!), expectedChained(events))).toEqual([]);

  // Sessions: each final session exactly, and every earlier firing a part of one of them.
  const sessions = expectedSessions(events, 100);
  const fired = lastFirings(results.sessions!);
  const missing = [...sessions].filter(([k, e]) => fired.get(k)?.n !== e.n || fired.get(k)?.sum !== e.sum).map(([k]) => k);
  expect(missing.slice(0, 10)).toEqual([]);
  const byKey = new Map<string, WindowResult[]>();
  for (const s of sessions.values()) byKey.set(s.key, [...(byKey.get(s.key) ?? []), s]);
  const strays = results.sessions!.filter((r) => !(byKey.get(r.key) ?? []).some((s) => s.start <= r.start && r.end <= s.end && r.n <= s.n));
  expect(strays.slice(0, 10)).toEqual([]);

  let refired = 0;
  for (const name of ['tumbling', 'sliding']) refired += results[name]!.length - lastFirings(results[name]!).size;
  return { refired, results };
}

describe('event-time windows against an independent computation', () => {
  const events = 8000;
  const keys = 11;
  const input = Array.from({ length: events }, (_, i) => shuffledEvent(i, keys, true));

  it('the input is shuffled, with equal timestamps, late records and sessions that only merge out of order', () => {
    let outOfOrder = 0;
    let maxSeen = Number.NEGATIVE_INFINITY;
    for (const e of input) {
      if (e.ts < maxSeen - OUT_OF_ORDERNESS_MS) expect(e.id % DISPLACED_EVERY).toBe(DISPLACED_EVERY - 1);
      if (e.ts < maxSeen) outOfOrder++;
      maxSeen = Math.max(maxSeen, e.ts);
    }
    expect(outOfOrder).toBeGreaterThan(events / 4);
    expect(new Set(input.map((e) => `${e.key}@${e.ts}`)).size).toBeLessThan(events);
    // In arrival order, a record often opens a session of its own that a later, older record bridges.
    const sessions = expectedSessions(input, 100);
    const inArrivalOrder = new Map<string, WindowEvent>();
    let fragments = 0;
    for (const e of input) {
      const last = inArrivalOrder.get(e.key);
      if (last && e.ts > last.ts + 100) {
        const session = [...sessions.values()].find((s) => s.key === e.key && s.start <= last.ts && e.ts < s.end);
        if (session) fragments++;
      }
      inArrivalOrder.set(e.key, e);
    }
    expect(fragments).toBeGreaterThan(10);
  });

  for (const parallelism of [1, 4]) {
    it(`tumbling, sliding, chained and session windows at parallelism ${parallelism}`, async () => {
      const output = join(work, `results-p${parallelism}`);
      const jobId = await submit(['test/fixtures/windows-job.ts', '-p', String(parallelism), '--', '--events', String(events), '--keys', String(keys), '--displaced', '--state', 'heap', '--output', output]);
      const view = await cluster.waitForEnd(jobId);
      expect(view.status, view.error ?? '').toBe('FINISHED');
      await checkWindowsJob(output, input);
      // Nothing was dropped: the allowed lateness covers every displaced record.
      const dropped = view.vertices.flatMap((v) => v.subtasks).reduce((n, s) => n + (s.counters?.lateRecordsDropped ?? 0), 0);
      expect(dropped).toBe(0);
    });
  }
});

describe('late data', () => {
  it('sends records later than the allowed lateness to the side output, counts them, and re-fires windows for the others', async () => {
    const events = 5000;
    const output = join(work, 'late');
    const jobId = await submit(['test/fixtures/windows-late-job.ts', '-p', '2', '--', '--events', String(events), '--rate', '600', '--output', output]);
    const view = await cluster.waitForEnd(jobId);
    expect(view.status, view.error ?? '').toBe('FINISHED');
    const input = Array.from({ length: events }, (_, i) => lateJobEvent(i));

    const late = await readJsonLines<WindowEvent>(join(output, 'late'));
    const tooLate = input.filter((e) => isTooLate(e.id));
    expect(tooLate.length).toBe(5);
    expect(late.sort((a, b) => a.id - b.id)).toEqual(tooLate);
    const dropped = view.vertices.flatMap((v) => v.subtasks).reduce((n, s) => n + (s.counters?.lateRecordsDropped ?? 0), 0);
    expect(dropped).toBe(tooLate.length);

    // Every other record counts, in its window's last firing; late records within the lateness fired their windows again.
    const windows = await readJsonLines<WindowResult & { watermark: number }>(join(output, 'windows'));
    const counted = input.filter((e) => !isTooLate(e.id));
    const expected = new Map([...expectedTimeWindows(counted, LATE_WINDOW_MS, LATE_WINDOW_MS)].map(([, r]) => [`${r.key}@${r.start}`, r]));
    const last = new Map<string, WindowResult>();
    for (const r of windows) if ((last.get(`${r.key}@${r.start}`)?.n ?? -1) < r.n) last.set(`${r.key}@${r.start}`, r);
    expect([...last].map(([k, r]) => [k, r.n, r.sum]).sort()).toEqual([...expected].map(([k, r]) => [k, r.n, r.sum]).sort());
    const refired = [...new Set(input.filter((e) => isLateWithinLateness(e.id)).map((e) => `${e.key}@${Math.floor(e.ts / LATE_WINDOW_MS) * LATE_WINDOW_MS}`))];
    for (const window of refired) {
      const firings = windows.filter((r) => `${r.key}@${r.start}` === window);
      expect(firings.length, window).toBe(2);
      expect(firings[1]!.n, window).toBe(firings[0]!.n + 1);
      // The late firing came after the watermark passed the window's end.
      expect(firings[1]!.watermark).toBeGreaterThanOrEqual(firings[0]!.start + LATE_WINDOW_MS - 1);
    }
    expect(windows.length).toBe(expected.size + refired.length);

    // countWindow(25): full windows of one key only, every record of a full window once; processing-time windows hold every record once.
    const counts = await readJsonLines<{ key: string; n: number; ids: number[]; end: number | null }>(join(output, 'counts'));
    for (let k = 0; k < LATE_KEYS; k++) {
      const ofKey = input.filter((e) => e.key === `k${k}`);
      const fired = counts.filter((c) => c.key === `k${k}`);
      expect(fired.length).toBe(Math.floor(ofKey.length / 25));
      expect(fired.every((c) => c.n === 25 && c.ids.every((i) => i % LATE_KEYS === k))).toBe(true);
      expect(new Set(fired.flatMap((c) => c.ids)).size).toBe(fired.length * 25);
    }
    const processing = await readJsonLines<WindowResult>(join(output, 'processing'));
    for (let k = 0; k < LATE_KEYS; k++) {
      expect(processing.filter((p) => p.key === `k${k}`).reduce((n, p) => n + p.n, 0)).toBe(input.filter((e) => e.key === `k${k}`).length);
    }
    expect(processing.every((p) => p.end - p.start === 500 && p.start % 500 === 0)).toBe(true);
    expect(new Set(processing.map((p) => p.start)).size).toBeGreaterThan(5);
  });
});

describe('windows through failures', () => {
  it('give identical results after a worker SIGKILL mid-run (RocksDB state, checkpoints, transactional sink)', async () => {
    const events = 20_000;
    const keys = 7;
    const output = join(work, 'killed');
    const jobId = await submit(['test/fixtures/windows-job.ts', '-p', '2', '--', '--events', String(events), '--keys', String(keys), '--rate', '1000', '--checkpoint-interval', '500', '--state', 'rocksdb', '--output', output]);
    await eventually(async () => ((await cluster.completedCheckpoints(jobId)).length >= 2 ? true : undefined), 60_000, 'two checkpoints');
    const view = await cluster.status(jobId);
    expect(view.status, 'the job must still run when the worker is killed').toBe('RUNNING');
    const windowVertex = view.vertices.find((v) => v.operators.some((o) => o.startsWith('Window(EventTimeSessionWindows')))!;
    const victim = (await cluster.cluster()).workers.find((w) => w.workerId === windowVertex.subtasks[0]!.workerId)!;
    process.kill(victim.pid, 'SIGKILL');
    const done = await cluster.waitForEnd(jobId, 110_000);
    expect(done.status, done.error ?? '').toBe('FINISHED');
    expect(done.restarts).toBeGreaterThanOrEqual(1);

    // Without displaced records nothing is late: every window fires exactly once, exactly once in the output.
    const input = Array.from({ length: events }, (_, i) => shuffledEvent(i, keys, false));
    const { refired, results } = await checkWindowsJob(output, input);
    expect(refired).toBe(0);
    expect(results.tumbling!.length).toBe(expectedTimeWindows(input, 1000, 1000).size);
    expect(results.sessions!.length).toBe(expectedSessions(input, 100).size);
    expect(results.chained!.length).toBe(expectedChained(input).size);
  });
});
