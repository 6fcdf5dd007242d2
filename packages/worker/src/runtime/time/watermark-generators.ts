import type { WatermarkGenerator, WatermarkOutput, WatermarkStrategySpec } from '@weir/common/runtime';

/**
 * Builds the generator a strategy describes: bounded out-of-orderness (the
 * largest timestamp seen, minus the delay, minus 1 ms, as in Flink),
 * monotonous (a delay of 0), the user's own (`factory`), or none.
 */
export function createWatermarkGenerator(spec: WatermarkStrategySpec, factory: (() => WatermarkGenerator<unknown>) | undefined): WatermarkGenerator<unknown> | undefined {
  switch (spec.kind) {
    case 'none':
      return undefined;
    case 'custom':
      if (!factory) throw new Error('a custom watermark strategy needs its generator: use WatermarkStrategy.forGenerator(() => generator)');
      return factory();
    case 'monotonous':
    case 'bounded-out-of-orderness':
      return boundedOutOfOrderness(spec.kind === 'monotonous' ? 0 : spec.maxOutOfOrdernessMs);
  }
}

function boundedOutOfOrderness(delayMs: number): WatermarkGenerator<unknown> {
  let maxTimestamp = Number.NEGATIVE_INFINITY;
  return {
    onEvent(_event: unknown, timestamp: number) {
      if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    },
    onPeriodicEmit(output: WatermarkOutput) {
      if (maxTimestamp !== Number.NEGATIVE_INFINITY) output.emitWatermark(maxTimestamp - delayMs - 1);
    },
  };
}
