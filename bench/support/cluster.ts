import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WEIR_ENV, type ClusterView, type JobStatusView } from '@weir/protocol';
import { startLocalCluster, type LocalCluster, type LocalClusterOptions } from '@weir/cli';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEIR_BIN = join(REPO_ROOT, 'packages/cli/bin/weir.mjs');

export function weir(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WEIR_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, [WEIR_ENV.logLevel]: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A local cluster (the launcher behind `weir local`) for a benchmark run; the members' stderr goes to this process's stderr. */
export class BenchCluster {
  address = '';
  coordinatorPid = 0;
  private launcher: LocalCluster | undefined;

  async start(workers: number, slots: number, options: Pick<LocalClusterOptions, 'env' | 'onOutput' | 'spareThreads'> = {}): Promise<void> {
    this.launcher = await startLocalCluster({
      workers,
      slots,
      // The members' stdout stays out of the benchmark's (its results).
      onOutput: (line, _member, stream) => void (stream === 'stderr' && process.stderr.write(line + '\n')),
      ...options,
      env: { [WEIR_ENV.logLevel]: 'warn', ...options.env },
    });
    this.address = this.launcher.address;
    this.coordinatorPid = this.launcher.coordinator.pid!;
  }

  async json<T>(args: string[]): Promise<T> {
    const r = await weir([...args, '--coordinator', this.address, '--json']);
    if (r.code !== 0) throw new Error(`weir ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  status(jobId: string): Promise<JobStatusView> {
    return this.json<JobStatusView>(['status', jobId]);
  }

  async workerPids(): Promise<number[]> {
    return (await this.json<ClusterView>(['cluster'])).workers.map((w) => w.pid);
  }

  /** Stops every member and deletes the cluster's data directory. */
  async stop(): Promise<void> {
    await this.launcher?.stop();
  }
}

/** CPU seconds (user + system) a process has used so far. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

export function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`;
}
