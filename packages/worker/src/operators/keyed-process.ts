import { keyToString, type Collector, type KeyedProcessContext, type KeyedProcessFunction } from '@weir/common/runtime';
import type { ChainedOperator, Emit, OperatorContext } from '../runtime/operator.ts';
import { UserFunctionError } from '../runtime/user-function-error.ts';
import type { KeyedStateBackend } from '../runtime/state/keyed-state-backend.ts';
import { KeyedStateStore, type KeyedStateStoreOptions } from './state/keyed-state-store.ts';

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
  const context: KeyedProcessContext<unknown> & { currentKey: unknown } = {
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
    process(record) {
      const key = selector(record);
      store.setCurrentKey(keyToString(key));
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
