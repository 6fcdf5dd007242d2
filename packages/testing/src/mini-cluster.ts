// MiniCluster: a real local cluster (coordinator and worker processes) for a
// test, with job submission through @weir/client, collected output, worker
// kills for recovery tests, and cleanup (also when the test process exits).
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalCluster, type LocalCluster } from '@weir/cli';
import { prepareJob, WeirClient } from '@weir/client';
import { WeirError } from '@weir/common';
import type { CheckpointMode } from '@weir/common';
import { WEIR_ENV, type JobStatusView, type WorkerView } from '@weir/protocol';
import { DEFAULT_WAIT_MS, JobHandle } from './job-handle.ts';
import { LogTail } from './log-tail.ts';
import { eventually } from './poll.ts';

/** What cluster to start. */
export interface MiniClusterOptions {
  /** Worker processes (default 2). */
  workers?: number;
  /** Slots (subtask threads) per worker (default 4). */
  slots?: number;
  /** Log level of the cluster's processes (default `warn`). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /**
   * `capture` (default): the processes' output is kept (its tail is `log()`)
   * and not printed; `inherit`: printed to this process's stdout and stderr.
   */
  output?: 'capture' | 'inherit';
  /**
   * Start a worker that dies (or is killed) again, as `weir local` does
   * (default false: as in Flink's MiniCluster, a killed worker stays dead and
   * the job recovers on the slots left; `restartWorker` starts it again).
   */
  restartWorkers?: boolean;
}

/** How to submit a job. */
export interface JobOptions {
  /** Default parallelism of the job (`weir run -p`). */
  parallelism?: number;
  /** Arguments for the job (what `defineJob((env, args) => ...)` receives). */
  args?: readonly string[];
  /**
   * Collect the job's output: a fresh temporary directory is appended to the
   * arguments after this flag (e.g. `'--output'` gives `--output /tmp/...`);
   * the job writes there with `writeToFile(dir)`, and `JobHandle.output()`
   * reads the records back.
   */
  outputFlag?: string;
  /** Checkpoint every this many ms, overriding the job (0 disables). */
  checkpointIntervalMs?: number;
  /** Checkpoint mode, overriding the job. */
  checkpointMode?: CheckpointMode;
}

/** A worker `killWorker` killed: what the coordinator knew of it, and its index for `restartWorker`. */
export interface KilledWorker extends WorkerView {
  /** The worker's index in the cluster (0 .. workers - 1). */
  index: number;
}

/** What `MiniCluster.run` resolves with. */
export interface JobResult<T> {
  /** The job's final status (FINISHED). */
  status: JobStatusView;
  /** The records the job wrote, when run with `outputFlag`; empty otherwise. */
  output: T[];
}

/**
 * A Weir cluster for tests, in real processes on loopback (Flink's
 * MiniClusterWithClientResource): a coordinator and `workers` worker
 * processes with temporary data directories. Works with any test runner:
 *
 * @example
 * const cluster = await MiniCluster.start({ workers: 2, slots: 4 });
 * try {
 *   const { output } = await cluster.run<{ key: string; count: number }>('jobs/counts.ts', { parallelism: 2, outputFlag: '--output' });
 * } finally {
 *   await cluster.close();
 * }
 *
 * Close it in an `afterAll`/`after` hook (or `await using`); if the test
 * process exits without closing it, its processes are killed then.
 */
export class MiniCluster {
  /** The coordinator's address (`127.0.0.1:port`). */
  readonly address: string;
  /** A client of the coordinator, for anything this class does not wrap. */
  readonly client: WeirClient;
  /** The launcher underneath: its members (coordinator and workers), kill and restart. */
  readonly launcher: LocalCluster;
  private readonly tempDirs: string[] = [];
  private readonly logTail: LogTail;
  private readonly killOnExit = (): void => this.killNow();
  private closed = false;

  private constructor(launcher: LocalCluster, logTail: LogTail) {
    this.launcher = launcher;
    this.logTail = logTail;
    this.address = launcher.address;
    this.client = new WeirClient(launcher.address, { transport: launcher.clientTransport });
    process.once('exit', this.killOnExit);
  }

  /** Starts a cluster and resolves once every worker has registered with the coordinator. */
  static async start(options: MiniClusterOptions = {}): Promise<MiniCluster> {
    const logTail = new LogTail();
    const keep = (line: string): void => logTail.add(line);
    const capture = (options.output ?? 'capture') === 'capture';
    const launcher = await startLocalCluster({
      workers: options.workers ?? 2,
      slots: options.slots ?? 4,
      env: { [WEIR_ENV.logLevel]: options.logLevel ?? 'warn' },
      restartOnExit: options.restartWorkers ?? false,
      ...(capture ? { onOutput: keep, say: keep } : {}),
    }).catch((error: unknown) => {
      throw new WeirError(`the MiniCluster did not start: ${(error as Error).message}${capture ? `\n--- its output ---\n${logTail.text()}` : ''}`, { cause: error });
    });
    return new MiniCluster(launcher, logTail);
  }

