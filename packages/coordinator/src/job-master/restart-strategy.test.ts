import { describe, expect, it } from 'vitest';
import type { RestartStrategy } from '@weir/common';
import { createRestartBackoffTimeStrategy, type StrategyClock } from './restart-strategy.ts';

/** A clock the test moves by hand, with a fixed "random" number for jitter. */
function manualClock(random = 0.5): StrategyClock & { advance(ms: number): void } {
  let now = 1_000_000;
  return { now: () => now, random: () => random, advance: (ms) => (now += ms) };
}

/** Notifies `n` failures `gapMs` apart; returns canRestart and the backoff after each. */
function failures(strategy: RestartStrategy, n: number, gapMs: number, clock = manualClock()): { restart: boolean; backoffMs: number }[] {
  const s = createRestartBackoffTimeStrategy(strategy, clock);
  const out = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) clock.advance(gapMs);
    s.notifyFailure();
    out.push({ restart: s.canRestart(), backoffMs: s.backoffTimeMs() });
  }
  return out;
}

describe('restart strategies', () => {
  it('none never restarts', () => {
    expect(failures({ type: 'none' }, 1, 0).map((f) => f.restart)).toEqual([false]);
  });

  it('fixed-delay restarts exactly `attempts` times with the same delay', () => {
    const result = failures({ type: 'fixed-delay', attempts: 3, delayMs: 1000 }, 4, 10);
    expect(result.map((f) => f.restart)).toEqual([true, true, true, false]);
    expect(result.slice(0, 3).map((f) => f.backoffMs)).toEqual([1000, 1000, 1000]);
  });

  it('fixed-delay with 0 attempts fails at the first failure', () => {
    expect(failures({ type: 'fixed-delay', attempts: 0, delayMs: 1000 }, 1, 0).map((f) => f.restart)).toEqual([false]);
  });

  it('failure-rate fails when more than max-failures fall within the interval', () => {
    const strategy: RestartStrategy = { type: 'failure-rate', maxFailures: 2, intervalMs: 10_000, delayMs: 300 };
    const result = failures(strategy, 3, 1000);
    expect(result.map((f) => f.restart)).toEqual([true, true, false]);
    expect(result[0]!.backoffMs).toBe(300);
  });

  it('failure-rate keeps restarting when failures are spread wider than the interval', () => {
    const strategy: RestartStrategy = { type: 'failure-rate', maxFailures: 2, intervalMs: 10_000, delayMs: 300 };
    expect(failures(strategy, 10, 6000).every((f) => f.restart)).toBe(true);
  });

  it('failure-rate counts only failures inside the sliding interval', () => {
    const clock = manualClock();
    const s = createRestartBackoffTimeStrategy({ type: 'failure-rate', maxFailures: 2, intervalMs: 10_000, delayMs: 0 }, clock);
    s.notifyFailure(); // t=0
    clock.advance(9000);
    s.notifyFailure(); // t=9s
    clock.advance(2000);
    s.notifyFailure(); // t=11s: the first one is out of the interval
    expect(s.canRestart()).toBe(true);
    clock.advance(1000);
    s.notifyFailure(); // t=12s: 9s, 11s, 12s within 10s
    expect(s.canRestart()).toBe(false);
  });

  const exponential: RestartStrategy = { type: 'exponential-delay', initialBackoffMs: 100, maxBackoffMs: 1000, multiplier: 2, resetBackoffThresholdMs: 60_000, jitter: 0 };

  it('exponential-delay grows by the multiplier up to the maximum', () => {
    expect(failures(exponential, 6, 10).map((f) => f.backoffMs)).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('exponential-delay stops after maxAttempts restarts', () => {
    expect(failures({ ...exponential, maxAttempts: 2 }, 3, 10).map((f) => f.restart)).toEqual([true, true, false]);
    expect(failures(exponential, 50, 10).every((f) => f.restart)).toBe(true);
  });

  it('exponential-delay starts over after a quiet period longer than the reset threshold', () => {
    const clock = manualClock();
    const s = createRestartBackoffTimeStrategy({ ...exponential, maxAttempts: 2 }, clock);
    for (const _ of [1, 2]) {
      s.notifyFailure();
      clock.advance(10);
    }
    expect(s.backoffTimeMs()).toBe(200);
    clock.advance(200 + 60_000);
    s.notifyFailure();
    expect(s.canRestart()).toBe(true);
    expect(s.backoffTimeMs()).toBe(100);
  });

  it('exponential-delay jitter stays within the fraction of the backoff', () => {
    const low = failures({ ...exponential, jitter: 0.5 }, 3, 10, manualClock(0));
    const high = failures({ ...exponential, jitter: 0.5 }, 3, 10, manualClock(0.9999));
    expect(low.map((f) => f.backoffMs)).toEqual([50, 100, 200]);
    expect(high.map((f) => f.backoffMs)).toEqual([150, 300, 600]);
  });
});
