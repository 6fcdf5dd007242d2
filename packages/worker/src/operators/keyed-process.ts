import type { KeyedProcessFunction } from '@weir/common/runtime';
import type { ChainedOperator, Emit, OperatorContext } from '../runtime/operator.ts';
import type { KeyedStateBackend } from '../state-backends/keyed-state-backend.ts';
import { keyedFunctionOperator } from './keyed-function-context.ts';
import type { KeyedStateStoreOptions } from './state/keyed-state-store.ts';

/**
 * Keyed process function: the user's function per record, with state scoped
 * to the record's key (value, list, map, reducing and aggregating state; see
 * {@link KeyedStateStore}), timers and side outputs. `options.clock`
 * replaces `Date.now` for state TTL.
 */
export function keyedProcessOperator(ctx: OperatorContext, next: Emit, state: KeyedStateBackend, options: KeyedStateStoreOptions = {}): ChainedOperator {
  const fn = ctx.fn as KeyedProcessFunction<unknown, unknown, unknown>;
  const { operator, input } = keyedFunctionOperator(ctx, state, fn, next, options);
  return { ...operator, process: input(ctx.keySelector!, (record, context, out) => fn.processElement(record, context, out)) };
}