  /**
   * Bundles the job module (TypeScript or JavaScript, default-exporting
   * `defineJob(...)`), submits it, and resolves once the coordinator has it.
   * A relative path is resolved against the working directory.
   */
  async submit(job: string | URL, options: JobOptions = {}): Promise<JobHandle> {
    const outputDir = options.outputFlag === undefined ? undefined : await this.tempDir('output');
    const args = [...(options.args ?? []), ...(outputDir === undefined ? [] : [options.outputFlag!, outputDir])];
    const prepared = await prepareJob(job instanceof URL ? fileURLToPath(job) : job, args, options.parallelism);
    const checkpoint = prepared.graph.config.checkpoint;
    if (options.checkpointIntervalMs !== undefined) checkpoint.intervalMs = options.checkpointIntervalMs;
    if (options.checkpointMode !== undefined) checkpoint.mode = options.checkpointMode;
    const jobId = await this.client.submit(prepared.graph.name, prepared.graph, prepared.artifact, args);
    return new JobHandle(this.client, jobId, prepared.graph.name, outputDir);
  }

  /**
   * Submits the job and waits for it to finish; resolves with its final
   * status and, with `outputFlag`, its output. Throws a JobEndedError (with the
   * job's error and user stack) if it fails or is cancelled.
   */
  async run<T = unknown>(job: string | URL, options: JobOptions & { timeoutMs?: number } = {}): Promise<JobResult<T>> {
    const handle = await this.submit(job, options);
    const status = await handle.waitForFinish(options.timeoutMs ?? DEFAULT_WAIT_MS);
    return { status, output: handle.outputDir === undefined ? [] : await handle.output<T>() };
  }

  /** A fresh temporary directory, deleted by `close()`. */
  async tempDir(prefix = 'dir'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `weir-test-${prefix}-`));
    this.tempDirs.push(dir);
    return dir;
  }

  /** The workers registered with the coordinator now. */
  async workers(): Promise<WorkerView[]> {
    return (await this.client.cluster()).workers;
  }

  /**
   * SIGKILLs a worker process and resolves, once it has exited, with what the
   * coordinator knew of it and its index: worker `index` of the launcher, or `{ jobId }`: a
   * worker that runs a subtask of that job (of its last vertex, the sink, if
   * it has one there). Default: worker 0.
   */
  async killWorker(target: number | { jobId: string } = 0): Promise<KilledWorker> {
    const workers = await this.workers();
    let view: WorkerView | undefined;
    if (typeof target === 'number') {
      const pid = this.launcher.workers[target]?.pid;
      view = workers.find((w) => w.pid === pid);
    } else {
      const status = await this.client.status(target.jobId);
      const used = [...status.vertices].reverse().flatMap((v) => v.subtasks.map((s) => s.workerId));
      view = used.map((id) => workers.find((w) => w.workerId === id)).find((w) => w !== undefined);
    }
    const member = view && this.launcher.workers.find((m) => m.pid === view.pid);
    if (!view || !member) {
      throw new WeirError(`no running worker matches ${JSON.stringify(target)}; registered: ${workers.map((w) => `${w.workerId} (pid ${w.pid})`).join(', ') || 'none'}`);
    }
    await this.launcher.kill(member, 'SIGKILL');
    return { ...view, index: member.index };
  }

  /** Starts worker `index` again (after a kill, or stops it first) and waits until it has registered. */
  async restartWorker(index: number): Promise<void> {
    const member = this.launcher.workers[index];
    if (!member) throw new WeirError(`there is no worker ${index}: the cluster has ${this.launcher.workers.length}`);
    await this.launcher.restart(member);
  }

  /** Waits until `count` workers (default all the cluster was started with) are registered. */
  async waitForWorkers(count = this.launcher.workers.length, timeoutMs = DEFAULT_WAIT_MS): Promise<WorkerView[]> {
    return eventually(async () => {
      const workers = await this.workers();
      return workers.length >= count ? workers : undefined;
    }, { timeoutMs, what: `${count} registered workers` });
  }

  /** The tail of what the cluster's processes wrote (with `output: 'capture'`), e.g. to print when a test fails. */
  log(): string {
    return this.logTail.text();
  }

  /** Stops every process of the cluster and deletes its data and temporary directories. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    process.removeListener('exit', this.killOnExit);
    this.client.close();
    await this.launcher.stop();
    await Promise.all(this.tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }

  /** `await using cluster = await MiniCluster.start()` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The test process is exiting without close(): kill the processes and delete the directories, synchronously. */
  private killNow(): void {
    for (const member of this.launcher.members) member.signal('SIGKILL');
    for (const dir of [...this.tempDirs, this.launcher.dataDir]) rmSync(dir, { recursive: true, force: true });
  }
}
