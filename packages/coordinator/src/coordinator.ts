import { randomBytes } from 'node:crypto';
import {
  bindServer,
  createLogger,
  grpc,
  jobManagerService,
  parseJobGraph,
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
  type WorkerMessage,
} from '@weir/common';
import { resolve } from 'node:path';
import { ArtifactStore } from './artifact-store.ts';
import { CheckpointStorage } from './checkpoint-storage.ts';
import { FileMetadataStore } from './file-metadata-store.ts';
import type { MetadataStore, StoredJob } from './metadata-store.ts';
import { checkStateCompatibility } from './state-assignment.ts';
import { resolveCoordinatorOptions, type CoordinatorOptions, type ResolvedCoordinatorOptions } from './coordinator-options.ts';
import { JobMaster } from './job-master.ts';
import { WorkerRegistry, type RegisteredWorker } from './worker-registry.ts';

/** A running coordinator. */
export interface RunningCoordinator {
  readonly coordinatorId: string;
  readonly address: string;
  stop(): Promise<void>;
}

type Unary<Req> = (call: grpc.ServerUnaryCall<Req, unknown>, callback: grpc.sendUnaryData<unknown>) => void;

/**
 * The coordinator (Flink's JobManager): accepts jobs, keeps the registry of
 * workers, runs a JobMaster per job and answers status queries.
 */
export class Coordinator {
  private readonly options: ResolvedCoordinatorOptions;
  private readonly logger: Logger;
  private readonly server = new grpc.Server(SERVER_OPTIONS);
  private readonly registry: WorkerRegistry;
  private readonly artifacts: ArtifactStore;
  private readonly storage: CheckpointStorage;
  private readonly store: MetadataStore;
  private readonly jobs = new Map<string, JobMaster>();
  /** Open worker sessions by the registration they made, with a function that ends each. */
  private readonly sessions = new Map<RegisteredWorker, () => void>();
  address = '';

  constructor(options: CoordinatorOptions) {
    this.options = resolveCoordinatorOptions(options);
    this.logger = createLogger('coordinator', { coordinatorId: this.options.coordinatorId });
    this.registry = new WorkerRegistry(this.logger, this.options.heartbeatTimeoutMs);
    this.artifacts = new ArtifactStore(this.options.dataDir);
    this.storage = new CheckpointStorage(this.options.checkpointDir);
    this.store = new FileMetadataStore(this.options.dataDir, this.logger);
    this.registry.on('lost', (workerId, reason) => {
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
      GetCluster: this.unary<object>(async () => {
        const view: ClusterView = { coordinatorId: this.options.coordinatorId, address: this.address, workers: this.registry.views() };
        return { clusterJson: JSON.stringify(view) };
      }),
      ListCheckpoints: this.unary<GetJobRequest>(async (req) => ({ checkpointsJson: JSON.stringify(this.job(req.jobId).checkpointViews()) })),
      TriggerSavepoint: this.unary<TriggerSavepointRequest>(async (req) => {
        if (!req.directory) throw new Error('a savepoint needs a target directory: weir savepoint <jobId> <dir>');
        return { path: await this.job(req.jobId).savepoint(resolve(req.directory), req.stop) };
      }),
      FetchArtifact: this.unary<FetchArtifactRequest>(async (req) => ({ artifact: await this.artifacts.get(req.jobId) })),
      WorkerSession: (call: grpc.ServerDuplexStream<WorkerMessage, CoordinatorMessage>) => this.workerSession(call),
    });
    const port = await bindServer(this.server, this.options.host, this.options.port);
    this.address = `${this.options.advertisedHost}:${port}`;
    await this.recoverJobs();
    this.logger.info({ address: this.address, dataDir: this.options.dataDir, checkpointDir: this.options.checkpointDir }, 'coordinator started');
    return { coordinatorId: this.options.coordinatorId, address: this.address, stop: () => this.stop() };
  }

  private async submit(request: SubmitJobRequest): Promise<{ jobId: string }> {
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
    const jobId = randomBytes(16).toString('hex');
    await this.artifacts.put(jobId, request.artifact);
    const job = this.createJobMaster({
      jobId,
      name: request.name || graph.name,
      graph,
      args: request.args,
      submittedAtMs: Date.now(),
      restoreFrom,
    });
    await this.store.putJob(this.storedJob(job));
    this.logger.info({ jobId, name: job.record.name, vertices: graph.vertices.length }, 'job submitted');
    job.start();
    return { jobId };
  }

  private createJobMaster(record: JobMaster['record']): JobMaster {
    const job = new JobMaster(record, {
      registry: this.registry,
      logger: this.logger,
      slotWaitTimeoutMs: this.options.slotWaitTimeoutMs,
      cancelTimeoutMs: this.options.cancelTimeoutMs,
      storage: this.storage,
      onStatus: (j) => {
        this.store.putJob(this.storedJob(j)).catch((error: Error) => this.logger.error({ jobId: j.record.jobId, err: error.message }, 'could not persist the job status'));
      },
    });
    this.jobs.set(record.jobId, job);
    return job;
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
    };
  }

  /** Takes over the jobs an earlier coordinator left: ended ones are listed, running ones resume from their latest checkpoint. */
  private async recoverJobs(): Promise<void> {
    for (const stored of await this.store.listJobs()) {
      let restoreFrom = null;
      if (stored.restoreFromDirectory) {
        try {
          restoreFrom = { metadata: await this.storage.readMetadata(stored.restoreFromDirectory), directory: stored.restoreFromDirectory };
        } catch (error) {
          this.logger.warn({ jobId: stored.jobId, err: (error as Error).message }, 'the savepoint the job started from is gone');
        }
      }
      const job = this.createJobMaster({ jobId: stored.jobId, name: stored.name, graph: stored.graph, args: stored.args, submittedAtMs: stored.submittedAtMs, restoreFrom });
      if (isTerminalJobStatus(stored.status)) {
        job.markEnded(stored.status, stored.endTimeMs);
        continue;
      }
      this.logger.info({ jobId: stored.jobId, name: stored.name }, 'resuming a job of an earlier coordinator');
      job.start();
    }
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
    call.on('data', (message: WorkerMessage) => {
      if (superseded) return;
      if (message.register) {
        if (worker) this.sessions.delete(worker);
        worker = this.registry.register(message.register);
        this.sessions.set(worker, () => {
          superseded = true;
          worker = undefined;
          call.end();
        });
        call.write({ registered: { coordinatorId: this.options.coordinatorId } });
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
        this.jobs.get(d.jobId)?.onCheckpointDeclined(d.checkpointId, d.attempt, `${d.vertexId}#${d.subtaskIndex}`, d.reason);
      }
    });
    call.on('end', () => {
      closed('the worker ended its session');
      call.end();
    });
    call.on('error', (error) => closed(`the worker's session broke: ${error.message}`));
    call.on('cancelled', () => closed("the worker's session was cancelled"));
  }

  private unary<Req>(handler: (request: Req) => Promise<unknown>): Unary<Req> {
    return (call, callback) => {
      handler(call.request).then(
        (response) => callback(null, response),
        (error: Error & { code?: grpc.status }) => callback(toServiceError(error, error.code ?? grpc.status.INVALID_ARGUMENT)),
      );
    };
  }

  private async stop(): Promise<void> {
    for (const job of this.jobs.values()) job.cancel();
    this.registry.close();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

/** Starts a coordinator and its gRPC service. */
export function startCoordinator(options: CoordinatorOptions): Promise<RunningCoordinator> {
  return new Coordinator(options).start();
}
