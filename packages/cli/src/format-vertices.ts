import type { JobStatusView, SubtaskView, VertexView } from '@weir/protocol';
import { table } from './format-table.ts';

/** How wide a vertex label may be in the narrow view (the whole table fits 120 columns). */
const LABEL_WIDTH = 40;

/**
 * A vertex as `name (uid)`, the uid being the id of its first operator, so
 * that two vertices of the same name stay apart; shortened to `width` with
 * an ellipsis inside the name, never inside the uid.
 */
export function vertexLabel(v: Pick<VertexView, 'id' | 'name'>, width = Number.POSITIVE_INFINITY): string {
  const full = `${v.name} (${v.id})`;
  if (full.length <= width) return full;
  const uid = v.id.length > width - 6 ? `${v.id.slice(0, width - 7)}…` : v.id;
  const room = width - uid.length - 3;
  return `${v.name.slice(0, Math.max(1, room - 1))}… (${uid})`;
}

/** An instant: ISO in the wide view; the time of day (UTC) when it is today, else the date and time to the second. */
export function formatInstant(ms: number | null | undefined, wide: boolean, now = Date.now()): string {
  if (ms === undefined) return '-';
  if (ms === null) return 'none yet';
  if (ms === Number.POSITIVE_INFINITY) return 'end';
  const iso = new Date(ms).toISOString();
  if (wide) return iso;
  return iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10) ? iso.slice(11, 23) : `${iso.slice(0, 19)}Z`;
}

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });

/** A count or rate in at most 6 characters (`1.2M`, `35K`); exact below 10 000. */
export function compactNumber(n: number): string {
  return n < 10_000 ? String(Math.round(n)) : compact.format(n);
}

/** Busy, backpressured and idle time in % of each second, e.g. `12/85/3`; `-` when not reported. */
export function timeShares(s: SubtaskView): string {
  if (s.busyTimeMsPerSecond === undefined || s.backPressuredTimeMsPerSecond === undefined || s.idleTimeMsPerSecond === undefined) return '-';
  const pct = (ms: number): number => Math.round(ms / 10);
  return `${pct(s.busyTimeMsPerSecond)}/${pct(s.backPressuredTimeMsPerSecond)}/${pct(s.idleTimeMsPerSecond)}`;
}

/** The vertex's state: the subtasks' state when they agree, else the count of each (`RUNNING 1/2`). */
function vertexState(v: VertexView): string {
  const states = new Map<string, number>();
  for (const s of v.subtasks) states.set(s.state, (states.get(s.state) ?? 0) + 1);
  if (states.size <= 1) return [...states.keys()][0] ?? '-';
  return [...states].map(([state, n]) => `${state} ${n}/${v.subtasks.length}`).join(', ');
}

/** The subtask that spends the most time busy or backpressured: where the vertex is hot. */
function hottest(v: VertexView): SubtaskView | undefined {
  const load = (s: SubtaskView): number => (s.busyTimeMsPerSecond ?? -1) + (s.backPressuredTimeMsPerSecond ?? 0);
  return v.subtasks.reduce<SubtaskView | undefined>((a, b) => (a === undefined || load(b) > load(a) ? b : a), undefined);
}

function minWatermark(v: VertexView): number | null | undefined {
  let min: number | null | undefined;
  for (const s of v.subtasks) {
    if (s.inputWatermark === undefined) continue;
    if (s.inputWatermark === null) return null;
    if (min === undefined || min === null || s.inputWatermark < min) min = s.inputWatermark;
  }
  return min;
}

const sum = (v: VertexView, f: (s: SubtaskView) => number | undefined): number => v.subtasks.reduce((n, s) => n + (f(s) ?? 0), 0);

/**
 * One row per vertex, within 120 columns: parallelism, state, records and
 * rates summed over the subtasks, the hottest subtask's busy/backpressured/
 * idle shares, dead letters when there are any, and the lowest input
 * watermark when the job uses event time.
 */
export function formatVertexTable(view: JobStatusView): string {
  const eventTime = view.vertices.some((v) => v.subtasks.some((s) => s.inputWatermark !== undefined));
  const dead = view.vertices.some((v) => v.subtasks.some((s) => s.deadLetters > 0));
  const rows = [['VERTEX', 'P', 'STATE', 'IN', 'OUT', 'IN/S', 'OUT/S', 'BUSY/BP/IDLE', ...(dead ? ['DEAD'] : []), ...(eventTime ? ['WATERMARK'] : [])]];
  for (const v of view.vertices) {
    const hot = hottest(v);
    rows.push([
      vertexLabel(v, LABEL_WIDTH),
      String(v.parallelism),
      vertexState(v),
      compactNumber(sum(v, (s) => s.recordsIn)),
      compactNumber(sum(v, (s) => s.recordsOut)),
      compactNumber(sum(v, (s) => s.recordsInPerSecond)),
      compactNumber(sum(v, (s) => s.recordsOutPerSecond)),
      hot ? timeShares(hot) : '-',
      ...(dead ? [compactNumber(sum(v, (s) => s.deadLetters))] : []),
      ...(eventTime ? [formatInstant(minWatermark(v), false)] : []),
    ]);
  }
  return table(rows);
}

/** One row per subtask (`--wide`): worker, exact counts and rates, time shares, dead letters, the input watermark. */
export function formatSubtaskTable(view: JobStatusView): string {
  const eventTime = view.vertices.some((v) => v.subtasks.some((s) => s.inputWatermark !== undefined));
  const header = ['VERTEX', 'PARALLELISM', 'SUBTASK', 'STATE', 'WORKER', 'RECORDS IN', 'RECORDS OUT', 'IN/S', 'OUT/S', 'BUSY/BP/IDLE', 'DEAD LETTERS'];
  const rows = [[...header, ...(eventTime ? ['WATERMARK'] : [])]];
  for (const v of view.vertices) {
    for (const s of v.subtasks) {
      rows.push([
        s.index === 0 ? vertexLabel(v) : '',
        s.index === 0 ? String(v.parallelism) : '',
        String(s.index),
        s.state,
        s.workerId ?? '-',
        String(s.recordsIn),
        String(s.recordsOut),
        s.recordsInPerSecond === undefined ? '-' : String(Math.round(s.recordsInPerSecond)),
        s.recordsOutPerSecond === undefined ? '-' : String(Math.round(s.recordsOutPerSecond)),
        timeShares(s),
        String(s.deadLetters),
        ...(eventTime ? [formatInstant(s.inputWatermark, true)] : []),
      ]);
    }
  }
  return table(rows);
}
