// The local-cluster launcher: a coordinator and N worker processes on
// loopback with their data directories, ready detection, supervision
// (restarting a member that dies), signals to one member, restart and a clean
// stop. `weir local`, @weir/testing, the e2e tests and the benchmarks all use it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sleep, WEIR_ENV, type ClientTransport, type TlsFiles } from '@weir/protocol';
import { WeirClient } from '@weir/client';
import { ClusterMember, type MemberOutputListener, type MemberSpec } from './cluster-member.ts';
import { generateClusterCertificates } from './security/cluster-certificates.ts';

/**
 * A small young generation for a worker's main thread: it only routes frames,
 * and the default semi-space makes its RSS ~60 MiB larger for no throughput
 * (bench/RESULTS.md). Run `weir worker` with NODE_OPTIONS=--max-semi-space-size=4
 * for the same effect elsewhere.
 */
export const WORKER_NODE_FLAGS = '--max-semi-space-size=4';

/** How long a member waits for SIGTERM to end it before it is SIGKILLed. */
const STOP_GRACE_MS = 5000;

/** What to start. Every field has a default suited to a test. */
export interface LocalClusterOptions {
  /** Worker processes (default 2). */
  workers?: number;
  /** Slots (subtask threads) per worker (default 4). */
  slots?: number;
  /** Coordinator port; 0 (the default) picks a free one. Restarts of the coordinator keep it. */
  port?: number;
  /** The coordinator's REST API and dashboard port; 0 (the default) picks a free one. Restarts of the coordinator keep it. */
  restPort?: number;
  /**
   * Where the members keep artifacts, checkpoints and dead letters. Default: a
   * fresh temporary directory, deleted by `stop()`; a given one is kept.
   */
  dataDir?: string;
  /** Slot threads each worker keeps ready per running job (`weir worker --spare-threads`). */
  spareThreads?: number;
  /** Where checkpoints go: a directory or `s3://bucket/prefix` (default: `<dataDir>/checkpoints`). */
  checkpointDir?: string;
  /** More flags for every `weir worker`. */
  workerArgs?: readonly string[];
  /** Environment of the members, over this process's (e.g. `{ WEIR_LOG_LEVEL: 'warn' }`). */
  env?: NodeJS.ProcessEnv;
  /** Start a member that dies again, as a process supervisor would (default true). */
  restartOnExit?: boolean;
  /** Receives the members' output lines; default: stdout to this process's stdout, stderr inherited. */
  onOutput?: MemberOutputListener;
  /** Called with one line about the cluster itself: a member ready, exited, started again. */
  say?: (line: string) => void;
  /** How long a member (and the workers' registration) may take to become ready (default 60 s). */
  readyTimeoutMs?: number;
  /**
   * The cluster CA and the members' certificate. Default: a throwaway CA and
   * certificate for loopback, made in `<dataDir>/tls` at every start.
   */
  tls?: TlsFiles;
  /** The coordinator's tokens file (`security.tokensFile`); default none. */
  tokensFile?: string;
  /** Serve the REST API and dashboard over HTTPS too (default: plain HTTP, on loopback only). */
  restTls?: boolean;
  /** No TLS at all (`--insecure-plaintext`), for measuring what TLS costs. */
  plaintext?: boolean;
}

/**
 * A coordinator and N workers as real processes on loopback, the same code
 * paths as a distributed deployment. Start one with `startLocalCluster`.
 */
export class LocalCluster {
  /** The coordinator's address (`127.0.0.1:port`), for clients and `--coordinator`. */
  address = '';
  /** The cluster's data directory (absolute). */
  readonly dataDir: string;
  /** The coordinator's REST API and dashboard (`http://127.0.0.1:port`), once started. */
  get restUrl(): string {
    return this.coordinator.restUrl;
  }

  /** The TLS files of the members (the cluster CA, their certificate), once started. */
  tls: TlsFiles | undefined;

  /** What a client needs to reach the coordinator: its CA (`--ca-file`). */
  get clientTransport(): ClientTransport {
    return this.options.plaintext ? { plaintext: true } : { caFile: this.tls?.caFile ?? '' };
  }

