import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  keyGroupRangeForSubtask,
  keyToString,
  type BroadcastProcessFunction,
  type KeyedBroadcastProcessFunction,
  type MapStateDescriptorSpec,
  type OperatorDescriptor,
  type ValueStateDescriptorSpec,
} from '@weir/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChainedOperator, OperatorContext } from '../../runtime/operator.ts';
import { UserFunctionError } from '../../runtime/user-function-error.ts';
import { HeapKeyedStateBackend } from '../../state-backends/heap-keyed-state-backend.ts';
import type { KeyedStateBackend } from '../../state-backends/keyed-state-backend.ts';
import { RocksDBKeyedStateBackend } from '../../state-backends/rocksdb-keyed-state-backend.ts';
import { testOperatorContext } from '../../testing/operator-context.ts';
import { broadcastProcessOperator, keyedBroadcastProcessOperator } from './broadcast-process.ts';

interface Rule {
  kind: string;
  factor: number;
}
interface Event {
  user: number;
  kind: string;
  amount: number;
}
const rules: MapStateDescriptorSpec<string, Rule> = { kind: 'map', name: 'rules', keyType: 'string' };
const other: MapStateDescriptorSpec<string, number> = { kind: 'map', name: 'other', keyType: 'string' };
const total: ValueStateDescriptorSpec<number> = { kind: 'value', name: 'total', defaultValue: 0 };
const range = keyGroupRangeForSubtask(0, 1, 128);

const descriptor = (kind: 'co.broadcastProcess' | 'keyed.broadcastProcess'): OperatorDescriptor => ({
  id: 'enrich',
  name: 'Enrich',
  kind,
  fn: 'f',
  config: { broadcastStates: ['rules'] },
});

/** Feeds an operator as a StreamTask does: prefetches keyed records' keys, awaits work left after broadcast records. */
class Harness {
  readonly out: unknown[] = [];
  readonly ctx: OperatorContext;
  readonly op: ChainedOperator;
  private readonly state: KeyedStateBackend | undefined;

  constructor(kind: 'co.broadcastProcess' | 'keyed.broadcastProcess', fn: unknown, state?: KeyedStateBackend, restoredBroadcastState?: Record<string, [unknown, unknown][]>) {
    this.state = state;
    this.ctx = testOperatorContext({ descriptor: descriptor(kind), fn, keySelector: (e) => (e as Event).user, restoredBroadcastState });
    const emit = (v: unknown) => this.out.push(v);
    this.op = kind === 'keyed.broadcastProcess' ? keyedBroadcastProcessOperator(this.ctx, emit, state!) : broadcastProcessOperator(this.ctx, emit);
  }

  async element(event: Event): Promise<void> {
    await this.state?.prefetch?.([keyToString(event.user)]);
    this.op.process(event);
  }

  async broadcast(rule: unknown): Promise<void> {
    this.op.process2!(rule);
    await this.op.afterProcess2?.();
  }

  take(): unknown[] {
    return this.out.splice(0);
  }
}

const enrich: BroadcastProcessFunction<Event, Rule, string> = {
  processElement(event, ctx, out) {
    const rule = ctx.getBroadcastState(rules).get(event.kind);
    out.collect(rule ? `${event.user}:${event.amount * rule.factor}` : `${event.user}:no rule for ${event.kind}`);
  },
  processBroadcastElement(rule, ctx) {
    if (rule.factor === 0) ctx.getBroadcastState(rules).remove(rule.kind);
    else ctx.getBroadcastState(rules).put(rule.kind, rule);
  },
};

describe('broadcast process (non-keyed)', () => {
  it('applies the rules the broadcast side put, and a restored operator starts from the snapshot', async () => {
    const h = new Harness('co.broadcastProcess', enrich);
    await h.element({ user: 1, kind: 'a', amount: 5 });
    await h.broadcast({ kind: 'a', factor: 3 });
    await h.element({ user: 1, kind: 'a', amount: 5 });
    expect(h.take()).toEqual(['1:no rule for a', '1:15']);
    const snapshot = h.op.snapshotBroadcastState!();
    expect(snapshot).toEqual({ rules: [['a', { kind: 'a', factor: 3 }]] });
    await h.broadcast({ kind: 'a', factor: 0 });
    await h.element({ user: 2, kind: 'a', amount: 1 });
    expect(h.take()).toEqual(['2:no rule for a']);
    // The snapshot taken before the removal is unchanged, and restores.
    expect(snapshot.rules).toHaveLength(1);
    const restored = new Harness('co.broadcastProcess', enrich, undefined, JSON.parse(JSON.stringify(snapshot)) as Record<string, [unknown, unknown][]>);
    await restored.element({ user: 3, kind: 'a', amount: 2 });
    expect(restored.take()).toEqual(['3:6']);
  });

  it('keeps values as frozen copies, refuses non-JSON values and undeclared states, naming the way out', async () => {
    const mutate: BroadcastProcessFunction<Event, Rule, string> = {
      processElement(_event, ctx) {
        (ctx.getBroadcastState(rules).get('a') as Rule).factor = 99;
      },
      processBroadcastElement(rule, ctx) {
        ctx.getBroadcastState(rules).put(rule.kind, rule);
        rule.factor = 42; // the caller's object is not the stored one
      },
    };
    const h = new Harness('co.broadcastProcess', mutate);
    await h.broadcast({ kind: 'a', factor: 1 });
    expect(h.op.snapshotBroadcastState!().rules).toEqual([['a', { kind: 'a', factor: 1 }]]);
    expect(() => h.op.process({ user: 1, kind: 'a', amount: 1 })).toThrow(UserFunctionError);

    const bad = new Harness('co.broadcastProcess', { ...enrich, processBroadcastElement: (_r: Rule, ctx) => ctx.getBroadcastState(rules).put('d', { since: new Date() } as never) } as typeof enrich);
    expect(() => bad.op.process2!({})).toThrow(/holds a Date at \.since.*store JSON data/);
    const undeclared = new Harness('co.broadcastProcess', { ...enrich, processBroadcastElement: (_r: Rule, ctx) => ctx.getBroadcastState(other).put('x', 1) } as typeof enrich);
    expect(() => undeclared.op.process2!({})).toThrow(/has no broadcast state 'other'; its broadcast states are 'rules': pass the descriptor to stream.broadcast/);
  });
});

