// What the coordinator uses of etcd: its client, the election, a guarded
// metadata store per term, and the listings of coordinators and workers.
import type { LeadershipView, Logger, WorkerView } from '@weir/protocol';
import { createEtcdClient, EtcdKeys, listLeaderCandidates, parseEtcdRecord, type EtcdClient, type EtcdTlsFiles, type EtcdWorkerRecord } from '@weir/protocol/etcd';
import { NotLeaderError, type LeaderFence } from './etcd-errors.ts';
import { EtcdMetadataStore } from './etcd-metadata-store.ts';
import { LeaderElection } from './leader-election.ts';

export interface EtcdLeadershipOptions {
  endpoints: string[];
  tls?: EtcdTlsFiles | undefined;
  clusterId: string;
  ttlSeconds: number;
  logger: Logger;
}

/** What the coordinator does when it wins or loses the leadership. */
export interface LeadershipHandlers {
  elected(fence: LeaderFence): void;
  deposed(reason: string): void;
}

/**
 * A coordinator's part in an etcd cluster: its client, the leader election,
 * a metadata store per term (whose writes are guarded by that term's leader
 * key only: a write left over from an earlier term fails even after this
 * coordinator was elected again), and the cluster's candidates and workers
 * for `weir cluster`.
 */
export class EtcdLeadership {
  readonly keys: EtcdKeys;
  readonly ttlSeconds: number;
  private readonly client: EtcdClient;
  private readonly logger: Logger;
  private election: LeaderElection | undefined;
  private restarting: Promise<void> | undefined;

  constructor(options: EtcdLeadershipOptions) {
    this.keys = new EtcdKeys(options.clusterId);
    this.ttlSeconds = options.ttlSeconds;
    this.logger = options.logger;
    this.client = createEtcdClient({ endpoints: options.endpoints, tls: options.tls });
  }

  /** Starts campaigning with `address` as what clients and workers are sent to. */
  start(address: string, handlers: LeadershipHandlers): void {
    const election = new LeaderElection({ client: this.client, keys: this.keys, address, ttlSeconds: this.ttlSeconds, logger: this.logger.child({ component: 'leader-election' }) });
    this.election = election;
    election.on('elected', (fence) => handlers.elected(fence));
    election.on('deposed', (reason) => handlers.deposed(reason));
    election.start();
  }

  /** Whether this coordinator holds `fence`'s term right now. */
  holds(fence: LeaderFence): boolean {
    try {
      return this.election?.fence().createRevision === fence.createRevision;
    } catch {
      return false;
    }
  }

  /** The address of the current leader as last observed (this coordinator's own while it leads). */
  leaderAddress(): string | undefined {
    return this.election?.leaderAddress();
  }

  /** A metadata store whose writes are guarded by `fence` and fail once that term is over. */
  storeFor(fence: LeaderFence): EtcdMetadataStore {
    return new EtcdMetadataStore({
      client: this.client,
      keys: this.keys,
      logger: this.logger,
      leader: {
        fence: () => {
          if (!this.holds(fence)) throw new NotLeaderError(`its term with leader key ${fence.key} (create revision ${fence.createRevision}) is over`, fence);
          return fence;
        },
      },
    });
  }

  /**
   * A guarded write failed although the election still believes it leads
   * (the key was deleted and the watch missed it): resign and campaign again,
   * so the term ends ('deposed') and a fresh one starts with fresh state.
   */
  recampaign(reason: string): void {
    const election = this.election;
    if (!election || this.restarting || !election.isLeader) return;
    this.logger.warn({ reason }, 'a guarded write was refused while leading: resigning and campaigning again');
    this.restarting = election.resign().then(() => {
      this.restarting = undefined;
      election.start();
    });
  }

  /** Who leads and who stands by, in campaign order (lowest create revision leads). */
  async leadershipView(epoch: number): Promise<LeadershipView | undefined> {
    const [leader, ...standbys] = await listLeaderCandidates(this.client, this.keys);
    if (!leader) return undefined;
    return { clusterId: this.keys.clusterId, leaseTtlSeconds: this.ttlSeconds, epoch: String(epoch), leader, standbys };
  }

  /** Workers registered in etcd (each on its own lease: a dead worker's entry expires). */
  async workers(): Promise<EtcdWorkerRecord[]> {
    const records = await this.client.call('listing the workers', () => this.client.getAll().prefix(this.keys.workersPrefix).strings());
    const workers: EtcdWorkerRecord[] = [];
    for (const [key, text] of Object.entries(records)) {
      try {
        workers.push(parseEtcdRecord<EtcdWorkerRecord>(key, text));
      } catch {
        // a malformed entry is not a worker
      }
    }
    return workers;
  }

  /** Adds the workers registered in etcd but without a session with this leader (shown as not connected). */
  async clusterWorkers(connected: WorkerView[]): Promise<WorkerView[]> {
    const views = connected.map((w) => ({ ...w, connected: true }));
    const known = new Set(views.map((w) => w.workerId));
    for (const w of await this.workers().catch(() => [])) {
      if (known.has(w.workerId)) continue;
      views.push({ workerId: w.workerId, address: w.address, host: w.host, pid: w.pid, slots: w.slots, freeSlots: 0, lastHeartbeatMs: 0, connected: false });
    }
    return views;
  }

  /** Resigns (a standby takes over at once) and closes the client. */
  async close(): Promise<void> {
    await this.restarting;
    await this.election?.close();
    this.client.close();
  }
}
