import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ClusterView, JobStatusView } from '@weir/protocol';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEIR_BIN = join(REPO_ROOT, 'packages/cli/bin/weir.mjs');

export function weir(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WEIR_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, WEIR_LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A `weir local` cluster for a benchmark run. */
export class BenchCluster {
  address = '';
  coordinatorPid = 0;
  private child: ChildProcess | undefined;
  private dataDir = '';

  async start(workers: number, slots: number): Promise<void> {
    this.dataDir = await mkdtemp(join(tmpdir(), 'weir-bench-'));
    this.child = spawn(process.execPath, [WEIR_BIN, 'local', '--port', '0', '--workers', String(workers), '--slots', String(slots), '--data-dir', this.dataDir], {
      cwd: REPO_ROOT,
      env: { ...process.env, WEIR_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.address = await new Promise<string>((resolve, reject) => {
      createInterface({ input: this.child!.stdout! }).on('line', (line) => {
        const pid = /coordinator \(pid (\d+)\)/.exec(line);
        if (pid) this.coordinatorPid = Number(pid[1]);
        const m = /ready: coordinator at (\S+),/.exec(line);
        if (m) resolve(m[1]!);
      });
      this.child!.once('exit', () => reject(new Error('weir local exited')));
    });
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

  async stop(): Promise<void> {
    await stopLocalCluster(this.child, this.dataDir);
  }
}

/** Stops a `weir local` child (SIGTERM, waiting for it) and deletes its data directory. */
export async function stopLocalCluster(child: ChildProcess | undefined, dataDir: string): Promise<void> {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
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
