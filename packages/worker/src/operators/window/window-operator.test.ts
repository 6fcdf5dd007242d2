import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyGroupRangeForSubtask, type AggregateFunction, type OperatorDescriptor, type TimeDomain } from '@weir/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChainedOperator, OperatorContext } from '../../runtime/operator.ts';
import { HeapKeyedStateBackend } from '../../state-backends/heap-keyed-state-backend.ts';
import { UserFunctionError } from '../../runtime/user-function-error.ts';
import { restartKeyedOperator } from '../../testing/keyed-operator-restart.ts';
import { testOperatorContext } from '../../testing/operator-context.ts';
import { windowOperator } from './window-operator.ts';

interface Event {
  key: string;
  value: number;
}

interface TimeWindowView {
  start: number;
  end: number;
  maxTimestamp: number;
}

type ProcessFn = (key: unknown, context: { window: TimeWindowView; currentWatermark: number }, elements: unknown[], out: { collect(r: unknown): void }) => void;

interface HarnessOptions {
  assigner: Record<string, unknown>;
  trigger?: Record<string, unknown>;
  allowedLatenessMs?: number;
  lateTag?: string | null;
  fn: { reduce?: (a: Event, b: Event) => Event; aggregate?: AggregateFunction<Event, unknown, unknown>; process?: ProcessFn };
}

const range = keyGroupRangeForSubtask(0, 1, 128);

/**
 * Drives one window operator as a StreamTask does: sets each record's
 * timestamp, advances the watermark and fires due timers (with the timer's
 * time as the record time), and moves a fake processing-time clock.
 */
class Harness {
  readonly output: { value: unknown; timestamp: number }[] = [];
  readonly sideOutputs = new Map<string, unknown[]>();
  readonly counters = new Map<string, number>();
  readonly ctx: OperatorContext;
  state: HeapKeyedStateBackend;
  op: ChainedOperator;
  now = 1_000_000;
  private readonly options: HarnessOptions;

  constructor(options: HarnessOptions) {
    this.options = options;
    const descriptor: OperatorDescriptor = {
      id: 'window-1',
      name: 'Window',
      kind: 'keyed.window',
      fn: 'window-1/fn',
      config: {
        assigner: options.assigner,
        trigger: options.trigger ?? { kind: String(options.assigner.kind).includes('processing') ? 'processing-time' : 'event-time', purge: false },
        allowedLatenessMs: options.allowedLatenessMs ?? 0,
        lateTag: options.lateTag ?? null,
      },
    };
    this.ctx = testOperatorContext({
      descriptor,
      fn: options.fn,
      keySelector: (record) => (record as Event).key,
      sideOutputs: this.sideOutputs,
      counters: this.counters,
    });
    this.state = new HeapKeyedStateBackend(range, 128);
    this.op = this.build();
  }

  private build(): ChainedOperator {
    return windowOperator(this.ctx, (value) => this.output.push({ value, timestamp: this.ctx.time.timestamp }), this.state, { clock: () => this.now });
  }

  element(key: string, value: number, timestamp = Number.NaN): void {
    this.ctx.time.timestamp = timestamp;
    this.op.process({ key, value });
  }

  watermark(watermark: number): void {
    this.op.timers!.service.watermark = watermark;
    this.fire('event-time', watermark);
  }

  advanceClock(to: number): void {
    this.now = to;
    this.fire('processing-time', to);
  }

  private fire(domain: TimeDomain, time: number): void {
    const timers = this.op.timers!;
    for (const entry of timers.service.takeDue(domain, time)) {
      const timer = timers.service.claim(domain, entry);
      if (!timer) continue;
      this.ctx.time.timestamp = domain === 'event-time' ? timer.timestamp : Number.NaN;
      timers.fire(timer);
    }
  }

  /** Checkpoints the keyed state and restores it into a new backend and a new operator, as a restarted task does. */
  async restart(directory: string, between?: () => void): Promise<void> {
    // As StreamTask.checkpoint: the operator's snapshotState, then the backend's snapshot, written while records flow.
    this.op.snapshotState?.(1);
    ({ state: this.state, op: this.op } = await restartKeyedOperator(this.state, range, directory, (state) => ((this.state = state), this.build()), between));
  }

  take(): { value: unknown; timestamp: number }[] {
    return this.output.splice(0);
  }
}

