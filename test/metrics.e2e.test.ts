// Metrics as Flink measures them: a slow sink backpressures its upstream
// vertex (busy/backpressured/idle time in `weir status` and in the workers'
// Prometheus endpoints), the coordinator's endpoint counts checkpoints, and a
// metrics port already in use is an error naming the port and the flag.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobStatusView, SubtaskView } from '@weir/protocol';
import { eventually, logOnFailure, startCluster, type TestCluster } from './helpers/local-cluster.ts';
import { weir } from './helpers/weir-cli.ts';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ workers: 2, slots: 4 });
});

logOnFailure(() => cluster);

afterAll(async () => {
  await cluster?.stop();
});

/** One sample of the Prometheus text format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (no escapes in our label values). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return parseExposition(await response.text());
}

const bp = (s: SubtaskView): number => s.backPressuredTimeMsPerSecond ?? 0;
const busy = (s: SubtaskView): number => s.busyTimeMsPerSecond ?? 0;

describe('metrics', () => {
  it('shows the slow sink busy and its upstream backpressured, in weir status and in /metrics; the coordinator counts checkpoints', async () => {
    const submit = await cluster.run(['run', 'test/fixtures/slow-sink-job.ts', '-p', '2', '-d', '--json', '--checkpoint-interval', '1000']);
    expect(submit.code, submit.stderr).toBe(0);
    const { jobId } = JSON.parse(submit.stdout) as { jobId: string };

    // The rates look 5 s back: once the pipeline is full, the source waits for credit most of the time.
    const view = await eventually(async () => {
      const v = await cluster.status(jobId);
      if (v.status !== 'RUNNING') return undefined;
      const [source, sink] = v.vertices;
      const ok = source!.subtasks.every((s) => bp(s) > 500) && sink!.subtasks.every((s) => busy(s) > 700 && (s.recordsInPerSecond ?? 0) > 0);
      return ok ? v : undefined;
    }, 60_000, 'the source to be backpressured and the sink busy, reading records');
    for (const s of view.vertices.flatMap((v) => v.subtasks)) expect(bp(s) + busy(s) + (s.idleTimeMsPerSecond ?? 0)).toBeGreaterThan(950);

    // The text view has the column, in %.
    const text = await cluster.run(['status', jobId]);
    expect(text.stdout).toContain('BUSY/BP/IDLE');
    expect(text.stdout).toMatch(/\b\d{1,3}\/(5[1-9]|[6-9]\d|100)\/\d{1,3}\b/);

    // Each worker's /metrics has the same per subtask, with Flink's meaning.
    const workerUrls = cluster.launcher.workers.map((w) => w.metricsUrl);
    for (const url of workerUrls) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const samples = (await Promise.all(workerUrls.map(scrape))).flat().filter((s) => s.labels.job_id === jobId);
    const sourceName = view.vertices[0]!.name;
    const sinkName = view.vertices[1]!.name;
    const of = (name: string, vertex: string): Sample[] => samples.filter((s) => s.name === name && s.labels.vertex === vertex);
    const sourceBp = of('weir_task_back_pressured_time_ms_per_second', sourceName);
    expect(sourceBp).toHaveLength(2);
    for (const s of sourceBp) expect(s.value).toBeGreaterThan(500);
    const sinkBusy = of('weir_task_busy_time_ms_per_second', sinkName);
    expect(sinkBusy).toHaveLength(2);
    for (const s of sinkBusy) expect(s.value).toBeGreaterThan(700);
    for (const s of of('weir_task_records_in_total', sinkName)) expect(s.value).toBeGreaterThan(0);
    const delay = of('weir_slot_event_loop_delay_max_ms', sinkName);
    expect(delay).toHaveLength(2);
    for (const s of of('weir_slot_heap_used_bytes', sinkName)) expect(s.value).toBeGreaterThan(1_000_000);
    const labels = sourceBp[0]!.labels;
    expect(Object.keys(labels).sort()).toEqual(['job_id', 'job_name', 'subtask', 'vertex', 'vertex_id', 'worker']);
    expect(labels.job_name).toBe('slow-sink');
    expect(labels.worker).toMatch(/^local-worker-\d$/);

    // The coordinator's /metrics: the job's checkpoints.
    const coordinatorUrl = cluster.launcher.coordinator.metricsUrl;
    const completed = await eventually(async () => {
      const found = (await scrape(coordinatorUrl)).find((s) => s.name === 'weir_job_completed_checkpoints_total' && s.labels.job_id === jobId);
      return found && found.value > 0 ? found : undefined;
    }, 60_000, 'a completed checkpoint in the coordinator\'s metrics');
    expect(completed.labels.job_name).toBe('slow-sink');
    const job = await scrape(coordinatorUrl);
    const one = (name: string): number | undefined => job.find((s) => s.name === name && s.labels.job_id === jobId)?.value;
    // The job keeps no operator state (only source positions, in the metadata): its size may be 0, but it is there.
    expect(one('weir_job_last_checkpoint_size_bytes')).toBeGreaterThanOrEqual(0);
    expect(one('weir_job_last_checkpoint_duration_ms')).toBeGreaterThan(0);
    expect(one('weir_job_uptime_ms')).toBeGreaterThan(0);
    expect(one('weir_job_restarts_total')).toBe(0);

    expect((await cluster.run(['cancel', jobId])).code).toBe(0);
    const ended: JobStatusView = await cluster.waitForEnd(jobId);
    expect(ended.status).toBe('CANCELED');
  });

  it('accounts a rate-limited source as idle while it waits for its rate, not busy', async () => {
    const output = `${cluster.dataDir}/rate-limited-counts`;
    const submit = await cluster.run(['run', 'examples/keyed-counts.ts', '-p', '2', '-d', '--json', '--', '--events', '100000000', '--keys', '10', '--rate', '2000', '--output', output]);
    expect(submit.code, submit.stderr).toBe(0);
    const { jobId } = JSON.parse(submit.stdout) as { jobId: string };
    const idle = (s: SubtaskView): number => s.idleTimeMsPerSecond ?? 0;
    const source = await eventually(async () => {
      const v = await cluster.status(jobId);
      const first = v.vertices[0]!;
      return v.status === 'RUNNING' && first.subtasks.every((s) => (s.recordsOutPerSecond ?? 0) > 0 && idle(s) > 0) ? first : undefined;
    }, 60_000, 'the rate-limited source to report its rates');
    // 1000 records/s per subtask take a few ms of each second: the rest is waiting.
    for (const s of source.subtasks) {
      expect(idle(s)).toBeGreaterThan(500);
      expect(busy(s)).toBeLessThan(500);
    }
    expect((await cluster.run(['cancel', jobId])).code).toBe(0);
    expect((await cluster.waitForEnd(jobId)).status).toBe('CANCELED');
  });

  it('refuses a metrics port already in use, naming the port and the flag', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const worker = await weir(['worker', '--coordinator', cluster.address, '--metrics-port', String(port), '--data-dir', `${cluster.dataDir}/blocked-worker`], { timeoutMs: 30_000 });
      expect(worker.code).not.toBe(0);
      expect(worker.stderr).toContain(`the metrics port ${port} on 127.0.0.1 is already in use (--metrics-port)`);
      const coordinator = await weir(['coordinator', '--port', '0', '--rest-port', '0', '--metrics-port', String(port), '--data-dir', `${cluster.dataDir}/blocked-coordinator`], { timeoutMs: 30_000 });
      expect(coordinator.code).not.toBe(0);
      expect(coordinator.stderr).toContain(`the metrics port ${port} on 127.0.0.1 is already in use (--metrics-port)`);
    } finally {
      blocker.close();
    }
  });
});
