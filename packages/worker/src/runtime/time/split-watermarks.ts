import type { TimestampAssigner, WatermarkGenerator, WatermarkOutput, WatermarkStrategySpec } from '@weir/common/runtime';
import type { SourceWatermark } from '../operator.ts';
import { createWatermarkGenerator } from './watermark-generators.ts';

interface SplitState {
  generator: WatermarkGenerator<unknown> | undefined;
  watermark: number;
  /** The generator said so (markIdle), or no event came for the idleness timeout. */
  markedIdle: boolean;
  lastEventAt: number;
  /** An event came since the last periodic emit (stamped then: no clock read per event). */
  sawEvent: boolean;
  output: WatermarkOutput;
}

/**
 * Event time of a source subtask, per split (Flink's per-split watermark
 * generation): every split (generator split, file range, Kafka partition) has
 * its own generator; the subtask's watermark is the minimum over the splits
 * that are not idle. A split that gets no event for the strategy's idleness
 * timeout is idle until its next event; when every split is idle, so is the
 * subtask, and downstream stops waiting for it.
 */
export class SplitWatermarks {
  private readonly spec: WatermarkStrategySpec | undefined;
  private readonly assigner: TimestampAssigner<unknown> | undefined;
  private readonly factory: (() => WatermarkGenerator<unknown>) | undefined;
  private readonly now: () => number;
  private readonly splits = new Map<string, SplitState>();
  private emitted = Number.NEGATIVE_INFINITY;

  constructor(spec: WatermarkStrategySpec | undefined, functions: Readonly<Record<string, unknown>>, now: () => number = Date.now) {
    this.spec = spec;
    this.assigner = functions.timestampAssigner as TimestampAssigner<unknown> | undefined;
    this.factory = functions.watermarkGenerator as (() => WatermarkGenerator<unknown>) | undefined;
    this.now = now;
  }

  /** True when the source has a strategy with watermarks. */
  get enabled(): boolean {
    return this.spec !== undefined && this.spec.kind !== 'none';
  }

  /** The record's event time: the user's assigner, else the source's own timestamp (NaN: none). */
  timestampOf(record: unknown, sourceTimestamp = Number.NaN): number {
    return this.assigner ? this.assigner(record, sourceTimestamp) : sourceTimestamp;
  }

  addSplit(id: string): void {
    if (this.splits.has(id) || !this.spec) return;
    const split: SplitState = {
      generator: createWatermarkGenerator(this.spec, this.factory),
      watermark: Number.NEGATIVE_INFINITY,
      markedIdle: false,
      lastEventAt: this.now(),
      sawEvent: false,
      output: undefined as unknown as WatermarkOutput,
    };
    split.output = {
      emitWatermark: (timestamp) => {
        if (timestamp > split.watermark) split.watermark = timestamp;
      },
      markIdle: () => {
        split.markedIdle = true;
      },
      markActive: () => {
        split.markedIdle = false;
      },
    };
    this.splits.set(id, split);
  }

  /** The split is finished: it no longer holds back the watermark. */
  removeSplit(id: string): void {
    this.splits.delete(id);
  }

  onEvent(id: string, record: unknown, timestamp: number): void {
    let split = this.splits.get(id);
    if (!split) {
      this.addSplit(id);
      split = this.splits.get(id);
      if (!split) return;
    }
    split.sawEvent = true;
    split.markedIdle = false;
    if (Number.isFinite(timestamp)) split.generator?.onEvent(record, timestamp, split.output);
  }

  /**
   * The subtask's watermark now: runs every split's periodic emit, then takes
   * the minimum over active splits. Never goes backwards. Undefined without
   * a strategy or before any split exists.
   */
  current(): SourceWatermark | undefined {
    if (!this.enabled || this.splits.size === 0) return undefined;
    let min = Number.POSITIVE_INFINITY;
    let active = 0;
    for (const split of this.splits.values()) {
      split.generator?.onPeriodicEmit(split.output);
      if (this.isIdleSplit(split)) continue;
      active++;
      if (split.watermark < min) min = split.watermark;
    }
    if (active === 0) return { watermark: this.emitted, idle: true };
    if (min > this.emitted) this.emitted = min;
    return { watermark: this.emitted, idle: false };
  }

  splitWatermark(id: string): number | null {
    const w = this.splits.get(id)?.watermark;
    return w === undefined || w === Number.NEGATIVE_INFINITY ? null : w;
  }

  isIdle(id: string): boolean {
    const split = this.splits.get(id);
    return split !== undefined && this.isIdleSplit(split);
  }

  private isIdleSplit(split: SplitState): boolean {
    if (split.sawEvent) {
      split.sawEvent = false;
      split.lastEventAt = this.now();
    }
    if (split.markedIdle) return true;
    const idleness = this.spec?.idlenessMs;
    return idleness !== null && idleness !== undefined && this.now() - split.lastEventAt >= idleness;
  }
}
