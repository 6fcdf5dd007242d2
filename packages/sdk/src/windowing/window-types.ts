import type { Collector } from '@weir/common';

/**
 * A window of event or processing time: the interval `[start, end)` in ms.
 * Results of a window carry `maxTimestamp` (`end - 1`, the last ms in it) as
 * their event time, so windows can follow windows.
 */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
  /** `end - 1`. */
  readonly maxTimestamp: number;
}

/** The single window of `GlobalWindows` (all of a key's records); it never ends on its own. */
export interface GlobalWindow {
  /** `Infinity`: results of a global window carry no finite event time. */
  readonly maxTimestamp: number;
}

/** What a process window function knows besides the window's elements. */
export interface WindowContext<W> {
  /** The window being evaluated. */
  readonly window: W;
  /** The operator's input watermark (-Infinity before the first one). */
  readonly currentWatermark: number;
  /** The wall clock, in ms since the epoch. */
  readonly currentProcessingTime: number;
}

/**
 * Evaluates one window of one key (Flink's ProcessWindowFunction): `elements`
 * are the window's records (with `.process()`), or the single reduced or
 * aggregated value (with `.reduce(fn, processFn)` / `.aggregate(fn, processFn)`).
 * The array is the function's own copy. Records collected carry the window's
 * `maxTimestamp` as their event time.
 */
export type ProcessWindowFunction<IN, OUT, KEY, W = TimeWindow> = (key: KEY, context: WindowContext<W>, elements: IN[], out: Collector<OUT>) => void;

/** How a window assigner travels in the 'keyed.window' operator's config. */
export interface WindowAssignerSpec {
  kind: 'tumbling-event-time' | 'sliding-event-time' | 'event-time-session' | 'tumbling-processing-time' | 'sliding-processing-time' | 'global';
  sizeMs?: number;
  slideMs?: number;
  offsetMs?: number;
  gapMs?: number;
}

/** How a trigger travels in the operator's config. */
export interface TriggerSpec {
  kind: 'event-time' | 'processing-time' | 'count' | 'never';
  /** For `count`: fire once this many elements arrived since the last firing. */
  count?: number;
  /** Clear the window's contents after every firing (PurgingTrigger). */
  purge: boolean;
}

/** The config of a 'keyed.window' operator; its `fn` is `{ reduce?, aggregate?, process? }`. */
export interface WindowOperatorSpec {
  assigner: WindowAssignerSpec;
  trigger: TriggerSpec;
  allowedLatenessMs: number;
  /** Side output tag for records too late for all their windows; null: they are only counted. */
  lateTag: string | null;
}
