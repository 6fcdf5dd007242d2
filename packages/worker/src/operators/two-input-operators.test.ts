import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  keyGroupRangeForSubtask,
  type KeyedCoProcessFunction,
  type OperatorDescriptor,
  type ProcessFunction,
  type ProcessJoinFunction,
  type TimeDomain,
  type ValueStateDescriptorSpec,
} from '@weir/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChainedOperator, OperatorContext } from '../runtime/operator.ts';
import { UserFunctionError } from '../runtime/user-function-error.ts';
import { HeapKeyedStateBackend } from '../state-backends/heap-keyed-state-backend.ts';
import { readKeyedStateFile } from '../state-backends/keyed-state-file.ts';
import { restartKeyedOperator } from '../testing/keyed-operator-restart.ts';
import { testOperatorContext } from '../testing/operator-context.ts';
import { intervalJoinOperator } from './interval-join.ts';
import { keyedCoProcessOperator } from './keyed-co-process.ts';
import { processOperator } from './process-operators.ts';

const range = keyGroupRangeForSubtask(0, 1, 128);

interface Person {
  id: number;
  name: string;
}
interface Auction {
  seller: number;
  item: string;
}

/** Drives a two-input keyed operator as a StreamTask does: record timestamps, watermarks, due timers, restarts. */
class TwoInputHarness {
  readonly output: { value: unknown; timestamp: number }[] = [];
  readonly sideOutputs = new Map<string, unknown[]>();
  readonly counters = new Map<string, number>();
  readonly ctx: OperatorContext;
  state = new HeapKeyedStateBackend(range, 128);
  op: ChainedOperator;
  private readonly make: (ctx: OperatorContext, emit: (v: unknown) => void, state: HeapKeyedStateBackend) => ChainedOperator;

  constructor(
    descriptor: OperatorDescriptor,
    fn: unknown,
    keys: [(r: never) => unknown, (r: never) => unknown],
    make: (ctx: OperatorContext, emit: (v: unknown) => void, state: HeapKeyedStateBackend) => ChainedOperator,
  ) {
    this.make = make;
    this.ctx = testOperatorContext({
      descriptor,
      fn,
      keySelector: keys[0] as (r: unknown) => unknown,
      secondKeySelector: keys[1] as (r: unknown) => unknown,
      sideOutputs: this.sideOutputs,
      counters: this.counters,
    });
    this.op = this.build();
  }

  private build(): ChainedOperator {
    return this.make(this.ctx, (value) => this.output.push({ value, timestamp: this.ctx.time.timestamp }), this.state);
  }

  first(record: unknown, timestamp = Number.NaN): void {
    this.ctx.time.timestamp = timestamp;
    this.op.process(record);
  }

  second(record: unknown, timestamp = Number.NaN): void {
    this.ctx.time.timestamp = timestamp;
    this.op.process2!(record);
  }

  watermark(watermark: number): void {
    this.op.timers!.service.watermark = watermark;
    this.fire('event-time', watermark);
  }

  fire(domain: TimeDomain, time: number): void {
    const timers = this.op.timers!;
    for (const entry of timers.service.takeDue(domain, time)) {
      const timer = timers.service.claim(domain, entry);
      if (!timer) continue;
      this.ctx.time.timestamp = domain === 'event-time' ? timer.timestamp : Number.NaN;
      timers.fire(timer);
    }
  }

  /** Checkpoints the keyed state (timers included) and restores it into a new backend and operator. */
  async restart(directory: string): Promise<void> {
    ({ state: this.state, op: this.op } = await restartKeyedOperator(this.state, range, directory, (state) => ((this.state = state), this.build())));
  }