/** Per user a running total of amounts times the rule's factor; a rule with `reset` clears every user's total through applyToKeyedState. */
const totals: KeyedBroadcastProcessFunction<number, Event, Rule & { reset?: boolean }, string> = {
  processElement(event, ctx, out) {
    const factor = ctx.getBroadcastState(rules).get(event.kind)?.factor ?? 1;
    const state = ctx.getState(total);
    state.update((state.value() ?? 0) + event.amount * factor);
    out.collect(`${ctx.currentKey}=${state.value()}`);
    ctx.timerService().registerEventTimeTimer(100);
  },
  processBroadcastElement(rule, ctx, out) {
    ctx.getBroadcastState(rules).put(rule.kind, { kind: rule.kind, factor: rule.factor });
    if (rule.reset) {
      ctx.applyToKeyedState(total, (key, state) => {
        out.collect(`reset ${typeof key} ${key} from ${state.value()}`);
        state.clear();
      });
    }
  },
  onTimer(timestamp, ctx, out) {
    out.collect(`timer ${ctx.currentKey}@${timestamp} rules=${ctx.getBroadcastState(rules).size}`);
  },
};

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'weir-broadcast-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe.each([
  ['heap', async (): Promise<KeyedStateBackend> => new HeapKeyedStateBackend(range, 128)],
  ['rocksdb', async (): Promise<KeyedStateBackend> => RocksDBKeyedStateBackend.open({ directory: join(directory, 'db'), keyGroupRange: range, maxParallelism: 128, cacheEntries: 0 })],
] as const)('keyed broadcast process (%s)', (_name, open) => {
  it('reads broadcast state per key, applies a function to every key state with the original keys, and fires timers that read broadcast state', async () => {
    const state = await open();
    try {
      const h = new Harness('keyed.broadcastProcess', totals, state);
      await h.broadcast({ kind: 'a', factor: 10 });
      for (const user of [1, 2, 3]) await h.element({ user, kind: 'a', amount: user });
      await h.element({ user: 2, kind: 'b', amount: 1 });
      expect(h.take()).toEqual(['1=10', '2=20', '3=30', '2=21']);
      // Written out and evicted, so the keys are read back from disk (RocksDB).
      await state.flush?.();
      await h.broadcast({ kind: 'b', factor: 5, reset: true });
      expect(h.take().sort()).toEqual(['reset number 1 from 10', 'reset number 2 from 21', 'reset number 3 from 30']);
      await h.element({ user: 2, kind: 'b', amount: 1 });
      expect(h.take()).toEqual(['2=5']);
      const timers = h.op.timers!;
      timers.service.watermark = 100;
      for (const due of timers.service.takeDue('event-time', 100)) {
        await state.prefetch?.([due.key]);
        const timer = timers.service.claim('event-time', due);
        if (timer) timers.fire(timer);
      }
      expect(h.take().sort()).toEqual(['timer 1@100 rules=2', 'timer 2@100 rules=2', 'timer 3@100 rules=2']);
    } finally {
      await state.close();
    }
  });

  it('refuses a wrong descriptor in applyToKeyedState and fails on what the function throws', async () => {
    const state = await open();
    try {
      const wrong = new Harness('keyed.broadcastProcess', { ...totals, processBroadcastElement: (_r: Rule, ctx) => ctx.applyToKeyedState({ name: 'x' } as never, () => undefined) } as typeof totals, state);
      expect(() => wrong.op.process2!({})).toThrow(/takes a keyed state descriptor/);
      const throwing = new Harness(
        'keyed.broadcastProcess',
        {
          ...totals,
          processBroadcastElement: (_r: Rule, ctx) =>
            ctx.applyToKeyedState(total, () => {
              throw new Error('boom');
            }),
        } as typeof totals,
        state,
      );
      await throwing.element({ user: 1, kind: 'a', amount: 1 });
      await expect(throwing.broadcast({})).rejects.toThrow(UserFunctionError);
    } finally {
      await state.close();
    }
  });
});
