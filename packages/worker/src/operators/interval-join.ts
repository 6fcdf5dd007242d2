// The interval join (Flink's IntervalJoinOperator): both inputs keyed alike;
// each record is buffered in its key's state under its timestamp and joined
// with the other side's buffered records whose time lies within the bounds;
// a cleanup timer per record drops it once the watermark has passed the last
// time a partner could still arrive.
import type { Collector, MapStateDescriptorSpec, ProcessJoinContext, ProcessJoinFunction } from '@weir/common/runtime';
import type { ChainedOperator, Emit, OperatorContext } from '../runtime/operator.ts';
import type { KeyedStateBackend } from '../state-backends/keyed-state-backend.ts';
import { keyedFunctionContext } from './keyed-function-context.ts';
import { lifecycle, processContextBase, userError } from './process-context.ts';

/** The config of a `keyed.intervalJoin` operator (bounds in ms, relative to the left record's time). */
export interface IntervalJoinConfig {
  lowerBound: number;
  upperBound: number;
  lowerBoundExclusive?: boolean;
  upperBoundExclusive?: boolean;
}

const LEFT: MapStateDescriptorSpec<number, unknown[]> = { kind: 'map', name: 'interval-join-left', keyType: 'number' };
const RIGHT: MapStateDescriptorSpec<number, unknown[]> = { kind: 'map', name: 'interval-join-right', keyType: 'number' };

/**
 * Joins left record l and right record r of one key when
 * `l.ts + lowerBound <= r.ts <= l.ts + upperBound` (bounds made inclusive:
 * an exclusive bound moves by 1 ms). Results carry the larger of the two
 * timestamps. Records behind the watermark are late: dropped and counted
 * (`lateRecordsDropped`).
 */
export function intervalJoinOperator(ctx: OperatorContext, next: Emit, state: KeyedStateBackend): ChainedOperator {
  const fn = ctx.fn as ProcessJoinFunction<unknown, unknown, unknown>;
  const config = ctx.descriptor.config as unknown as IntervalJoinConfig;
  const lower = config.lowerBound + (config.lowerBoundExclusive ? 1 : 0);
  const upper = config.upperBound - (config.upperBoundExclusive ? 1 : 0);
  const keyed = keyedFunctionContext(ctx, state);
  const left = keyed.store.getMapState(LEFT);
  const right = keyed.store.getMapState(RIGHT);
  const base = processContextBase(ctx);
  const time = ctx.time;
  const out: Collector<unknown> = { collect: next };
  const selectors = [ctx.keySelector!, ctx.secondKeySelector!];

  const emit = (l: unknown, r: unknown, leftTimestamp: number, rightTimestamp: number): void => {
    const timestamp = Math.max(leftTimestamp, rightTimestamp);
    const context: ProcessJoinContext = { ...ctx.runtime, leftTimestamp, rightTimestamp, timestamp, output: base.output };
    const own = time.timestamp;
    time.timestamp = timestamp;
    try {
      fn.processElement(l, r, context, out);
    } catch (error) {
      userError(ctx, error);
    } finally {
      time.timestamp = own;
    }
  };

  const processElement = (record: unknown, isLeft: boolean): void => {
    keyed.setKey(selectors[isLeft ? 0 : 1]!(record));
    const ts = time.timestamp;
    if (Number.isNaN(ts)) {
      throw new Error(
        `interval join '${ctx.descriptor.name}' (${ctx.descriptor.id}): a record has no event time; give both inputs timestamps (a WatermarkStrategy with a timestamp assigner)`,
      );
    }
    if (ts < keyed.timers.watermark) {
      ctx.count('lateRecordsDropped');
      return;
    }
    const [ours, theirs] = isLeft ? [left, right] : [right, left];
    ours.put(ts, [...(ours.get(ts) ?? []), record]);
    // The other side's times that match: [ts + lower, ts + upper] for a left record, [ts - upper, ts - lower] for a right one.
    const from = isLeft ? ts + lower : ts - upper;
    const to = isLeft ? ts + upper : ts - lower;
    for (const [bucket, values] of theirs.entries()) {
      if (bucket < from || bucket > to) continue;
      for (const other of values) {
        if (isLeft) emit(record, other, ts, bucket);
        else emit(other, record, bucket, ts);
      }
    }
    // Kept until no partner can arrive any more: the latest matching time of the other side, if after its own.
    const relativeUpper = isLeft ? upper : -lower;
    keyed.context.timerService().registerEventTimeTimer(relativeUpper > 0 ? ts + relativeUpper : ts);
  };

  return {
    ...lifecycle(ctx, fn),
    states: () => keyed.store.states(),
    timers: {
      service: keyed.timers,
      fire(due) {
        keyed.timerContext(due);
        if (due.domain !== 'event-time') return;
        // One timer may stand for a left and a right bucket: both are due at this time.
        left.remove(upper <= 0 ? due.timestamp : due.timestamp - upper);
        right.remove(lower <= 0 ? due.timestamp + lower : due.timestamp);
      },
    },
    process: (record) => processElement(record, true),
    process2: (record) => processElement(record, false),
  };
}