  values(): unknown[] {
    return this.output.splice(0).map((o) => o.value);
  }
}

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'weir-two-input-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('keyed co-process', () => {
  const personState: ValueStateDescriptorSpec<Person> = { kind: 'value', name: 'person', defaultValue: undefined };
  const pending: ValueStateDescriptorSpec<Auction[]> = { kind: 'value', name: 'pending', defaultValue: undefined };
  // Nexmark q3's shape: persons and auctions keyed by person id, whichever arrives first waits in state.
  const join3: KeyedCoProcessFunction<number, Person, Auction, string> = {
    processElement1(person, ctx, out) {
      ctx.getState(personState).update(person);
      for (const a of ctx.getState(pending).value() ?? []) out.collect(`${person.name}:${a.item}`);
      ctx.getState(pending).clear();
      ctx.timerService().registerEventTimeTimer((ctx.currentTimestamp() ?? 0) + 100);
    },
    processElement2(auction, ctx, out) {
      const person = ctx.getState(personState).value();
      if (person) out.collect(`${person.name}:${auction.item}`);
      else ctx.getState(pending).update([...(ctx.getState(pending).value() ?? []), auction]);
      if (auction.item === 'bad') ctx.output({ id: 'rejected' }, auction);
    },
    onTimer(timestamp, ctx, out) {
      out.collect(`timer:${ctx.currentKey}@${timestamp}:${ctx.timeDomain}`);
    },
  };
  const descriptor: OperatorDescriptor = { id: 'co-1', name: 'KeyedCoProcess', kind: 'keyed.coProcess', fn: 'co-1/fn', config: {} };
  const harness = () =>
    new TwoInputHarness(descriptor, join3, [(p: Person) => p.id, (a: Auction) => a.seller], (ctx, emit, state) => keyedCoProcessOperator(ctx, emit, state));

  it('shares each key state between both inputs, fires event-time timers with their key and emits side outputs', async () => {
    const h = harness();
    h.second({ seller: 1, item: 'car' }, 5);
    h.second({ seller: 2, item: 'bad' }, 6);
    expect(h.values()).toEqual([]);
    h.first({ id: 1, name: 'ann' }, 10);
    h.second({ seller: 1, item: 'bike' }, 11);
    expect(h.values()).toEqual(['ann:car', 'ann:bike']);
    expect(h.sideOutputs.get('rejected')).toEqual([{ seller: 2, item: 'bad' }]);
    // Restored from a checkpoint: the person, the pending auction of key 2 and the timer come back.
    await h.restart(directory);
    h.first({ id: 2, name: 'bob' }, 20);
    expect(h.values()).toEqual(['bob:bad']);
    h.watermark(109);
    expect(h.values()).toEqual([]);
    h.watermark(200);
    expect(h.output.map((o) => o.timestamp)).toEqual([110, 120]);
    expect(h.values()).toEqual(['timer:1@110:event-time', 'timer:2@120:event-time']);
  });

  it('names the operator when a user function throws', () => {
    const h = new TwoInputHarness(
      descriptor,
      { processElement1: () => undefined, processElement2: () => { throw new Error('boom'); } } satisfies KeyedCoProcessFunction<number, Person, Auction, string>,
      [(p: Person) => p.id, (a: Auction) => a.seller],
      (ctx, emit, state) => keyedCoProcessOperator(ctx, emit, state),
    );
    expect(() => h.second({ seller: 1, item: 'x' })).toThrow(UserFunctionError);
    expect(() => h.second({ seller: 1, item: 'x' })).toThrow(/KeyedCoProcess.*co-1.*boom/);
  });
});

describe('non-keyed process', () => {
  const descriptor: OperatorDescriptor = { id: 'process-1', name: 'Process', kind: 'process', fn: 'process-1/fn', config: {} };

  it('emits main and side outputs with the record timestamp, and refuses timers as Flink does', () => {
    const sideOutputs = new Map<string, unknown[]>();
    const fn: ProcessFunction<number, string> = {
      processElement(n, ctx, out) {
        if (n < 0) ctx.output({ id: 'negative' }, n);
        else out.collect(`${n}@${ctx.currentTimestamp()}/${ctx.timerService().currentWatermark()}`);
        if (n === 99) ctx.timerService().registerProcessingTimeTimer(Date.now() + 10);
      },
    };
    const ctx = testOperatorContext({ descriptor, fn, sideOutputs, watermark: () => 42 });
    const out: unknown[] = [];
    const op = processOperator(ctx, (r) => out.push(r));
    ctx.time.timestamp = 7;
    op.process(1);
    op.process(-3);
    ctx.time.timestamp = Number.NaN;
    op.process(2);
    expect(out).toEqual(['1@7/42', '2@undefined/42']);
    expect(sideOutputs.get('negative')).toEqual([-3]);
    expect(op.timers).toBeUndefined();
    expect(() => op.process(99)).toThrow(/Setting timers is only supported on a keyed stream: put keyBy\(\) before process\(\)/);
  });
});

