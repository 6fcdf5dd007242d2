import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WeirClient, type WeirClientOptions } from '@weir/client';
import { WEIR_ENV, type ClusterView, type JobStatusView } from '@weir/protocol';
import { generateClusterCertificates, startLocalCluster, type LocalCluster, type LocalClusterOptions } from '@weir/cli';

/**
 * One throwaway cluster CA for every cluster a benchmark starts: the clusters
 * run with mutual TLS like `weir local`, and `weir()` trusts the CA.
 */
export const BENCH_TLS = await generateClusterCertificates(join(mkdtempSync(join(tmpdir(), 'weir-bench-tls-')), 'tls'));

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEIR_BIN = join(REPO_ROOT, 'packages/cli/bin/weir.mjs');

export function weir(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WEIR_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, [WEIR_ENV.caFile]: BENCH_TLS.caFile, [WEIR_ENV.logLevel]: 'warn' } });
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

  /** The flags a client command needs besides --coordinator (`--insecure-plaintext` for a plaintext cluster). */
  clientArgs: string[] = [];

  async start(workers: number, slots: number, options: Pick<LocalClusterOptions, 'env' | 'onOutput' | 'spareThreads' | 'plaintext'> = {}): Promise<void> {
    this.launcher = await startLocalCluster({
      workers,
      slots,
      tls: BENCH_TLS,
      // The members' stdout stays out of the benchmark's (its results).
      onOutput: (line, _member, stream) => void (stream === 'stderr' && process.stderr.write(line + '\n')),
      ...options,
      env: { [WEIR_ENV.logLevel]: 'warn', ...options.env },
    });
    this.address = this.launcher.address;
    this.clientArgs = options.plaintext ? ['--insecure-plaintext'] : [];
    this.coordinatorPid = this.launcher.coordinator.pid!;
  }

  /** An in-process client of this cluster, trusting its CA (plaintext for a plaintext cluster). */
  client(options: WeirClientOptions = {}): WeirClient {
    return new WeirClient(this.address, { ...options, transport: this.clientArgs.includes('--insecure-plaintext') ? { plaintext: true } : { caFile: BENCH_TLS.caFile } });
  }

  async json<T>(args: string[]): Promise<T> {
    const r = await weir([...args, '--coordinator', this.address, ...this.clientArgs, '--json']);
    if (r.code !== 0) throw new Error(`weir ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  status(jobId: string): Promise<JobStatusView> {
    return this.json<JobStatusView>(['status', jobId]);
  }

  /** `weir run <runArgs> -d -- <jobArgs>` against this cluster; resolves with the job id. */
  async submit(runArgs: string[], jobArgs: string[]): Promise<string> {
    const submit = await weir(['run', ...runArgs, '-d', '--json', '--coordinator', this.address, ...this.clientArgs, '--', ...jobArgs]);
    if (submit.code !== 0) throw new Error(submit.stderr);
    return (JSON.parse(submit.stdout) as { jobId: string }).jobId;
  }

  /** Records the job's sink has taken in so far (else what its source sent); fails unless the job runs. */
  async produced(jobId: string): Promise<number> {
    const view = await this.status(jobId);
    if (view.status !== 'RUNNING') throw new Error(`job is ${view.status}: ${view.error}`);
    const sink = view.vertices.at(-1)!;
    return sink.subtasks.reduce((n, s) => n + s.recordsIn, 0) || view.vertices[0]!.subtasks.reduce((n, s) => n + s.recordsOut, 0);
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
