// Nexmark: the generator's contract, and every query job (and the one-input
// forms q3-union and q8-union) run on a real `weir local` (coordinator + 2
// worker processes) at parallelism 2, with checkpoints every second and
// RocksDB state (q4 and q11 also with heap state, q9 with heap only),
// compared row for row (as a multiset) with the single-threaded reference in
// bench/nexmark/reference.ts.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobStatusView } from '@weir/protocol';
import {
  ACTIVE_PEOPLE,
  AVERAGE_SIZE,
  DEFAULT_NEXMARK_CONFIG,
  eventKind,
  eventSize,
  eventTime,
  IN_FLIGHT_AUCTIONS,
  nexmarkEvent,
  US_STATES,
  type NexmarkConfig,
  type NexmarkEvent,
} from '../bench/nexmark/generator.ts';
import { generateEvents, REFERENCE, VARIANTS, type QueryName } from '../bench/nexmark/reference.ts';
import { logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { readJsonLines } from './helpers/outputs.ts';

describe('nexmark generator', () => {
  it('gives the same event for the same number, in any order and after any other call', () => {
    const forward = Array.from({ length: 2000 }, (_, n) => nexmarkEvent(n));
    const backward = Array.from({ length: 2000 }, (_, i) => nexmarkEvent(1999 - i)).reverse();
    expect(backward).toEqual(forward);
    expect(nexmarkEvent(123_456_789)).toEqual(nexmarkEvent(123_456_789));
    // Different numbers give different random choices.
    const bids = forward.filter((e) => e.type === 'bid');
    expect(new Set(bids.map((b) => b.price)).size).toBeGreaterThan(bids.length * 0.9);
  });

  it('makes 2% persons, 6% auctions and 92% bids, by event number mod 50', () => {
    const counts = { person: 0, auction: 0, bid: 0 };
    for (let n = 0; n < 50_000; n++) {
      const e = nexmarkEvent(n);
      if (e.type !== eventKind(n)) throw new Error(`event ${n} is a ${e.type}, eventKind says ${eventKind(n)}`);
      counts[e.type]++;
    }
    expect(counts).toEqual({ person: 1000, auction: 3000, bid: 46_000 });
    expect([0, 1, 2, 3, 4, 49, 50].map(eventKind)).toEqual(['person', 'auction', 'auction', 'auction', 'bid', 'bid', 'person']);
  });

  it('spaces event time by the rate: baseTime + floor(n * 1e6 / rate) µs, in whole ms', () => {
    const base = DEFAULT_NEXMARK_CONFIG.baseTime;
    expect(eventTime(12_345, DEFAULT_NEXMARK_CONFIG)).toBe(base + 1234);
    expect(eventTime(1, { baseTime: 0, rate: 3 })).toBe(333);
    expect(eventTime(3, { baseTime: 0, rate: 3 })).toBe(1000);
    expect(eventTime(7, { baseTime: 5, rate: 1000 })).toBe(12);
    const slow: NexmarkConfig = { baseTime: base, rate: 250 };
    for (const n of [0, 1, 4, 49, 50, 9_999, 1_000_003]) expect(nexmarkEvent(n, slow).dateTime).toBe(base + Math.floor(Math.floor((n * 1e6) / 250) / 1000));
    // The rate changes time only, not the random choices.
    const a = nexmarkEvent(4321, slow);
    const b = nexmarkEvent(4321);
    expect({ ...a, dateTime: 0 }).toEqual({ ...b, dateTime: 0 });
  });

  it('derives ids from the event number and refers only to earlier people and auctions, with hot auctions and bidders', () => {
    const events = generateEvents(100_000, DEFAULT_NEXMARK_CONFIG);
    const wrong: string[] = [];
    const check = (ok: boolean, n: number, what: string): void => {
      if (!ok && wrong.length < 10) wrong.push(`event ${n}: ${what}: ${JSON.stringify(events[n])}`);
    };
    let hotAuctions = 0;
    let hotBidders = 0;
    let bids = 0;
    const persons = new Map<number, NexmarkEvent>();
    const auctions = new Map<number, NexmarkEvent>();
    events.forEach((e, n) => {
      const epoch = Math.floor(n / 50);
      if (e.type === 'person') {
        check(e.id === 1000 + epoch, n, 'person id');
        check((US_STATES as readonly string[]).includes(e.state), n, 'state');
        persons.set(e.id, e);
      } else if (e.type === 'auction') {
        check(e.id === 1000 + 3 * epoch + (n % 50) - 1, n, 'auction id');
        check(e.category >= 10 && e.category <= 14, n, 'category');
        check(e.expires > e.dateTime && e.reserve > e.initialBid, n, 'expiry and reserve');
        check(persons.has(e.seller), n, 'seller registered before');
        auctions.set(e.id, e);
      } else {
        bids++;
        const latestAuction = 1000 + 3 * epoch + 2;
        check((auctions.get(e.auction)?.dateTime ?? Infinity) <= e.dateTime, n, 'auction opened before');
        check(e.auction >= latestAuction - IN_FLIGHT_AUCTIONS - 100, n, 'a recent auction');
        check((persons.get(e.bidder)?.dateTime ?? Infinity) <= e.dateTime, n, 'bidder registered before');
        check(e.bidder >= 1000 + epoch - ACTIVE_PEOPLE - 100, n, 'a recent bidder');
        check(e.price >= 100 && e.price <= 100_000_000, n, 'price');
        if (e.auction === 1000 + Math.floor((latestAuction - 1000) / 100) * 100) hotAuctions++;
        if (e.bidder === 1000 + Math.floor(epoch / 100) * 100) hotBidders++;
      }
    });
    expect(wrong).toEqual([]);
    expect(persons.size + auctions.size + bids).toBe(100_000);
    // Hot half the time (plus the odd random pick of the same id), hot bidders 3 in 4.
    expect(hotAuctions / bids).toBeGreaterThan(0.49);
    expect(hotAuctions / bids).toBeLessThan(0.53);
    expect(hotBidders / bids).toBeGreaterThan(0.74);
    expect(hotBidders / bids).toBeLessThan(0.77);
  });

  it('pads events to about 200 B (person), 500 B (auction) and 100 B (bid)', () => {
    const sizes: Record<NexmarkEvent['type'], number[]> = { person: [], auction: [], bid: [] };
    for (let n = 0; n < 50_000; n++) {
      const e = nexmarkEvent(n);
      sizes[e.type].push(eventSize(e));
    }
    for (const kind of ['person', 'auction', 'bid'] as const) {
      const mean = sizes[kind].reduce((s, x) => s + x, 0) / sizes[kind].length;
      expect(Math.abs(mean - AVERAGE_SIZE[kind]) / AVERAGE_SIZE[kind], kind).toBeLessThan(0.02);
      expect(Math.min(...sizes[kind]), kind).toBeGreaterThan(AVERAGE_SIZE[kind] * 0.75);
      expect(Math.max(...sizes[kind]), kind).toBeLessThan(AVERAGE_SIZE[kind] * 1.25);
    }
  });
});

// Canonical text of a row (keys sorted), so rows compare as values.
function canonical(row: unknown): string {
  return JSON.stringify(row, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))) : value,
  );
}

