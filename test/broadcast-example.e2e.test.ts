// examples/broadcast-enrichment.ts as the README runs it: every purchase is
// written once, with the discount of the table version in force when its
// subtask processed it (or none before the first version), and each user's
// total is the sum of what the user paid.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { readJsonLines } from './helpers/outputs.ts';

let cluster: TestCluster;
let work: string;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 4 });
  work = await mkdtemp(join(tmpdir(), 'weir-broadcast-example-'));
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});

// The example's generators, computed here independently of the job.
const CATEGORIES = ['books', 'games', 'music', 'garden'];
const purchase = (i: number) => ({ user: `u${i % 97}`, category: CATEGORIES[(i * 7) % CATEGORIES.length]!, price: 5 + (i % 40) });
const percentOf = (version: number, category: string): number => {
  const i = version * CATEGORIES.length + CATEGORIES.indexOf(category);
  return (version * 5 + i * 3) % 30;
};

interface Enriched {
  user: string;
  category: string;
  price: number;
  discount: number;
  version: number | null;
  paid: number;
}

describe('examples/broadcast-enrichment.ts', () => {
  it('enriches every purchase once with a version of the discount table and totals each user', async () => {
    const events = 6_000;
    const versions = 3;
    const output = join(work, 'enriched');
    const run = await cluster.run(['run', 'examples/broadcast-enrichment.ts', '-p', '2', '--', '--events', String(events), '--rate', '1000', '--versions', String(versions), '--output', output]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const records = await readJsonLines<Enriched | { user: string; spent: number }>(output);
    const enriched = records.filter((r): r is Enriched => 'category' in r);
    expect(enriched.map((r) => JSON.stringify({ user: r.user, category: r.category, price: r.price })).sort()).toEqual(
      Array.from({ length: events }, (_, i) => JSON.stringify(purchase(i))).sort(),
    );
    for (const r of enriched) {
      expect(r.discount).toBe(r.version === null ? 0 : percentOf(r.version, r.category));
      expect(r.paid).toBe(Math.round(r.price * (100 - r.discount)) / 100);
    }
    // The table changed while purchases flowed: several versions were applied.
    expect(new Set(enriched.map((r) => r.version)).size).toBeGreaterThanOrEqual(2);
    const paidBy = new Map<string, number>();
    for (const r of enriched) paidBy.set(r.user, (paidBy.get(r.user) ?? 0) + r.paid);
    const totals = records.filter((r): r is { user: string; spent: number } => 'spent' in r);
    expect(totals.map((t) => t.user).sort()).toEqual([...paidBy.keys()].sort());
    for (const t of totals) expect(Math.abs(t.spent - paidBy.get(t.user)!)).toBeLessThan(0.02);
  }, 120_000);
});
