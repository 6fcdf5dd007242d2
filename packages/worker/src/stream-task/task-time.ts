// Where a subtask's time goes, as Flink accounts it: busy (processing),
// backpressured (waiting for output credit) or idle (waiting for input). The
// StreamTask marks the transitions of its loop, once per frame or source
// batch, never per record; the rates are taken over a sliding window.

/**
 * Set to `off` in a worker's environment to switch the accounting off (its
 * slot threads inherit it): for measuring what it costs (bench/keyed-count).
 */
export const TIME_ACCOUNTING_ENV = 'WEIR_TIME_ACCOUNTING';

/** What the subtask is doing: the index into its time totals. */
export type TaskTimeState = 0 | 1 | 2;
/** Processing: the operator chain runs, or the task waits on its own work (state I/O, a checkpoint). */
export const BUSY: TaskTimeState = 0;
/** Waiting for output credit: an output channel holds frames its receiver has not granted credit for. */
export const BACKPRESSURED: TaskTimeState = 1;
/** Waiting for input (or for nothing: a stopped source, a finished task awaiting its last checkpoint). */
export const IDLE: TaskTimeState = 2;

/** The rates a subtask reports, per second over the window. */
export interface TaskTimeRates {
  busyTimeMsPerSecond: number;
  backPressuredTimeMsPerSecond: number;
  idleTimeMsPerSecond: number;
}

/** How far back the rates look (Flink's metric views update every 5 s too). */
const DEFAULT_WINDOW_MS = 5000;

/**
 * The time accounting of one subtask. `mark(state)` closes the interval of
 * the current state; it costs one clock read, and nothing when the state
 * does not change. Disabled, it costs a branch and reports no rates.
 */
export class TaskTime {
  readonly enabled: boolean;
  private readonly now: () => number;
  private state: TaskTimeState = BUSY;
  private since: number;
  private readonly totals: [number, number, number] = [0, 0, 0];
  private readonly startedAt: number;
  /** The totals' growth per second over the window is the ms-per-second rate of each state. */
  private readonly window: CounterRates;

  /** `now`: a monotonic clock in ms (performance.now by default). */
  constructor(options: { enabled?: boolean; now?: () => number; windowMs?: number } = {}) {
    this.enabled = options.enabled ?? true;
    this.now = options.now ?? (() => performance.now());
    this.window = new CounterRates(options.windowMs ?? DEFAULT_WINDOW_MS);
    this.since = this.now();
    this.startedAt = this.since;
    this.window.sample(this.since, [0, 0, 0]);
  }

  /** The task now does `state`. */
  mark(state: TaskTimeState): void {
    if (state === this.state || !this.enabled) return;
    const t = this.now();
    this.totals[this.state] += t - this.since;
    this.state = state;
    this.since = t;
  }

  /** Time spent in each state since the start (ms), including the current state's open interval. */
  totalsAt(t: number = this.now()): [number, number, number] {
    const totals: [number, number, number] = [this.totals[0], this.totals[1], this.totals[2]];
    totals[this.state] += t - this.since;
    return totals;
  }

  /**
   * Ms per second in each state over the window ending now (shorter at the
   * start). Takes a sample: call it at the reporting interval. Undefined
   * when disabled or when no time has passed.
   */
  rates(t: number = this.now()): TaskTimeRates | undefined {
    if (!this.enabled || t <= this.startedAt) return undefined;
    const [busy, backPressured, idle] = this.window.sample(t, this.totalsAt(t)).map(Math.round) as [number, number, number];
    return { busyTimeMsPerSecond: busy, backPressuredTimeMsPerSecond: backPressured, idleTimeMsPerSecond: idle };
  }
}

/** Per-second rates of counters (records in, records out) over a sliding window. */
export class CounterRates {
  private readonly windowMs: number;
  private readonly samples: { at: number; values: readonly number[] }[] = [];

  constructor(windowMs = DEFAULT_WINDOW_MS) {
    this.windowMs = windowMs;
  }

  /** Records the counters' values at `t` (ms) and returns their rates per second over the window (0 for the first sample). */
  sample(t: number, values: readonly number[]): number[] {
    while (this.samples.length > 1 && t - this.samples[1]!.at >= this.windowMs) this.samples.shift();
    const oldest = this.samples[0];
    this.samples.push({ at: t, values });
    if (!oldest || t <= oldest.at) return values.map(() => 0);
    return values.map((v, i) => Math.round(((v - oldest.values[i]!) / (t - oldest.at)) * 1000 * 10) / 10);
  }
}
