// The operators of the broadcast state pattern (Flink's
// CoBroadcastWithNonKeyedOperator and CoBroadcastWithKeyedOperator): input 0
// is the non-broadcast stream, input 1 the broadcast stream, whose records
// every subtask gets; broadcast state is read-only on input 0.
import { keyToString } from '@weir/common/runtime';
import type {
  BroadcastContext,
  BroadcastProcessFunction,
  BroadcastReadOnlyContext,
  BroadcastTimerService,
  Collector,
  KeyedBroadcastContext,
  KeyedBroadcastProcessFunction,
  KeyedBroadcastReadOnlyContext,
  KeyedStateFunction,
  StateDescriptorSpec,
} from '@weir/common/runtime';
import type { ChainedOperator, Emit, OperatorContext } from '../../runtime/operator.ts';
import type { KeyedStateBackend } from '../../state-backends/keyed-state-backend.ts';
import { keyedFunctionOperator } from '../keyed-function-context.ts';
import { lifecycle, nonKeyedTimerService, perRecord, processContextBase, userError } from '../process-context.ts';
import type { KeyedStateStoreOptions } from '../state/keyed-state-store.ts';
import { BroadcastStateStore } from './broadcast-state-store.ts';

/** The table that keeps the original of every key that is not a string (key texts alone lose the type). */
const ORIGINAL_KEYS_TABLE = 'broadcast/original-keys';
/** Changed entries a disk backend may hold while applyToKeyedState walks the keys (as the task's own limit). */
const FLUSH_AFTER_DIRTY = 20_000;

/** The operator's broadcast states, as its config names them, restored from the task's restore spec. */
function broadcastStateStore(ctx: OperatorContext): BroadcastStateStore {
  const names = (ctx.descriptor.config.broadcastStates as string[] | undefined) ?? [];
  return new BroadcastStateStore(ctx.descriptor.name, names, ctx.restoredBroadcastState);
}

/** The clocks of the broadcast side, which has no key: no timers. */
function broadcastClocks(ctx: OperatorContext): BroadcastTimerService {
  return { currentProcessingTime: () => Date.now(), currentWatermark: () => ctx.watermark?.() ?? Number.NEGATIVE_INFINITY };
}

/** `nonKeyed.connect(broadcastStream).process(BroadcastProcessFunction)`. */
export function broadcastProcessOperator(ctx: OperatorContext, next: Emit): ChainedOperator {
  const fn = ctx.fn as BroadcastProcessFunction<unknown, unknown, unknown>;
  const out: Collector<unknown> = { collect: next };
  const store = broadcastStateStore(ctx);
  const base = processContextBase(ctx);
  const timers = nonKeyedTimerService(() => ctx.watermark?.() ?? Number.NEGATIVE_INFINITY);
  const clocks = broadcastClocks(ctx);
  const readOnly: BroadcastReadOnlyContext = { ...base, timerService: () => timers, getBroadcastState: (d) => store.readOnly(d) };
  const broadcast: BroadcastContext = { ...base, timerService: () => clocks, getBroadcastState: (d) => store.readWrite(d) };
  return {
    ...lifecycle(ctx, fn),
    process: perRecord(ctx, (record) => fn.processElement(record, readOnly, out)),
    process2: perRecord(ctx, (record) => fn.processBroadcastElement(record, broadcast, out)),
    snapshotBroadcastState: () => store.snapshot(),
  };
}

/**
 * `keyed.connect(broadcastStream).process(KeyedBroadcastProcessFunction)`:
 * input 0 with the key's state and timers, input 1 with broadcast state to
 * change and `applyToKeyedState`, whose calls run in `afterProcess2`, key by
 * key over the backend's keys of the state's table.
 */
export function keyedBroadcastProcessOperator(ctx: OperatorContext, next: Emit, state: KeyedStateBackend, options: KeyedStateStoreOptions = {}): ChainedOperator {
  const fn = ctx.fn as KeyedBroadcastProcessFunction<unknown, unknown, unknown, unknown>;
  const out: Collector<unknown> = { collect: next };
  const store = broadcastStateStore(ctx);
  const { operator, keyed, input } = keyedFunctionOperator(ctx, state, fn as never, next, options);
  // processElement and onTimer (whose context is a copy of this one) read broadcast state.
  Object.assign(keyed.context, { getBroadcastState: (d: never) => store.readOnly(d) });
  const originalKeys = state.table(ORIGINAL_KEYS_TABLE);
  const pending: { descriptor: StateDescriptorSpec; apply: KeyedStateFunction<unknown, unknown> }[] = [];
  const broadcast: KeyedBroadcastContext<unknown> = {
    ...processContextBase(ctx),
    timerService: () => broadcastClocks(ctx),
    getBroadcastState: (d) => store.readWrite(d),
    applyToKeyedState(descriptor: StateDescriptorSpec, apply: KeyedStateFunction<unknown, never>) {
      if (typeof apply !== 'function') throw new TypeError('applyToKeyedState(descriptor, fn) takes a function (key, state) => void');
      keyed.store.stateOf(descriptor); // a wrong descriptor fails here, in the caller's frame
      pending.push({ descriptor, apply: apply as KeyedStateFunction<unknown, unknown> });
    },
  };

  async function applyPending(): Promise<void> {
    while (pending.length > 0) {
      const { descriptor, apply } = pending.shift()!;
      const { state: bound, table } = keyed.store.stateOf(descriptor);
      const values = state.table(table);
      for await (const batch of state.keys(table)) {
        // A disk backend writes back as it goes, so the cache does not grow to every key of the table.
        if (state.flush && (state.dirtyCount?.() ?? 0) >= FLUSH_AFTER_DIRTY) await state.flush();
        if (state.prefetch) await state.prefetch(batch);
        for (const keyText of batch) {
          if (values.get(keyText) === undefined) continue; // cleared by an earlier call
          keyed.store.setCurrentKey(keyText);
          try {
            apply(originalKeys.get(keyText) ?? keyText, bound);
          } catch (error) {
            pending.length = 0;
            userError(ctx, error);
          }
        }
      }
    }
  }

  return {
    ...operator,
    process: input(ctx.keySelector!, (record, context, out) => {
      const key = context.currentKey;
      if (typeof key !== 'string') {
        const keyText = keyToString(key);
        if (originalKeys.get(keyText) === undefined) originalKeys.set(keyText, key);
      }
      fn.processElement(record, context as KeyedBroadcastReadOnlyContext<unknown>, out);
    }),
    process2: perRecord(ctx, (record) => fn.processBroadcastElement(record, broadcast, out)),
    afterProcess2: () => (pending.length > 0 ? applyPending() : undefined),
    snapshotBroadcastState: () => store.snapshot(),
  };
}
