// The coordinator's Prometheus metrics: per job (Flink's JobManager job
// metrics) restarts, uptime and checkpoint statistics, read from the
// JobMasters at scrape time. Subtask metrics are the workers' own endpoints.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { isTerminalJobStatus } from '@weir/protocol';
import type { JobMaster } from '../job-master/job-master.ts';

const JOB_LABELS = ['job_id', 'job_name'] as const;
type JobLabel = (typeof JOB_LABELS)[number];

/** The coordinator's registry; `render()` takes a fresh reading of `jobs()`. */
export class CoordinatorMetrics {
  readonly registry = new Registry();
  private readonly jobs: () => Iterable<JobMaster>;
  private readonly restarts: Counter<JobLabel>;
  private readonly uptime: Gauge<JobLabel>;
  private readonly running: Gauge<JobLabel | 'status'>;
  private readonly lastDuration: Gauge<JobLabel>;
  private readonly lastSize: Gauge<JobLabel>;
  private readonly completed: Counter<JobLabel>;
  private readonly failed: Counter<JobLabel>;
  private readonly inProgress: Gauge<JobLabel>;

  constructor(jobs: () => Iterable<JobMaster>) {
    this.jobs = jobs;
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    const labelNames = JOB_LABELS;
    this.restarts = new Counter({ name: 'weir_job_restarts_total', help: 'Times the job was restarted after a failure (Flink numRestarts)', labelNames, registers });
    this.uptime = new Gauge({ name: 'weir_job_uptime_ms', help: 'Ms since the job was submitted, while it is not in a terminal state (Flink uptime)', labelNames, registers });
    this.running = new Gauge({ name: 'weir_job_status', help: 'The job\'s status: 1 for the current one', labelNames: [...JOB_LABELS, 'status'], registers });
    this.lastDuration = new Gauge({ name: 'weir_job_last_checkpoint_duration_ms', help: 'Duration of the latest completed checkpoint, ms (Flink lastCheckpointDuration)', labelNames, registers });
    this.lastSize = new Gauge({ name: 'weir_job_last_checkpoint_size_bytes', help: 'State size of the latest completed checkpoint, bytes (Flink lastCheckpointSize)', labelNames, registers });
    this.completed = new Counter({ name: 'weir_job_completed_checkpoints_total', help: 'Checkpoints completed since this coordinator took the job (Flink numberOfCompletedCheckpoints)', labelNames, registers });
    this.failed = new Counter({ name: 'weir_job_failed_checkpoints_total', help: 'Checkpoints failed since this coordinator took the job (Flink numberOfFailedCheckpoints)', labelNames, registers });
    this.inProgress = new Gauge({ name: 'weir_job_in_progress_checkpoints', help: 'Checkpoints in flight (Flink numberOfInProgressCheckpoints)', labelNames, registers });
  }

  /** The exposition text, read from the jobs now. */
  async render(): Promise<string> {
    for (const m of [this.restarts, this.uptime, this.running, this.lastDuration, this.lastSize, this.completed, this.failed, this.inProgress]) m.reset();
    const now = Date.now();
    for (const job of this.jobs()) {
      const view = job.view();
      const labels = { job_id: view.jobId, job_name: view.name };
      this.restarts.inc(labels, view.restarts);
      this.running.set({ ...labels, status: view.status }, 1);
      if (!isTerminalJobStatus(view.status)) this.uptime.set(labels, now - view.startTimeMs);
      const checkpoints = job.checkpoints.views();
      const last = checkpoints.findLast((c) => c.status === 'COMPLETED');
      if (last) {
        this.lastDuration.set(labels, last.durationMs ?? 0);
        this.lastSize.set(labels, last.bytes);
      }
      const counts = { completed: job.checkpoints.completedCount, failed: job.checkpoints.failedCount };
      this.completed.inc(labels, counts.completed);
      this.failed.inc(labels, counts.failed);
      this.inProgress.set(labels, checkpoints.filter((c) => c.status === 'IN_PROGRESS').length);
    }
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