/** Rows of `actual` not in `expected` and the other way round, as multisets (a few of each). */
function multisetDiff(actual: unknown[], expected: unknown[]): { missing: string[]; unexpected: string[] } {
  const counts = new Map<string, number>();
  for (const row of expected) counts.set(canonical(row), (counts.get(canonical(row)) ?? 0) + 1);
  const unexpected: string[] = [];
  for (const row of actual) {
    const key = canonical(row);
    const left = counts.get(key) ?? 0;
    if (left === 0) unexpected.push(key);
    else counts.set(key, left - 1);
  }
  const missing = [...counts].flatMap(([key, n]) => Array<string>(n).fill(key));
  return { missing: missing.slice(0, 5), unexpected: unexpected.slice(0, 5) };
}

/**
 * Per query: how many events, the event-time rate (low enough that the 10 s
 * windows see many windows and sessions), the state backend, and the fewest
 * rows the reference must give for the comparison to mean something.
 */
const CASES: { query: QueryName | keyof typeof VARIANTS; events: number; eventRate: number; state: 'rocksdb' | 'heap'; minRows: number }[] = [
  { query: 'q0', events: 50_000, eventRate: 10_000, state: 'rocksdb', minRows: 45_000 },
  { query: 'q1', events: 50_000, eventRate: 10_000, state: 'rocksdb', minRows: 45_000 },
  { query: 'q2', events: 100_000, eventRate: 10_000, state: 'rocksdb', minRows: 300 },
  { query: 'q3', events: 50_000, eventRate: 10_000, state: 'rocksdb', minRows: 400 },
  { query: 'q3-union', events: 50_000, eventRate: 10_000, state: 'rocksdb', minRows: 400 },
  { query: 'q4', events: 100_000, eventRate: 1_000, state: 'rocksdb', minRows: 5_000 },
  { query: 'q4', events: 100_000, eventRate: 1_000, state: 'heap', minRows: 5_000 },
  { query: 'q5', events: 120_000, eventRate: 300, state: 'rocksdb', minRows: 200 },
  { query: 'q6', events: 50_000, eventRate: 10_000, state: 'rocksdb', minRows: 1_500 },
  { query: 'q7', events: 120_000, eventRate: 200, state: 'rocksdb', minRows: 60 },
  { query: 'q8', events: 60_000, eventRate: 500, state: 'rocksdb', minRows: 120 },
  { query: 'q8-union', events: 60_000, eventRate: 500, state: 'rocksdb', minRows: 120 },
  { query: 'q9', events: 50_000, eventRate: 10_000, state: 'heap', minRows: 1_500 },
  { query: 'q11', events: 120_000, eventRate: 500, state: 'rocksdb', minRows: 3_000 },
  { query: 'q11', events: 120_000, eventRate: 500, state: 'heap', minRows: 3_000 },
];