  /** The flags a `weir` client command needs to reach the coordinator (`--ca-file FILE`). */
  get clientArgs(): string[] {
    return this.options.plaintext ? ['--insecure-plaintext'] : ['--ca-file', this.tls?.caFile ?? ''];
  }

  /** The coordinator process. */
  readonly coordinator: ClusterMember;
  /** The worker processes; worker i registers as `local-worker-<i>`. */
  readonly workers: readonly ClusterMember[];
  private readonly options: LocalClusterOptions;
  private readonly ownsDataDir: boolean;
  /** Members being restarted or killed on purpose: the supervisor leaves them alone. */
  private readonly held = new Set<ClusterMember>();
  private stopping = false;

  /** Use `startLocalCluster`; this only lays out the members. */
  constructor(options: LocalClusterOptions, dataDir: string, ownsDataDir: boolean) {
    this.options = options;
    this.dataDir = dataDir;
    this.ownsDataDir = ownsDataDir;
    const spec = (nodeArgs: string[], args: string[]): MemberSpec => ({
      nodeArgs,
      args,
      env: { ...process.env, ...options.env },
      onOutput: options.onOutput,
      readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
    });
    this.coordinator = new ClusterMember('coordinator', 0, spec([], this.coordinatorArgs(options.port ?? 0, options.restPort ?? 0)));
    const workers: ClusterMember[] = [];
    for (let i = 0; i < (options.workers ?? 2); i++) workers.push(new ClusterMember('worker', i, spec([WORKER_NODE_FLAGS], [])));
    this.workers = workers;
  }

  /** The coordinator, then the workers. */
  get members(): ClusterMember[] {
    return [this.coordinator, ...this.workers];
  }

  /** Starts the coordinator, then the workers, and waits until every worker has registered. */
  async start(): Promise<void> {
    this.tls = this.options.tls ?? (await generateClusterCertificates(join(this.dataDir, 'tls')));
    const security: NodeJS.ProcessEnv = {
      [WEIR_ENV.transport]: this.options.plaintext ? 'plaintext' : 'tls',
      [WEIR_ENV.internalCa]: this.tls.caFile,
      [WEIR_ENV.internalCert]: this.tls.certFile,
      [WEIR_ENV.internalKey]: this.tls.keyFile,
      // The dashboard over HTTP on loopback: a browser would refuse the throwaway CA.
      [WEIR_ENV.restTransport]: this.options.restTls && !this.options.plaintext ? 'tls' : 'plaintext',
      ...(this.options.tokensFile ? { [WEIR_ENV.tokensFile]: this.options.tokensFile } : {}),
    };
    for (const member of this.members) member.spec.env = { ...member.spec.env, ...security, ...this.options.env };
    this.address = await this.launch(this.coordinator);
    // Restarts of the coordinator keep its port, so workers find it again.
    this.coordinator.spec.args = this.coordinatorArgs(Number(this.address.split(':').pop()), this.coordinator.restUrl ? Number(new URL(this.coordinator.restUrl).port) : (this.options.restPort ?? 0));
    for (const worker of this.workers) {
      worker.spec.args = this.workerArgs(worker.index);
      await this.launch(worker);
    }
    await this.waitForWorkers();
  }

