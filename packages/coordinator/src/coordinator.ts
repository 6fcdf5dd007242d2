// The coordinator process (Flink's JobManager): wires the worker registry, the
// Dispatcher and the JobManager gRPC service together, and follows leadership
// (etcd mode): a term starts when elected (jobs recovered) and ends when
// deposed (jobs halted, workers let go). The handlers live in server/.
import {
  ARTIFACTS_DIRECTORY,
  joinLocation,
  RepeatedWarning,
  bindServer,
  serveMetrics,
  type MetricsEndpoint,
  createLogger,
  grpc,
  addJobManagerService,
  addReflectionService,
  JOB_MANAGER_SERVICE_NAME,
  NotLeaderStatusError,
  SERVER_OPTIONS,
  serverCredentials,
  useInternalTransport,
  type CoordinatorMessage,
  type Logger,
  type WorkerMessage__Output,
} from '@weir/protocol';
import { CheckpointFileSystems } from '@weir/protocol/storage';
import { ArtifactStore } from './store/artifact-store.ts';
import { CheckpointStorage } from './checkpoint/checkpoint-storage.ts';
import { FileMetadataStore } from './store/file-metadata-store.ts';
import { EtcdLeadership } from './etcd/etcd-leadership.ts';
import { NotLeaderError, type LeaderFence } from './etcd/etcd-errors.ts';
import { resolveCoordinatorOptions, s3SettingsOf, type CoordinatorOptions, type ResolvedCoordinatorOptions } from './coordinator-options.ts';
import { Dispatcher } from './dispatcher/dispatcher.ts';
import { CoordinatorMetrics } from './metrics/coordinator-metrics.ts';
import type { Term } from './leader-term.ts';
import { WorkerRegistry } from './resource-manager/worker-registry.ts';
import { artifactHandlers } from './server/artifact-handlers.ts';
import { clusterHandlers, clusterView } from './server/cluster-handlers.ts';
import { CoordinatorHealth } from './server/coordinator-health.ts';
import { jobHandlers } from './server/job-handlers.ts';
import { unaryFactory } from './server/unary-handler.ts';
import { WorkerSessions } from './server/worker-session.ts';
import { SavepointLocations } from './checkpoint/savepoint-locations.ts';
import { serveRest, type RestEndpoint } from './rest/rest-server.ts';
import { ClientAuthorization } from './security/client-authorization.ts';
import { authorizationInterceptor } from './security/grpc-auth-interceptor.ts';
import { loadTokens } from './security/token-store.ts';

/** A running coordinator. */
export interface RunningCoordinator {
  readonly coordinatorId: string;
  readonly address: string;
  /** Where its Prometheus metrics are served (`http://host:port/metrics`). */
  readonly metricsUrl: string;
  /** Where its REST API and dashboard are served (`http://host:port`). */
  readonly restUrl: string;
  stop(): Promise<void>;
}

/** Trailing metadata key a standby sets on its refusals: the leader's address, for clients to follow. */
export const LEADER_ADDRESS_METADATA = 'weir-leader-address';

/**
 * The coordinator (Flink's JobManager): accepts jobs, keeps the registry of
 * workers, runs a JobMaster per job and answers status queries.
 */
export class Coordinator {
  private readonly options: ResolvedCoordinatorOptions;
  private readonly logger: Logger;
  private readonly server: grpc.Server;
  private readonly authorization: ClientAuthorization;
  private registry: WorkerRegistry;
  private readonly artifacts: ArtifactStore;
  private readonly storage: CheckpointStorage;
  private readonly fileSystems: CheckpointFileSystems;
  /** Why the checkpoint storage cannot be used (S3 unreachable, refused), while it cannot; the coordinator is then not ready. */
  private storageProblem: string | undefined;
  private storageProbe: NodeJS.Timeout | undefined;
  /** etcd mode: election, guarded stores, cluster listing. */
  private readonly leadership: EtcdLeadership | null;
  /** While this coordinator leads (always without etcd). */
  private term: Term | null = null;
  private readonly dispatcher: Dispatcher;
  private readonly sessions: WorkerSessions;
  private readonly health: CoordinatorHealth;
  /** The jobs were loaded at start (without etcd); with etcd a term's `ready` says it. */
  private recovered = false;
  address = '';
  private metricsEndpoint: MetricsEndpoint | undefined;
  private restEndpoint: RestEndpoint | undefined;

