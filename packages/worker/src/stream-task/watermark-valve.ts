// The watermark valve of a task with inputs (Flink's StatusWatermarkValve):
// combines the watermarks and idleness of its input channels into the
// task's input watermark.
import type { InputChannel, InputGate } from '../network/input-gate.ts';

/** What the valve reports to its task. */
export interface WatermarkValveEvents {
  /** Every live input is idle (true), or one is active again (false). Reported on each evaluation. */
  onIdle(idle: boolean): void;
  /** The input watermark advanced to `watermark`. */
  onAdvance(watermark: number): Promise<void>;
}

/**
 * A task's input watermark is the minimum over its active input channels
 * that have not ended; a channel at EndOfData holds nothing back. When every
 * open channel is idle, so is the task.
 */
export class WatermarkValve {
  private readonly gate: InputGate;
  private readonly events: WatermarkValveEvents;
  private readonly watermarks = new Map<InputChannel, number>();
  private readonly idle = new Set<InputChannel>();
  /** The input watermark (minimum over live, active inputs). */
  current = Number.NEGATIVE_INFINITY;

  constructor(gate: InputGate, events: WatermarkValveEvents) {
    this.gate = gate;
    this.events = events;
  }

  /** Records arrived on `channel`: true when it was idle and is active now (then call `evaluate`). */
  activate(channel: InputChannel): boolean {
    return this.idle.delete(channel);
  }

  /** A watermark arrived in-line on `channel`. */
  onWatermark(channel: InputChannel, watermark: number): Promise<void> {
    this.watermarks.set(channel, Math.max(this.watermarks.get(channel) ?? Number.NEGATIVE_INFINITY, watermark));
    this.idle.delete(channel);
    return this.evaluate();
  }

  /** `channel`'s producer went idle or became active again. */
  onStatus(channel: InputChannel, idle: boolean): Promise<void> {
    if (idle) this.idle.add(channel);
    else this.idle.delete(channel);
    return this.evaluate();
  }

  /** Recomputes the input watermark (after a channel's watermark, status, EndOfData or end changed). */
  async evaluate(): Promise<void> {
    const open = this.gate.all().filter((c) => !c.ended);
    if (open.length === 0) return;
    const live = open.filter((c) => !this.idle.has(c));
    if (live.length === 0) {
      this.events.onIdle(true);
      return;
    }
    this.events.onIdle(false);
    const combined = Math.min(...live.map((c) => (c.endOfData ? Number.POSITIVE_INFINITY : (this.watermarks.get(c) ?? Number.NEGATIVE_INFINITY))));
    if (combined <= this.current) return;
    this.current = combined;
    await this.events.onAdvance(combined);
  }
}
