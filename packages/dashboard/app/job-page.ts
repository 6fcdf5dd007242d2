// A job's page: its status and actions (savepoint, stop, cancel), the job
// graph, the subtask table of the selected vertex, the checkpoint chart and
// the exceptions. The page's frame is built once per job; each refresh
// updates its sections in place (the chart keeps its canvas).
import { api, type Job } from './api.ts';
import { CheckpointChart } from './checkpoint-chart.ts';
import { compact, duration, el, replace, table, time } from './dom.ts';
import { drawJobGraph } from './job-graph.ts';

const ms = (v: number | undefined): string => (v === undefined ? '–' : String(Math.round(v)));

/** One job's page, kept while the dashboard shows that job. */
export class JobPage {
  readonly jobId: string;
  private readonly header = el('section', { class: 'job-header' });
  private readonly actions: HTMLElement;
  private readonly result = el('div', { class: 'action-result', 'data-testid': 'action-result' });
  private readonly graph = el('div', { class: 'graph', 'data-testid': 'job-graph' });
  private readonly subtasks = el('div', { 'data-testid': 'subtasks' });
  private readonly chartBox = el('div', { class: 'chart', 'data-testid': 'checkpoint-chart', 'data-points': '0' });
  private readonly checkpointSummary = el('p', { class: 'muted', 'data-testid': 'checkpoint-summary' });
  private readonly exceptions = el('div', { 'data-testid': 'exceptions' });
  private readonly chart = new CheckpointChart(this.chartBox);
  private readonly directory = el('input', { type: 'text', placeholder: 'savepoint directory on the coordinator, e.g. /tmp/savepoints', 'data-testid': 'savepoint-dir', size: 48 });
  private selected: string | undefined;
  private job: Job | undefined;

  constructor(jobId: string) {
    this.jobId = jobId;
    const button = (label: string, testId: string, run: () => Promise<string>, confirmText?: string): HTMLButtonElement =>
      el('button', {
        'data-testid': testId,
        onclick: () => {
          if (confirmText && !window.confirm(confirmText)) return;
          this.result.textContent = `${label}…`;
          run().then(
            (text) => (this.result.textContent = text),
            (error: Error) => (this.result.textContent = `${label} failed: ${error.message}`),
          );
        },
      }, label);
    const dir = (): string => this.directory.value.trim();
    this.actions = el(
      'section',
      { class: 'actions' },
      this.directory,
      button('Savepoint', 'savepoint-job', async () => `savepoint written to ${(await api.savepoint(jobId, dir())).location}`),
      button('Stop', 'stop-job', async () => `stopped with a savepoint at ${(await api.stop(jobId, dir())).location}`, 'Stop the job with a savepoint?'),
      button('Cancel', 'cancel-job', async () => `cancel requested: ${(await api.cancel(jobId)).status}`, 'Cancel the job?'),
      this.result,
    );
  }

  /** Builds the page's frame into `page`. */
  mount(page: HTMLElement): void {
    replace(
      page,
      this.header,
      this.actions,
      el('h2', {}, 'Job graph'),
      this.graph,
      el('h2', {}, 'Subtasks'),
      this.subtasks,
      el('h2', {}, 'Checkpoints'),
      this.checkpointSummary,
      this.chartBox,
      el('h2', {}, 'Exceptions'),
      this.exceptions,
    );
  }

  /** Reads the job, its checkpoints and exceptions and updates every section. */
  async refresh(): Promise<void> {
    const [job, checkpoints, exceptions] = await Promise.all([api.job(this.jobId), api.checkpoints(this.jobId), api.exceptions(this.jobId)]);
    this.job = job;
    if (!job.vertices.some((v) => v.id === this.selected)) this.selected = job.vertices[0]?.id;
    replace(
      this.header,
      el('h1', {}, job.name),
      el('div', {}, el('span', { class: `status status-${job.status.toLowerCase()}`, 'data-testid': 'job-status' }, job.status),
        ` id ${job.jobId} · attempt ${job.attempt} · restarts ${job.restarts} · started ${time(job.startTimeMs)} · ${duration((job.endTimeMs ?? Date.now()) - job.startTimeMs)}`),
    );
    this.drawGraph();
    this.drawSubtasks();
    const c = checkpoints.counts;
    const last = checkpoints.latestCompleted;
    this.checkpointSummary.textContent = `${c.completed} completed, ${c.failed} failed, ${c.inProgress} in progress` + (last ? ` · latest #${last.checkpointId} at ${time(last.triggeredAtMs)}, ${last.durationMs ?? 0} ms` : '');
    this.chart.update(checkpoints.history);
    replace(
      this.exceptions,
      exceptions.rootException ? el('pre', { class: 'exception', 'data-testid': 'root-exception' }, exceptions.rootException) : el('p', { class: 'muted' }, 'No exceptions.'),
      ...exceptions.subtasks.map((s) => el('details', {}, el('summary', {}, `${s.vertexName} subtask ${s.index} on ${s.workerId ?? '–'}`), el('pre', { class: 'exception' }, s.error))),
    );
  }

  private drawGraph(): void {
    if (!this.job) return;
    drawJobGraph(this.graph, this.job, this.selected, (id) => {
      this.selected = id;
      this.drawGraph();
      this.drawSubtasks();
    });
  }

  private drawSubtasks(): void {
    const vertex = this.job?.vertices.find((v) => v.id === this.selected);
    if (!vertex) {
      this.subtasks.replaceChildren();
      return;
    }
    replace(
      this.subtasks,
      el('p', { class: 'muted' }, `${vertex.name}: ${vertex.operators.join(' → ')}`),
      table(
        ['#', 'state', 'worker', 'records in', 'records out', 'in/s', 'out/s', 'busy ms/s', 'backpressured ms/s', 'idle ms/s', 'watermark'],
        vertex.subtasks,
        (s) => [s.index, s.state, s.workerId ?? '–', compact(s.recordsIn), compact(s.recordsOut), compact(s.recordsInPerSecond ?? 0), compact(s.recordsOutPerSecond ?? 0),
          ms(s.busyTimeMsPerSecond), ms(s.backPressuredTimeMsPerSecond), ms(s.idleTimeMsPerSecond), typeof s.inputWatermark === 'number' ? time(s.inputWatermark) : '–'],
        { 'data-testid': 'subtask-table', 'data-vertex-id': vertex.id },
      ),
    );
  }
}
