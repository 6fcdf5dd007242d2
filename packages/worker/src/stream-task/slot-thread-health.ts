// The health of the slot thread a subtask runs in: its event-loop delay
// (perf_hooks monitorEventLoopDelay, sampled by libuv, not per record) and its
// V8 heap, read at each metrics report.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/** What one report says about the thread. */
export interface SlotThreadHealthSample {
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  heapUsedBytes: number;
}

/** Watches the current thread's event loop from `start()` to `stop()`. */
export class SlotThreadHealth {
  private readonly histogram = monitorEventLoopDelay({ resolution: 20 });

  start(): void {
    this.histogram.enable();
  }

  stop(): void {
    this.histogram.disable();
  }

  /** The delay since the previous sample (then the histogram starts over) and the heap now. */
  sample(): SlotThreadHealthSample {
    const h = this.histogram;
    const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
    const sample = {
      eventLoopDelayP99Ms: h.count > 0 ? ms(h.percentile(99)) : 0,
      eventLoopDelayMaxMs: h.count > 0 ? ms(h.max) : 0,
      heapUsedBytes: getHeapStatistics().used_heap_size,
    };
    h.reset();
    return sample;
  }
}
