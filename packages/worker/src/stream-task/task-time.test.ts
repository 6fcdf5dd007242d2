import { describe, expect, it } from 'vitest';
import { BACKPRESSURED, BUSY, CounterRates, IDLE, TaskTime } from './task-time.ts';

/** A clock the test moves by hand. */
function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('TaskTime', () => {
  it('accounts each interval to the state the task was in', () => {
    const c = clock();
    const time = new TaskTime({ now: c.now });
    c.advance(100); // busy from the start
    time.mark(BACKPRESSURED);
    c.advance(600);
    time.mark(BUSY);
    c.advance(50);
    time.mark(IDLE);
    c.advance(250);
    expect(time.totalsAt()).toEqual([150, 600, 250]);
    expect(time.rates()).toEqual({ busyTimeMsPerSecond: 150, backPressuredTimeMsPerSecond: 600, idleTimeMsPerSecond: 250 });
  });

  it('ignores marks of the state it is already in', () => {
    const c = clock();
    const time = new TaskTime({ now: c.now });
    time.mark(IDLE);
    c.advance(300);
    time.mark(IDLE);
    c.advance(700);
    expect(time.totalsAt()).toEqual([0, 0, 1000]);
  });

  it('reports over a sliding window, so an old phase ages out', () => {
    const c = clock();
    const time = new TaskTime({ now: c.now, windowMs: 2000 });
    time.mark(IDLE);
    for (let i = 0; i < 4; i++) {
      c.advance(500);
      time.rates();
    }
    time.mark(BACKPRESSURED);
    for (let i = 0; i < 8; i++) {
      c.advance(500);
      time.rates();
    }
    c.advance(500);
    expect(time.rates()).toEqual({ busyTimeMsPerSecond: 0, backPressuredTimeMsPerSecond: 1000, idleTimeMsPerSecond: 0 });
  });

  it('adds up to a second per second whatever the mix', () => {
    const c = clock();
    const time = new TaskTime({ now: c.now });
    const states = [BUSY, IDLE, BACKPRESSURED] as const;
    for (let i = 0; i < 1000; i++) {
      time.mark(states[i % 3]!);
      c.advance((i * 7) % 13);
    }
    const r = time.rates()!;
    expect(r.busyTimeMsPerSecond + r.backPressuredTimeMsPerSecond + r.idleTimeMsPerSecond).toBeGreaterThanOrEqual(999);
    expect(r.busyTimeMsPerSecond + r.backPressuredTimeMsPerSecond + r.idleTimeMsPerSecond).toBeLessThanOrEqual(1001);
  });

  it('reports nothing when switched off', () => {
    const c = clock();
    const time = new TaskTime({ now: c.now, enabled: false });
    time.mark(IDLE);
    c.advance(1000);
    expect(time.rates()).toBeUndefined();
  });
});

describe('CounterRates', () => {
  it('gives per-second rates over the window', () => {
    const rates = new CounterRates(5000);
    expect(rates.sample(0, [0, 0])).toEqual([0, 0]);
    expect(rates.sample(500, [100, 50])).toEqual([200, 100]);
    expect(rates.sample(1000, [300, 50])).toEqual([300, 50]);
  });
});
