import type { JobStatusView, SplitStatus, VertexView } from '@weir/protocol';
import { table } from './format-table.ts';
import { formatInstant, vertexLabel } from './format-vertices.ts';

/** How wide a source label may be in the narrow view. */
const LABEL_WIDTH = 40;
/** A split whose watermark trails the highest by this much is named as the one holding event time back. */
const HELD_BACK_MS = 10_000;

/**
 * The source splits of a job (file ranges, generator splits, Kafka
 * partitions) with position, lag and watermark, and, when event time does
 * not advance, the split that holds it back: the active split with the
 * lowest watermark (Flink users' most common "why is there no output").
 */
export function formatSources(view: JobStatusView, wide = false): string[] {
  const time = (ms: number | null | undefined): string => formatInstant(ms, wide);
  const splits: { vertex: VertexView; subtask: number; split: SplitStatus }[] = [];
  for (const v of view.vertices) {
    for (const s of v.subtasks) for (const split of s.splits ?? []) splits.push({ vertex: v, subtask: s.index, split });
  }
  if (splits.length === 0) return [];
  const eventTime = splits.some((s) => s.split.watermark !== undefined);
  const rows = [['SOURCE', 'SUBTASK', 'SPLIT', 'POSITION', 'CHECKPOINTED', 'LAG', ...(eventTime ? ['WATERMARK', 'IDLE'] : []), 'WAITING']];
  for (const { vertex, subtask, split } of splits) {
    rows.push([
      vertexLabel(vertex, wide ? undefined : LABEL_WIDTH),
      String(subtask),
      split.id,
      split.position ?? '-',
      split.checkpointedPosition ?? '-',
      split.lag === undefined ? '-' : String(split.lag),
      ...(eventTime ? [time(split.watermark), split.idle ? 'idle' : ''] : []),
      split.waiting ?? '',
    ]);
  }
  const lines = ['', 'Sources:', table(rows)];
  if (eventTime) {
    const active = splits.filter((s) => s.split.watermark !== undefined && !s.split.idle);
    if (active.length > 1) {
      const rank = (w: number | null | undefined): number => (w === null || w === undefined ? Number.NEGATIVE_INFINITY : w);
      const lowest = active.reduce((a, b) => (rank(b.split.watermark) < rank(a.split.watermark) ? b : a));
      const highest = Math.max(...active.map((s) => rank(s.split.watermark)));
      // Splits of a healthy job differ by moments; only one far behind (or with none yet) holds event time back.
      if (highest - rank(lowest.split.watermark) >= HELD_BACK_MS) {
        lines.push(
          '',
          `Watermark held back by ${vertexLabel(lowest.vertex)} subtask ${lowest.subtask} split ${lowest.split.id} (watermark ${time(lowest.split.watermark)}).`,
          '  If that split has no data for a while, give its WatermarkStrategy .withIdleness(ms) so it stops holding event time back.',
        );
      }
    }
  }
  return lines;
}

/** Named counters of every subtask summed per vertex (e.g. lateRecordsDropped). */
export function formatCounters(view: JobStatusView): string[] {
  const lines: string[] = [];
  for (const v of view.vertices) {
    const sums = new Map<string, number>();
    for (const s of v.subtasks) for (const [name, n] of Object.entries(s.counters ?? {})) sums.set(name, (sums.get(name) ?? 0) + n);
    for (const [name, n] of sums) lines.push(`  ${v.name}: ${name} ${n}`);
  }
  return lines.length > 0 ? ['', 'Counters:', ...lines] : [];
}
