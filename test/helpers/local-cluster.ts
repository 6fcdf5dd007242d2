import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WEIR_ENV, type CheckpointView, type ClusterView, type JobStatusView } from '@weir/protocol';
import { beforeEach } from 'vitest';
import { REPO_ROOT, WEIR_BIN, weir, weirJson, type CliResult } from './weir-cli.ts';

/** A real `weir local` cluster on a free loopback port, for one test file. */
export interface TestCluster {
  readonly address: string;
  readonly dataDir: string;
  readonly process: ChildProcess;
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
  /** PIDs of all Weir processes of the cluster (weir local, coordinator, workers). */
  pids(): Promise<number[]>;
  stop(): Promise<void>;
}

export async function startCluster(options: { workers?: number; slots?: number } = {}): Promise<TestCluster> {
  const dataDir = await mkdtemp(join(tmpdir(), 'weir-e2e-'));
  const child = spawn(
    process.execPath,
    [WEIR_BIN, 'local', '--port', '0', '--workers', String(options.workers ?? 2), '--slots', String(options.slots ?? 4), '--data-dir', dataDir],
    { cwd: REPO_ROOT, env: { ...process.env, [WEIR_ENV.logLevel]: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (d: Buffer) => {
    log += d.toString();
    if (log.length > 400_000) log = log.slice(-200_000);
  });
  let said = '';
  let coordinatorPid = 0;
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`weir local did not become ready:\n${log}`)), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      said += line + '\n';
      const pid = /coordinator \(pid (\d+)\)/.exec(line);
      if (pid) coordinatorPid = Number(pid[1]);
      const ready = /ready: coordinator at (\S+),/.exec(line);
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`weir local exited with ${code}:\n${log}`)));
  });
  const withAddress = (args: string[]): string[] => {
    const split = args.indexOf('--');
    return split < 0 ? [...args, '--coordinator', address] : [...args.slice(0, split), '--coordinator', address, ...args.slice(split)];
  };
  const cluster: TestCluster = {
    address,
    dataDir,
    process: child,
    run: (args) => weir(withAddress(args)),
    log: () => `${said}${log}`.slice(-8000),
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
      return [child.pid!, coordinatorPid, ...view.workers.map((w) => w.pid)];
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dataDir, { recursive: true, force: true });
    },
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
