// A warning that repeats while something stays broken (etcd down, the
// coordinator unreachable): logged the first time, then at most once per
// interval that grows to 30 s, each line counting the ones held back.
import type { Logger } from './logger.ts';

/** How often a repeated warning may be logged. */
export interface RepeatedWarningOptions {
  /** The pause after the first line (default 1 s); it doubles after every line logged. */
  initialIntervalMs?: number;
  /** The longest pause between two lines (default 30 s). */
  maxIntervalMs?: number;
}

/**
 * One warning that may repeat many times a second. `warn()` logs the first
 * one at once; later ones within the interval are only counted, and the next
 * line logged says how many were (`(N more since)`, and `suppressed: N`).
 * The interval doubles with every line up to `maxIntervalMs`. Call `reset()`
 * once the trouble is over, so the next warning is logged at once again.
 *
 * @example
 * const unreachable = new RepeatedWarning(logger, 'cannot reach etcd; retrying');
 * // in the retry loop:
 * unreachable.warn({ err: error.message });
 * // after a success:
 * unreachable.reset();
 */
export class RepeatedWarning {
  private readonly logger: Logger;
  private readonly message: string;
  private readonly initialIntervalMs: number;
  private readonly maxIntervalMs: number;
  private intervalMs: number;
  /** When the next line may be logged (Date.now()); 0: at once. */
  private nextAt = 0;
  private suppressed = 0;

  constructor(logger: Logger, message: string, options: RepeatedWarningOptions = {}) {
    this.logger = logger;
    this.message = message;
    this.initialIntervalMs = options.initialIntervalMs ?? 1000;
    this.maxIntervalMs = Math.max(this.initialIntervalMs, options.maxIntervalMs ?? 30_000);
    this.intervalMs = this.initialIntervalMs;
  }

  /**
   * Logs the warning with `fields`, or counts it if one was logged within the
   * current interval. `message` words this occurrence (e.g. naming the address
   * it failed on); by default the constructor's.
   */
  warn(fields: Record<string, unknown> = {}, message: string = this.message): void {
    const now = Date.now();
    if (now < this.nextAt) {
      this.suppressed++;
      return;
    }
    if (this.suppressed > 0) this.logger.warn({ ...fields, suppressed: this.suppressed }, `${message} (${this.suppressed} more since)`);
    else this.logger.warn(fields, message);
    if (this.nextAt !== 0) this.intervalMs = Math.min(this.maxIntervalMs, this.intervalMs * 2);
    this.nextAt = now + this.intervalMs;
    this.suppressed = 0;
  }

  /** The trouble is over: the next warning is logged at once, and the interval starts small again. */
  reset(): void {
    this.nextAt = 0;
    this.suppressed = 0;
    this.intervalMs = this.initialIntervalMs;
  }
}
