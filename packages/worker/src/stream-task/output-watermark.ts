// The event time a task announces downstream: its last watermark and
// idleness, sent in-line on every output channel, never backwards.
import { FrameKind } from '@weir/protocol/runtime';
import type { TaskOutput } from '../network/task-output.ts';
import type { SourceWatermark } from '../runtime/operator.ts';

/** The watermark and idleness a task sends downstream. */
export class OutputWatermark {
  private readonly output: TaskOutput;
  /** The last watermark sent. */
  watermark = Number.NEGATIVE_INFINITY;
  /** Whether downstream was last told this task is idle. */
  idle = false;

  constructor(output: TaskOutput) {
    this.output = output;
  }

  /** The last watermark handed to `emit` (with a hold, it may not have gone downstream yet). */
  private announced = Number.NEGATIVE_INFINITY;
  /**
   * Operators of the chain that hold watermarks behind their records (async
   * I/O) take every watermark first and `release` it later.
   */
  hold: ((watermark: number) => void) | undefined;

  /** Sends a watermark downstream if it advances event time (through the hold, if there is one). */
  emit(watermark: number): void {
    if (!this.hold) {
      this.release(watermark);
      return;
    }
    if (watermark <= this.announced) return;
    this.announced = watermark;
    this.hold(watermark);
  }

  /** Sends a watermark downstream now, if it advances event time. */
  release(watermark: number): void {
    if (watermark <= this.watermark) return;
    this.emitIdle(false);
    this.watermark = watermark;
    this.output.broadcastEvent(FrameKind.Watermark, watermark);
  }

  /** Tells downstream this task is idle (it must not wait for its watermark) or active again. */
  emitIdle(idle: boolean): void {
    if (idle === this.idle) return;
    this.idle = idle;
    this.output.broadcastEvent(FrameKind.WatermarkStatus, idle ? 1 : 0);
  }

  /** Forwards what a source or a watermark-generating operator reports, every autoWatermarkIntervalMs. */
  emitPeriodic(current: SourceWatermark | undefined): void {
    if (!current) return;
    if (current.idle) {
      this.emitIdle(true);
      return;
    }
    this.emitIdle(false);
    this.emit(current.watermark);
  }
}