  constructor(options: CoordinatorOptions) {
    this.options = resolveCoordinatorOptions(options);
    this.logger = createLogger('coordinator', { coordinatorId: this.options.coordinatorId });
    useInternalTransport(this.options.transport);
    this.authorization = new ClientAuthorization(this.options.tokensFile ? loadTokens(this.options.tokensFile) : null, this.logger);
    this.server = new grpc.Server({ ...SERVER_OPTIONS, interceptors: [authorizationInterceptor(this.authorization, this.options.transport.kind === 'plaintext')] });
    const etcd = this.options.etcd.length > 0;
    // With etcd every coordinator must find every job's code: it goes to the shared checkpoint storage.
    this.fileSystems = new CheckpointFileSystems(s3SettingsOf(this.options));
    this.artifacts = new ArtifactStore(etcd ? joinLocation(this.options.checkpointDir, ARTIFACTS_DIRECTORY) : this.options.dataDir, this.fileSystems);
    this.storage = new CheckpointStorage(this.options.checkpointDir, this.fileSystems);
    this.dispatcher = new Dispatcher({
      logger: this.logger,
      slotRequestTimeoutMs: this.options.slotRequestTimeoutMs,
      cancelTimeoutMs: this.options.cancelTimeoutMs,
      restartStrategy: this.options.restartStrategy,
      storage: this.storage,
      artifacts: this.artifacts,
      savepointLocations: new SavepointLocations(this.options.checkpointDir, this.options.savepointRoots),
      registry: () => this.registry,
      currentTerm: () => this.term,
      guarded: (term, write) => this.guarded(term, write),
    });
    this.sessions = new WorkerSessions({
      coordinatorId: this.options.coordinatorId,
      logger: this.logger,
      registry: () => this.registry,
      term: () => this.term,
      notLeader: () => this.notLeader(),
      dispatcher: this.dispatcher,
    });
    this.registry = this.newRegistry();
    if (etcd) {
      this.leadership = new EtcdLeadership({ endpoints: this.options.etcd, tls: this.options.etcdTls, clusterId: this.options.clusterId, ttlSeconds: this.options.leaseTtlSeconds, logger: this.logger });
    } else {
      this.leadership = null;
      this.term = { epoch: 0, store: new FileMetadataStore(this.options.dataDir, this.logger), etcd: null, fence: null, ready: true };
    }
    const leadership = this.leadership;
    this.health = new CoordinatorHealth({
      leadingAndReady: () => this.term?.ready === true && this.recovered && this.storageProblem === undefined,
      storageProblem: () => this.storageProblem,
      loading: () => this.term !== null && !(this.term.ready && this.recovered),
      readLeader: leadership ? async () => (await leadership.leadershipView(0))?.leader.address : null,
    });
  }

  private newRegistry(): WorkerRegistry {
    const registry = new WorkerRegistry(this.logger, this.options.heartbeatTimeoutMs);
    registry.on('lost', (workerId, reason) => {
      if (registry !== this.registry) return;
      // A registration replaced or timed out: end its session, so the worker
      // cancels its tasks and registers again.
      this.sessions.endReplaced(workerId);
      for (const job of this.dispatcher.all()) job.onWorkerLost(workerId, reason);
    });
    return registry;
  }

