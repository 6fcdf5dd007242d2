// The context keyed process functions see (one input or two): keyed state
// scoped to the current key, the key's timers and side outputs.
import { keyToString, type KeyedProcessContext, type OnTimerContext, type StateDescriptorSpec, type TimerService } from '@weir/common/runtime';
import type { Collector } from '@weir/common/runtime';
import type { ChainedOperator, Emit, OperatorContext } from '../runtime/operator.ts';
import type { KeyedStateBackend } from '../state-backends/keyed-state-backend.ts';
import { lifecycle, processContextBase, userError } from './process-context.ts';
import { KeyedStateStore, type KeyedStateStoreOptions } from './state/keyed-state-store.ts';
import { KeyedTimerService, type DueTimer } from './timers/keyed-timer-service.ts';

/** A keyed function's context with the means to move it to a key. */
export interface KeyedFunctionContext {
  readonly context: KeyedProcessContext<unknown>;
  readonly timers: KeyedTimerService;
  readonly store: KeyedStateStore;
  /** Makes `key` the current key (state and timers follow it). */
  setKey(key: unknown): void;
  /** Makes the due timer's key current and returns the context `onTimer` gets. */
  timerContext(due: DueTimer): OnTimerContext<unknown>;
}

/**
 * Builds the context of a keyed function over `state`; `options.clock`
 * replaces `Date.now` for state TTL. The states the function declares are
 * checked against those of the checkpoint it is restored from at once.
 * @throws StateMigrationError when a declared state does not fit the restored one
 */
export function keyedFunctionContext(ctx: OperatorContext, state: KeyedStateBackend, options: KeyedStateStoreOptions = {}): KeyedFunctionContext {
  const store = new KeyedStateStore(state, {
    operatorUid: ctx.descriptor.id,
    restored: ctx.deployment.restore?.operators[ctx.descriptor.id]?.states ?? [],
    declared: (ctx.functions.states as readonly StateDescriptorSpec[] | undefined) ?? [],
    ...options,
  });
  const timers = new KeyedTimerService(state);
  let currentKeyText = '';
  const timerService: TimerService = {
    currentProcessingTime: () => Date.now(),
    currentWatermark: () => timers.watermark,
    registerProcessingTimeTimer: (t) => timers.register('processing-time', currentKeyText, context.currentKey, t),
    deleteProcessingTimeTimer: (t) => timers.delete('processing-time', currentKeyText, t),
    registerEventTimeTimer: (t) => timers.register('event-time', currentKeyText, context.currentKey, t),
    deleteEventTimeTimer: (t) => timers.delete('event-time', currentKeyText, t),
  };
  const context: KeyedProcessContext<unknown> & { currentKey: unknown } = {
    ...processContextBase(ctx),
    timerService: () => timerService,
    currentKey: undefined,
    getState: (descriptor) => store.getState(descriptor),
    getListState: (descriptor) => store.getListState(descriptor),
    getMapState: (descriptor) => store.getMapState(descriptor),
    getReducingState: (descriptor) => store.getReducingState(descriptor),
    getAggregatingState: (descriptor) => store.getAggregatingState(descriptor),
  };
  return {
    context,
    timers,
    store,
    setKey(key) {
      currentKeyText = keyToString(key);
      store.setCurrentKey(currentKeyText);
      context.currentKey = key;
    },
    timerContext(due) {
      currentKeyText = due.keyText;
      store.setCurrentKey(due.keyText);
      context.currentKey = due.key;
      return { ...context, timeDomain: due.domain, timestamp: due.timestamp };
    },
  };
}

/** The user function of a keyed operator: its lifecycle and its timers' callback. */
interface KeyedUserFunction {
  open?(context: OperatorContext['runtime']): void;
  onTimer?(timestamp: number, context: OnTimerContext<unknown>, out: Collector<unknown>): void;
  close?(): void;
}

/**
 * What keyed process operators share: the keyed context, `open`/`close`,
 * timers that call `fn.onTimer`, and `input(selector, call)`, which makes a
 * per-record entry that moves to the record's key before calling `call`.
 */
export function keyedFunctionOperator(
  ctx: OperatorContext,
  state: KeyedStateBackend,
  fn: KeyedUserFunction,
  next: Emit,
  options: KeyedStateStoreOptions = {},
): {
  operator: Omit<ChainedOperator, 'process'>;
  /** The keyed context itself (operators add to `keyed.context` what their functions see besides keyed state). */
  keyed: KeyedFunctionContext;
  input(selector: (record: unknown) => unknown, call: (record: unknown, context: KeyedProcessContext<unknown>, out: Collector<unknown>) => void): Emit;
} {
  const out: Collector<unknown> = { collect: next };
  const keyed = keyedFunctionContext(ctx, state, options);
  const context = keyed.context;
  const operator: Omit<ChainedOperator, 'process'> = {
    ...lifecycle(ctx, fn),
    states: () => keyed.store.states(),
    stateMigrations: keyed.store.migrations,
    timers: {
      service: keyed.timers,
      fire(due) {
        const timerContext = keyed.timerContext(due);
        if (!fn.onTimer) return;
        try {
          fn.onTimer(due.timestamp, timerContext, out);
        } catch (error) {
          userError(ctx, error);
        }
      },
    },
  };
  return {
    operator,
    keyed,
    input: (selector, call) => (record) => {
      keyed.setKey(selector(record));
      try {
        call(record, context, out);
      } catch (error) {
        userError(ctx, error);
      }
    },
  };
}
