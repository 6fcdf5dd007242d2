import { type OperatorDescriptor } from '@weir/common';
import { describe, expect, it } from 'vitest';
import type { OperatorContext } from '../runtime/operator.ts';
import { UserFunctionError } from '../runtime/user-function-error.ts';
import { generatorSource } from './generator-source.ts';
import { testOperatorContext } from '../testing/operator-context.ts';

const OPERATOR_ID = 'source-generator-0';

function context(fn: (i: number) => unknown, config: { count: number | null; ratePerSecond: number | null }, subtaskIndex: number, parallelism: number): OperatorContext {
  const descriptor: OperatorDescriptor = { id: OPERATOR_ID, name: 'Generator', kind: 'source.generator', fn: `${OPERATOR_ID}/fn`, config };
  return testOperatorContext({ descriptor, fn, subtaskIndex, parallelism });
}

/** Runs subtask k of p to exhaustion, returning what it emitted and how many batches that took. */
async function drain(count: number, k: number, p: number, max = 512): Promise<{ records: unknown[]; batches: number }> {
  const records: unknown[] = [];
  const source = generatorSource(context((i) => i, { count, ratePerSecond: null }, k, p), (r) => records.push(r));
  await source.open?.();
  let batches = 0;
  for (;;) {
    batches++;
    if (batches > 100_000) throw new Error('the generator never finished');
    const before = records.length;
    const more = await source.emitBatch(max);
    expect(records.length - before).toBeLessThanOrEqual(max);
    if (!more) break;
  }
  return { records, batches };
}

describe('generatorSource', () => {
  it.each([
    [10, 1],
    [10, 3],
    [9, 3],
    [1000, 4],
    [5, 8],
    [0, 2],
    [1, 1],
  ])('count %i over parallelism %i: subtask k emits exactly the indices i < count with i mod p = k', async (count, p) => {
    const all: number[] = [];
    for (let k = 0; k < p; k++) {
      const { records } = await drain(count, k, p, 7);
      const expected: number[] = [];
      for (let i = k; i < count; i += p) expected.push(i);
      expect(records, `subtask ${k}`).toEqual(expected);
      all.push(...(records as number[]));
    }
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
  });

  it('emits fn(i), not i', async () => {
    const records: unknown[] = [];
    const source = generatorSource(context((i) => ({ key: `k${i % 2}`, i }), { count: 4, ratePerSecond: null }, 1, 2), (r) => records.push(r));
    await source.open?.();
    while (await source.emitBatch(100));
    expect(records).toEqual([
      { key: 'k1', i: 1 },
      { key: 'k1', i: 3 },
    ]);
  });

  it('reports exhaustion in the batch that emits the last record', async () => {
    // 6 indices for subtask 0 of 1, batches of 3: the second batch ends the source.
    const { records, batches } = await drain(6, 0, 1, 3);
    expect(records).toHaveLength(6);
    expect(batches).toBe(2);
  });

  it('emits at most `max` records per batch and is unbounded without a count', async () => {
    const records: unknown[] = [];
    const source = generatorSource(context((i) => i, { count: null, ratePerSecond: null }, 2, 3), (r) => records.push(r));
    await source.open?.();
    for (let b = 0; b < 10; b++) expect(await source.emitBatch(100)).toBe(true);
    expect(records).toHaveLength(1000);
    expect(records.at(-1)).toBe(2 + 999 * 3);
  });

  it('wraps an error of the user function, naming the operator and subtask', async () => {
    const source = generatorSource(
      context((i) => {
        if (i === 4) throw new Error('boom at 4');
        return i;
      }, { count: 10, ratePerSecond: null }, 0, 2),
      () => {},
    );
    await source.open?.();
    const error = await Promise.resolve(source.emitBatch(100)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserFunctionError);
    expect((error as Error).message).toBe(`user function of operator 'Generator' (${OPERATOR_ID}), subtask 0, threw: boom at 4`);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('roughly honours ratePerSecond, split over the subtasks', async () => {
    // 400 records/s over 2 subtasks = 200/s for this subtask; run it for ~500 ms.
    const records: unknown[] = [];
    const source = generatorSource(context((i) => i, { count: null, ratePerSecond: 400 }, 1, 2), (r) => records.push(r));
    await source.open?.();
    const started = performance.now();
    while (performance.now() - started < 500) {
      expect(await source.emitBatch(512)).toBe(true);
    }
    const elapsedSeconds = (performance.now() - started) / 1000;
    const expected = 200 * elapsedSeconds;
    expect(records.length).toBeLessThanOrEqual(expected + 5);
    expect(records.length).toBeGreaterThanOrEqual(expected * 0.5);
    expect(records.slice(0, 3)).toEqual([1, 3, 5]);
  });

  it('with a rate and a count, still stops at the count', async () => {
    const records: unknown[] = [];
    const source = generatorSource(context((i) => i, { count: 20, ratePerSecond: 1000 }, 0, 1), (r) => records.push(r));
    await source.open?.();
    const started = performance.now();
    while (await source.emitBatch(512)) {
      if (performance.now() - started > 5000) throw new Error('the rate-limited generator never finished');
    }
    expect(records).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // 20 records at 1000/s take at least ~20 ms
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });
});
