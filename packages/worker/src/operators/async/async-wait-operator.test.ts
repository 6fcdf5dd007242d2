import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncRetryDelayMs, type AsyncFunction, type AsyncWaitSpec, type OperatorDescriptor } from '@weir/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChainedOperator } from '../../runtime/operator.ts';
import { UserFunctionError } from '../../runtime/user-function-error.ts';
import { testOperatorContext } from '../../testing/operator-context.ts';
import { asyncWaitOperator } from './async-wait-operator.ts';

type Event = string | { watermark: number };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weir-async-wait-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Drives the operator as a StreamTask does: records, endBatch per batch, endBatch when woken, watermarks through it. */
class Harness {
  readonly events: Event[] = [];
  readonly timestamps: number[] = [];
  readonly counters = new Map<string, number>();
  readonly watermarks: number[] = [];
  readonly op: ChainedOperator;
  readonly ctx: ReturnType<typeof testOperatorContext>;
  private woken = false;

  constructor(spec: Partial<AsyncWaitSpec>, fn: AsyncFunction<string, string>, options: { functions?: Record<string, unknown>; onError?: string; restoredState?: unknown[] } = {}) {
    const descriptor: OperatorDescriptor = {
      id: 'lookup',
      name: 'Lookup',
      kind: 'async.wait',
      fn: 'lookup/fn',
      config: { asyncWait: { mode: 'unordered', timeoutMs: 5000, capacity: 100, ...spec }, ...(options.onError ? { onError: options.onError } : {}) },
    };
    this.ctx = testOperatorContext({
      descriptor,
      fn,
      functions: options.functions,
      counters: this.counters,
      deadLetterDir: dir,
      restoredState: options.restoredState,
      wakeTask: () => (this.woken = true),
      watermarks: this.watermarks,
    });
    const watermarks = this.watermarks;
    const push = watermarks.push.bind(watermarks);
    // A released watermark is an event in the output, in its place among the records.
    watermarks.push = (...w: number[]) => {
      for (const watermark of w) this.events.push({ watermark });
      return push(...w);
    };
    this.op = asyncWaitOperator(this.ctx, (record) => {
      this.events.push(record as string);
      this.timestamps.push(this.ctx.time.timestamp);
    });
  }

  /** One input batch: each record with its timestamp, then endBatch. */
  async batch(records: string[], timestamp = Number.NaN): Promise<void> {
    for (const record of records) {
      this.ctx.time.timestamp = timestamp;
      this.op.process(record);
    }
    await this.op.endBatch!();
  }

  /** Runs endBatch whenever the operator woke the task, until `done` holds. */
  async until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
    const started = Date.now();
    while (!done()) {
      if (Date.now() - started > timeoutMs) throw new Error(`condition not met after ${timeoutMs} ms; output: ${JSON.stringify(this.events)}`);
      if (this.woken) {
        this.woken = false;
        await this.op.endBatch!();
      } else await delay(1);
    }
  }

  records(): string[] {
    return this.events.filter((e): e is string => typeof e === 'string');
  }
}

const echoAfter = (ms: (r: string) => number): AsyncFunction<string, string> => async (r) => {
  await delay(ms(r));
  return `${r}!`;
};

