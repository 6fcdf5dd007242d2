import { ValidationError, type TimestampAssigner, type WatermarkGenerator, type WatermarkStrategySpec } from '@weir/common';

/**
 * How a stream gets event time: a timestamp assigner per record and a
 * watermark generator, per source split when given to a source (so an idle or
 * slow split holds back only what it must) or per subtask with
 * `assignTimestampsAndWatermarks`.
 *
 * ```ts
 * WatermarkStrategy.forBoundedOutOfOrderness<Bid>(5_000)
 *   .withTimestampAssigner((bid) => bid.dateTime)
 *   .withIdleness(10_000)
 * ```
 */
export class WatermarkStrategy<T> {
  /** @internal */
  readonly spec: WatermarkStrategySpec;
  /** @internal */
  readonly timestampAssigner: TimestampAssigner<T> | undefined;
  /** @internal */
  readonly generatorFactory: (() => WatermarkGenerator<T>) | undefined;

  private constructor(spec: WatermarkStrategySpec, assigner?: TimestampAssigner<T>, factory?: () => WatermarkGenerator<T>) {
    this.spec = spec;
    this.timestampAssigner = assigner;
    this.generatorFactory = factory;
  }

  /**
   * Records may arrive up to `maxOutOfOrdernessMs` late: the watermark trails
   * the largest timestamp seen by that much (minus 1 ms).
   */
  static forBoundedOutOfOrderness<T>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    if (!Number.isFinite(maxOutOfOrdernessMs) || maxOutOfOrdernessMs < 0) {
      throw new ValidationError(`forBoundedOutOfOrderness needs a delay >= 0 in ms, got ${maxOutOfOrdernessMs}`);
    }
    return new WatermarkStrategy<T>({ kind: 'bounded-out-of-orderness', maxOutOfOrdernessMs, idlenessMs: null });
  }

  /** Timestamps only grow: the watermark is the largest timestamp seen (minus 1 ms). */
  static forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>({ kind: 'monotonous', maxOutOfOrdernessMs: 0, idlenessMs: null });
  }

  /** Your own generator, created once per split (or per subtask). */
  static forGenerator<T>(factory: () => WatermarkGenerator<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>({ kind: 'custom', maxOutOfOrdernessMs: 0, idlenessMs: null }, undefined, factory);
  }

  /** Records get timestamps (with an assigner) but no watermark is generated. */
  static noWatermarks<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>({ kind: 'none', maxOutOfOrdernessMs: 0, idlenessMs: null });
  }

  /** Reads each record's event time in ms. Without one, sources use their own (e.g. the Kafka record timestamp). */
  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(this.spec, assigner, this.generatorFactory);
  }

  /** An input (split) without records for `timeoutMs` is idle and stops holding back the watermark. */
  withIdleness(timeoutMs: number): WatermarkStrategy<T> {
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new ValidationError(`withIdleness needs a timeout > 0 in ms, got ${timeoutMs}`);
    return new WatermarkStrategy<T>({ ...this.spec, idlenessMs: timeoutMs }, this.timestampAssigner, this.generatorFactory);
  }

  /** @internal The operator config and functions that carry this strategy. */
  toOperator(): { config: { watermarks: WatermarkStrategySpec }; functions: Record<string, unknown> } {
    const functions: Record<string, unknown> = {};
    if (this.timestampAssigner) functions.timestampAssigner = this.timestampAssigner;
    if (this.generatorFactory) functions.watermarkGenerator = this.generatorFactory;
    return { config: { watermarks: { ...this.spec } }, functions };
  }
}
