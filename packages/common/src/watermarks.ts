// Event time: the contracts between watermark strategies (SDK) and the
// runtime that runs them, after Flink's WatermarkGenerator API.

/** Where a watermark generator reports progress. */
export interface WatermarkOutput {
  /** Event time has reached `timestamp`: no record with a smaller or equal timestamp should follow. */
  emitWatermark(timestamp: number): void;
  /** This input has no data for now: it must not hold back the watermark downstream. */
  markIdle(): void;
  /** This input has data again. */
  markActive(): void;
}

/** Generates watermarks from the events it sees (per split, or per subtask). */
export interface WatermarkGenerator<T> {
  /** Called for every event with its timestamp. */
  onEvent(event: T, timestamp: number, output: WatermarkOutput): void;
  /** Called every `autoWatermarkIntervalMs` (see `env.setAutoWatermarkInterval`). */
  onPeriodicEmit(output: WatermarkOutput): void;
}

/** Extracts the event time (ms) of a record; `recordTimestamp` is the record's current timestamp, or NaN. */
export type TimestampAssigner<T> = (element: T, recordTimestamp: number) => number;

export const WATERMARK_STRATEGY_KINDS = ['bounded-out-of-orderness', 'monotonous', 'custom', 'none'] as const;
export type WatermarkStrategyKind = (typeof WATERMARK_STRATEGY_KINDS)[number];

/**
 * The serializable part of a watermark strategy (operator config
 * `watermarks`); its functions travel as the operator's `timestampAssigner`
 * and `watermarkGenerator` (a factory) functions.
 */
export interface WatermarkStrategySpec {
  kind: WatermarkStrategyKind;
  /** For bounded out-of-orderness: how late a record may be and still count. */
  maxOutOfOrdernessMs: number;
  /** An input without events for this long is idle; null: never. */
  idlenessMs: number | null;
}
