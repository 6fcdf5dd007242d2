// The job's restart strategy (Flink's RestartBackoffTimeStrategy): how long a
// failed job waits before its next attempt, and when it stops restarting.
import type { RestartStrategy } from '@weir/common';
import { backoffDelayMs } from '@weir/protocol';

/** The delay before the next attempt after `restarts` restarts (exponential backoff), or null when the restart attempts are exhausted. */
export function restartDelayMs(strategy: RestartStrategy, restarts: number): number | null {
  if (restarts >= strategy.maxAttempts) return null;
  return backoffDelayMs(restarts, strategy.initialDelayMs, strategy.maxDelayMs, strategy.multiplier);
}
