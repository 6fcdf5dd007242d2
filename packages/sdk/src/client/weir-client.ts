import {
  grpc,
  isTerminalJobStatus,
  jobManagerClient,
  sleep,
  unaryCall,
  WeirError,
  type CheckpointView,
  type ClusterView,
  type ListCheckpointsResponse,
  type TriggerSavepointResponse,
  type GetClusterResponse,
  type GetJobResponse,
  type JobGraph,
  type JobStatusView,
  type JobSummary,
  type ListJobsResponse,
  type SubmitJobResponse,
} from '@weir/common';

/** Environment variable naming the coordinator, for every CLI command. */
export const COORDINATOR_ADDRESS_ENV = 'WEIR_COORDINATOR';
/** Where `weir local` listens unless told otherwise. */
export const DEFAULT_COORDINATOR_ADDRESS = '127.0.0.1:6123';

/** A client of the coordinator's JobManager service. */
export class WeirClient {
  readonly address: string;
  private readonly client: grpc.Client;

  constructor(address: string) {
    this.address = address;
    this.client = jobManagerClient(address);
  }

  async submit(
    name: string,
    graph: JobGraph,
    artifact: Uint8Array,
    args: readonly string[],
    options: { fromSavepoint?: string; allowNonRestoredState?: boolean } = {},
  ): Promise<string> {
    const res = await this.call<SubmitJobResponse>('SubmitJob', {
      name,
      jobGraphJson: JSON.stringify(graph),
      artifact,
      args,
      fromSavepoint: options.fromSavepoint ?? '',
      allowNonRestoredState: options.allowNonRestoredState ?? false,
    });
    return res.jobId;
  }

  async checkpoints(jobId: string): Promise<CheckpointView[]> {
    return JSON.parse((await this.call<ListCheckpointsResponse>('ListCheckpoints', { jobId })).checkpointsJson) as CheckpointView[];
  }

  /** Takes a savepoint into `directory` (with `stop`, the job ends after it); resolves with its path. */
  async savepoint(jobId: string, directory: string, stop: boolean): Promise<string> {
    return (await this.call<TriggerSavepointResponse>('TriggerSavepoint', { jobId, directory, stop }, 600_000)).path;
  }

  async list(): Promise<JobSummary[]> {
    return (await this.call<ListJobsResponse>('ListJobs', {})).jobs;
  }

  async status(jobId: string): Promise<JobStatusView> {
    return JSON.parse((await this.call<GetJobResponse>('GetJob', { jobId })).statusJson) as JobStatusView;
  }

  async cancel(jobId: string): Promise<string> {
    return (await this.call<{ status: string }>('CancelJob', { jobId })).status;
  }

  async cluster(): Promise<ClusterView> {
    return JSON.parse((await this.call<GetClusterResponse>('GetCluster', {})).clusterJson) as ClusterView;
  }

  /** Polls until the job is FINISHED, FAILED or CANCELED. */
  async waitForTerminal(jobId: string, pollMs = 250, onStatus?: (view: JobStatusView) => void): Promise<JobStatusView> {
    for (;;) {
      const view = await this.status(jobId);
      onStatus?.(view);
      if (isTerminalJobStatus(view.status)) return view;
      await sleep(pollMs);
    }
  }

  close(): void {
    this.client.close();
  }

  private async call<Res>(method: string, request: unknown, deadlineMs = 30_000): Promise<Res> {
    try {
      return await unaryCall<unknown, Res>(this.client, method, request, deadlineMs);
    } catch (error) {
      const e = error as grpc.ServiceError;
      if (e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED) {
        throw new WeirError(
          `cannot reach the coordinator at ${this.address} (${e.details || e.message}); start one with 'weir local', or point to it with --coordinator host:port or ${COORDINATOR_ADDRESS_ENV}`,
          { cause: error, retryable: true },
        );
      }
      throw new WeirError(e.details || e.message, { cause: error });
    }
  }
}
