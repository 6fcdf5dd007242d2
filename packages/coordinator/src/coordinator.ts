import { randomBytes } from 'node:crypto';
import { parseJobGraph } from '@weir/common';
import {
  ARTIFACTS_DIRECTORY,
  bindServer,
  createLogger,
  grpc,
  jobManagerService,
  NotLeaderStatusError,
  SERVER_OPTIONS,
  isTerminalJobStatus,
  toServiceError,
  type CancelJobRequest,
  type ClusterView,
  type CoordinatorMessage,
  type FetchArtifactRequest,
  type GetJobRequest,
  type Logger,
  type SubmitJobRequest,
  type TriggerSavepointRequest,
  subtaskCheckpointAckSchema,
  subtaskId,
  type WorkerMessage,
} from '@weir/protocol';
import { join, resolve } from 'node:path';
import { ArtifactStore } from './artifact-store.ts';
import { CheckpointStorage } from './checkpoint-storage.ts';
import { FileMetadataStore } from './file-metadata-store.ts';
import type { MetadataStore, StoredJob } from './metadata-store.ts';
import { EtcdLeadership } from './etcd/etcd-leadership.ts';
import { NotLeaderError, type LeaderFence } from './etcd/etcd-errors.ts';
import type { EtcdMetadataStore } from './etcd/etcd-metadata-store.ts';
import { checkStateCompatibility } from './state-assignment.ts';
import { resolveCoordinatorOptions, type CoordinatorOptions, type ResolvedCoordinatorOptions } from './coordinator-options.ts';
import { JobMaster, type JobMasterDeps } from './job-master.ts';
import { WorkerRegistry, type RegisteredWorker } from './worker-registry.ts';

/** A running coordinator. */
export interface RunningCoordinator {
  readonly coordinatorId: string;
  readonly address: string;
  stop(): Promise<void>;
}

type Unary<Req> = (call: grpc.ServerUnaryCall<Req, unknown>, callback: grpc.sendUnaryData<unknown>) => void;

/** One period of leading. Without etcd there is one term, for the coordinator's whole life, with epoch 0. */
interface Term {
  /** etcd: the leader key's create revision (grows from one leader to the next); sent with every order to workers. */
  epoch: number;
  store: MetadataStore;
  /** etcd mode: the same store, with the assignment and checkpoint records. */
  etcd: EtcdMetadataStore | null;
  fence: LeaderFence | null;
  /** Jobs loaded: clients are served. */
  ready: boolean;
}

/**
 * The coordinator (Flink's JobManager): accepts jobs, keeps the registry of
 * workers, runs a JobMaster per job and answers status queries.
 */
export class Coordinator {
  private readonly options: ResolvedCoordinatorOptions;
  private readonly logger: Logger;
  private readonly server = new grpc.Server(SERVER_OPTIONS);
  private registry: WorkerRegistry;
  private readonly artifacts: ArtifactStore;
  private readonly storage: CheckpointStorage;
  /** etcd mode: election, guarded stores, cluster listing. */
  private readonly leadership: EtcdLeadership | null;
  /** While this coordinator leads (always without etcd). */
  private term: Term | null = null;
  private readonly jobs = new Map<string, JobMaster>();
  /** Job record writes, one at a time per job, in order. */
  private readonly persisting = new Map<string, Promise<void>>();
  /** Open worker sessions by the registration they made, with a function that ends each. */
  private readonly sessions = new Map<RegisteredWorker, () => void>();
  address = '';

  constructor(options: CoordinatorOptions) {
    this.options = resolveCoordinatorOptions(options);
    this.logger = createLogger('coordinator', { coordinatorId: this.options.coordinatorId });
    const etcd = this.options.etcd.length > 0;
    // With etcd every coordinator must find every job's code: it goes to the shared checkpoint storage.
    this.artifacts = new ArtifactStore(etcd ? join(this.options.checkpointDir, ARTIFACTS_DIRECTORY) : this.options.dataDir);
    this.storage = new CheckpointStorage(this.options.checkpointDir);
    this.registry = this.newRegistry();
    if (etcd) {
      this.leadership = new EtcdLeadership({ endpoints: this.options.etcd, clusterId: this.options.clusterId, ttlSeconds: this.options.leaseTtlSeconds, logger: this.logger });
    } else {
      this.leadership = null;
      this.term = { epoch: 0, store: new FileMetadataStore(this.options.dataDir, this.logger), etcd: null, fence: null, ready: true };
    }
  }

