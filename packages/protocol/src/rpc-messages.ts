// TypeScript shapes of the messages in proto/weir.proto, as @grpc/proto-loader
// hands them over (camelCase fields, longs as numbers, defaults filled).
// leaderEpoch: the leader's etcd fence revision (0 without etcd); optional on
// the sending side, always filled (0 by default) on arrival.

export interface SubmitJobRequest { name: string; jobGraphJson: string; artifact: Uint8Array; args: string[]; fromSavepoint: string; allowNonRestoredState: boolean; submissionId?: string }
export interface SubmitJobResponse { jobId: string }
export interface JobSummary { jobId: string; name: string; status: string; startTimeMs: number; endTimeMs: number }
export interface ListJobsResponse { jobs: JobSummary[] }
export interface GetJobRequest { jobId: string }
export interface GetJobResponse { statusJson: string }
export interface CancelJobRequest { jobId: string }
export interface CancelJobResponse { status: string }
export interface GetClusterResponse { clusterJson: string }
export interface ListCheckpointsResponse { checkpointsJson: string }
export interface TriggerSavepointRequest { jobId: string; directory: string; stop: boolean }
export interface TriggerSavepointResponse { path: string }
export interface FetchArtifactRequest { jobId: string }
export interface FetchArtifactResponse { artifact: Uint8Array }

export interface RegisterWorker { workerId: string; address: string; slots: number; pid: number; host: string }
export interface Heartbeat { metricsJson: string }
export interface TaskStateUpdate { jobId: string; attempt: number; vertexId: string; subtaskIndex: number; state: string; error: string; metricsJson: string }
export interface CheckpointDeclined { jobId: string; attempt: number; checkpointId: number; vertexId: string; subtaskIndex: number; reason: string }
export interface WorkerMessage {
  register?: RegisterWorker | null;
  heartbeat?: Heartbeat | null;
  taskState?: TaskStateUpdate | null;
  checkpointAck?: { ackJson: string } | null;
  checkpointDeclined?: CheckpointDeclined | null;
  body?: 'register' | 'heartbeat' | 'taskState' | 'checkpointAck' | 'checkpointDeclined';
}
export interface CoordinatorMessage { registered?: { coordinatorId: string; leaderEpoch?: number } | null; body?: 'registered' }

export interface DeployTasksRequest { deploymentJson: string[]; leaderEpoch?: number }
export interface CancelTasksRequest { jobId: string; attempt: number; leaderEpoch?: number }
export interface ReleaseJobRequest { jobId: string; leaderEpoch?: number }
export interface TriggerCheckpointRequest { jobId: string; attempt: number; checkpointId: number; stopSources: boolean; leaderEpoch?: number }
export interface NotifyCheckpointCompleteRequest { jobId: string; attempt: number; checkpointId: number; leaderEpoch?: number }

export interface ExchangeMessage {
  channel: string;
  kind: number;
  payload: Uint8Array;
  recordCount: number;
  watermark: number;
  checkpointId: number;
  credits: number;
}
