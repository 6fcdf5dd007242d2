import { ValidationError, type AggregateFunction } from '@weir/common';
import type { DataStream, ReduceFunction } from '../data-stream.ts';
import type { JobBuilder } from '../job-builder.ts';
import type { OutputTag } from '../output-tag.ts';
import type { Transformation, TransformationInput } from '../transformation.ts';
import { describeTrigger, type Trigger } from './triggers.ts';
import type { WindowAssigner } from './window-assigners.ts';
import type { ProcessWindowFunction, TriggerSpec, WindowOperatorSpec } from './window-types.ts';

/** What a 'keyed.window' operator calls, as its `fn`. */
interface WindowFunctions {
  reduce?: ReduceFunction<unknown>;
  aggregate?: AggregateFunction<unknown, unknown, unknown>;
  process?: ProcessWindowFunction<unknown, unknown, unknown, unknown>;
}

/**
 * A keyed stream cut into windows (Flink's WindowedStream), made by
 * `keyedStream.window(assigner)`. Set the trigger, allowed lateness and late
 * data output, then end it with a window function: `reduce`, `aggregate`
 * (incremental: one value per window is kept) or `process` (all elements are
 * kept). Window contents and timers are keyed state: checkpointed and
 * restored.
 *
 * ```ts
 * const late = new OutputTag<Bid>('late-bids');
 * const counts = bids
 *   .keyBy((b) => b.auction)
 *   .window(TumblingEventTimeWindows.of(10_000))
 *   .allowedLateness(5_000)
 *   .sideOutputLateData(late)
 *   .aggregate(countBids, (auction, ctx, [n], out) => out.collect({ auction, n, end: ctx.window.end }));
 * ```
 */
export class WindowedStream<T, K, W> {
  private readonly builder: JobBuilder;
  private readonly input: TransformationInput;
  private readonly assigner: WindowAssigner<W>;
  private triggerSpec: TriggerSpec;
  private latenessMs = 0;
  private lateTag: string | null = null;

  private readonly toStream: <O>(node: Transformation) => DataStream<O>;

  /**
   * @internal Use `keyedStream.window(assigner)`. `toStream` wraps the window
   * operator's node in a DataStream: handed in by the KeyedStream that made
   * this one, so this module needs DataStream as a type only (no import cycle).
   */
  constructor(
    builder: JobBuilder,
    input: TransformationInput,
    assigner: WindowAssigner<W>,
    toStream: <O>(node: Transformation) => DataStream<O>,
  ) {
    this.toStream = toStream;
    this.builder = builder;
    this.input = input;
    this.assigner = assigner;
    this.triggerSpec = assigner.defaultTrigger();
  }

  /** Replaces the assigner's default trigger, e.g. `CountTrigger.of(100)` for `GlobalWindows`. */
  trigger(trigger: Trigger<W>): this {
    if (typeof trigger !== 'object' || trigger === null || !('spec' in trigger)) {
      throw new ValidationError('trigger() takes a trigger such as CountTrigger.of(n) or PurgingTrigger.of(CountTrigger.of(n))');
    }
    this.triggerSpec = { ...trigger.spec };
    return this;
  }

  /**
   * How long after a window's end (by the watermark) records still count:
   * each such record fires the window again with the updated result. Records
   * later than that are dropped, counted as `lateRecordsDropped`, and go to
   * the `sideOutputLateData` tag if one is set. Default 0; event time only.
   */
  allowedLateness(ms: number): this {
    if (!Number.isFinite(ms) || ms < 0) throw new ValidationError(`allowedLateness needs a number of ms >= 0, got ${ms}`);
    this.latenessMs = ms;
    return this;
  }

  /** Sends records too late for all their windows to the side output `tag`: read it with `result.getSideOutput(tag)`. */
  sideOutputLateData(tag: OutputTag<T>): this {
    if (typeof tag?.id !== 'string') throw new ValidationError('sideOutputLateData() takes an OutputTag, e.g. new OutputTag<T>("late")');
    this.lateTag = tag.id;
    return this;
  }

