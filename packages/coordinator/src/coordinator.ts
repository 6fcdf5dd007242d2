import { randomBytes } from 'node:crypto';
import {
  bindServer,
  createLogger,
  grpc,
  jobManagerService,
  parseJobGraph,
  SERVER_OPTIONS,
  toServiceError,
  type CancelJobRequest,
  type ClusterView,
  type CoordinatorMessage,
  type FetchArtifactRequest,
  type GetJobRequest,
  type Logger,
  type SubmitJobRequest,
  type WorkerMessage,
} from '@weir/common';
import { ArtifactStore } from './artifact-store.ts';
import { resolveCoordinatorOptions, type CoordinatorOptions, type ResolvedCoordinatorOptions } from './coordinator-options.ts';
import { JobMaster } from './job-master.ts';
import { WorkerRegistry } from './worker-registry.ts';

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
  private readonly jobs = new Map<string, JobMaster>();
  address = '';

  constructor(options: CoordinatorOptions) {
    this.options = resolveCoordinatorOptions(options);
    this.logger = createLogger('coordinator', { coordinatorId: this.options.coordinatorId });
    this.registry = new WorkerRegistry(this.logger, this.options.heartbeatTimeoutMs);
    this.artifacts = new ArtifactStore(this.options.dataDir);
    this.registry.on('lost', (workerId, reason) => {
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
      FetchArtifact: this.unary<FetchArtifactRequest>(async (req) => ({ artifact: await this.artifacts.get(req.jobId) })),
      WorkerSession: (call: grpc.ServerDuplexStream<WorkerMessage, CoordinatorMessage>) => this.workerSession(call),
    });
    const port = await bindServer(this.server, this.options.host, this.options.port);
    this.address = `${this.options.advertisedHost}:${port}`;
    this.logger.info({ address: this.address, dataDir: this.options.dataDir }, 'coordinator started');
    return { coordinatorId: this.options.coordinatorId, address: this.address, stop: () => this.stop() };
  }

  private async submit(request: SubmitJobRequest): Promise<{ jobId: string }> {
    const graph = parseJobGraph(request.jobGraphJson);
    if (!request.artifact || request.artifact.length === 0) throw new Error('the job was submitted without its code artifact; submit it with weir run');
    const jobId = randomBytes(16).toString('hex');
    await this.artifacts.put(jobId, request.artifact);
    const job = new JobMaster(
      { jobId, name: request.name || graph.name, graph, args: request.args, submittedAtMs: Date.now() },
      { registry: this.registry, logger: this.logger, slotWaitTimeoutMs: this.options.slotWaitTimeoutMs, cancelTimeoutMs: this.options.cancelTimeoutMs },
    );
    this.jobs.set(jobId, job);
    this.logger.info({ jobId, name: job.record.name, vertices: graph.vertices.length }, 'job submitted');
    job.start();
    return { jobId };
  }

  private job(jobId: string): JobMaster {
    const job = this.jobs.get(jobId);
    if (!job) throw Object.assign(new Error(`no job with id ${jobId}; 'weir list' shows the jobs this coordinator knows`), { code: grpc.status.NOT_FOUND });
    return job;
  }

  private workerSession(call: grpc.ServerDuplexStream<WorkerMessage, CoordinatorMessage>): void {
    let workerId: string | undefined;
    const closed = (reason: string): void => {
      if (workerId) this.registry.remove(workerId, reason);
      workerId = undefined;
    };
    call.on('data', (message: WorkerMessage) => {
      if (message.register) {
        workerId = this.registry.register(message.register).workerId;
        call.write({ registered: { coordinatorId: this.options.coordinatorId } });
        return;
      }
      if (!workerId) {
        call.destroy(new Error('a worker session must start with a registration'));
        return;
      }
      if (message.heartbeat) {
        this.registry.heartbeat(workerId, message.heartbeat.metricsJson);
        const worker = this.registry.get(workerId);
        if (worker) for (const job of this.jobs.values()) job.onHeartbeat(worker);
      } else if (message.taskState) {
        this.jobs.get(message.taskState.jobId)?.onTaskState(message.taskState, this.registry.get(workerId));
      }
    });
    call.on('end', () => {
      closed('the worker ended its session');
      call.end();
    });
    call.on('error', (error) => closed(`the worker's session broke: ${error.message}`));
    call.on('cancelled', () => closed('the worker\'s session was cancelled'));
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
