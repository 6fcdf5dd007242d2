// Builders of restart strategies for `env.setRestartStrategy(...)`, named
// after Flink's RestartStrategies: each checks its arguments at once.
import { checkRestartStrategy, DEFAULT_EXPONENTIAL_DELAY, type RestartStrategy } from '@weir/common';

/** Options of the exponential-delay strategy; what is left out keeps the cluster-wide defaults of the strategy. */
export interface ExponentialDelayOptions {
  /** The wait before the first restart (default 500 ms). */
  initialBackoffMs?: number;
  /** The longest wait (default 5 s). */
  maxBackoffMs?: number;
  /** How much longer each next wait is (default 2). */
  multiplier?: number;
  /** A failure this long after the previous restart starts over at the initial backoff (default 1 h). */
  resetBackoffThresholdMs?: number;
  /** Each wait varies randomly by up to this fraction of itself (default 0.1). */
  jitter?: number;
  /** Restarts (since the last reset) before the job fails; unlimited when absent. */
  maxAttempts?: number;
}

/** The restart strategies a job can choose (Flink's RestartStrategies). */
export const RestartStrategies = {
  /** Never restart: the first failure fails the job. */
  noRestart(): RestartStrategy {
    return { type: 'none' };
  },
  /** Restart up to `attempts` times, `delayMs` after each failure; the next failure fails the job. */
  fixedDelay(attempts: number, delayMs: number): RestartStrategy {
    return checkRestartStrategy({ type: 'fixed-delay', attempts, delayMs });
  },
  /** Restart after `delayMs` unless more than `maxFailures` failures happened within `intervalMs`. */
  failureRate(maxFailures: number, intervalMs: number, delayMs: number): RestartStrategy {
    return checkRestartStrategy({ type: 'failure-rate', maxFailures, intervalMs, delayMs });
  },
  /** Restart with waits that grow by `multiplier` from `initialBackoffMs` up to `maxBackoffMs`. */
  exponentialDelay(options: ExponentialDelayOptions = {}): RestartStrategy {
    return checkRestartStrategy({ ...DEFAULT_EXPONENTIAL_DELAY, maxAttempts: undefined, ...options });
  },
};
