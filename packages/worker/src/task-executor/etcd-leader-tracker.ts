import { EventEmitter } from 'node:events';
import { Election, Etcd3, type IOptions, type Lease, type Watcher } from 'etcd3';
import { sleep, type EtcdWorkerRecord, type JobAssignment, type Logger } from '@weir/protocol';

type FaultHandling = Required<NonNullable<IOptions['faultHandling']>>;
type Policy = FaultHandling['global'];
type Backoff = FaultHandling['watchBackoff'];

/** Lease TTL of a worker's registration in etcd: a dead worker's entry disappears after about this long. */
export const WORKER_LEASE_TTL_SECONDS = 10;


/**
 * A worker's view of an etcd cluster: which coordinator leads (the candidate
 * of the coordinators' election with the lowest create revision, re-read on
 * every change of the candidates and once a second), and the worker's own
 * registration, kept on a lease.
 *
 * Keys follow `EtcdKeys` of `@weir/coordinator` (`/weir/<clusterId>/leader/election/coordinator/`
 * and `/weir/<clusterId>/workers/<workerId>`); the worker does not depend on
 * the coordinator package, so they are built here the same way.
 */
export class EtcdLeaderTracker extends EventEmitter<{ leader: [address: string | undefined]; assignment: [assignment: JobAssignment] }> {
  private readonly client: Etcd3;
  private readonly candidatesPrefix: string;
  private readonly workersPrefix: string;
  private readonly assignmentsPrefix: string;
  private readonly logger: Logger;
  private readonly stopping = new AbortController();
  private current: string | undefined;
  private lease: Lease | undefined;
  private loops: Promise<void>[] = [];

  constructor(options: { endpoints: string[]; clusterId: string; logger: Logger }) {
    super();
    if (options.endpoints.length === 0) throw new Error('no etcd endpoints given: pass at least one client URL such as http://127.0.0.1:2379');
    if (options.clusterId === '' || options.clusterId.includes('/')) throw new Error(`invalid cluster id ${JSON.stringify(options.clusterId)}: it must be non-empty and must not contain "/"`);
    const root = `/weir/${options.clusterId}/`;
    this.candidatesPrefix = `${root}leader/${Election.prefix}/coordinator/`;
    this.workersPrefix = `${root}workers/`;
    this.assignmentsPrefix = `${root}assignments/`;
    this.logger = options.logger;
    this.client = new Etcd3({
      hosts: options.endpoints,
      // Deadlines on unary calls, no circuit breaker, fast watch reconnects (same reasons as the coordinator's createEtcdClient).
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + 2_000 }),
      faultHandling: { host: () => passThrough(), global: passThrough(), watchBackoff: backoff(100, 2_000) },
      grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 2_000 },
    });
  }

  /** The leader's address as last read; undefined while none is known. */
  leader(): string | undefined {
    return this.current;
  }

  /** Starts following the leader and keeps `record` registered on a lease. */
  start(record: EtcdWorkerRecord): void {
    this.loops.push(this.follow(), this.register(record), this.watchAssignments());
  }

  async close(): Promise<void> {
    this.stopping.abort();
    await this.lease?.revoke().catch(() => undefined);
    await Promise.all(this.loops);
    this.client.close();
  }

  private set(address: string | undefined): void {
    if (address === this.current) return;
    this.current = address;
    this.logger.info({ leader: address ?? null }, address ? 'the coordinators elected a leader' : 'no coordinator leads right now');
    this.emit('leader', address);
  }

  private async read(): Promise<void> {
    const result = await this.client.getAll().prefix(this.candidatesPrefix).sort('Create', 'Ascend').limit(1).exec();
    this.set(result.kvs[0]?.value.toString());
  }

  private async follow(): Promise<void> {
    const signal = this.stopping.signal;
    let watcher: Watcher | undefined;
    while (!signal.aborted) {
      try {
        if (!watcher) {
          watcher = await this.client.watch().prefix(this.candidatesPrefix).create();
          watcher.on('data', () => void this.read().catch(() => undefined));
          watcher.on('error', () => undefined);
        }
        await this.read();
      } catch (error) {
        this.logger.debug({ err: (error as Error).message }, 'cannot read the leader from etcd; trying again');
      }
      // The watch reacts at once; this re-read covers a watch that was down when the leader changed.
      await sleep(1000, signal).catch(() => undefined);
    }
    await watcher?.cancel().catch(() => undefined);
  }

  /**
   * Watches the assignments the leader writes (a leader-fenced write before
   * every deployment) and emits each one: a worker then stops subtasks of
   * attempts a newer assignment replaced, even when the leader that replaced
   * them cannot reach it.
   */
  private async watchAssignments(): Promise<void> {
    const signal = this.stopping.signal;
    let watcher: Watcher | undefined;
    while (!signal.aborted && !watcher) {
      try {
        watcher = await this.client.watch().prefix(this.assignmentsPrefix).create();
        watcher.on('put', (kv) => {
          try {
            this.emit('assignment', JSON.parse(kv.value.toString()) as JobAssignment);
          } catch (error) {
            this.logger.warn({ key: kv.key.toString(), err: (error as Error).message }, 'ignoring an unreadable assignment in etcd');
          }
        });
        watcher.on('error', () => undefined);
      } catch (error) {
        this.logger.debug({ err: (error as Error).message }, 'cannot watch assignments in etcd; trying again');
        await sleep(1000, signal).catch(() => undefined);
      }
    }
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await watcher?.cancel().catch(() => undefined);
  }

  private async register(record: EtcdWorkerRecord): Promise<void> {
    const signal = this.stopping.signal;
    const key = this.workersPrefix + record.workerId;
    while (!signal.aborted) {
      const lease = this.client.lease(WORKER_LEASE_TTL_SECONDS, { autoKeepAlive: true });
      this.lease = lease;
      const lost = new Promise<string>((resolve) => lease.on('lost', (error: Error) => resolve(error.message)));
      try {
        await lease.put(key).value(JSON.stringify(record));
        const reason = await Promise.race([lost, new Promise<string>((resolve) => signal.addEventListener('abort', () => resolve('stopping'), { once: true }))]);
        if (signal.aborted) return;
        this.logger.warn({ reason }, 'the worker registration in etcd was lost; registering again');
      } catch (error) {
        if (signal.aborted) return;
        this.logger.debug({ err: (error as Error).message }, 'cannot register the worker in etcd; trying again');
        lease.release();
      }
      await sleep(1000, signal).catch(() => undefined);
    }
  }
}

function passThrough(): Policy {
  const noEvent = () => ({ dispose: () => undefined });
  return {
    _altReturn: undefined as never,
    onSuccess: noEvent,
    onFailure: noEvent,
    execute: async (fn, signal) => fn({ signal: signal ?? new AbortController().signal }),
  };
}

function backoff(initialMs: number, maxMs: number): Backoff {
  const step = (ms: number): Backoff => ({ duration: ms, next: () => step(Math.min(maxMs, ms * 2)) });
  return { duration: 0, next: () => step(initialMs) };
}
