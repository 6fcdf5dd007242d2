// A worker's part in an etcd cluster: following the leading coordinator,
// keeping its own registration on a lease, and watching the assignments.
// Keys, records and the client are those of @weir/protocol/etcd.
import { EventEmitter } from 'node:events';
import type { Lease, Watcher } from 'etcd3';
import { RepeatedWarning, sleep, type Logger } from '@weir/protocol';
import {
  type EtcdTlsFiles,
  createEtcdClient,
  encodeEtcdRecord,
  EtcdKeys,
  listLeaderCandidates,
  observeLeader,
  parseEtcdRecord,
  WORKER_LEASE_TTL_SECONDS,
  type EtcdClient,
  type EtcdWorkerRecord,
  type JobAssignment,
} from '@weir/protocol/etcd';

/**
 * A worker's view of an etcd cluster: which coordinator leads (the candidate
 * of the coordinators' election with the lowest create revision, followed
 * with `observeLeader`), and the worker's own registration, kept on a lease.
 */
export class EtcdLeaderTracker extends EventEmitter<{ leader: [address: string | undefined]; assignment: [assignment: JobAssignment] }> {
  private readonly client: EtcdClient;
  private readonly keys: EtcdKeys;
  private readonly logger: Logger;
  private readonly stopping = new AbortController();
  private current: string | undefined;
  private lease: Lease | undefined;
  private loops: Promise<void>[] = [];

  constructor(options: { endpoints: string[]; tls?: EtcdTlsFiles | undefined; clusterId: string; logger: Logger }) {
    super();
    this.keys = new EtcdKeys(options.clusterId);
    this.logger = options.logger;
    this.client = createEtcdClient({ endpoints: options.endpoints, tls: options.tls });
  }

  /** The leader's address as last read; undefined while none is known. */
  leader(): string | undefined {
    return this.current;
  }

  /**
   * The epoch of the leader as etcd has it now: the create revision of the
   * first candidate (undefined: no candidate).
   * @throws EtcdUnavailableError when etcd does not answer.
   */
  async leaderEpoch(): Promise<number | undefined> {
    const leader = (await listLeaderCandidates(this.client, this.keys))[0];
    return leader ? Number(leader.createRevision) : undefined;
  }

  /** Starts following the leader and keeps `record` registered on a lease. */
  start(record: EtcdWorkerRecord): void {
    const follow = observeLeader({
      client: this.client,
      keys: this.keys,
      onLeader: (address) => this.set(address),
      signal: this.stopping.signal,
      retryDelayMs: 1000,
      logger: this.logger,
    });
    this.loops.push(follow, this.register(record), this.watchAssignments());
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
        watcher = await this.client.watch().prefix(this.keys.assignmentsPrefix).create();
        watcher.on('put', (kv) => {
          const key = kv.key.toString();
          try {
            this.emit('assignment', parseEtcdRecord<JobAssignment>(key, kv.value.toString()));
          } catch (error) {
            this.logger.warn({ key, err: (error as Error).message }, 'ignoring an unreadable assignment in etcd');
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
    const key = this.keys.worker(record.workerId);
    // A flapping etcd loses the registration again and again: say so less and less often.
    const registrationLost = new RepeatedWarning(this.logger, 'the worker registration in etcd was lost; registering again');
    while (!signal.aborted) {
      const lease = this.client.lease(WORKER_LEASE_TTL_SECONDS, { autoKeepAlive: true });
      this.lease = lease;
      const lost = new Promise<string>((resolve) => lease.on('lost', (error: Error) => resolve(error.message)));
      try {
        await lease.put(key).value(encodeEtcdRecord(record));
        const reason = await Promise.race([lost, new Promise<string>((resolve) => signal.addEventListener('abort', () => resolve('stopping'), { once: true }))]);
        if (signal.aborted) return;
        registrationLost.warn({ reason });
      } catch (error) {
        if (signal.aborted) return;
        this.logger.debug({ err: (error as Error).message }, 'cannot register the worker in etcd; trying again');
        lease.release();
      }
      await sleep(1000, signal).catch(() => undefined);
    }
  }
}
