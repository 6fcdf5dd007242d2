import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { TEST_TLS_ENV } from './test-tls.ts';
import { WEIR_ENV, type CheckpointView, type ClusterView, type JobStatusView } from '@weir/protocol';
import { startEtcd, type EtcdServer } from './etcd-server.ts';
import { eventually } from './local-cluster.ts';
import { REPO_ROOT, WEIR_BIN, weir, type CliResult } from './weir-cli.ts';

/** One `weir coordinator` or `weir worker` process of an HA cluster. */
export interface HaMember {
  readonly name: string;
  /** The coordinator's address (workers: empty). */
  readonly address: string;
  /** A coordinator's REST API (`http://host:port`; workers: empty). */
  readonly restUrl: string;
  readonly process: ChildProcess;
  /** Everything it wrote to stderr (pino JSON lines at info level), kept for assertions. */
  log(): string;
  alive(): boolean;
}

/** etcd, several coordinators (one leads) and workers, all real processes sharing one checkpoint directory. */
export interface HaCluster {
  readonly etcd: EtcdServer;
  readonly clusterId: string;
  readonly dataDir: string;
  readonly coordinators: HaMember[];
  readonly workers: HaMember[];
  /** `weir ...args` finding the leader through etcd (`--etcd --cluster-id`). */
  run(args: string[], options?: { timeoutMs?: number }): Promise<CliResult>;
  json<T>(args: string[]): Promise<T>;
  cluster(): Promise<ClusterView>;
  status(jobId: string): Promise<JobStatusView>;
  completedCheckpoints(jobId: string): Promise<CheckpointView[]>;
  /** Waits until a living coordinator leads and answers; resolves with it. */
  leader(timeoutMs?: number): Promise<HaMember>;
  waitForEnd(jobId: string, timeoutMs?: number): Promise<JobStatusView>;
  addCoordinator(): Promise<HaMember>;
  /** The tail of every member's log, for failing tests. */
  logs(): string;
  stop(): Promise<void>;
}

export interface HaClusterOptions {
  coordinators: number;
  workers: number;
  slots?: number;
  leaseTtlSeconds?: number;
}

export async function startHaCluster(options: HaClusterOptions): Promise<HaCluster> {
  const etcd = await startEtcd();
  const dataDir = await mkdtemp(join(tmpdir(), 'weir-ha-'));
  const clusterId = `ha-${randomUUID().slice(0, 8)}`;
  const ttl = String(options.leaseTtlSeconds ?? 2);
  const members: HaMember[] = [];
  const coordinators: HaMember[] = [];
  const workers: HaMember[] = [];
  const etcdArgs = ['--etcd', etcd.endpoint, '--cluster-id', clusterId];

  const launch = (name: string, args: string[], ready: RegExp): Promise<HaMember> => {
    const child = spawn(process.execPath, [WEIR_BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...TEST_TLS_ENV, [WEIR_ENV.logLevel]: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.length > 2_000_000) log = log.slice(-1_000_000);
    });
    return new Promise<HaMember>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${log}`)), 30_000);
      let restUrl = '';
      createInterface({ input: child.stdout! }).on('line', (line) => {
        restUrl ||= /REST API and dashboard at (\S+)/.exec(line)?.[1] ?? '';
        const match = ready.exec(line);
        if (!match) return;
        clearTimeout(timer);
        const member: HaMember = { name, address: match[1] ?? '', restUrl, process: child, log: () => log, alive: () => child.exitCode === null && child.signalCode === null };
        members.push(member);
        resolve(member);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code ?? signal}) while starting:\n${log}`));
      });
    });
  };

  const addCoordinator = async (): Promise<HaMember> => {
    const i = coordinators.length;
    const member = await launch(
      `coordinator ${i}`,
      ['coordinator', '--port', '0', '--rest-port', '0', ...etcdArgs, '--lease-ttl', ttl, '--data-dir', join(dataDir, `coordinator-${i}`), '--checkpoint-dir', join(dataDir, 'checkpoints')],
      /listening on (\S+)/,
    );
    coordinators.push(member);
    return member;
  };

  const run = (args: string[], runOptions: { timeoutMs?: number } = {}): Promise<CliResult> => {
    const split = args.indexOf('--');
    const withEtcd = split < 0 ? [...args, ...etcdArgs] : [...args.slice(0, split), ...etcdArgs, ...args.slice(split)];
    return weir(withEtcd, runOptions);
  };
  const json = async <T>(args: string[]): Promise<T> => {
    const result = await run([...args, '--json']);
    if (result.code !== 0) throw new Error(`weir ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  };

  try {
    for (let i = 0; i < options.coordinators; i++) await addCoordinator();
    for (let i = 0; i < options.workers; i++) {
      workers.push(
        await launch(
          `worker ${i}`,
          ['worker', ...etcdArgs, '--slots', String(options.slots ?? 4), '--data-dir', join(dataDir, `worker-${i}`), '--worker-id', `ha-worker-${i}`],
          /listening on (\S+)/,
        ),
      );
    }
  } catch (error) {
    for (const m of members) m.process.kill('SIGKILL');
    await etcd.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }

  const cluster: HaCluster = {
    etcd,
    clusterId,
    dataDir,
    coordinators,
    workers,
    run,
    json,
    cluster: () => json<ClusterView>(['cluster']),
    status: (jobId) => json<JobStatusView>(['status', jobId]),
    completedCheckpoints: async (jobId) => (await json<CheckpointView[]>(['checkpoints', jobId])).filter((c) => c.status === 'COMPLETED'),
    leader: (timeoutMs = 15_000) =>
      eventually(async () => {
        const view = await cluster.cluster().catch(() => undefined);
        const leader = view && coordinators.find((c) => c.alive() && c.address === view.address);
        return leader && view.leadership?.leader.address === leader.address ? leader : undefined;
      }, timeoutMs, 'a living coordinator to lead'),
    waitForEnd: (jobId, timeoutMs = 90_000) =>
      eventually(async () => {
        const view = await cluster.status(jobId).catch(() => undefined);
        return view && ['FINISHED', 'FAILED', 'CANCELED'].includes(view.status) ? view : undefined;
      }, timeoutMs, `job ${jobId} to end`),
    addCoordinator,
    logs: () =>
      members
        .map((m) => {
          const lines = m.log().split('\n').filter((l) => /"level":(40|50|60)/.test(l) || /elected|leading|standing by|leader changed|refused/.test(l));
          return `--- ${m.name} (${m.address || 'worker'}) ---\n${lines.slice(-40).join('\n')}`;
        })
        .join('\n'),
    async stop() {
      const living = members.filter((m) => m.alive());
      const exited = living.map((m) => new Promise((r) => m.process.once('exit', r)));
      for (const m of living) m.process.kill('SIGKILL');
      await Promise.all(exited);
      await etcd.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return cluster;
}

/** Expected keyed counts of examples/exactly-once-counts.ts. */
export function expectedCounts(events: number, keys: number): Map<string, number> {
  const expected = new Map<string, number>();
  for (let i = 0; i < events; i++) expected.set(`k${i % keys}`, (expected.get(`k${i % keys}`) ?? 0) + 1);
  return expected;
}
