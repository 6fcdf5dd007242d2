// What every process function's context shares (the record's timestamp and
// side outputs), the user-error wrapper, and the timer service of
// non-keyed process functions, which refuses timers as Flink does.
import type { NonKeyedTimerService, ProcessContextBase, RuntimeContext } from '@weir/common/runtime';
import type { ChainedOperator, Emit, OperatorContext } from '../runtime/operator.ts';
import { UserFunctionError } from '../runtime/user-function-error.ts';

/** `timestamp()` and `output(tag, value)` of a process function's context. */
export function processContextBase(ctx: OperatorContext): ProcessContextBase {
  const sideOutputs = new Map<string, (record: unknown) => void>();
  return {
    ...ctx.runtime,
    currentTimestamp: () => (Number.isNaN(ctx.time.timestamp) ? undefined : ctx.time.timestamp),
    output(tag, value) {
      let emit = sideOutputs.get(tag.id);
      if (!emit) sideOutputs.set(tag.id, (emit = ctx.sideOutput(tag.id)));
      emit(value);
    },
  };
}

/** Rethrows what a user function threw as a UserFunctionError naming the operator. */
export function userError(ctx: OperatorContext, error: unknown): never {
  throw error instanceof UserFunctionError ? error : new UserFunctionError(ctx.descriptor, ctx.runtime.subtaskIndex, error);
}

/** Runs `call`, turning what the user function throws into a UserFunctionError naming the operator. */
export function userCall<T>(ctx: OperatorContext, call: () => T): T {
  try {
    return call();
  } catch (error) {
    return userError(ctx, error);
  }
}

function timersNeedKeys(): never {
  throw new Error('Setting timers is only supported on a keyed stream: put keyBy() before process() (KeyedProcessFunction) or key both inputs of connect()');
}

/** The clocks of a non-keyed operator; registering or deleting a timer throws. */
export function nonKeyedTimerService(watermark: () => number): NonKeyedTimerService {
  return {
    currentProcessingTime: () => Date.now(),
    currentWatermark: watermark,
    registerProcessingTimeTimer: timersNeedKeys,
    registerEventTimeTimer: timersNeedKeys,
    deleteProcessingTimeTimer: timersNeedKeys,
    deleteEventTimeTimer: timersNeedKeys,
  };
}

/** The user function's `open` and `close`, each with its errors wrapped. */
export function lifecycle(ctx: OperatorContext, fn: { open?(context: RuntimeContext): void; close?(): void }): Pick<ChainedOperator, 'open' | 'close'> {
  return { open: () => userCall(ctx, () => fn.open?.(ctx.runtime)), close: () => userCall(ctx, () => fn.close?.()) };
}

/** A per-record entry calling `call(record)` with its errors wrapped. */
export function perRecord(ctx: OperatorContext, call: (record: unknown) => void): Emit {
  return (record) => {
    try {
      call(record);
    } catch (error) {
      userError(ctx, error);
    }
  };
}
