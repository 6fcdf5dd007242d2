import { ValidationError } from '@weir/common';
import type { GlobalWindow, TimeWindow, TriggerSpec, WindowAssignerSpec } from './window-types.ts';

function positive(what: string, ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0) throw new ValidationError(`${what} must be a number of ms > 0, got ${ms}`);
  return ms;
}

function offset(what: string, offsetMs: number, periodMs: number, period: string): number {
  if (!Number.isFinite(offsetMs) || Math.abs(offsetMs) >= periodMs) {
    throw new ValidationError(`${what}: the offset must be a number of ms with |offset| < ${period} (${periodMs}), got ${offsetMs}`);
  }
  return offsetMs;
}

/**
 * Puts each record into windows (Flink's WindowAssigner). Created with the
 * static methods of its subclasses, e.g. `TumblingEventTimeWindows.of(60_000)`,
 * and given to `keyedStream.window(assigner)`.
 */
export abstract class WindowAssigner<W> {
  /** @internal */
  readonly spec: WindowAssignerSpec;
  /** Type-level marker of the window type; never set at runtime. */
  declare readonly __windowType?: (window: W) => W;

  /** @internal */
  protected constructor(spec: WindowAssignerSpec) {
    this.spec = spec;
  }

  /** True for event-time assigners (windows end when the watermark passes them). */
  isEventTime(): boolean {
    return this.spec.kind.endsWith('event-time') || this.spec.kind === 'event-time-session';
  }

  /** @internal The trigger used unless `.trigger()` names another. */
  defaultTrigger(): TriggerSpec {
    if (this.spec.kind === 'global') return { kind: 'never', purge: false };
    return { kind: this.isEventTime() ? 'event-time' : 'processing-time', purge: false };
  }

  /** For operator names: e.g. `TumblingEventTimeWindows(60000)`. */
  abstract toString(): string;
}

/** Windows of a fixed size that do not overlap, in event time: `[start, start + size)` with `start = offset + k * size`. */
export class TumblingEventTimeWindows extends WindowAssigner<TimeWindow> {
  /** Windows of `sizeMs`, shifted by `offsetMs` (e.g. -8 h for days in UTC+8); |offset| < size. */
  static of(sizeMs: number, offsetMs = 0): TumblingEventTimeWindows {
    positive('TumblingEventTimeWindows.of: the size', sizeMs);
    return new TumblingEventTimeWindows({ kind: 'tumbling-event-time', sizeMs, offsetMs: offset('TumblingEventTimeWindows.of', offsetMs, sizeMs, 'size') });
  }

  toString(): string {
    return `TumblingEventTimeWindows(${this.spec.sizeMs})`;
  }
}

/** Windows of `size` that start every `slide` ms, in event time: a record belongs to about size/slide of them. */
export class SlidingEventTimeWindows extends WindowAssigner<TimeWindow> {
  /** Windows of `sizeMs` starting every `slideMs` (shifted by `offsetMs`, |offset| < slide). */
  static of(sizeMs: number, slideMs: number, offsetMs = 0): SlidingEventTimeWindows {
    positive('SlidingEventTimeWindows.of: the size', sizeMs);
    positive('SlidingEventTimeWindows.of: the slide', slideMs);
    return new SlidingEventTimeWindows({ kind: 'sliding-event-time', sizeMs, slideMs, offsetMs: offset('SlidingEventTimeWindows.of', offsetMs, slideMs, 'slide') });
  }

  toString(): string {
    return `SlidingEventTimeWindows(${this.spec.sizeMs}, ${this.spec.slideMs})`;
  }
}

/**
 * Sessions in event time: a record opens the window `[t, t + gap)`, and
 * windows of a key that overlap or touch merge into one session. An
 * `AggregateFunction` used on sessions needs `merge`.
 */
export class EventTimeSessionWindows extends WindowAssigner<TimeWindow> {
  /** A session ends after `gapMs` without records of its key. */
  static withGap(gapMs: number): EventTimeSessionWindows {
    return new EventTimeSessionWindows({ kind: 'event-time-session', gapMs: positive('EventTimeSessionWindows.withGap: the gap', gapMs) });
  }

  toString(): string {
    return `EventTimeSessionWindows(${this.spec.gapMs})`;
  }
}

/**
 * Tumbling windows of the wall clock of the worker that processes the record
 * (not reproducible: prefer event time). At the end of bounded input, open
 * windows fire.
 */
export class TumblingProcessingTimeWindows extends WindowAssigner<TimeWindow> {
  static of(sizeMs: number, offsetMs = 0): TumblingProcessingTimeWindows {
    positive('TumblingProcessingTimeWindows.of: the size', sizeMs);
    return new TumblingProcessingTimeWindows({ kind: 'tumbling-processing-time', sizeMs, offsetMs: offset('TumblingProcessingTimeWindows.of', offsetMs, sizeMs, 'size') });
  }

  toString(): string {
    return `TumblingProcessingTimeWindows(${this.spec.sizeMs})`;
  }
}

/** Sliding windows of the wall clock (see {@link TumblingProcessingTimeWindows}). */
export class SlidingProcessingTimeWindows extends WindowAssigner<TimeWindow> {
  static of(sizeMs: number, slideMs: number, offsetMs = 0): SlidingProcessingTimeWindows {
    positive('SlidingProcessingTimeWindows.of: the size', sizeMs);
    positive('SlidingProcessingTimeWindows.of: the slide', slideMs);
    return new SlidingProcessingTimeWindows({
      kind: 'sliding-processing-time',
      sizeMs,
      slideMs,
      offsetMs: offset('SlidingProcessingTimeWindows.of', offsetMs, slideMs, 'slide'),
    });
  }

  toString(): string {
    return `SlidingProcessingTimeWindows(${this.spec.sizeMs}, ${this.spec.slideMs})`;
  }
}

/**
 * One window per key holding all its records. It fires only through a
 * trigger: `.trigger(CountTrigger.of(n))`, or `PurgingTrigger.of(...)` to
 * start over after every firing (what `countWindow(n)` does). As in Flink,
 * what a count trigger has not fired by the end of bounded input is dropped.
 */
export class GlobalWindows extends WindowAssigner<GlobalWindow> {
  static create(): GlobalWindows {
    return new GlobalWindows({ kind: 'global' });
  }

  toString(): string {
    return 'GlobalWindows';
  }
}
