import { describe, expect, it } from 'vitest';
import { createWindowAssigner, sessionWindows, slidingWindows, tumblingWindows } from './window-assigners.ts';
import { maxTimestamp, windowStartWithOffset } from './time-window.ts';

describe('windowStartWithOffset (Flink TimeWindow.getWindowStartWithOffset)', () => {
  it('finds the largest offset + k * size <= timestamp, for positive and negative timestamps', () => {
    expect(windowStartWithOffset(0, 0, 10)).toBe(0);
    expect(windowStartWithOffset(9, 0, 10)).toBe(0);
    expect(windowStartWithOffset(10, 0, 10)).toBe(10);
    expect(windowStartWithOffset(-1, 0, 10)).toBe(-10);
    expect(windowStartWithOffset(-10, 0, 10)).toBe(-10);
    expect(windowStartWithOffset(-11, 0, 10)).toBe(-20);
  });

  it('shifts windows by the offset, positive or negative', () => {
    expect(windowStartWithOffset(2, 3, 10)).toBe(-7);
    expect(windowStartWithOffset(3, 3, 10)).toBe(3);
    expect(windowStartWithOffset(12, 3, 10)).toBe(3);
    expect(windowStartWithOffset(13, 3, 10)).toBe(13);
    expect(windowStartWithOffset(-5, -3, 10)).toBe(-13);
    expect(windowStartWithOffset(-3, -3, 10)).toBe(-3);
    expect(windowStartWithOffset(-14, -3, 10)).toBe(-23);
  });
});

describe('window assigners', () => {
  it('tumbling: one window [start, start + size) holding the timestamp', () => {
    const assigner = tumblingWindows(1000, 0, true);
    expect(assigner.assign(0)).toEqual([{ start: 0, end: 1000 }]);
    expect(assigner.assign(999)).toEqual([{ start: 0, end: 1000 }]);
    expect(assigner.assign(1000)).toEqual([{ start: 1000, end: 2000 }]);
    expect(assigner.assign(-1)).toEqual([{ start: -1000, end: 0 }]);
    expect(tumblingWindows(1000, 100, true).assign(50)).toEqual([{ start: -900, end: 100 }]);
    expect(maxTimestamp({ start: 0, end: 1000 })).toBe(999);
  });

  it('sliding: size / slide windows by start, each holding the timestamp', () => {
    const assigner = slidingWindows(30, 10, 0, true);
    expect(assigner.assign(25)).toEqual([
      { start: 0, end: 30 },
      { start: 10, end: 40 },
      { start: 20, end: 50 },
    ]);
    expect(assigner.assign(-1)).toEqual([
      { start: -30, end: 0 },
      { start: -20, end: 10 },
      { start: -10, end: 20 },
    ]);
    expect(slidingWindows(30, 10, 5, true).assign(5)).toEqual([
      { start: -15, end: 15 },
      { start: -5, end: 25 },
      { start: 5, end: 35 },
    ]);
    // A slide that does not divide the size: every window holding the timestamp, no other.
    for (const ts of [-17, 0, 7, 1234]) {
      for (const w of slidingWindows(25, 10, 0, true).assign(ts)) expect(w.start <= ts && ts < w.end).toBe(true);
      expect(slidingWindows(25, 10, 0, true).assign(ts).length).toBeGreaterThanOrEqual(2);
    }
  });

  it('sessions: [t, t + gap)', () => {
    expect(sessionWindows(100).assign(-50)).toEqual([{ start: -50, end: 50 }]);
    expect(sessionWindows(100).merging).toBe(true);
  });

  it('reads the SDK config and names what is wrong', () => {
    expect(createWindowAssigner({ kind: 'sliding-processing-time', sizeMs: 20, slideMs: 10 }).eventTime).toBe(false);
    expect(createWindowAssigner({ kind: 'global' }).assign(5)).toEqual([{ start: -Infinity, end: Infinity }]);
    expect(() => createWindowAssigner({ kind: 'tumbling-event-time', sizeMs: 0 })).toThrow(/sizeMs must be a number of ms > 0/);
    expect(() => createWindowAssigner({ kind: 'sliding-event-time', sizeMs: 10, slideMs: 5, offsetMs: 5 })).toThrow(/\|offset\| < 5/);
    expect(() => createWindowAssigner({ kind: 'hopping' })).toThrow(/unknown window assigner "hopping"/);
  });
});
