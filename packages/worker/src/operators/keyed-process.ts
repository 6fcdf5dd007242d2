import {
  keyToString,
  type Collector,
  type KeyedProcessContext,
  type KeyedProcessFunction,
  type OnTimerContext,
  type TimerService,
} from '@weir/common/runtime';
import type { ChainedOperator, Emit, OperatorContext } from '../runtime/operator.ts';
import { UserFunctionError } from '../runtime/user-function-error.ts';
import type { KeyedStateBackend } from '../state-backends/keyed-state-backend.ts';
import { KeyedStateStore, type KeyedStateStoreOptions } from './state/keyed-state-store.ts';
import { KeyedTimerService } from './timers/keyed-timer-service.ts';

/**
 * Keyed process function: the user's function per record, with state scoped
 * to the record's key (value, list, map, reducing and aggregating state; see
 * {@link KeyedStateStore}). `options.clock` replaces `Date.now` for state TTL.
 */
export function keyedProcessOperator(ctx: OperatorContext, next: Emit, state: KeyedStateBackend, options: KeyedStateStoreOptions = {}): ChainedOperator {
  const fn = ctx.fn as KeyedProcessFunction<unknown, unknown, unknown>;
  const selector = ctx.keySelector!;
  const store = new KeyedStateStore(state, options);
  const out: Collector<unknown> = { collect: next };
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
    timerService: () => timerService,
    ...ctx.runtime,
    currentKey: undefined,
    getState: (descriptor) => store.getState(descriptor),
    getListState: (descriptor) => store.getListState(descriptor),
    getMapState: (descriptor) => store.getMapState(descriptor),
    getReducingState: (descriptor) => store.getReducingState(descriptor),
    getAggregatingState: (descriptor) => store.getAggregatingState(descriptor),
  };
  const wrap = (error: unknown): never => {
    throw error instanceof UserFunctionError ? error : new UserFunctionError(ctx.descriptor, ctx.runtime.subtaskIndex, error);
  };
  return {
    open() {
      try {
        fn.open?.(ctx.runtime);
      } catch (error) {
        wrap(error);
      }
    },
    timers: {
      service: timers,
      fire(due) {
        currentKeyText = due.keyText;
        store.setCurrentKey(due.keyText);
        context.currentKey = due.key;
        if (!fn.onTimer) return;
        const timerContext: OnTimerContext<unknown> = { ...context, timeDomain: due.domain, timestamp: due.timestamp };
        try {
          fn.onTimer(due.timestamp, timerContext, out);
        } catch (error) {
          wrap(error);
        }
      },
    },
    process(record) {
      const key = selector(record);
      currentKeyText = keyToString(key);
      store.setCurrentKey(currentKeyText);
      context.currentKey = key;
      try {
        fn.processElement(record, context, out);
      } catch (error) {
        wrap(error);
      }
    },
    close() {
      try {
        fn.close?.();
      } catch (error) {
        wrap(error);
      }
    },
  };
}
