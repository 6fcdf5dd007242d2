import type { KeyedCoProcessFunction } from '@weir/common/runtime';
import type { ChainedOperator, Emit, OperatorContext } from '../runtime/operator.ts';
import type { KeyedStateBackend } from '../state-backends/keyed-state-backend.ts';
import { keyedFunctionOperator } from './keyed-function-context.ts';
import type { KeyedStateStoreOptions } from './state/keyed-state-store.ts';

/**
 * Keyed co-process (Flink's KeyedCoProcessOperator): two inputs keyed alike;
 * `processElement1` for records of the first, `processElement2` for the
 * second, both with the state and timers of the record's key.
 */
export function keyedCoProcessOperator(ctx: OperatorContext, next: Emit, state: KeyedStateBackend, options: KeyedStateStoreOptions = {}): ChainedOperator {
  const fn = ctx.fn as KeyedCoProcessFunction<unknown, unknown, unknown, unknown>;
  const { operator, input } = keyedFunctionOperator(ctx, state, fn, next, options);
  return {
    ...operator,
    process: input(ctx.keySelector!, (record, context, out) => fn.processElement1(record, context, out)),
    process2: input(ctx.secondKeySelector!, (record, context, out) => fn.processElement2(record, context, out)),
  };
}