describe('interval join', () => {
  interface Order {
    id: string;
    ts: number;
  }
  interface Payment {
    order: string;
    ts: number;
  }
  const fn: ProcessJoinFunction<Order, Payment, string> = {
    processElement(order, payment, ctx, out) {
      out.collect(`${order.id}@${order.ts}+${payment.ts}=${ctx.timestamp}`);
    },
  };
  const harness = (config: Record<string, unknown>) =>
    new TwoInputHarness(
      { id: 'join-1', name: 'IntervalJoin', kind: 'keyed.intervalJoin', fn: 'join-1/fn', config },
      fn,
      [(o: Order) => o.id, (p: Payment) => p.order],
      (ctx, emit, state) => intervalJoinOperator(ctx, emit, state),
    );

  it('joins every pair within the bounds, whichever side comes first, as a brute-force reference does', () => {
    const h = harness({ lowerBound: -2, upperBound: 3 });
    const orders: Order[] = [];
    const payments: Payment[] = [];
    // Deterministic interleaving of both sides for three keys, times out of order within a few ms.
    for (let i = 0; i < 60; i++) {
      const id = `o${i % 3}`;
      const ts = 100 + i - (i % 4);
      if (i % 2 === 0) {
        orders.push({ id, ts });
        h.first({ id, ts }, ts);
      } else {
        payments.push({ order: id, ts });
        h.second({ order: id, ts }, ts);
      }
    }
    const expected = orders.flatMap((o) =>
      payments.filter((p) => p.order === o.id && p.ts >= o.ts - 2 && p.ts <= o.ts + 3).map((p) => `${o.id}@${o.ts}+${p.ts}=${Math.max(o.ts, p.ts)}`),
    );
    const got = h.output.splice(0);
    expect(got.map((g) => g.value).sort()).toEqual(expected.sort());
    for (const g of got) expect(g.timestamp).toBe(Number((g.value as string).split('=')[1]));
  });

  it('honours exclusive bounds, drops late records and cleans both buffers once the watermark passes', async () => {
    const h = harness({ lowerBound: 0, upperBound: 10, lowerBoundExclusive: true, upperBoundExclusive: true });
    h.first({ id: 'a', ts: 100 }, 100);
    h.second({ order: 'a', ts: 100 }, 100); // lower bound excluded
    h.second({ order: 'a', ts: 110 }, 110); // upper bound excluded
    h.second({ order: 'a', ts: 105 }, 105);
    expect(h.values()).toEqual(['a@100+105=105']);
    await h.restart(directory);
    h.watermark(108);
    h.second({ order: 'a', ts: 109 }, 109); // the order is still buffered until 100 + 9
    expect(h.values()).toEqual(['a@100+109=109']);
    h.watermark(109);
    h.second({ order: 'a', ts: 109 }, 109);
    expect(h.values(), 'the order was cleaned up at 109').toEqual([]);
    h.first({ id: 'a', ts: 50 }, 50);
    expect(h.counters.get('lateRecordsDropped')).toBe(1);
    h.watermark(10_000);
    expect(h.op.timers!.service.hasTimers('event-time')).toBe(false);
    const snapshot = h.state.snapshot();
    const handle = await snapshot.write(directory, 'after-cleanup.state');
    snapshot.release();
    const left = (await readKeyedStateFile(directory, handle, range)).filter(([, table]) => table.startsWith('map/interval-join'));
    expect(left, 'both buffers are empty').toEqual([]);
  });

  it('refuses records without event time with a clear error', () => {
    const h = harness({ lowerBound: 0, upperBound: 1 });
    expect(() => h.first({ id: 'a', ts: 1 })).toThrow(/has no event time; give both inputs timestamps/);
  });
});
