import { describe, expect, it } from 'vitest';
import type { JobStatusView, SubtaskView, VertexView } from '@weir/protocol';
import { formatJobStatus } from './format-status.ts';
import { compactNumber, formatInstant, vertexLabel } from './format-vertices.ts';

const now = Date.UTC(2026, 11, 4, 15, 0, 0);

function subtask(index: number, extra: Partial<SubtaskView> = {}): SubtaskView {
  return {
    index,
    state: 'RUNNING',
    workerId: `weir-worker-${index}.weir-worker.weir-production.svc`,
    recordsIn: 123_456_789,
    recordsOut: 123_456_000,
    deadLetters: 0,
    inputWatermark: now - 2_000,
    busyTimeMsPerSecond: 120,
    backPressuredTimeMsPerSecond: 850,
    idleTimeMsPerSecond: 30,
    recordsInPerSecond: 812_345.6,
    recordsOutPerSecond: 812_000,
    ...extra,
  };
}

function vertex(id: string, name: string, parallelism: number, extra: Partial<SubtaskView> = {}): VertexView {
  return { id, name, operators: [name], parallelism, subtasks: Array.from({ length: parallelism }, (_, i) => subtask(i, extra)) };
}

/** A busy job: long chained names, two vertices of the same name, event time and dead letters. */
const view: JobStatusView = {
  jobId: 'b821a414a943d09e2286a8b4406758a7',
  name: 'payments-enrichment',
  status: 'RUNNING',
  attempt: 3,
  restarts: 3,
  startTimeMs: now - 3_600_000,
  endTimeMs: null,
  vertices: [
    vertex('payments-source', 'KafkaSource -> Map -> Filter -> Timestamps/Watermarks', 8, {
      splits: [{ id: 'payments-0', position: '18446744', checkpointedPosition: '18446000', lag: 12, watermark: now - 1_000, idle: false }],
    }),
    vertex('enrich', 'KeyedProcess -> Map', 8, { deadLetters: 12 }),
    vertex('enrich-again', 'KeyedProcess -> Map', 8),
    vertex('sink', 'TumblingEventTimeWindows -> KafkaSink', 8),
  ],
  error: null,
  deadLetters: 96,
  deadLetterDir: '/var/lib/weir/dead-letter/b821a414a943d09e2286a8b4406758a7',
  slotRequest: null,
};

describe('weir status', () => {
  it('fits 120 columns, one row per vertex named with its uid, when the job is wide and busy', () => {
    const text = formatJobStatus(view);
    for (const line of text.split('\n')) {
      if (line.startsWith('Dead letters:')) continue; // a path, printed whole
      expect(line.length, line).toBeLessThanOrEqual(120);
    }
    const rows = text.split('\n').filter((l) => /^\S.*\(\S+\)\s/.test(l) && !l.startsWith('Job '));
    expect(rows.some((r) => r.startsWith('KeyedProcess -> Map (enrich) '))).toBe(true);
    expect(rows.some((r) => r.startsWith('KeyedProcess -> Map (enrich-again)'))).toBe(true);
    expect(text).toContain('DEAD');
    expect(text).toContain('12/85/3');
    expect(text).toContain('987.7M'); // 8 × 123 456 789
    expect(text).not.toContain('weir-worker-0');
    expect(formatJobStatus({ ...view, endTimeMs: view.startTimeMs + 3_723_400 })).toContain('running time 1h 2m 3s');
  });

  it('shows every subtask with its worker and exact counts with --wide', () => {
    const text = formatJobStatus(view, { wide: true });
    expect(text).toContain('weir-worker-7.weir-worker.weir-production.svc');
    expect(text).toContain('123456789');
    expect(text).toContain(new Date(now - 2_000).toISOString());
    expect(text).toContain('KafkaSource -> Map -> Filter -> Timestamps/Watermarks (payments-source)');
  });

  it('names the split that holds event time back only when it is far behind', () => {
    const withSplits = (watermarks: (number | null)[]): JobStatusView => ({
      ...view,
      vertices: [
        {
          ...view.vertices[0]!,
          subtasks: watermarks.map((watermark, i) => subtask(i, { splits: [{ id: `p-${i}`, watermark, idle: false }] })),
        },
      ],
    });
    expect(formatJobStatus(withSplits([now - 1_000, now - 1_200]))).not.toContain('held back');
    expect(formatJobStatus(withSplits([now - 1_000, now - 60_000]))).toContain('Watermark held back by KafkaSource -> Map -> Filter -> Timestamps/Watermarks (payments-source) subtask 1 split p-1');
    expect(formatJobStatus(withSplits([now - 1_000, null]))).toContain('(watermark none yet)');
  });

  it('shortens labels inside the name, never inside the uid', () => {
    expect(vertexLabel({ id: 'count', name: 'KeyedProcess -> FileSink' })).toBe('KeyedProcess -> FileSink (count)');
    const short = vertexLabel({ id: 'count', name: 'KeyedProcess -> Map -> Filter -> FileSink' }, 28);
    expect(short).toHaveLength(28);
    expect(short.endsWith('… (count)')).toBe(true);
    expect(formatInstant(now - 2_000, false, now)).toBe('14:59:58.000');
    expect(formatInstant(Date.UTC(2020, 0, 1), false, now)).toBe('2020-01-01T00:00:00Z');
    expect(compactNumber(9_999)).toBe('9999');
    expect(compactNumber(812_345.6)).toBe('812.3K');
  });
});
