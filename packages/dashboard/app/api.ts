// The REST API as the dashboard reads it: the answers' types (the views of
// @weir/protocol plus what the REST API adds) and the calls.
import type { CheckpointView, JobStatusView, LeadershipView, WorkerView } from '@weir/protocol';

/** GET /overview. */
export interface Overview {
  coordinatorId: string;
  address: string;
  workers: number;
  slotsTotal: number;
  slotsAvailable: number;
  jobsRunning: number;
  jobsFinished: number;
  jobsCancelled: number;
  jobsFailed: number;
  leadership?: LeadershipView;
}

/** One line of GET /jobs. */
export interface JobSummary {
  jobId: string;
  name: string;
  status: string;
  startTimeMs: number;
  endTimeMs: number | null;
}

/** An edge of the job's plan. */
export interface PlanEdge {
  source: string;
  target: string;
  partitioning: string;
  sideOutput?: string;
}

/** GET /jobs/:id. */
export type Job = JobStatusView & { plan: { edges: PlanEdge[] } };

/** GET /jobs/:id/checkpoints. */
export interface Checkpoints {
  counts: { total: number; inProgress: number; completed: number; failed: number };
  latestCompleted: CheckpointView | null;
  history: CheckpointView[];
}

/** GET /jobs/:id/exceptions. */
export interface Exceptions {
  rootException: string | null;
  subtasks: { vertexId: string; vertexName: string; index: number; workerId: string | null; error: string }[];
}

export type { CheckpointView, WorkerView };

/** The REST API's error, with its message. */
export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const TOKEN_KEY = 'weir.token';

/** The bearer token given for this cluster, kept for the browser tab's session only (sessionStorage). */
export const sessionToken = {
  get: (): string | undefined => sessionStorage.getItem(TOKEN_KEY) ?? undefined,
  set: (value: string): void => sessionStorage.setItem(TOKEN_KEY, value),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const token = sessionToken.get();
  const headers: Record<string, string> = {
    ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
  const response = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const json = (await response.json().catch(() => ({}))) as T & { errors?: string[] };
  if (!response.ok) throw new ApiError(response.status, json.errors?.join('; ') ?? `${method} ${path}: HTTP ${response.status}`);
  return json;
}

/** The calls the dashboard makes. */
export const api = {
  overview: () => call<Overview>('GET', '/overview'),
  jobs: () => call<{ jobs: JobSummary[] }>('GET', '/jobs').then((r) => r.jobs),
  workers: () => call<{ workers: WorkerView[] }>('GET', '/workers').then((r) => r.workers),
  job: (id: string) => call<Job>('GET', `/jobs/${encodeURIComponent(id)}`),
  checkpoints: (id: string) => call<Checkpoints>('GET', `/jobs/${encodeURIComponent(id)}/checkpoints`),
  exceptions: (id: string) => call<Exceptions>('GET', `/jobs/${encodeURIComponent(id)}/exceptions`),
  savepoint: (id: string, dir: string) => call<{ location: string }>('POST', `/jobs/${encodeURIComponent(id)}/savepoints`, { 'target-directory': dir }),
  stop: (id: string, dir: string) => call<{ location: string }>('POST', `/jobs/${encodeURIComponent(id)}/stop`, { targetDirectory: dir }),
  cancel: (id: string) => call<{ status: string }>('PATCH', `/jobs/${encodeURIComponent(id)}?mode=cancel`),
};