const sum = (a: Event, b: Event): Event => ({ key: a.key, value: a.value + b.value });

const average: AggregateFunction<Event, { sum: number; n: number }, number> = {
  createAccumulator: () => ({ sum: 0, n: 0 }),
  add: (event, acc) => {
    // Changed in place, as the API allows: the stored accumulator must not change.
    acc.sum += event.value;
    acc.n++;
    return acc;
  },
  getResult: (acc) => acc.sum / acc.n,
  merge: (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
};

const describeWindow: ProcessFn = (key, context, elements, out) => {
  out.collect({ key, start: context.window.start, end: context.window.end, values: (elements as Event[]).map((e) => e.value).sort((a, b) => a - b) });
};

describe('window operator: event-time tumbling windows', () => {
  it('fires each window once the watermark passes its end, with in-order and out-of-order records, stamped with maxTimestamp', () => {
    const h = new Harness({ assigner: { kind: 'tumbling-event-time', sizeMs: 10, offsetMs: 0 }, fn: { reduce: sum } });
    h.element('a', 1, 3);
    h.element('a', 2, 12);
    h.element('b', 5, 7);
    h.element('a', 4, 9); // out of order, same window as the first
    h.element('a', 8, 9); // equal timestamp
    h.watermark(8);
    expect(h.take()).toEqual([]);
    h.watermark(9);
    expect(h.take()).toEqual([
      { value: { key: 'a', value: 13 }, timestamp: 9 },
      { value: { key: 'b', value: 5 }, timestamp: 9 },
    ]);
    h.element('a', 16, 19);
    h.watermark(Number.POSITIVE_INFINITY);
    expect(h.take()).toEqual([{ value: { key: 'a', value: 18 }, timestamp: 19 }]);
    expect(h.counters.get('lateRecordsDropped')).toBeUndefined();
  });

  it('handles negative timestamps and offsets', () => {
    const h = new Harness({ assigner: { kind: 'tumbling-event-time', sizeMs: 10, offsetMs: 3 }, fn: { process: describeWindow } });
    h.element('a', 1, -1);
    h.element('a', 2, -7);
    h.element('a', 3, -8);
    h.element('a', 4, 3);
    h.watermark(Number.POSITIVE_INFINITY);
    expect(h.take().map((r) => r.value)).toEqual([
      { key: 'a', start: -17, end: -7, values: [3] },
      { key: 'a', start: -7, end: 3, values: [1, 2] },
      { key: 'a', start: 3, end: 13, values: [4] },
    ]);
  });

  it('drops records later than the allowed lateness to the side output and counts them', () => {
    const h = new Harness({ assigner: { kind: 'tumbling-event-time', sizeMs: 10 }, fn: { reduce: sum }, lateTag: 'late' });
    h.element('a', 1, 5);
    h.watermark(10);
    expect(h.take()).toEqual([{ value: { key: 'a', value: 1 }, timestamp: 9 }]);
    h.element('a', 2, 9); // window [0, 10) is gone
    h.element('a', 3, 10); // on time for [10, 20)
    expect(h.sideOutputs.get('late')).toEqual([{ key: 'a', value: 2 }]);
    expect(h.counters.get('lateRecordsDropped')).toBe(1);
    expect(h.take()).toEqual([]);
    h.watermark(Number.POSITIVE_INFINITY);
    expect(h.take()).toEqual([{ value: { key: 'a', value: 3 }, timestamp: 19 }]);
  });

  it('re-fires a window with the updated result for records within the allowed lateness, then cleans it up', () => {
    const h = new Harness({ assigner: { kind: 'tumbling-event-time', sizeMs: 10 }, allowedLatenessMs: 5, fn: { aggregate: average }, lateTag: 'late' });
    h.element('a', 10, 1);
    h.element('a', 20, 2);
    h.watermark(9);
    expect(h.take()).toEqual([{ value: 15, timestamp: 9 }]);
    h.element('a', 60, 8); // late, within lateness: fires again at once
    expect(h.take()).toEqual([{ value: 30, timestamp: 9 }]);
    h.watermark(13);
    h.element('a', 30, 0);
    expect(h.take()).toEqual([{ value: 30, timestamp: 9 }]);
    h.watermark(14); // cleanup time 9 + 5
    h.element('a', 1000, 3);
    expect(h.take()).toEqual([]);
    expect(h.sideOutputs.get('late')).toEqual([{ key: 'a', value: 1000 }]);
    expect(h.counters.get('lateRecordsDropped')).toBe(1);
    expect(h.state.table('window/contents').get('a')).toBeUndefined();
  });

  it('counts late records without a side output tag', () => {
    const h = new Harness({ assigner: { kind: 'tumbling-event-time', sizeMs: 10 }, fn: { reduce: sum } });
    h.watermark(100);
    h.element('a', 1, 50);
    h.element('b', 1, 99);
    expect(h.counters.get('lateRecordsDropped')).toBe(2);
    expect(h.take()).toEqual([]);
  });

  it('fails with a clear error for records without a timestamp', () => {
    const h = new Harness({ assigner: { kind: 'tumbling-event-time', sizeMs: 10 }, fn: { reduce: sum } });
    expect(() => h.element('a', 1)).toThrow(/without an event-time timestamp.*WatermarkStrategy/);
  });

  it('wraps errors of user functions', () => {
    const h = new Harness({
      assigner: { kind: 'tumbling-event-time', sizeMs: 10 },
      fn: {
        reduce: () => {
          throw new Error('boom');
        },
      },
    });
    h.element('a', 1, 1);
    expect(() => h.element('a', 2, 2)).toThrow(UserFunctionError);
  });
});

describe('window operator: sliding windows and window functions', () => {
  it('puts each record into size / slide windows and fires them in order', () => {
    const h = new Harness({ assigner: { kind: 'sliding-event-time', sizeMs: 20, slideMs: 10 }, fn: { reduce: sum } });
    for (const [value, ts] of [[1, 5], [2, 15], [4, 25], [8, 14]] as const) h.element('k', value, ts);
    h.watermark(Number.POSITIVE_INFINITY);
    expect(h.take()).toEqual([
      { value: { key: 'k', value: 1 }, timestamp: 9 }, // [-10, 10)
      { value: { key: 'k', value: 11 }, timestamp: 19 }, // [0, 20)
      { value: { key: 'k', value: 14 }, timestamp: 29 }, // [10, 30)
      { value: { key: 'k', value: 4 }, timestamp: 39 }, // [20, 40)
    ]);
  });

  it('aggregate + process and reduce + process get the single result with the window metadata', () => {
    const withAggregate = new Harness({
      assigner: { kind: 'tumbling-event-time', sizeMs: 100 },
      fn: { aggregate: average, process: (key, c, [avg], out) => out.collect({ key, avg, end: c.window.end, max: c.window.maxTimestamp, wm: c.currentWatermark }) },
    });
    withAggregate.element('x', 1, 10);
    withAggregate.element('x', 2, 20);
    withAggregate.watermark(150);
    expect(withAggregate.take()).toEqual([{ value: { key: 'x', avg: 1.5, end: 100, max: 99, wm: 150 }, timestamp: 99 }]);

    const withReduce = new Harness({
      assigner: { kind: 'tumbling-event-time', sizeMs: 100 },
      fn: { reduce: sum, process: (key, c, elements, out) => out.collect({ key, elements, start: c.window.start }) },
    });
    withReduce.element('x', 1, 10);
    withReduce.element('x', 2, 20);
    withReduce.watermark(150);
    expect(withReduce.take().map((r) => r.value)).toEqual([{ key: 'x', elements: [{ key: 'x', value: 3 }], start: 0 }]);
  });

  it('never changes stored contents in place (the accumulator or an element list sorted by the user)', () => {
    const h = new Harness({
      assigner: { kind: 'tumbling-event-time', sizeMs: 10 },
      allowedLatenessMs: 100,
      fn: {
        process: (key, _c, elements, out) => {
          (elements as Event[]).sort((a, b) => b.value - a.value);
          out.collect((elements as Event[]).map((e) => e.value));
        },
      },
    });
    h.element('a', 1, 1);
    h.element('a', 3, 2);
    const before = h.state.table('window/contents').get('a');
    h.watermark(10);
    expect(h.take().map((r) => r.value)).toEqual([[3, 1]]);
    expect(h.state.table('window/contents').get('a')).toBe(before);
    expect((before as Record<string, { acc: Event[] }>)['0:10']!.acc.map((e) => e.value)).toEqual([1, 3]);
    h.element('a', 2, 3);
    expect(h.take().map((r) => r.value)).toEqual([[3, 2, 1]]);
  });
});

describe('window operator: session windows', () => {
  it('merges sessions bridged by an out-of-order record, with their accumulators, and fires the merged session once', () => {
    const h = new Harness({ assigner: { kind: 'event-time-session', gapMs: 10 }, fn: { aggregate: average, process: (key, c, [avg], out) => out.collect({ key, start: c.window.start, end: c.window.end, avg }) } });
    h.element('a', 1, 0); // [0, 10)
    h.element('a', 3, 25); // [25, 35)
    h.element('b', 7, 5); // other key
    h.watermark(12); // b's [5, 15) is still open; a's [0, 10) fires
    expect(h.take().map((r) => r.value)).toEqual([{ key: 'a', start: 0, end: 10, avg: 1 }]);
    h.element('a', 5, 16); // [16, 26) bridges nothing: [0, 10) is gone, [25, 35) merges
    h.element('a', 9, 12); // [12, 22) merges with [16, 35)
    h.watermark(Number.POSITIVE_INFINITY);
    expect(h.take()).toEqual([
      { value: { key: 'b', start: 5, end: 15, avg: 7 }, timestamp: 14 },
      { value: { key: 'a', start: 12, end: 35, avg: (3 + 5 + 9) / 3 }, timestamp: 34 },
    ]);
  });

  it('merges element lists and moves the timer to the merged session end', () => {
    const h = new Harness({ assigner: { kind: 'event-time-session', gapMs: 10 }, fn: { process: describeWindow } });
    h.element('a', 1, 0);
    h.element('a', 2, 30);
    h.element('a', 3, 15); // [15, 25) touches neither [0, 10) nor [30, 40)
    h.element('a', 4, 9); // [9, 19) bridges [0, 10) and [15, 25)
    h.watermark(24); // the deleted timer of [0, 10) fires nothing
    expect(h.take()).toEqual([{ value: { key: 'a', start: 0, end: 25, values: [1, 3, 4] }, timestamp: 24 }]);
    h.element('a', 5, 10); // [10, 20) is late alone: the session it would join, [0, 25), is gone
    expect(h.counters.get('lateRecordsDropped')).toBe(1);
    h.watermark(Number.POSITIVE_INFINITY);
    expect(h.take().map((r) => r.value)).toEqual([{ key: 'a', start: 30, end: 40, values: [2] }]);
    expect(h.op.timers!.service.hasTimers('event-time')).toBe(false);
  });

  it('extends a fired session within the allowed lateness and fires it again', () => {
    const h = new Harness({ assigner: { kind: 'event-time-session', gapMs: 10 }, allowedLatenessMs: 20, fn: { reduce: sum } });
    h.element('a', 1, 0);
    h.watermark(15);
    expect(h.take()).toEqual([{ value: { key: 'a', value: 1 }, timestamp: 9 }]);
    h.element('a', 2, 5); // [5, 15) merges into [0, 15): its end passed, so it fires at once
    expect(h.take()).toEqual([{ value: { key: 'a', value: 3 }, timestamp: 14 }]);
    h.watermark(Number.POSITIVE_INFINITY);
    expect(h.take()).toEqual([]);
  });
});

describe('window operator: global windows with count triggers', () => {
  it('fires every n elements per key; a purging trigger starts over, a plain one keeps the contents', () => {
    const purging = new Harness({ assigner: { kind: 'global' }, trigger: { kind: 'count', count: 3, purge: true }, fn: { reduce: sum } });
    for (let i = 1; i <= 7; i++) purging.element(i % 2 === 0 ? 'even' : 'odd', i);
    expect(purging.take()).toEqual([
      { value: { key: 'odd', value: 1 + 3 + 5 }, timestamp: Number.POSITIVE_INFINITY },
      { value: { key: 'even', value: 2 + 4 + 6 }, timestamp: Number.POSITIVE_INFINITY },
    ]);
    purging.watermark(Number.POSITIVE_INFINITY);
    expect(purging.take()).toEqual([]); // as in Flink: a partial count window is not evaluated

    const keeping = new Harness({ assigner: { kind: 'global' }, trigger: { kind: 'count', count: 2, purge: false }, fn: { process: (key, c, elements, out) => out.collect([(c.window as unknown as { maxTimestamp: number }).maxTimestamp, elements.length]) } });
    for (let i = 0; i < 5; i++) keeping.element('k', i);
    expect(keeping.take().map((r) => r.value)).toEqual([
      [Number.POSITIVE_INFINITY, 2],
      [Number.POSITIVE_INFINITY, 4],
    ]);
  });
});

describe('window operator: processing time', () => {
  it('assigns by the clock, fires when it passes the window end, and fires open windows at the end of input', async () => {
    const h = new Harness({ assigner: { kind: 'tumbling-processing-time', sizeMs: 1000, offsetMs: 0 }, fn: { process: describeWindow } });
    h.now = 10_500;
    h.element('a', 1);
    h.element('b', 2);
    h.now = 10_999;
    h.element('a', 3);
    h.advanceClock(11_200);
    h.element('a', 4);
    expect(h.take()).toEqual([
      { value: { key: 'a', start: 10_000, end: 11_000, values: [1, 3] }, timestamp: 10_999 },
      { value: { key: 'b', start: 10_000, end: 11_000, values: [2] }, timestamp: 10_999 },
    ]);
    await h.op.finish!();
    expect(h.take()).toEqual([{ value: { key: 'a', start: 11_000, end: 12_000, values: [4] }, timestamp: 11_999 }]);
  });

  it('sliding processing-time windows', async () => {
    const h = new Harness({ assigner: { kind: 'sliding-processing-time', sizeMs: 100, slideMs: 50 }, fn: { reduce: sum } });
    h.now = 1020;
    h.element('a', 1);
    h.now = 1070;
    h.element('a', 2);
    h.advanceClock(1060);
    expect(h.take()).toEqual([{ value: { key: 'a', value: 1 }, timestamp: 1049 }]);
    h.advanceClock(1100);
    expect(h.take()).toEqual([{ value: { key: 'a', value: 3 }, timestamp: 1099 }]);
    await h.op.finish!();
    expect(h.take()).toEqual([{ value: { key: 'a', value: 2 }, timestamp: 1149 }]);
  });
});

describe('window operator: checkpoint and restore', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'weir-window-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('keeps a heap snapshot consistent while later records change the windows in place', async () => {
    const cases: [HarnessOptions['fn'], unknown[]][] = [
      [{ aggregate: average }, [2, 5]],
      [{ process: describeWindow }, [{ key: 'a', start: 0, end: 15, values: [1, 3] }, { key: 'a', start: 40, end: 50, values: [5] }]],
      [{ reduce: sum }, [{ key: 'a', value: 4 }, { key: 'a', value: 5 }]],
    ];
    for (const [fn, expected] of cases) {
      const h = new Harness({ assigner: { kind: 'event-time-session', gapMs: 10 }, fn });
      h.element('a', 1, 0);
      h.element('a', 3, 5);
      h.element('a', 5, 40);
      await h.restart(directory, () => {
        // After the snapshot is taken, before it is written: these must not leak into it.
        h.element('a', 100, 7);
        h.element('a', 200, 30); // bridges [0, 17) and [40, 50) through [30, 40)
        h.element('b', 300, 1);
      });
      h.watermark(Number.POSITIVE_INFINITY);
      expect(h.take().map((r) => r.value)).toEqual(expected);
    }
  });

  it('restores window contents and timers from a keyed-state snapshot', async () => {
    const h = new Harness({ assigner: { kind: 'event-time-session', gapMs: 10 }, allowedLatenessMs: 5, fn: { aggregate: average } });
    h.element('a', 2, 0);
    h.element('a', 4, 30);
    h.element('b', 6, 3);
    h.watermark(9);
    expect(h.take()).toEqual([{ value: 2, timestamp: 9 }]);
    await h.restart(directory);
    h.element('a', 8, 6); // [6, 16) merges with [0, 10), which fired but is kept for the allowed lateness
    h.element('a', 6, 25); // [25, 35) merges with [30, 40)
    h.watermark(Number.POSITIVE_INFINITY);
    expect(h.take()).toEqual([
      { value: 6, timestamp: 12 }, // b: [3, 13)
      { value: 5, timestamp: 15 }, // a: [0, 16) = 2 and 8
      { value: 5, timestamp: 39 }, // a: [25, 40) = 4 and 6
    ]);
  });
});
