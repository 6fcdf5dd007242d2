// JSON schemas of the REST API's requests and responses. The responses are
// the same views the gRPC status messages are mapped from (`@weir/protocol`
// views.ts, CheckpointView); fastify validates requests against these and
// serializes responses with them. Properties a view gains later still go out
// (additionalProperties), the ones listed here are required.
import { EXECUTION_STATES, JOB_STATUSES } from '@weir/protocol';

const int = { type: 'integer' } as const;
const num = { type: 'number' } as const;
const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;
const nullable = <T extends object>(schema: T) => ({ anyOf: [schema, { type: 'null' }] });

function object(properties: Record<string, object>, required: string[] = Object.keys(properties)) {
  return { type: 'object', properties, required, additionalProperties: true } as const;
}

/** The error body of every failed request (Flink's: a list of messages). */
export const errorSchema = object({ errors: { type: 'array', items: str }, leader: str }, ['errors']);

const jobStatus = { type: 'string', enum: [...JOB_STATUSES] } as const;

const splitSchema = object(
  { id: str, position: str, checkpointedPosition: str, lag: num, watermark: nullable(num), idle: bool },
  ['id'],
);

/** SubtaskView. */
export const subtaskSchema = object(
  {
    index: int,
    state: { type: 'string', enum: [...EXECUTION_STATES] },
    workerId: nullable(str),
    recordsIn: num,
    recordsOut: num,
    deadLetters: num,
    error: str,
    inputWatermark: nullable(num),
    splits: { type: 'array', items: splitSchema },
    counters: { type: 'object', additionalProperties: num },
    busyTimeMsPerSecond: num,
    backPressuredTimeMsPerSecond: num,
    idleTimeMsPerSecond: num,
    recordsInPerSecond: num,
    recordsOutPerSecond: num,
  },
  ['index', 'state', 'workerId', 'recordsIn', 'recordsOut', 'deadLetters'],
);

/** VertexView. */
export const vertexSchema = object({
  id: str,
  name: str,
  operators: { type: 'array', items: str },
  parallelism: int,
  subtasks: { type: 'array', items: subtaskSchema },
});

/** An edge of the JobGraph (Flink's plan), what the dashboard draws. */
const edgeSchema = object({ source: str, target: str, partitioning: str, sideOutput: str }, ['source', 'target', 'partitioning']);

/** JobStatusView plus the JobGraph's edges. */
export const jobSchema = object({
  jobId: str,
  name: str,
  status: jobStatus,
  attempt: int,
  restarts: int,
  startTimeMs: num,
  endTimeMs: nullable(num),
  vertices: { type: 'array', items: vertexSchema },
  error: nullable(str),
  deadLetters: num,
  deadLetterDir: nullable(str),
  plan: object({ edges: { type: 'array', items: edgeSchema } }),
});

/** The job list. */
export const jobListSchema = object({
  jobs: { type: 'array', items: object({ jobId: str, name: str, status: jobStatus, startTimeMs: num, endTimeMs: nullable(num) }) },
});

/** CheckpointView. */
const checkpointSchema = object({
  checkpointId: int,
  status: { type: 'string', enum: ['IN_PROGRESS', 'COMPLETED', 'FAILED'] },
  savepoint: bool,
  triggeredAtMs: num,
  durationMs: nullable(num),
  bytes: num,
  incrementalBytes: num,
  alignmentMsMax: num,
  syncMsMax: num,
  asyncMsMax: num,
  path: nullable(str),
  failure: nullable(str),
});

/** The checkpoint history, oldest first, with Flink's counts. */
export const checkpointsSchema = object({
  counts: object({ total: int, inProgress: int, completed: int, failed: int }),
  latestCompleted: nullable(checkpointSchema),
  history: { type: 'array', items: checkpointSchema },
});

/** One checkpoint with its subtasks' acknowledgements (SubtaskCheckpointAckView). */
export const checkpointDetailsSchema = object({
  checkpoint: checkpointSchema,
  subtasks: {
    type: 'array',
    items: object({ vertexId: str, subtaskIndex: int, ackTimestampMs: num, endToEndDurationMs: num, bytes: num, incrementalBytes: num, alignmentMs: num, syncMs: num, asyncMs: num }),
  },
});

/** `:id` of a job and `:cid` of one of its checkpoints. */
export const checkpointParams = object({ id: str, cid: { type: 'string', pattern: '^[0-9]+$' } });

/** The job's failure and the errors of its subtasks, each with the user's stack. */
export const exceptionsSchema = object({
  rootException: nullable(str),
  subtasks: { type: 'array', items: object({ vertexId: str, vertexName: str, index: int, workerId: nullable(str), error: str }) },
});

const workerSchema = object(
  { workerId: str, address: str, host: str, pid: int, slots: int, freeSlots: int, lastHeartbeatMs: num, connected: bool },
  ['workerId', 'address', 'host', 'pid', 'slots', 'freeSlots', 'lastHeartbeatMs'],
);

/** The workers (Flink's /taskmanagers). */
export const workersSchema = object({ workers: { type: 'array', items: workerSchema } });

const candidateSchema = object({ address: str, createRevision: str });

/** The cluster at a glance (Flink's /overview), with the coordinators in etcd mode. */
export const overviewSchema = object(
  {
    coordinatorId: str,
    address: str,
    workers: int,
    slotsTotal: int,
    slotsAvailable: int,
    jobsRunning: int,
    jobsFinished: int,
    jobsCancelled: int,
    jobsFailed: int,
    leadership: object({ clusterId: str, leaseTtlSeconds: num, epoch: str, leader: candidateSchema, standbys: { type: 'array', items: candidateSchema } }),
  },
  ['coordinatorId', 'address', 'workers', 'slotsTotal', 'slotsAvailable', 'jobsRunning', 'jobsFinished', 'jobsCancelled', 'jobsFailed'],
);

/** `:id` of a job. */
export const jobParams = object({ id: str });

/** `:id` of a job and `:vid` of one of its vertices. */
export const vertexParams = object({ id: str, vid: str });

/** POST /jobs/:id/savepoints (Flink's field names). */
export const savepointBody = { type: 'object', properties: { 'target-directory': { type: 'string', minLength: 1 }, 'cancel-job': bool }, required: ['target-directory'], additionalProperties: false } as const;

/** POST /jobs/:id/stop (Flink's field names; Weir always drains nothing: sources stop, sinks commit). */
export const stopBody = { type: 'object', properties: { targetDirectory: { type: 'string', minLength: 1 } }, required: ['targetDirectory'], additionalProperties: false } as const;

/** PATCH /jobs/:id?mode=cancel (Flink's cancel). */
export const cancelQuery = { type: 'object', properties: { mode: { type: 'string', enum: ['cancel'] } }, required: ['mode'] } as const;

/** A savepoint's location. */
export const savepointResponse = object({ location: str });

/** A job's status right after a request. */
export const statusResponse = object({ jobId: str, status: jobStatus });
