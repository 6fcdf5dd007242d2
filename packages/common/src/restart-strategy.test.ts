import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.ts';
import { DEFAULT_RESTART_STRATEGY, describeRestartStrategy, parseDurationMs, parseRestartStrategy } from './restart-strategy.ts';

describe('parseRestartStrategy', () => {
  it('reads each strategy', () => {
    expect(parseRestartStrategy('none')).toEqual({ type: 'none' });
    expect(parseRestartStrategy('fixed-delay:attempts=3,delay=1s')).toEqual({ type: 'fixed-delay', attempts: 3, delayMs: 1000 });
    expect(parseRestartStrategy('failure-rate:max-failures=3,interval=5m,delay=250ms')).toEqual({ type: 'failure-rate', maxFailures: 3, intervalMs: 300_000, delayMs: 250 });
    expect(parseRestartStrategy('exponential-delay:initial-backoff=1s,max-backoff=1m,multiplier=1.5,jitter=0,attempts=10')).toEqual({
      type: 'exponential-delay',
      initialBackoffMs: 1000,
      maxBackoffMs: 60_000,
      multiplier: 1.5,
      resetBackoffThresholdMs: 3_600_000,
      jitter: 0,
      maxAttempts: 10,
    });
  });

  it('round-trips what describeRestartStrategy writes', () => {
    expect(parseRestartStrategy(describeRestartStrategy(DEFAULT_RESTART_STRATEGY))).toEqual(DEFAULT_RESTART_STRATEGY);
    const text = 'failure-rate:max-failures=2,interval=1h,delay=1500ms';
    expect(describeRestartStrategy(parseRestartStrategy(text))).toBe(text);
  });

  it('names what is wrong', () => {
    expect(() => parseRestartStrategy('fixed')).toThrow(/unknown restart strategy 'fixed'; expected one of: none \| fixed-delay/);
    expect(() => parseRestartStrategy('fixed-delay:attempts=3')).toThrow(/'fixed-delay' needs delay \(e\.g\. fixed-delay:attempts=3,delay=1s\)/);
    expect(() => parseRestartStrategy('fixed-delay:attempts=3,delay=1s,tries=2')).toThrow(/has no parameter 'tries'; it takes: attempts, delay/);
    expect(() => parseRestartStrategy('fixed-delay:attempts=x,delay=1s')).toThrow(/parameter 'attempts': 'x' is not a number/);
    expect(() => parseRestartStrategy('fixed-delay:attempts=1.5,delay=1s')).toThrow(/attempts/);
    expect(() => parseRestartStrategy('fixed-delay:attempts=3,delay=soon')).toThrow(/'soon' is not a duration/);
    expect(() => parseRestartStrategy('exponential-delay:jitter=2')).toThrow(/jitter/);
    expect(() => parseRestartStrategy('none:attempts=1')).toThrow(ValidationError);
  });

  it('reads durations', () => {
    expect([parseDurationMs('250', 'x'), parseDurationMs('2s', 'x'), parseDurationMs('1.5m', 'x'), parseDurationMs('1h', 'x')]).toEqual([250, 2000, 90_000, 3_600_000]);
  });
});