  async start(): Promise<RunningCoordinator> {
    const unary = unaryFactory(() => this.leadingTerm());
    const leadingTerm = (): Term => this.leadingTerm();
    const clusterHost = { coordinatorId: this.options.coordinatorId, address: () => this.address, leadingTerm, registry: () => this.registry, leadership: this.leadership };
    addJobManagerService(this.server, {
      ...jobHandlers({ unary, dispatcher: this.dispatcher, leadingTerm }),
      ...clusterHandlers({ unary, ...clusterHost }),
      // Any coordinator serves job code (it is in shared storage in etcd mode): a worker may still talk to a standby.
      ...artifactHandlers(unary, this.artifacts),
      WorkerSession: (call: grpc.ServerDuplexStream<WorkerMessage__Output, CoordinatorMessage>) => this.sessions.serve(call),
    });
    addReflectionService(this.server, [JOB_MANAGER_SERVICE_NAME]);
    this.health.start(this.server);
    this.warnAboutSecurity();
    const port = await bindServer(this.server, this.options.host, this.options.port, serverCredentials(this.options.transport, false));
    this.address = `${this.options.advertisedHost}:${port}`;
    const metrics = new CoordinatorMetrics(() => this.dispatcher.all());
    try {
      this.metricsEndpoint = await serveMetrics({ host: this.options.host, port: this.options.metricsPort, flag: '--metrics-port', advertisedHost: this.options.advertisedHost, render: () => metrics.render(), contentType: metrics.contentType, ready: () => this.health.serving });
      this.restEndpoint = await serveRest({
        host: this.options.host,
        port: this.options.restPort,
        advertisedHost: this.options.advertisedHost,
        dispatcher: this.dispatcher,
        authorization: this.authorization,
        tls: this.options.restTls && this.options.transport.kind === 'mtls' ? { ...this.options.transport.files, ...this.options.transport.serverFiles, reloadIntervalMs: this.options.transport.reloadIntervalMs } : null,
        requireLeader: () => void this.leadingTerm(),
        cluster: () => clusterView(clusterHost),
      });
    } catch (error) {
      await this.metricsEndpoint?.close();
      await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
      throw error;
    }
    await this.probeStorage();
    if (this.leadership) {
      this.recovered = true;
      this.leadership.start(this.address, { elected: (fence) => void this.takeLead(fence), deposed: (reason) => this.stepDown(reason) });
    } else {
      await this.dispatcher.recover(this.term!);
      this.recovered = true;
      void this.health.refresh();
    }
    this.logger.info(
      {
        address: this.address,
        dataDir: this.options.dataDir,
        checkpointDir: this.options.checkpointDir,
        ...(this.leadership ? { etcd: this.options.etcd, clusterId: this.options.clusterId, leaseTtlSeconds: this.options.leaseTtlSeconds } : {}),
      },
      'coordinator started',
    );
    return { coordinatorId: this.options.coordinatorId, address: this.address, metricsUrl: this.metricsEndpoint!.url, restUrl: this.restEndpoint!.url, stop: () => this.stop() };
  }

  /** Says loudly what is not protected: plaintext ports, a client API without tokens. */
  private warnAboutSecurity(): void {
    const { transport, restTls, host } = this.options;
    if (transport.kind === 'plaintext') {
      this.logger.warn({ host, port: this.options.port }, 'PLAINTEXT gRPC: workers and clients connect without TLS, and any process that reaches this port can register as a worker; use certificates of a cluster CA (security.internalCa, security.internalCert, security.internalKey) outside a test setup');
    }
    if (!restTls) this.logger.warn({ host, restPort: this.options.restPort }, 'PLAINTEXT REST API and dashboard: tokens and job data cross the network unencrypted; serve it over HTTPS (security.restTransport: tls) unless it is bound to loopback');
    if (!this.authorization.enabled) {
      this.logger.warn({ host }, 'the client API asks for no token: anyone who reaches the gRPC or REST port can run code on the cluster; set security.tokensFile');
    }
  }

