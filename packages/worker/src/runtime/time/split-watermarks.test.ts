import { describe, expect, it } from 'vitest';
import type { WatermarkGenerator } from '@weir/common';
import { SplitWatermarks } from './split-watermarks.ts';

const bounded = (ms: number, idlenessMs: number | null = null) => ({ kind: 'bounded-out-of-orderness' as const, maxOutOfOrdernessMs: ms, idlenessMs });

describe('SplitWatermarks', () => {
  it('trails the largest timestamp per split by the bound minus 1 ms, and takes the minimum over splits', () => {
    const w = new SplitWatermarks(bounded(100), {});
    w.onEvent('a', {}, 1_000);
    w.onEvent('a', {}, 900);
    w.onEvent('b', {}, 5_000);
    expect(w.current()).toEqual({ watermark: 899, idle: false });
    w.onEvent('a', {}, 10_000);
    expect(w.current()).toEqual({ watermark: 4_899, idle: false });
    expect(w.splitWatermark('a')).toBe(9_899);
  });

  it('never goes backwards, and a removed (finished) split holds nothing back', () => {
    const w = new SplitWatermarks(bounded(0), {});
    w.onEvent('a', {}, 1_000);
    w.onEvent('b', {}, 2_000);
    expect(w.current()!.watermark).toBe(999);
    w.removeSplit('a');
    expect(w.current()!.watermark).toBe(1_999);
    w.addSplit('c');
    // A new split without events would be -Infinity: the subtask watermark stays where it was.
    expect(w.current()!.watermark).toBe(1_999);
  });

  it('an idle split stops holding the watermark back, and one event makes it active again', () => {
    let now = 0;
    const w = new SplitWatermarks(bounded(0, 500), {}, () => now);
    w.onEvent('slow', {}, 100);
    w.onEvent('fast', {}, 10_000);
    expect(w.current()!.watermark).toBe(99);
    now = 400;
    w.onEvent('fast', {}, 20_000);
    now = 600;
    expect(w.isIdle('slow')).toBe(true);
    expect(w.current()).toEqual({ watermark: 19_999, idle: false });
    now = 1_200;
    expect(w.current()).toEqual({ watermark: 19_999, idle: true });
    w.onEvent('slow', {}, 30_000);
    expect(w.isIdle('slow')).toBe(false);
    // 'fast' has been quiet for 800 ms by now: only 'slow' counts.
    expect(w.isIdle('fast')).toBe(true);
    expect(w.current()).toEqual({ watermark: 29_999, idle: false });
  });

  it('uses the timestamp assigner, else the source timestamp', () => {
    const w = new SplitWatermarks(bounded(0), { timestampAssigner: (e: { t: number }) => e.t * 2 });
    expect(w.timestampOf({ t: 21 }, 5)).toBe(42);
    expect(new SplitWatermarks(bounded(0), {}).timestampOf({}, 7)).toBe(7);
  });

  it('runs a custom generator per split, which may mark itself idle', () => {
    const factory = (): WatermarkGenerator<{ wm: number }> => ({
      onEvent(event, _ts, output) {
        if (event.wm < 0) output.markIdle();
        else output.emitWatermark(event.wm);
      },
      onPeriodicEmit() {},
    });
    const w = new SplitWatermarks({ kind: 'custom', maxOutOfOrdernessMs: 0, idlenessMs: null }, { watermarkGenerator: factory });
    w.onEvent('a', { wm: 50 }, 1);
    w.onEvent('b', { wm: 70 }, 1);
    expect(w.current()!.watermark).toBe(50);
    w.onEvent('a', { wm: -1 }, 1);
    expect(w.current()).toEqual({ watermark: 70, idle: false });
  });

  it('has no watermark without a strategy or with noWatermarks()', () => {
    expect(new SplitWatermarks(undefined, {}).current()).toBeUndefined();
    const none = new SplitWatermarks({ kind: 'none', maxOutOfOrdernessMs: 0, idlenessMs: null }, {});
    none.onEvent('a', {}, 5);
    expect(none.current()).toBeUndefined();
  });
});
