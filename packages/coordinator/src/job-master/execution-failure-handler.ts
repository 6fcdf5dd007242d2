// What the JobMaster does with a failed attempt (Flink's ExecutionFailureHandler):
// restart after the restart strategy's delay, or fail the job, with the reason
// a user reads in `weir status`.
import { describeRestartStrategy, type RestartStrategy } from '@weir/common';
import { createRestartBackoffTimeStrategy, type RestartBackoffTimeStrategy, type StrategyClock } from './restart-strategy.ts';

/** Restart after `delayMs`, or fail the job for the reason given. */
export type FailureHandling = { restart: true; delayMs: number } | { restart: false; error: string };

/** Decides, failure by failure, whether a job restarts; holds its restart strategy. */
export class ExecutionFailureHandler {
  readonly strategy: RestartStrategy;
  /** The strategy in its compact form (`fixed-delay:attempts=3,delay=1s`). */
  readonly description: string;
  private readonly backoff: RestartBackoffTimeStrategy;

  constructor(strategy: RestartStrategy, clock?: StrategyClock) {
    this.strategy = strategy;
    this.description = describeRestartStrategy(strategy);
    this.backoff = createRestartBackoffTimeStrategy(strategy, clock);
  }

  /** An attempt failed with `error` after `restarts` restarts; a non-recoverable error never restarts. */
  handle(error: string, nonRecoverable: boolean, restarts: number): FailureHandling {
    if (nonRecoverable) return { restart: false, error: `the job failed with an error no restart can cure, so it was not restarted:\n${error}` };
    this.backoff.notifyFailure();
    if (this.backoff.canRestart()) return { restart: true, delayMs: this.backoff.backoffTimeMs() };
    if (this.strategy.type === 'none') return { restart: false, error: `the job failed and its restart strategy is 'none'; the error:\n${error}` };
    const count = `${restarts} restart${restarts === 1 ? '' : 's'}`;
    return { restart: false, error: `the job failed after ${count}: restart strategy ${this.description} allows no more; the last error:\n${error}` };
  }
}
