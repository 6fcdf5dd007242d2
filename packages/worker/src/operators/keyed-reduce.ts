import { keyToString } from '@weir/common/runtime';
import type { ChainedOperator, Emit, OperatorContext } from '../runtime/operator.ts';
import { UserFunctionError } from '../runtime/user-function-error.ts';
import type { KeyedStateBackend } from '../state-backends/keyed-state-backend.ts';

/** Keyed reduce: keeps each key's running value in keyed state and emits it after every record. */
export function keyedReduceOperator(ctx: OperatorContext, next: Emit, state: KeyedStateBackend): ChainedOperator {
  const fn = ctx.fn as (acc: unknown, value: unknown) => unknown;
  const selector = ctx.keySelector!;
  const table = state.table('reduce');
  return {
    process(record) {
      const key = keyToString(selector(record));
      const previous = table.get(key);
      let value = record;
      if (previous !== undefined) {
        try {
          value = fn(previous, record);
        } catch (error) {
          throw new UserFunctionError(ctx.descriptor, ctx.runtime.subtaskIndex, error);
        }
      }
      table.set(key, value);
      next(value);
    },
  };
}