  private newRegistry(): WorkerRegistry {
    const registry = new WorkerRegistry(this.logger, this.options.heartbeatTimeoutMs);
    registry.on('lost', (workerId, reason) => {
      if (registry !== this.registry) return;
      // A registration replaced or timed out: end its session, so the worker
      // cancels its tasks and registers again.
      for (const [entry, end] of this.sessions) {
        if (entry.workerId === workerId && this.registry.get(workerId) !== entry) {
          this.sessions.delete(entry);
          end();
        }
      }
      for (const job of this.jobs.values()) job.onWorkerLost(workerId, reason);
    });
    return registry;
  }

  async start(): Promise<RunningCoordinator> {
    this.server.addService(jobManagerService(), {
      SubmitJob: this.unary<SubmitJobRequest>((req) => this.submit(req)),
      ListJobs: this.unary<object>(async () => ({
        jobs: [...this.jobs.values()].map((j) => ({
          jobId: j.record.jobId,
          name: j.record.name,
          status: j.jobStatus,
          startTimeMs: j.record.submittedAtMs,
          endTimeMs: j.endTime ?? 0,
        })),
      })),
      GetJob: this.unary<GetJobRequest>(async (req) => ({ statusJson: JSON.stringify(this.job(req.jobId).view()) })),
      CancelJob: this.unary<CancelJobRequest>(async (req) => {
        const job = this.job(req.jobId);
        job.cancel();
        return { status: job.jobStatus };
      }),
      GetCluster: this.unary<object>(async () => ({ clusterJson: JSON.stringify(await this.clusterView()) })),
      ListCheckpoints: this.unary<GetJobRequest>(async (req) => ({ checkpointsJson: JSON.stringify(this.job(req.jobId).checkpointViews()) })),
      TriggerSavepoint: this.unary<TriggerSavepointRequest>(async (req) => {
        if (!req.directory) throw new Error('a savepoint needs a target directory: weir savepoint <jobId> <dir>');
        return { path: await this.job(req.jobId).savepoint(resolve(req.directory), req.stop) };
      }),
      // Any coordinator serves job code (it is in shared storage in etcd mode): a worker may still talk to a standby.
      FetchArtifact: this.unary<FetchArtifactRequest>(async (req) => ({ artifact: await this.artifacts.get(req.jobId) }), false),
      WorkerSession: (call: grpc.ServerDuplexStream<WorkerMessage, CoordinatorMessage>) => this.workerSession(call),
    });
    const port = await bindServer(this.server, this.options.host, this.options.port);
    this.address = `${this.options.advertisedHost}:${port}`;
    if (this.leadership) {
      this.leadership.start(this.address, { elected: (fence) => void this.takeLead(fence), deposed: (reason) => this.stepDown(reason) });
    } else {
      await this.recoverJobs(this.term!);
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
    return { coordinatorId: this.options.coordinatorId, address: this.address, stop: () => this.stop() };
  }

  private async submit(request: SubmitJobRequest): Promise<{ jobId: string }> {
    const term = this.leadingTerm();
    const graph = parseJobGraph(request.jobGraphJson);
    if (!request.artifact || request.artifact.length === 0) throw new Error('the job was submitted without its code artifact; submit it with weir run');
    let restoreFrom = null;
    if (request.fromSavepoint) {
      const directory = resolve(request.fromSavepoint);
      let metadata;
      try {
        metadata = await this.storage.readMetadata(directory);
      } catch (error) {
        throw new Error(`cannot restore from ${directory}: ${(error as Error).message}`);
      }
      const problems = checkStateCompatibility(metadata, graph, request.allowNonRestoredState);
      if (problems.length > 0) throw new Error(`the savepoint ${directory} does not fit the job:\n- ${problems.join('\n- ')}`);
      restoreFrom = { metadata, directory };
    }
    // The client's submission id becomes the job id: a submit retried after a lost answer (or a failover) finds its job.
    const jobId = /^[0-9a-f]{32}$/.test(request.submissionId ?? '') ? request.submissionId! : randomBytes(16).toString('hex');
    if (this.jobs.has(jobId)) return { jobId };
    const artifactPath = await this.artifacts.put(jobId, request.artifact);
    const job = this.createJobMaster(term, {
      jobId,
      name: request.name || graph.name,
      graph,
      args: request.args,
      submittedAtMs: Date.now(),
      restoreFrom,
    }, 0, artifactPath);
    try {
      await this.guarded(term, () => term.store.putJob(this.storedJob(job)));
    } catch (error) {
      this.jobs.delete(jobId);
      job.halt('the job could not be stored');
      throw error;
    }
    this.logger.info({ jobId, name: job.record.name, vertices: graph.vertices.length }, 'job submitted');
    job.start();
    return { jobId };
  }

  private createJobMaster(term: Term, record: JobMaster['record'], initialAttempt: number, artifactPath: string | null): JobMaster {
    const store = term.etcd;
    const deps: JobMasterDeps = {
      registry: this.registry,
      logger: this.logger,
      slotWaitTimeoutMs: this.options.slotWaitTimeoutMs,
      cancelTimeoutMs: this.options.cancelTimeoutMs,
      storage: this.storage,
      epoch: term.epoch,
      initialAttempt,
      onStatus: (j) => this.persist(term, j),
    };
    if (store) {
      deps.beforeDeploy = (assignment) => this.guarded(term, () => store.putAssignment(assignment));
      deps.checkpointRecords = {
        reserveId: (jobId, atLeast) => this.guarded(term, () => store.nextCheckpointId(jobId, atLeast)),
        recordCompleted: (jobId, pointer) => this.guarded(term, () => store.putLatestCheckpoint(jobId, pointer)),
        latest: (jobId) => store.getLatestCheckpoint(jobId),
      };
    }
    const job = new JobMaster(record, deps);
    this.artifactPaths.set(record.jobId, artifactPath);
    this.jobs.set(record.jobId, job);
    return job;
  }

  private readonly artifactPaths = new Map<string, string | null>();

  /** Writes the job's record, after any write of it still in flight. */
  private persist(term: Term, job: JobMaster): void {
    const jobId = job.record.jobId;
    const stored = this.storedJob(job);
    const previous = this.persisting.get(jobId) ?? Promise.resolve();
    const next = previous.then(() => this.guarded(term, () => term.store.putJob(stored))).catch((error: Error) => {
      if (error instanceof NotLeaderError) this.logger.warn({ jobId, err: error.message }, 'job status not stored: no longer the leader');
      else this.logger.error({ jobId, err: error.message }, 'could not persist the job status');
    });
    this.persisting.set(jobId, next);
    void next.then(() => {
      if (this.persisting.get(jobId) === next) this.persisting.delete(jobId);
    });
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

  private storedJob(job: JobMaster): StoredJob {
    const r = job.record;
    return {
      jobId: r.jobId,
      name: r.name,
      graph: r.graph,
      args: r.args,
      submittedAtMs: r.submittedAtMs,
      status: job.jobStatus,
      endTimeMs: job.endTime,
      restoreFromDirectory: r.restoreFrom?.directory ?? null,
      artifactPath: this.artifactPaths.get(r.jobId) ?? null,
    };
  }

  /** Takes over the jobs an earlier coordinator left: ended ones are listed, running ones resume from their latest checkpoint. */
  private async recoverJobs(term: Term): Promise<void> {
    for (const stored of await term.store.listJobs()) {
      if (this.term !== term) return;
      let restoreFrom = null;
      if (stored.restoreFromDirectory) {
        try {
          restoreFrom = { metadata: await this.storage.readMetadata(stored.restoreFromDirectory), directory: stored.restoreFromDirectory };
        } catch (error) {
          this.logger.warn({ jobId: stored.jobId, err: (error as Error).message }, 'the savepoint the job started from is gone');
        }
      }
      // Attempt numbers continue from the last one any leader deployed, so no update of an old attempt passes for the new one.
      const lastAttempt = term.etcd && !isTerminalJobStatus(stored.status) ? ((await term.etcd.getAssignment(stored.jobId))?.attempt ?? -1) : -1;
      if (this.term !== term) return;
      const job = this.createJobMaster(
        term,
        { jobId: stored.jobId, name: stored.name, graph: stored.graph, args: stored.args, submittedAtMs: stored.submittedAtMs, restoreFrom },
        lastAttempt + 1,
        stored.artifactPath ?? null,
      );
      if (isTerminalJobStatus(stored.status)) {
        job.markEnded(stored.status, stored.endTimeMs);
        continue;
      }
      this.logger.info({ jobId: stored.jobId, name: stored.name, attempt: lastAttempt + 1 }, 'resuming a job of an earlier coordinator');
      job.start();
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
      await this.recoverJobs(term);
      if (this.term !== term) return;
      term.ready = true;
      this.logger.info({ epoch: term.epoch, jobs: this.jobs.size }, 'leading: jobs loaded, serving clients');
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
    this.logger.warn({ epoch: term.epoch, reason, jobs: this.jobs.size }, 'standing by: jobs left to the next leader');
    for (const job of this.jobs.values()) job.halt(reason);
    this.jobs.clear();
    this.artifactPaths.clear();
    for (const end of [...this.sessions.values()]) end();
    this.sessions.clear();
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

  private async clusterView(): Promise<ClusterView> {
    const term = this.leadingTerm();
    const view: ClusterView = { coordinatorId: this.options.coordinatorId, address: this.address, workers: this.registry.views() };
    if (this.leadership) {
      view.workers = await this.leadership.clusterWorkers(view.workers);
      const leadership = await this.leadership.leadershipView(term.epoch).catch(() => undefined);
      if (leadership) view.leadership = leadership;
    }
    return view;
  }

  private job(jobId: string): JobMaster {
    const job = this.jobs.get(jobId);
    if (!job) throw Object.assign(new Error(`no job with id ${jobId}; 'weir list' shows the jobs this coordinator knows`), { code: grpc.status.NOT_FOUND });
    return job;
  }

  private workerSession(call: grpc.ServerDuplexStream<WorkerMessage, CoordinatorMessage>): void {
    let worker: RegisteredWorker | undefined;
    let superseded = false;
    /** This session's registration, while it is still the registry's entry for the worker. */
    const current = (): RegisteredWorker | undefined => (worker && this.registry.get(worker.workerId) === worker ? worker : undefined);
    const closed = (reason: string): void => {
      if (worker) this.sessions.delete(worker);
      const live = current();
      if (live) this.registry.remove(live.workerId, reason);
      worker = undefined;
    };
    const term = this.term;
    if (!term) {
      const error = this.notLeader();
      call.emit('error', { code: error.code, details: error.message, metadata: error.metadata });
      return;
    }
    call.on('data', (message: WorkerMessage) => {
      if (superseded) return;
      if (this.term !== term) {
        superseded = true;
        call.end();
        return;
      }
      if (message.register) {
        if (worker) this.sessions.delete(worker);
        worker = this.registry.register(message.register);
        this.sessions.set(worker, () => {
          superseded = true;
          worker = undefined;
          call.end();
        });
        call.write({ registered: { coordinatorId: this.options.coordinatorId, leaderEpoch: term.epoch } });
        return;
      }
      if (!worker) {
        call.destroy(new Error('a worker session must start with a registration'));
        return;
      }
      const live = current();
      if (!live) return;
      if (message.heartbeat) {
        this.registry.heartbeat(live.workerId, message.heartbeat.metricsJson);
        for (const job of this.jobs.values()) job.onHeartbeat(live);
      } else if (message.taskState) {
        this.jobs.get(message.taskState.jobId)?.onTaskState(message.taskState, live);
      } else if (message.checkpointAck) {
        let json: unknown;
        try {
          json = JSON.parse(message.checkpointAck.ackJson);
        } catch {
          json = undefined;
        }
        const parsed = subtaskCheckpointAckSchema.safeParse(json);
        if (parsed.success) this.jobs.get(parsed.data.jobId)?.onCheckpointAck(parsed.data);
        else this.logger.warn({ workerId: live.workerId }, 'malformed checkpoint acknowledgement ignored');
      } else if (message.checkpointDeclined) {
        const d = message.checkpointDeclined;
        this.jobs.get(d.jobId)?.onCheckpointDeclined(d.checkpointId, d.attempt, subtaskId(d.vertexId, d.subtaskIndex), d.reason);
      }
    });
    call.on('end', () => {
      closed('the worker ended its session');
      call.end();
    });
    call.on('error', (error) => closed(`the worker's session broke: ${error.message}`));
    call.on('cancelled', () => closed("the worker's session was cancelled"));
  }

  /** A unary handler; unless `anyCoordinator`, only the leader serves it (a standby answers with the leader's address). */
  private unary<Req>(handler: (request: Req) => Promise<unknown>, leaderOnly = true): Unary<Req> {
    return (call, callback) => {
      const run = async (): Promise<unknown> => {
        if (leaderOnly) this.leadingTerm();
        return handler(call.request);
      };
      run().then(
        (response) => callback(null, response),
        (error: Error & { code?: grpc.status; metadata?: grpc.Metadata }) =>
          callback({ ...toServiceError(error, error.code ?? grpc.status.INVALID_ARGUMENT), ...(error.metadata ? { metadata: error.metadata } : {}) }),
      );
    };
  }

  private async stop(): Promise<void> {
    if (this.leadership) {
      // With etcd a stopped coordinator hands its jobs over (they keep running) instead of cancelling them.
      this.stepDown('the coordinator is stopping');
      await this.leadership.close().catch((error: Error) => this.logger.warn({ err: error.message }, 'could not resign cleanly; the leader lease expires on its own'));
    } else {
      for (const job of this.jobs.values()) job.cancel();
      this.registry.close();
    }
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

/** Starts a coordinator and its gRPC service. */
export function startCoordinator(options: CoordinatorOptions): Promise<RunningCoordinator> {
  return new Coordinator(options).start();
}
