// Runs one benchmark job on a fresh `weir local` (coordinator + workers):
// either measures its throughput over a window (source events per second and
// the CPU time of the coordinator and worker processes, /proc/<pid>/stat), or
// runs it to the end (for output and latency runs). Status comes from an
// in-process gRPC client (a `weir status` process per poll would take CPU
// from the cluster).
import type { JobStatusView } from '@weir/protocol';
import type { WeirClient } from '@weir/client';
import { BenchCluster, cpuSeconds, rssMiB, weir } from './cluster.ts';
import { measureWindow, type Measurement } from './measure-window.ts';

export interface WeirJobOptions {
  /** The job file, relative to the repository root (e.g. bench/nexmark/q5.ts). */
  job: string;
  /** Arguments after `--`. */
  jobArgs: string[];
  workers: number;
  slots: number;
  parallelism: number;
  /** A name for error messages. */
  label: string;
  /** Extra environment of the coordinator and workers (e.g. NODE_OPTIONS for a CPU profile). */
  env?: Record<string, string>;
}

/** Events the generator splits have emitted: split k of p at next index n has emitted (n - k) / p. */
export function emitted(view: JobStatusView): number {
  let total = 0;
  for (const subtask of view.vertices[0]!.subtasks) {
    for (const split of subtask.splits ?? []) {
      const m = /generator-(\d+)\/(\d+)$/.exec(split.id);
      if (!m || split.position === undefined) continue;
      total += (Number(split.position) - Number(m[1])) / Number(m[2]);
    }
  }
  return total;
}

async function withJob<T>(options: WeirJobOptions, body: (client: WeirClient, jobId: string, pids: number[]) => Promise<T>): Promise<T> {
  const cluster = new BenchCluster();
  await cluster.start(options.workers, options.slots, options.env ? { env: options.env } : {});
  try {
    const submit = await weir(['run', options.job, '-p', String(options.parallelism), '-d', '--json', '--coordinator', cluster.address, '--', ...options.jobArgs]);
    if (submit.code !== 0) throw new Error(`${options.label}: weir run failed: ${submit.stderr}`);
    const { jobId } = JSON.parse(submit.stdout) as { jobId: string };
    const pids = [cluster.coordinatorPid, ...(await cluster.workerPids())];
    const client = cluster.client();
    try {
      return await body(client, jobId, pids);
    } finally {
      client.close();
    }
  } finally {
    await cluster.stop();
  }
}

function check(view: JobStatusView, label: string): void {
  if (['FAILED', 'CANCELED'].includes(view.status) || view.restarts > 0) throw new Error(`${label}: job is ${view.status} after ${view.restarts} restarts: ${view.error}`);
}

/** Throughput of a job over a window after a warm-up; `events` is the job's input size (the window ends early when it is reached). */
export async function measureWeirJob(options: WeirJobOptions, window: { warmup: number; seconds: number; events: number }): Promise<Measurement & { maxRss: number }> {
  return withJob(options, async (client, jobId, pids) => {
    let maxRss = 0;
    const result = await measureWindow(
      async () => {
        const view = await client.status(jobId);
        check(view, options.label);
        const n = emitted(view);
        const cpu = (await Promise.all(pids.map(cpuSeconds))).reduce((s, c) => s + c, 0);
        return { n, t: performance.now(), cpu, done: view.status === 'FINISHED' || n >= window.events };
      },
      window.warmup,
      window.seconds,
      async () => {
        for (const pid of pids.slice(1)) maxRss = Math.max(maxRss, await rssMiB(pid));
      },
    );
    // Let the job end before the cluster stops (no warnings about lost workers).
    await client.cancel(jobId);
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      if (['CANCELED', 'FAILED', 'FINISHED'].includes((await client.status(jobId)).status)) break;
    }
    return { ...result, maxRss };
  });
}

/** Runs a bounded job until it finishes (at most `timeoutMs`). */
export async function runWeirJobToEnd(options: WeirJobOptions, timeoutMs: number): Promise<void> {
  await withJob(options, async (client, jobId) => {
    for (const deadline = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 500))) {
      const view = await client.status(jobId);
      check(view, options.label);
      if (view.status === 'FINISHED') return;
      if (Date.now() > deadline) throw new Error(`${options.label}: not finished after ${timeoutMs} ms (status ${view.status})`);
    }
  });
}
