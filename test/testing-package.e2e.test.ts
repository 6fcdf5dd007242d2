// @weir/testing as a user's test would use it: a MiniCluster, a keyed-count
// job over collection sources with checkpoints, its output collected back,
// a worker SIGKILLed in the middle, and the output checked to be exactly once
// against counts computed here without Weir.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MiniCluster } from '@weir/testing';

const JOB = new URL('./fixtures/collection-counts-job.ts', import.meta.url);

let cluster: MiniCluster;

beforeAll(async () => {
  cluster = await MiniCluster.start({ workers: 2, slots: 4 });
});

beforeEach((context) => {
  context.onTestFailed(() => {
    process.stderr.write(`--- cluster output (tail) ---\n${cluster?.log() ?? ''}\n`);
  });
});

afterAll(async () => {
  await cluster?.close();
});

/** Keys in a fixed pseudo-random order, `count` of them over `keys` distinct keys. */
function keysOf(count: number, keys: number): string[] {
  return Array.from({ length: count }, (_, i) => `k${(i * 7919 + (i >> 3)) % keys}`);
}

/** How often each key occurs: the expected final counts. */
function occurrences(elements: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of elements) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

/** Problems with keyed-count output: each key's updates must be exactly 1..expected, each once. */
function exactlyOnceProblems(records: readonly { key: string; count: number }[], expected: Map<string, number>): string[] {
  const updates = new Map<string, number[]>();
  for (const r of records) updates.set(r.key, [...(updates.get(r.key) ?? []), r.count]);
  const problems: string[] = [];
  for (const [key, total] of expected) {
    const counts = (updates.get(key) ?? []).sort((a, b) => a - b);
    if (counts.length !== total || counts.some((c, i) => c !== i + 1)) problems.push(`${key}: expected 1..${total} once each, got ${counts.length} updates up to ${counts.at(-1) ?? 0}`);
  }
  for (const key of updates.keys()) if (!expected.has(key)) problems.push(`unexpected key ${key}`);
  return problems;
}

describe('@weir/testing', () => {
  it('runs a job over collection sources and collects its output', async () => {
    const elements = keysOf(2_000, 7);
    const { status, output } = await cluster.run<{ key: string; count: number }>(JOB, {
      parallelism: 2,
      args: ['--elements', JSON.stringify(elements)],
      outputFlag: '--output',
    });
    expect(status.status).toBe('FINISHED');
    expect(output).toHaveLength(elements.length);
    expect(exactlyOnceProblems(output, occurrences(elements))).toEqual([]);
  });

  it('keeps the output exactly once when a worker is SIGKILLed mid-run', async () => {
    const elements = keysOf(40_000, 13);
    const job = await cluster.submit(JOB, {
      parallelism: 2,
      args: ['--elements', JSON.stringify(elements), '--pause-every', '4'],
      outputFlag: '--output',
    });
    await job.waitForRunning();
    await job.waitForCheckpoint({ count: 2 });
    const before = await job.status();
    expect(before.status, 'the job must still run when the worker is killed').toBe('RUNNING');
    const counted = before.vertices.at(-1)!.subtasks.reduce((n, s) => n + s.recordsIn, 0);
    expect(counted, 'the kill must land in the middle of the input').toBeLessThan(elements.length);

    const victim = await cluster.killWorker({ jobId: job.jobId });
    const view = await job.waitForFinish();
    expect(view.restarts).toBeGreaterThanOrEqual(1);
    expect(view.error).toMatch(/worker .* was lost|lost the data connection/);
    expect(view.vertices.flatMap((v) => v.subtasks.map((s) => s.workerId))).not.toContain(victim.workerId);

    const output = await job.output<{ key: string; count: number }>();
    expect(exactlyOnceProblems(output, occurrences(elements))).toEqual([]);
    expect(output).toHaveLength(elements.length);

    await cluster.restartWorker(victim.index);
    expect(await cluster.waitForWorkers(2)).toHaveLength(2);
  });
});
