// The measurement window shared by the throughput benchmarks: after a
// warm-up, samples (events so far, CPU seconds so far) once a second until
// the window has passed or the input ended, and gives the rates between the
// first and the last sample. Events per second per core = events/s divided
// by CPU seconds per second (cores used), Nexmark's figure of merit.

/** One sample: events the source has emitted so far, CPU seconds used so far by every process of the system. */
export interface Sample {
  n: number;
  /** performance.now() at the sample. */
  t: number;
  cpu: number;
  /** The input has ended (no more events will come). */
  done: boolean;
}

/** What a window measured. */
export interface Measurement {
  events: number;
  seconds: number;
  /** Events per second. */
  rate: number;
  /** CPU seconds per second. */
  cores: number;
  perCore: number;
}

/**
 * Waits `warmup` seconds, then samples every second for `seconds` (or until a
 * sample says done), calling `tick` between samples (e.g. to read RSS).
 */
export async function measureWindow(sample: () => Promise<Sample>, warmup: number, seconds: number, tick?: () => Promise<void>): Promise<Measurement> {
  await new Promise((r) => setTimeout(r, warmup * 1000));
  const start = await sample();
  if (start.done) throw new Error(`the input ended during the ${warmup} s warm-up (${Math.round(start.n)} events): give the job more events`);
  let end = start;
  while (!end.done && end.t - start.t < seconds * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    if (tick) await tick();
    end = await sample();
  }
  const elapsed = (end.t - start.t) / 1000;
  const rate = (end.n - start.n) / elapsed;
  const cores = (end.cpu - start.cpu) / elapsed;
  return { events: end.n - start.n, seconds: elapsed, rate, cores, perCore: rate / cores };
}

/** Formats a number as a whole number with thousands separators. */
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
