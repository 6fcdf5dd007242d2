// End-to-end latency of a Nexmark query, measured the same way on Weir and on
// Flink (bench/flink/src/.../LatencyRecorder.java, GeneratorReader.java):
//
// - The source is throttled to the generator's event rate, so event time runs
//   at wall-clock speed, and each source subtask writes, when it starts,
//   `wall clock - dateTime of its first event` (its offset) to DIR/source-offset-<n>.
// - A stage just before the sink writes, per row, its trigger time (the event
//   time whose arrival lets the row be emitted) and `wall clock - trigger` to
//   DIR/latency-*.txt.
// - The latency of a row is `(wall clock - trigger) - offset` (offsetFor): the time
//   from the source emitting the triggering event to the row reaching the sink
//   (the 4 s of watermark delay are not counted; the exactly-once sink's
//   commit at the next checkpoint is not either). The sources are paced from
//   their first event on, so this is latency against the schedule: a source
//   that falls behind (a stall, back-pressure) adds its delay to every row
//   after it. Rows whose trigger lies in the warm-up, or after the last event
//   (windows fired by the end of input), are left out.
import { appendFileSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { DataStream } from '@weir/sdk';
import { nexmarkEvent, type NexmarkConfig, type NexmarkEvent } from './generator.ts';
import { WINDOW_MS, type Q0Row, type Q11Row, type Q1Row, type Q5Row, type Q7Row, type Q8Row } from './results.ts';

/** The watermark of the reference setup: dateTime - 4 s (per generator split). */
export const WATERMARK_DELAY_MS = 4000;

/**
 * The trigger time of each query's rows: the bid for q0 and q1; for a window,
 * its end + the watermark delay (the watermark is dateTime - 4 s - 1, and a
 * window fires when it reaches end - 1). q2, q3 and q4 rows carry no time.
 */
export const TRIGGERS: Partial<Record<string, (row: never) => number>> = {
  q0: (r: Q0Row) => r.dateTime,
  q1: (r: Q1Row) => r.dateTime,
  q5: (r: Q5Row) => r.windowEnd + WATERMARK_DELAY_MS,
  q7: (r: Q7Row) => r.windowEnd + WATERMARK_DELAY_MS,
  q8: (r: Q8Row) => r.windowStart + WINDOW_MS + WATERMARK_DELAY_MS,
  'q8-union': (r: Q8Row) => r.windowStart + WINDOW_MS + WATERMARK_DELAY_MS,
  q11: (r: Q11Row) => r.end + WATERMARK_DELAY_MS,
};

/** The generator function of a latency run: event n, and the source offset written once per subtask. */
export function offsetRecordingGenerator(config: NexmarkConfig, dir: string): (n: number) => NexmarkEvent {
  let written = false;
  return (n) => {
    const event = nexmarkEvent(n, config);
    if (!written) {
      written = true;
      writeFileSync(join(dir, `source-offset-${n}`), String(Date.now() - event.dateTime));
    }
    return event;
  };
}

/** Passes rows through, writing `trigger lag` lines (flushed at least every 200 ms). */
export function recordLatency<T>(rows: DataStream<T>, dir: string, trigger: (row: T) => number): DataStream<T> {
  const file = join(dir, `latency-weir-${process.pid}-${threadId}.txt`);
  let lines = '';
  let lastFlush = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (lines.length === 0) return;
    appendFileSync(file, lines);
    lines = '';
  };
  return rows
    .map((row) => {
      const now = Date.now();
      const t = trigger(row);
      lines += `${t} ${now - t}\n`;
      timer ??= setInterval(flush, 200).unref();
      if (lines.length > 65536 || now - lastFlush > 200) {
        lastFlush = now;
        flush();
      }
      return row;
    })
    .name('Latency');
}

/**
 * The source offset that a sink subtask's rows are measured against: the
 * largest offset not above its smallest lag (no row can reach the sink before
 * its trigger was emitted). For a window that is the latest source's (the
 * watermark waits for it); where each sink subtask gets one source subtask's
 * rows (q0 and q1 when chained), that source's.
 */
function offsetFor(offsets: number[], rows: [number, number][]): number {
  let minLag = Number.POSITIVE_INFINITY;
  for (const [, lag] of rows) minLag = Math.min(minLag, lag);
  const fitting = offsets.filter((o) => o <= minLag);
  return fitting.length > 0 ? Math.max(...fitting) : Math.min(...offsets);
}

/** Latency percentiles (ms) of one run from the files in `dir` of one side (`weir` or `flink`), over the rows with a trigger in [from, to]. */
export async function readLatencies(dir: string, side: 'weir' | 'flink', from: number, to: number): Promise<{ count: number; p50: number; p99: number; max: number }> {
  const files = await readdir(dir);
  const offsets = await Promise.all(files.filter((f) => f.startsWith('source-offset-')).map(async (f) => Number(await readFile(join(dir, f), 'utf8'))));
  if (offsets.length === 0) throw new Error(`no source offsets in ${dir}: the ${side} source did not start`);
  const latencies: number[] = [];
  for (const f of files.filter((name) => name.startsWith(`latency-${side}-`))) {
    const rows: [number, number][] = [];
    for (const line of (await readFile(join(dir, f), 'utf8')).split('\n')) {
      if (line !== '') rows.push(line.split(' ').map(Number) as [number, number]);
    }
    const offset = offsetFor(offsets, rows);
    for (const [trigger, lag] of rows) if (trigger >= from && trigger <= to) latencies.push(lag - offset);
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => (latencies.length === 0 ? NaN : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!);
  return { count: latencies.length, p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? NaN };
}
