import { sleep } from '@weir/common';
import type { Emit, OperatorContext, SourceOperator } from '../runtime/operator.ts';
import { UserFunctionError } from '../runtime/user-function-error.ts';

/**
 * Emits fn(i) for the indices i with i mod parallelism = subtaskIndex, up to
 * `count` (or forever), no faster than its share of `ratePerSecond`. Its
 * position is the number of records it has emitted.
 */
export function generatorSource(ctx: OperatorContext, next: Emit): SourceOperator {
  const fn = ctx.fn as (index: number) => unknown;
  const { subtaskIndex, parallelism } = ctx.runtime;
  const count = (ctx.descriptor.config.count as number | null) ?? Number.POSITIVE_INFINITY;
  const rate = ctx.descriptor.config.ratePerSecond as number | null;
  const ratePerSubtask = rate ? rate / parallelism : 0;
  let index = subtaskIndex;
  let emitted = 0;
  let startedAt = 0;
  return {
    open() {
      startedAt = performance.now();
    },
    async emitBatch(max) {
      let budget = max;
      if (ratePerSubtask > 0) {
        const allowed = Math.floor(((performance.now() - startedAt) / 1000) * ratePerSubtask) - emitted;
        if (allowed <= 0) {
          await sleep(Math.min(100, Math.max(1, 1000 / ratePerSubtask)));
          return true;
        }
        budget = Math.min(budget, allowed);
      }
      for (let n = 0; n < budget; n++) {
        if (index >= count) return false;
        let record: unknown;
        try {
          record = fn(index);
        } catch (error) {
          throw new UserFunctionError(ctx.descriptor, subtaskIndex, error);
        }
        index += parallelism;
        emitted++;
        next(record);
      }
      return index < count;
    },
  };
}