describe('async wait operator', () => {
  it('ordered: emits in input order, watermarks in their place', async () => {
    const h = new Harness({ mode: 'ordered' }, echoAfter((r) => (r === 'a' ? 60 : r === 'b' ? 5 : 20)));
    await h.batch(['a', 'b']);
    h.op.processWatermark!(10);
    await h.batch(['c']);
    await h.until(() => h.records().length === 3);
    await h.op.finish!();
    expect(h.events).toEqual(['a!', 'b!', { watermark: 10 }, 'c!']);
  });

  it('unordered: emits as results complete, never across a watermark', async () => {
    const h = new Harness({ mode: 'unordered' }, echoAfter((r) => (r === 'slow' ? 80 : 1)));
    await h.batch(['slow', 'fast1']);
    h.op.processWatermark!(100);
    await h.batch(['fast2']);
    await h.until(() => h.records().includes('fast1!'));
    // fast2 completed long before slow, but a watermark is between them.
    await delay(20);
    await h.op.endBatch!();
    expect(h.events).toEqual(['fast1!']);
    await h.until(() => h.records().length === 3);
    expect(h.events).toEqual(['fast1!', 'slow!', { watermark: 100 }, 'fast2!']);
  });

  it('a watermark with nothing before it goes at once; results carry their record\'s timestamp', async () => {
    const h = new Harness({}, echoAfter(() => 1));
    h.op.processWatermark!(5);
    expect(h.events).toEqual([{ watermark: 5 }]);
    await h.batch(['x'], 42);
    await h.until(() => h.records().length === 1);
    expect(h.timestamps).toEqual([42]);
  });

  it('keeps at most `capacity` calls in flight, and endBatch returns only once the batch is called', async () => {
    let inFlight = 0;
    let most = 0;
    let started = 0;
    const h = new Harness({ capacity: 3 }, async (r) => {
      started++;
      most = Math.max(most, ++inFlight);
      await delay(5);
      inFlight--;
      return r;
    });
    const records = Array.from({ length: 20 }, (_, i) => `r${i}`);
    await h.batch(records);
    // Every record of the batch has been called (17 of them after others completed), none more than 3 at a time.
    expect(started).toBe(20);
    expect(most).toBe(3);
    await h.op.finish!();
    expect(h.records().sort()).toEqual([...records].sort());
  });

  it('a zero-or-many result: arrays are many, undefined none', async () => {
    const h = new Harness({ mode: 'ordered' }, async (r) => (r === 'none' ? undefined : r === 'two' ? ['t1', 't2'] : r));
    await h.batch(['one', 'none', 'two']);
    await h.op.finish!();
    expect(h.events).toEqual(['one', 't1', 't2']);
  });

  it('a timed-out record gets the timeout handler\'s result', async () => {
    const h = new Harness({ timeoutMs: 30 }, async (r, ctx) => {
      if (r === 'hang') await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      return r;
    }, { functions: { timeout: (r: string) => `fallback(${r})` } });
    await h.batch(['ok', 'hang']);
    await h.op.finish!();
    expect(h.records().sort()).toEqual(['fallback(hang)', 'ok']);
    expect(h.counters.get('asyncTimeouts')).toBe(1);
  });

  it('without a handler a timed-out record is a dead letter under onError(dead-letter)', async () => {
    const h = new Harness({ timeoutMs: 30 }, async (r) => {
      if (r === 'hang') await delay(500);
      return r;
    }, { onError: 'dead-letter' });
    await h.op.open!();
    await h.batch(['ok', 'hang']);
    await h.op.finish!();
    h.ctx.deadLetters.flush();
    await h.ctx.deadLetters.close();
    expect(h.records()).toEqual(['ok']);
    const files = await readdir(dir);
    const letters = (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('').trim().split('\n').map((l) => JSON.parse(l) as { raw: string; reason: string });
    expect(letters).toMatchObject([{ raw: 'hang', reason: 'async call timed out after 30 ms' }]);
  });

  it("without a handler or dead letters a timed-out record fails the task", async () => {
    const h = new Harness({ timeoutMs: 20 }, async () => {
      await delay(500);
      return 'late';
    });
    await h.batch(['x']);
    const failure = await Promise.resolve(h.op.finish!()).then(() => undefined, (e: unknown) => e);
    expect(failure).toBeInstanceOf(UserFunctionError);
    expect((failure as Error).message).toMatch(/operator 'Lookup' \(lookup\), subtask 0, threw: async call timed out after 20 ms \(1 attempt\)/);
  });

  it('retries a rejected call under the retry strategy, then succeeds', async () => {
    const attempts = new Map<string, number>();
    const h = new Harness({ retry: { maxAttempts: 3, initialDelayMs: 5, multiplier: 2, maxDelayMs: 50 } }, async (r, ctx) => {
      attempts.set(r, ctx.attempt);
      if (ctx.attempt < 3) throw new Error(`busy (${ctx.attempt})`);
      return r;
    });
    await h.batch(['a', 'b']);
    await h.op.finish!();
    expect(h.records().sort()).toEqual(['a', 'b']);
    expect(attempts).toEqual(new Map([['a', 3], ['b', 3]]));
    expect(h.counters.get('asyncRetries')).toBe(4);
  });

  it('gives up after maxAttempts, and does not retry what retryIf refuses', async () => {
    let calls = 0;
    const h = new Harness({ retry: { maxAttempts: 2, initialDelayMs: 1, multiplier: 1, maxDelayMs: 1 } }, async (r) => {
      calls++;
      throw new Error(r === 'fatal' ? 'fatal' : 'busy');
    }, { onError: 'dead-letter', functions: { retryIf: (e: Error) => e.message === 'busy' } });
    await h.op.open!();
    await h.batch(['x', 'fatal']);
    await h.op.finish!();
    expect(calls).toBe(3);
    expect(h.ctx.deadLetters.count).toBe(2);
    await h.ctx.deadLetters.close();
  });

  it('exponential backoff delays grow to their bound', () => {
    const spec = { maxAttempts: 10, initialDelayMs: 10, multiplier: 2, maxDelayMs: 50 };
    expect([1, 2, 3, 4, 5].map((n) => asyncRetryDelayMs(spec, n))).toEqual([10, 20, 40, 50, 50]);
  });

  it('a checkpoint keeps the records in flight, and a restore calls them again', async () => {
    const release: (() => void)[] = [];
    const h = new Harness({ mode: 'ordered' }, async (r) => {
      if (r !== 'a') await new Promise<void>((resolve) => release.push(resolve));
      return r;
    });
    h.ctx.time.timestamp = 7;
    await h.batch(['a', 'b', 'c'], 7);
    await h.until(() => h.records().length === 1);
    const state = await h.op.snapshotState!(1);
    expect(state).toEqual([{ asyncInput: 'b', timestamp: 7 }, { asyncInput: 'c', timestamp: 7 }]);
    h.op.close!();

    const restored = new Harness({ mode: 'ordered' }, async (r) => `${r}'`, { restoredState: state });
    await restored.op.open!();
    await restored.until(() => restored.records().length === 2);
    expect(restored.events).toEqual(["b'", "c'"]);
    expect(restored.timestamps).toEqual([7, 7]);
  });
});
