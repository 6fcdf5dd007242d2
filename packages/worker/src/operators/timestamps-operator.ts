import type { WatermarkStrategySpec } from '@weir/common/runtime';
import type { ChainedOperator, Emit, OperatorContext } from '../runtime/operator.ts';
import { SplitWatermarks } from '../runtime/time/split-watermarks.ts';
import { UserFunctionError } from '../runtime/user-function-error.ts';

/**
 * `assignTimestampsAndWatermarks`: gives every record its event time (the
 * user's assigner) and generates the subtask's watermarks from them; the
 * task sends these instead of the watermarks of its inputs.
 */
export function timestampsOperator(ctx: OperatorContext, next: Emit): ChainedOperator {
  const spec = ctx.descriptor.config.watermarks as WatermarkStrategySpec;
  const watermarks = new SplitWatermarks(spec, ctx.functions);
  const time = ctx.time;
  const split = `subtask-${ctx.runtime.subtaskIndex}`;
  watermarks.addSplit(split);
  return {
    process(record) {
      let timestamp: number;
      try {
        timestamp = watermarks.timestampOf(record, time.timestamp);
      } catch (error) {
        throw new UserFunctionError(ctx.descriptor, ctx.runtime.subtaskIndex, error);
      }
      time.timestamp = timestamp;
      watermarks.onEvent(split, record, timestamp);
      next(record);
    },
    periodicWatermark() {
      return watermarks.current() ?? { watermark: Number.NEGATIVE_INFINITY, idle: false };
    },
  };
}