describe('nexmark queries at parallelism 2 on two workers', () => {
  let cluster: TestCluster;
  let work: string;

  beforeAll(async () => {
    cluster = await startCluster({ workers: 2, slots: 4 });
    work = await mkdtemp(join(tmpdir(), 'weir-nexmark-'));
  }, 120_000);

  logOnFailure(() => cluster);

  afterAll(async () => {
    await cluster?.stop();
  });

  for (const { query, events, eventRate, state, minRows } of CASES) {
    it(`${query} (${state}) gives the reference's rows over ${events.toLocaleString('en-US')} events`, async () => {
      const output = join(work, `${query}-${state}`);
      const args = ['--events', String(events), '--event-rate', String(eventRate), '--state', state, '--output', output, '--checkpoint-interval', '1000'];
      // Without -d, `weir run` waits for the job's end and prints its final status.
      const run = await cluster.run(['run', `bench/nexmark/${query}.ts`, '-p', '2', '--json', '--', ...args]);
      expect(run.code, run.stderr).toBe(0);
      const end = JSON.parse(run.stdout) as JobStatusView;
      expect(end.status, end.error ?? '').toBe('FINISHED');
      expect(end.restarts).toBe(0);
      // Both workers ran subtasks.
      expect(new Set(end.vertices.flatMap((v) => v.subtasks.map((s) => s.workerId))).size).toBe(2);

      const expected = REFERENCE[VARIANTS[query] ?? (query as QueryName)](generateEvents(events, { ...DEFAULT_NEXMARK_CONFIG, rate: eventRate }));
      expect(expected.length).toBeGreaterThanOrEqual(minRows);
      const actual = await readJsonLines<unknown>(output);
      expect(multisetDiff(actual, expected)).toEqual({ missing: [], unexpected: [] });
      expect(actual).toHaveLength(expected.length);
    });
  }
});