  /**
   * Sends `signal` (default SIGKILL) to one member and resolves when its
   * process has exited. With `restartOnExit`, the supervisor starts it again
   * afterwards, as it does for any member that dies.
   */
  async kill(member: ClusterMember, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!member.signal(signal)) return;
    await member.exited();
  }

  /**
   * Stops one member (SIGTERM, SIGKILL after a grace period) if it runs, starts
   * it again, and resolves once it is ready (a worker: registered again).
   */
  async restart(member: ClusterMember): Promise<void> {
    this.held.add(member);
    try {
      await this.terminate(member);
      await this.launch(member);
      if (member.role === 'worker') await this.waitForWorkers();
    } finally {
      this.held.delete(member);
    }
  }

  /**
   * Stops every member (SIGTERM, then SIGKILL after a grace period), waits
   * for them all to exit, and deletes the data directory if it made it.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.members.map((m) => this.terminate(m)));
    if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  /** Polls the coordinator until every running worker process has registered. */
  async waitForWorkers(timeoutMs = this.options.readyTimeoutMs ?? 60_000): Promise<void> {
    // As a member (the members' certificate): no token needed.
    const client = new WeirClient(this.address, { transport: this.options.plaintext ? { plaintext: true } : { caFile: this.tls!.caFile, certFile: this.tls!.certFile, keyFile: this.tls!.keyFile } });
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const view = await client.cluster().catch(() => undefined);
        const registered = new Set(view?.workers.map((w) => w.pid));
        const missing = this.workers.filter((w) => w.running && !registered.has(w.pid!));
        if (view && missing.length === 0) return;
        if (Date.now() > deadline) {
          throw new Error(`${missing.map((w) => w.name).join(', ') || 'the workers'} did not register with the coordinator at ${this.address} within ${timeoutMs} ms; see their logs`);
        }
        await sleep(100);
      }
    } finally {
      client.close();
    }
  }

  private coordinatorArgs(port: number, restPort: number): string[] {
    return ['coordinator', '--port', String(port), '--rest-port', String(restPort), '--data-dir', join(this.dataDir, 'coordinator'), '--checkpoint-dir', this.options.checkpointDir ?? join(this.dataDir, 'checkpoints')];
  }

  private workerArgs(index: number): string[] {
    const o = this.options;
    return [
      'worker',
      '--coordinator',
      this.address,
      '--slots',
      String(o.slots ?? 4),
      '--data-dir',
      join(this.dataDir, `worker-${index}`),
      '--worker-id',
      `local-worker-${index}`,
      ...(o.spareThreads ? ['--spare-threads', String(o.spareThreads)] : []),
      ...(o.workerArgs ?? []),
    ];
  }

  private async terminate(member: ClusterMember): Promise<void> {
    if (!member.signal('SIGTERM')) return;
    const timer = setTimeout(() => member.signal('SIGKILL'), STOP_GRACE_MS);
    await member.exited();
    clearTimeout(timer);
  }

  private async launch(member: ClusterMember): Promise<string> {
    const address = await member.start((code, signal) => {
      if (this.stopping || this.held.has(member)) return;
      const how = signal ?? `code ${code}`;
      if (this.options.restartOnExit === false) {
        this.options.say?.(`weir local: ${member.name} (pid ${member.pid}) exited (${how})`);
        return;
      }
      this.options.say?.(`weir local: ${member.name} (pid ${member.pid}) exited (${how}); starting it again`);
      void this.relaunch(member);
    });
    this.options.say?.(`weir local: ${member.name} (pid ${member.pid}) listening on ${address}, metrics at ${member.metricsUrl}${member.restUrl ? `, REST API and dashboard at ${member.restUrl}` : ''}`);
    return address;
  }

  /** Starts a member that died again, retrying with backoff (its port may still be held for a moment). */
  private async relaunch(member: ClusterMember): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      await sleep(Math.min(5000, 500 * 2 ** attempt));
      if (this.stopping || this.held.has(member) || member.running) return;
      try {
        await this.launch(member);
        return;
      } catch (error) {
        this.options.say?.(`weir local: ${(error as Error).message}; retrying`);
      }
    }
  }
}

/**
 * Starts a coordinator and `workers` worker processes on loopback (the
 * coordinator on `port`, default a free one) and resolves once every worker
 * has registered. If any member fails to start, the ones started are stopped
 * and the error is thrown. Call `stop()` when done.
 *
 * @example
 * const cluster = await startLocalCluster({ workers: 2, slots: 4, env: { WEIR_LOG_LEVEL: 'warn' } });
 * try {
 *   await cluster.kill(cluster.workers[0]!); // SIGKILL; the supervisor starts it again
 * } finally {
 *   await cluster.stop();
 * }
 */
export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = ownsDataDir ? await mkdtemp(join(tmpdir(), 'weir-local-')) : resolve(options.dataDir!);
  const cluster = new LocalCluster(options, dataDir, ownsDataDir);
  try {
    await cluster.start();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
