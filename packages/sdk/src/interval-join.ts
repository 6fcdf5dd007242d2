import { ValidationError, type ProcessJoinFunction } from '@weir/common';
import type { KeyedConnectedStreams } from './connected-streams.ts';
import type { DataStream } from './data-stream.ts';

/**
 * An interval join being set up (Flink's KeyedStream.IntervalJoin), made by
 * `left.intervalJoin(right)`: both streams keyed alike and with event time.
 */
export class IntervalJoin<L, R, K> {
  private readonly connected: KeyedConnectedStreams<L, R, K>;

  /** @internal Use `keyedLeft.intervalJoin(keyedRight)`. */
  constructor(connected: KeyedConnectedStreams<L, R, K>) {
    this.connected = connected;
  }

  /**
   * Joins a left record l with the right records r of its key whose event
   * time lies in `[l.ts + lowerMs, l.ts + upperMs]` (both bounds inclusive;
   * negative bounds look back in time). `lowerMs <= upperMs`.
   */
  between(lowerMs: number, upperMs: number): IntervalJoined<L, R, K> {
    if (!Number.isInteger(lowerMs) || !Number.isInteger(upperMs)) {
      throw new ValidationError(`between() takes two whole numbers of ms, got ${lowerMs} and ${upperMs}`);
    }
    if (lowerMs > upperMs) throw new ValidationError(`between(lowerMs, upperMs) needs lowerMs <= upperMs, got ${lowerMs} > ${upperMs}`);
    return new IntervalJoined<L, R, K>(this.connected, lowerMs, upperMs);
  }
}

/**
 * An interval join with its bounds (Flink's IntervalJoined): make a bound
 * exclusive if needed, then `process(ProcessJoinFunction)`. Each side's
 * records are kept in keyed state (checkpointed) until the watermark passes
 * the last time a partner could arrive; records behind the watermark are
 * late: dropped and counted (`lateRecordsDropped`). Results carry the larger
 * of the two records' timestamps.
 */
export class IntervalJoined<L, R, K> {
  private readonly connected: KeyedConnectedStreams<L, R, K>;
  private readonly lowerMs: number;
  private readonly upperMs: number;
  private lowerExclusive = false;
  private upperExclusive = false;

  /** @internal Use `intervalJoin(...).between(lower, upper)`. */
  constructor(connected: KeyedConnectedStreams<L, R, K>, lowerMs: number, upperMs: number) {
    this.connected = connected;
    this.lowerMs = lowerMs;
    this.upperMs = upperMs;
  }

  /** Excludes the lower bound: `r.ts > l.ts + lowerMs`. */
  lowerBoundExclusive(): this {
    this.lowerExclusive = true;
    return this;
  }

  /** Excludes the upper bound: `r.ts < l.ts + upperMs`. */
  upperBoundExclusive(): this {
    this.upperExclusive = true;
    return this;
  }

  /** Calls `fn.processElement(left, right, ctx, out)` for every matching pair. */
  process<O>(fn: ProcessJoinFunction<L, R, O>): DataStream<O> {
    if (typeof fn !== 'object' || fn === null || typeof fn.processElement !== 'function') {
      throw new ValidationError('process() of an interval join takes a ProcessJoinFunction: an object { processElement(left, right, ctx, out) }');
    }
    const lower = this.lowerMs + (this.lowerExclusive ? 1 : 0);
    const upper = this.upperMs - (this.upperExclusive ? 1 : 0);
    if (lower > upper) throw new ValidationError(`the interval join's bounds leave no time: (${this.lowerMs}, ${this.upperMs}) with exclusive bounds is empty`);
    const config = { lowerBound: this.lowerMs, upperBound: this.upperMs, lowerBoundExclusive: this.lowerExclusive, upperBoundExclusive: this.upperExclusive };
    return this.connected.addOperator<O>('keyed.intervalJoin', `IntervalJoin[${this.lowerMs}, ${this.upperMs}]`, fn, config);
  }
}
