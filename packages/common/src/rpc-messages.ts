// TypeScript shapes of the messages in proto/weir.proto, as @grpc/proto-loader
// hands them over (camelCase fields, longs as numbers, defaults filled).

export interface SubmitJobRequest { name: string; jobGraphJson: string; artifact: Uint8Array; args: string[] }
export interface SubmitJobResponse { jobId: string }
export interface JobSummary { jobId: string; name: string; status: string; startTimeMs: number; endTimeMs: number }
export interface ListJobsResponse { jobs: JobSummary[] }
export interface GetJobRequest { jobId: string }
export interface GetJobResponse { statusJson: string }
export interface CancelJobRequest { jobId: string }
export interface CancelJobResponse { status: string }
export interface GetClusterResponse { clusterJson: string }
export interface FetchArtifactRequest { jobId: string }
export interface FetchArtifactResponse { artifact: Uint8Array }

export interface RegisterWorker { workerId: string; address: string; slots: number; pid: number; host: string }
export interface Heartbeat { metricsJson: string }
export interface TaskStateUpdate { jobId: string; attempt: number; vertexId: string; subtaskIndex: number; state: string; error: string; metricsJson: string }
export interface WorkerMessage {
  register?: RegisterWorker | null;
  heartbeat?: Heartbeat | null;
  taskState?: TaskStateUpdate | null;
  body?: 'register' | 'heartbeat' | 'taskState';
}
export interface CoordinatorMessage { registered?: { coordinatorId: string } | null; body?: 'registered' }

export interface DeployTasksRequest { deploymentJson: string[] }
export interface CancelTasksRequest { jobId: string; attempt: number }
export interface ReleaseJobRequest { jobId: string }

export interface ExchangeMessage {
  channel: string;
  kind: number;
  payload: Uint8Array;
  recordCount: number;
  watermark: number;
  checkpointId: number;
  credits: number;
}
