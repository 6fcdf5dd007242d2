// Non-keyed process functions: one input (Flink's ProcessOperator) and two
// (CoProcessOperator). Side outputs and the clocks; no keyed state, and
// timers are refused as in Flink.
import type { Collector, CoProcessFunction, ProcessContext, ProcessFunction } from '@weir/common/runtime';
import type { ChainedOperator, Emit, OperatorContext } from '../runtime/operator.ts';
import { lifecycle, nonKeyedTimerService, perRecord, processContextBase } from './process-context.ts';

/** The context of a non-keyed process function; `watermark` reads the task's input watermark. */
function nonKeyedContext(ctx: OperatorContext): ProcessContext {
  const timerService = nonKeyedTimerService(() => ctx.watermark?.() ?? Number.NEGATIVE_INFINITY);
  return { ...processContextBase(ctx), timerService: () => timerService };
}

/** process(ProcessFunction) on a non-keyed stream. */
export function processOperator(ctx: OperatorContext, next: Emit): ChainedOperator {
  const fn = ctx.fn as ProcessFunction<unknown, unknown>;
  const out: Collector<unknown> = { collect: next };
  const context = nonKeyedContext(ctx);
  return { ...lifecycle(ctx, fn), process: perRecord(ctx, (record) => fn.processElement(record, context, out)) };
}

/** connect(...).process(CoProcessFunction) (and map/flatMap, which the SDK turns into one). */
export function coProcessOperator(ctx: OperatorContext, next: Emit): ChainedOperator {
  const fn = ctx.fn as CoProcessFunction<unknown, unknown, unknown>;
  const out: Collector<unknown> = { collect: next };
  const context = nonKeyedContext(ctx);
  return {
    ...lifecycle(ctx, fn),
    process: perRecord(ctx, (record) => fn.processElement1(record, context, out)),
    process2: perRecord(ctx, (record) => fn.processElement2(record, context, out)),
  };
}
