import { WEIR_ENV, type CheckpointView, type ClusterView, type JobStatusView } from '@weir/protocol';
import { startLocalCluster, type LocalCluster } from '@weir/cli';
import { beforeEach } from 'vitest';
import { TEST_TLS } from './test-tls.ts';
import { weir, weirJson, type CliResult } from './weir-cli.ts';

/** A real local cluster (the launcher behind `weir local`) on a free loopback port, for one test file. */
export interface TestCluster {
  readonly address: string;
  /** The coordinator's REST API and dashboard, `http://127.0.0.1:port`. */
  readonly restUrl: string;
  readonly dataDir: string;
  /** The launcher: its members, kill and restart. A member that dies is started again. */
  readonly launcher: LocalCluster;
  /** Runs a weir client command against this cluster. */
  run(args: string[]): Promise<CliResult>;
  status(jobId: string): Promise<JobStatusView>;
  /** Polls until the job is FINISHED, FAILED or CANCELED. */
  waitForEnd(jobId: string, timeoutMs?: number): Promise<JobStatusView>;
  /** The job's completed checkpoints, oldest first. */
  completedCheckpoints(jobId: string): Promise<CheckpointView[]>;
  cluster(): Promise<ClusterView>;
  /** What the cluster's processes logged (warnings and errors), for failing tests. */
  log(): string;
  /** PIDs of the cluster's processes: the coordinator, then the workers. */
  pids(): Promise<number[]>;
  stop(): Promise<void>;
}

/** What a test cluster runs with: its size, where checkpoints go, and extra environment of its processes (S3 credentials, WEIR_RESTART_STRATEGY). */
export interface TestClusterOptions {
  workers?: number;
  slots?: number;
  checkpointDir?: string;
  env?: NodeJS.ProcessEnv;
}

export async function startCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  let log = '';
  const keep = (line: string): void => {
    log += line + '\n';
    if (log.length > 400_000) log = log.slice(-200_000);
  };
  const launcher = await startLocalCluster({
    workers: options.workers ?? 2,
    slots: options.slots ?? 4,
    env: { [WEIR_ENV.logLevel]: 'warn', ...options.env },
    ...(options.checkpointDir ? { checkpointDir: options.checkpointDir } : {}),
    onOutput: keep,
    say: keep,
    tls: TEST_TLS,
  });
  const address = launcher.address;
  const withAddress = (args: string[]): string[] => {
    const split = args.indexOf('--');
    return split < 0 ? [...args, '--coordinator', address] : [...args.slice(0, split), '--coordinator', address, ...args.slice(split)];
  };
  const cluster: TestCluster = {
    address,
    restUrl: launcher.restUrl,
    dataDir: launcher.dataDir,
    launcher,
    run: (args) => weir(withAddress(args)),
    log: () => log.slice(-8000),
    status: (jobId) => weirJson<JobStatusView>(withAddress(['status', jobId])),
    waitForEnd: (jobId, timeoutMs = 90_000) =>
      eventually(async () => {
        const view = await cluster.status(jobId).catch(() => undefined);
        return view && ['FINISHED', 'FAILED', 'CANCELED'].includes(view.status) ? view : undefined;
      }, timeoutMs, `job ${jobId} to end`),
    completedCheckpoints: async (jobId) =>
      (await weirJson<CheckpointView[]>(withAddress(['checkpoints', jobId]))).filter((c) => c.status === 'COMPLETED'),
    cluster: () => weirJson<ClusterView>(withAddress(['cluster'])),
    async pids() {
      const view = await cluster.cluster();
      return [launcher.coordinator.pid!, ...view.workers.map((w) => w.pid)];
    },
    stop: () => launcher.stop(),
  };
  return cluster;
}

/** Resident set size of a process in MiB (Linux). */
export async function rssMiB(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Polls `check` until it returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Prints the tail of the cluster's output when a test of this file fails. */
export function logOnFailure(cluster: () => TestCluster | undefined): void {
  beforeEach((context) => {
    context.onTestFailed(() => {
      process.stderr.write(`--- weir local output (tail) ---\n${cluster()?.log() ?? ''}\n`);
    });
  });
}