  /** Reduces each window's elements incrementally and emits the reduced value when the window fires. */
  reduce(fn: ReduceFunction<T>): DataStream<T>;
  /** Reduces incrementally; when the window fires, `processFn` gets `[reduced]` with the window's metadata. */
  reduce<O>(fn: ReduceFunction<T>, processFn: ProcessWindowFunction<T, O, K, W>): DataStream<O>;
  reduce<O>(fn: ReduceFunction<T>, processFn?: ProcessWindowFunction<T, O, K, W>): DataStream<O> {
    need('reduce', 'a reduce function (a, b) => ...', fn, 'function');
    if (processFn !== undefined) need('reduce', 'a process window function (key, context, [reduced], out) => ...', processFn, 'function');
    return this.apply<O>('Reduce', { reduce: fn as ReduceFunction<unknown>, process: processFn as WindowFunctions['process'] });
  }

  /** Aggregates each window's elements incrementally and emits `getResult(accumulator)` when the window fires. */
  aggregate<ACC, R>(fn: AggregateFunction<T, ACC, R>): DataStream<R>;
  /** Aggregates incrementally; when the window fires, `processFn` gets `[getResult(accumulator)]` with the window's metadata. */
  aggregate<ACC, R, O>(fn: AggregateFunction<T, ACC, R>, processFn: ProcessWindowFunction<R, O, K, W>): DataStream<O>;
  aggregate<ACC, R, O>(fn: AggregateFunction<T, ACC, R>, processFn?: ProcessWindowFunction<R, O, K, W>): DataStream<O> {
    if (typeof fn !== 'object' || fn === null || (['createAccumulator', 'add', 'getResult'] as const).some((m) => typeof fn[m] !== 'function')) {
      throw new ValidationError('aggregate() takes an AggregateFunction: an object { createAccumulator, add, getResult, merge? }');
    }
    if (this.assigner.spec.kind === 'event-time-session' && typeof fn.merge !== 'function') {
      throw new ValidationError('session windows merge: the AggregateFunction given to aggregate() needs merge(a, b) to combine two accumulators');
    }
    if (processFn !== undefined) need('aggregate', 'a process window function (key, context, [result], out) => ...', processFn, 'function');
    return this.apply<O>('Aggregate', { aggregate: fn as AggregateFunction<unknown, unknown, unknown>, process: processFn as WindowFunctions['process'] });
  }

  /** Keeps every element of a window and calls `fn` with all of them when the window fires. */
  process<O>(fn: ProcessWindowFunction<T, O, K, W>): DataStream<O> {
    need('process', 'a process window function (key, context, elements, out) => ...', fn, 'function');
    return this.apply<O>('Process', { process: fn as WindowFunctions['process'] });
  }

  private apply<O>(what: string, functions: WindowFunctions): DataStream<O> {
    const fn: WindowFunctions = {};
    if (functions.reduce) fn.reduce = functions.reduce;
    if (functions.aggregate) fn.aggregate = functions.aggregate;
    if (functions.process) fn.process = functions.process;
    const config: WindowOperatorSpec = {
      assigner: { ...this.assigner.spec },
      trigger: { ...this.triggerSpec },
      allowedLatenessMs: this.assigner.isEventTime() ? this.latenessMs : 0,
      lateTag: this.lateTag,
    };
    const name = `Window(${this.assigner.toString()}, ${describeTrigger(this.triggerSpec)}, ${what}${functions.process && what !== 'Process' ? '+Process' : ''})`;
    const node = this.builder.addNode('keyed.window', name, fn, { ...config }, [this.input]);
    return this.toStream<O>(node);
  }
}

function need(method: string, what: string, value: unknown, type: 'function'): void {
  if (typeof value !== type) throw new ValidationError(`${method}() takes ${what}, got ${value === null ? 'null' : typeof value}`);
}
