// The job's restart strategy at run time (Flink's RestartBackoffTimeStrategy):
// told of each failure, it says whether the job may restart and how long to
// wait first. The clock and the jitter's random source are injected, so the
// arithmetic is tested without waiting.
import type { RestartStrategy } from '@weir/common';

/** Decides, failure by failure, whether a job restarts and after how long. */
export interface RestartBackoffTimeStrategy {
  /** A failure happened now: call once per failure, before `canRestart`. */
  notifyFailure(): void;
  /** Whether the job may restart after the failures it was told of. */
  canRestart(): boolean;
  /** How long to wait before the next attempt (after `notifyFailure`). */
  backoffTimeMs(): number;
}

/** Where a strategy reads the time and (for jitter) random numbers in [0, 1). */
export interface StrategyClock {
  now: () => number;
  random: () => number;
}

const SYSTEM_CLOCK: StrategyClock = { now: Date.now, random: Math.random };

/** Never restarts. */
class NoRestart implements RestartBackoffTimeStrategy {
  notifyFailure(): void {}
  canRestart(): boolean {
    return false;
  }
  backoffTimeMs(): number {
    return 0;
  }
}

/** Restarts `attempts` times with the same delay. */
class FixedDelay implements RestartBackoffTimeStrategy {
  private failures = 0;
  private readonly spec: Extract<RestartStrategy, { type: 'fixed-delay' }>;
  constructor(spec: Extract<RestartStrategy, { type: 'fixed-delay' }>) {
    this.spec = spec;
  }
  notifyFailure(): void {
    this.failures++;
  }
  canRestart(): boolean {
    return this.failures <= this.spec.attempts;
  }
  backoffTimeMs(): number {
    return this.spec.delayMs;
  }
}

/** Restarts unless more than `maxFailures` failures fall within the last `intervalMs`. */
class FailureRate implements RestartBackoffTimeStrategy {
  private readonly failures: number[] = [];
  private readonly spec: Extract<RestartStrategy, { type: 'failure-rate' }>;
  private readonly clock: StrategyClock;
  constructor(spec: Extract<RestartStrategy, { type: 'failure-rate' }>, clock: StrategyClock) {
    this.spec = spec;
    this.clock = clock;
  }
  notifyFailure(): void {
    this.failures.push(this.clock.now());
    // Only the latest maxFailures + 1 failures can decide.
    if (this.failures.length > this.spec.maxFailures + 1) this.failures.shift();
  }
  canRestart(): boolean {
    if (this.failures.length <= this.spec.maxFailures) return true;
    return this.clock.now() - this.failures[0]! > this.spec.intervalMs;
  }
  backoffTimeMs(): number {
    return this.spec.delayMs;
  }
}

/** Exponential backoff with a cap, jitter, and a reset after a quiet period. */
class ExponentialDelay implements RestartBackoffTimeStrategy {
  private readonly spec: Extract<RestartStrategy, { type: 'exponential-delay' }>;
  private readonly clock: StrategyClock;
  private backoffMs = 0;
  private attempts = 0;
  private lastFailureMs: number | null = null;
  constructor(spec: Extract<RestartStrategy, { type: 'exponential-delay' }>, clock: StrategyClock) {
    this.spec = spec;
    this.clock = clock;
  }
  notifyFailure(): void {
    const now = this.clock.now();
    const quiet = this.lastFailureMs !== null && now - this.lastFailureMs >= this.backoffMs + this.spec.resetBackoffThresholdMs;
    if (this.lastFailureMs === null || quiet) {
      this.backoffMs = Math.min(this.spec.initialBackoffMs, this.spec.maxBackoffMs);
      this.attempts = 0;
    } else {
      this.backoffMs = Math.min(this.spec.maxBackoffMs, Math.round(this.backoffMs * this.spec.multiplier));
    }
    this.attempts++;
    this.lastFailureMs = now;
  }
  canRestart(): boolean {
    return this.spec.maxAttempts === undefined || this.attempts <= this.spec.maxAttempts;
  }
  backoffTimeMs(): number {
    const spread = Math.round(this.backoffMs * this.spec.jitter);
    if (spread === 0) return this.backoffMs;
    // Uniform in [backoff - spread, backoff + spread].
    return Math.max(0, this.backoffMs - spread + Math.floor(this.clock.random() * (2 * spread + 1)));
  }
}

/** The run-time form of a job's restart strategy. */
export function createRestartBackoffTimeStrategy(strategy: RestartStrategy, clock: StrategyClock = SYSTEM_CLOCK): RestartBackoffTimeStrategy {
  switch (strategy.type) {
    case 'none':
      return new NoRestart();
    case 'fixed-delay':
      return new FixedDelay(strategy);
    case 'failure-rate':
      return new FailureRate(strategy, clock);
    case 'exponential-delay':
      return new ExponentialDelay(strategy, clock);
  }
}
