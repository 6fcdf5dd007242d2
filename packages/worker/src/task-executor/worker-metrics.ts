// The worker's Prometheus metrics: every subtask it runs (or ran, until its
// job is released), from the metrics its slot threads report every half
// second, read at scrape time. Names follow Flink's where Flink has one
// (docs/metrics.md has the mapping).
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { TaskMetrics } from '@weir/protocol';

/** One subtask's latest metrics with the names its labels show. */
export interface SubtaskMetricsEntry {
  metrics: TaskMetrics;
  jobName: string;
  vertexName: string;
}

const SUBTASK_LABELS = ['job_id', 'job_name', 'vertex', 'vertex_id', 'subtask', 'worker'] as const;
type SubtaskLabel = (typeof SUBTASK_LABELS)[number];
type Labels = Record<SubtaskLabel, string>;

/** A gauge or counter per subtask, set from one field of its metrics. */
interface SubtaskSeries {
  metric: Gauge<SubtaskLabel> | Counter<SubtaskLabel>;
  value(m: TaskMetrics, nowMs: number): number | undefined;
}

/** The worker's registry; `render()` takes a fresh reading of `entries()`. */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly workerId: string;
  private readonly entries: () => SubtaskMetricsEntry[];
  private readonly series: SubtaskSeries[];
  private readonly lag: Gauge<SubtaskLabel | 'split'>;

  constructor(workerId: string, entries: () => SubtaskMetricsEntry[]) {
    this.workerId = workerId;
    this.entries = entries;
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    const labelNames = SUBTASK_LABELS;
    const gauge = (name: string, help: string, value: SubtaskSeries['value']): SubtaskSeries => ({ metric: new Gauge({ name, help, labelNames, registers }), value });
    const counter = (name: string, help: string, value: SubtaskSeries['value']): SubtaskSeries => ({ metric: new Counter({ name, help, labelNames, registers }), value });
    this.series = [
      counter('weir_task_records_in_total', 'Records the subtask has read (Flink numRecordsIn)', (m) => m.recordsIn),
      counter('weir_task_records_out_total', 'Records the subtask has emitted (Flink numRecordsOut)', (m) => m.recordsOut),
      gauge('weir_task_records_in_per_second', 'Records read per second over the last 5 s (Flink numRecordsInPerSecond)', (m) => m.recordsInPerSecond),
      gauge('weir_task_records_out_per_second', 'Records emitted per second over the last 5 s (Flink numRecordsOutPerSecond)', (m) => m.recordsOutPerSecond),
      gauge('weir_task_busy_time_ms_per_second', 'Ms per second spent processing, over the last 5 s (Flink busyTimeMsPerSecond)', (m) => m.busyTimeMsPerSecond),
      gauge('weir_task_back_pressured_time_ms_per_second', 'Ms per second spent waiting for output credit, over the last 5 s (Flink backPressuredTimeMsPerSecond)', (m) => m.backPressuredTimeMsPerSecond),
      gauge('weir_task_idle_time_ms_per_second', 'Ms per second spent waiting for input, over the last 5 s (Flink idleTimeMsPerSecond)', (m) => m.idleTimeMsPerSecond),
      gauge('weir_task_backlog_frames', 'Frames waiting for credit at the subtask\'s outputs now', (m) => m.backpressuredFrames),
      gauge('weir_task_current_input_watermark_ms', 'The subtask\'s input watermark, ms since the epoch (Flink currentInputWatermark); absent before the first', (m) => (typeof m.inputWatermark === 'number' ? m.inputWatermark : undefined)),
      gauge('weir_task_watermark_lag_ms', 'Wall-clock time minus the input watermark, ms (Flink watermarkLag)', (m, now) => (typeof m.inputWatermark === 'number' ? now - m.inputWatermark : undefined)),
      counter('weir_task_dead_letters_total', 'Records the subtask sent to its dead-letter files', (m) => m.deadLetters),
      gauge('weir_slot_event_loop_delay_p99_ms', 'The slot thread\'s event-loop delay, 99th percentile over the last report interval (0.5 s), ms', (m) => m.eventLoopDelayP99Ms),
      gauge('weir_slot_event_loop_delay_max_ms', 'The slot thread\'s longest event-loop delay over the last report interval (0.5 s), ms', (m) => m.eventLoopDelayMaxMs),
      gauge('weir_slot_heap_used_bytes', 'V8 heap in use in the slot thread, bytes', (m) => m.heapUsedBytes),
    ];
    this.lag = new Gauge({ name: 'weir_source_records_lag_max', help: 'Records between a source split\'s position and its end, e.g. a Kafka partition\'s lag (Flink records-lag-max, per split)', labelNames: [...SUBTASK_LABELS, 'split'], registers });
  }

  /** The exposition text, read from the subtasks' latest reports now. */
  async render(): Promise<string> {
    for (const s of this.series) s.metric.reset();
    this.lag.reset();
    const now = Date.now();
    for (const { metrics: m, jobName, vertexName } of this.entries()) {
      const labels: Labels = { job_id: m.jobId, job_name: jobName, vertex: vertexName, vertex_id: m.vertexId, subtask: String(m.subtaskIndex), worker: this.workerId };
      for (const s of this.series) {
        const value = s.value(m, now);
        if (value === undefined) continue;
        if (s.metric instanceof Counter) s.metric.inc(labels, Math.max(0, value));
        else s.metric.set(labels, value);
      }
      for (const split of m.splits ?? []) if (split.lag !== undefined) this.lag.set({ ...labels, split: split.id }, split.lag);
    }
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