  /**
   * Checks the checkpoint storage (S3: lists the prefix) at start and, while
   * it fails, every few seconds: the coordinator stays not ready (health
   * NOT_SERVING) and logs the reason, naming the endpoint and bucket, rather
   * than exiting into a crash loop.
   */
  private async probeStorage(): Promise<void> {
    const warning = new RepeatedWarning(this.logger, 'the checkpoint storage cannot be used: not ready until it can');
    const probe = async (): Promise<void> => {
      try {
        await this.storage.probe();
        if (this.storageProblem !== undefined) this.logger.info({ checkpointDir: this.storage.root }, 'the checkpoint storage answers again');
        this.storageProblem = undefined;
      } catch (error) {
        this.storageProblem = (error as Error).message;
        warning.warn({ checkpointDir: this.storage.root, err: this.storageProblem });
        this.storageProbe = setTimeout(() => void probe(), 3_000);
        this.storageProbe.unref();
      }
      void this.health.refresh();
    };
    await probe();
  }

  /** Runs a guarded etcd write; a refusal while the election still believes it leads ends the term. */
  private async guarded<T>(term: Term, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof NotLeaderError && this.term === term) this.leadership?.recampaign(error.message);
      throw error;
    }
  }

  /** This coordinator was elected: load every job from etcd and resume the running ones from their latest completed checkpoints. */
  private async takeLead(fence: LeaderFence): Promise<void> {
    const store = this.leadership!.storeFor(fence);
    const term: Term = { epoch: Number(fence.createRevision), store, etcd: store, fence, ready: false };
    this.term = term;
    this.registry.close();
    this.registry = this.newRegistry();
    try {
      await this.dispatcher.recover(term);
      if (this.term !== term) return;
      term.ready = true;
      void this.health.refresh();
      this.logger.info({ epoch: term.epoch, jobs: this.dispatcher.size }, 'leading: jobs loaded, serving clients');
    } catch (error) {
      if (this.term !== term) return;
      this.logger.error({ err: (error as Error).message }, 'could not load the jobs after being elected; resigning so that another coordinator (or this one, again) takes over');
      this.leadership!.recampaign((error as Error).message);
    }
  }

  /** This coordinator stopped leading: leave every job alone (workers keep running them until the next leader takes over) and let workers go. */
  private stepDown(reason: string): void {
    const term = this.term;
    if (!term) return;
    this.term = null;
    void this.health.refresh();
    this.logger.warn({ epoch: term.epoch, reason, jobs: this.dispatcher.size }, 'standing by: jobs left to the next leader');
    this.dispatcher.haltAll(reason);
    this.sessions.endAll();
    this.registry.close();
  }

  /** The term while this coordinator leads and has loaded its jobs; otherwise an error pointing to the leader. */
  private leadingTerm(): Term {
    const term = this.term;
    if (term?.ready) return term;
    throw this.notLeader();
  }

  private notLeader(): NotLeaderStatusError {
    const leader = this.leadership?.leaderAddress();
    return new NotLeaderStatusError(this.address, leader && leader !== this.address ? leader : undefined, this.options.clusterId);
  }

  private async stop(): Promise<void> {
    clearTimeout(this.storageProbe);
    this.health.stop();
    if (this.leadership) {
      // With etcd a stopped coordinator hands its jobs over (they keep running) instead of cancelling them.
      this.stepDown('the coordinator is stopping');
      await this.leadership.close().catch((error: Error) => this.logger.warn({ err: error.message }, 'could not resign cleanly; the leader lease expires on its own'));
    } else {
      this.dispatcher.cancelAll();
      this.registry.close();
    }
    await this.metricsEndpoint?.close();
    await this.restEndpoint?.close();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    await this.fileSystems.close();
  }
}

/** Starts a coordinator and its gRPC service. */
export function startCoordinator(options: CoordinatorOptions): Promise<RunningCoordinator> {
  return new Coordinator(options).start();
}
