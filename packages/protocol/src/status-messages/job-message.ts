// The job status view (JobStatusView, views.ts) as the typed GetJob message
// (`weir.v1.Job` of proto/weir.proto) and back. The coordinator builds the
// view once and maps it here; @weir/client maps the message back, so
// `weir status` and its --json output read the same view as before. A field
// added to the view is added to the message, and mapped both ways, here.
import type { SplitStatus } from '../task-deployment.ts';
import type { ExecutionState, JobStatus } from '../execution-state.ts';
import type { JobStatusView, SlotRequestView, SubtaskView, VertexView } from '../views.ts';
import type { Job, Job__Output } from '../generated/weir/v1/Job.ts';
import type { SlotRequest, SlotRequest__Output } from '../generated/weir/v1/SlotRequest.ts';
import type { Split, Split__Output } from '../generated/weir/v1/Split.ts';
import type { Subtask, Subtask__Output } from '../generated/weir/v1/Subtask.ts';
import type { Vertex, Vertex__Output } from '../generated/weir/v1/Vertex.ts';

/** A job's status view as the `weir.v1.Job` message. */
export function jobToMessage(view: JobStatusView): Job {
  return {
    jobId: view.jobId,
    name: view.name,
    status: view.status,
    attempt: view.attempt,
    restarts: view.restarts,
    startTimeMs: view.startTimeMs,
    ...(view.endTimeMs !== null ? { endTimeMs: view.endTimeMs } : {}),
    vertices: view.vertices.map(vertexToMessage),
    ...(view.error !== null ? { error: view.error } : {}),
    deadLetters: view.deadLetters,
    ...(view.deadLetterDir !== null ? { deadLetterDir: view.deadLetterDir } : {}),
    ...(view.slotRequest !== null ? { slotRequest: slotRequestToMessage(view.slotRequest) } : {}),
    ...(view.restartStrategy !== undefined ? { restartStrategy: view.restartStrategy } : {}),
  };
}

/** The `weir.v1.Job` message as the status view it was made from. */
export function jobFromMessage(message: Job__Output): JobStatusView {
  return {
    jobId: message.jobId,
    name: message.name,
    status: message.status as JobStatus,
    attempt: message.attempt,
    restarts: message.restarts,
    startTimeMs: message.startTimeMs,
    endTimeMs: message.endTimeMs ?? null,
    vertices: message.vertices.map(vertexFromMessage),
    error: message.error ?? null,
    deadLetters: message.deadLetters,
    deadLetterDir: message.deadLetterDir ?? null,
    slotRequest: message.slotRequest ? slotRequestFromMessage(message.slotRequest) : null,
    ...(message.restartStrategy !== undefined ? { restartStrategy: message.restartStrategy } : {}),
  };
}

function slotRequestToMessage(view: SlotRequestView): SlotRequest {
  const { failsAtMs, ...rest } = view;
  return { ...rest, groups: view.groups.map((g) => ({ ...g })), ...(failsAtMs !== null ? { failsAtMs } : {}) };
}

function slotRequestFromMessage(message: SlotRequest__Output): SlotRequestView {
  return {
    groups: message.groups.map((g) => ({ name: g.name, slots: g.slots })),
    slotsNeeded: message.slotsNeeded,
    freeSlots: message.freeSlots,
    totalSlots: message.totalSlots,
    workers: message.workers,
    waitingSinceMs: message.waitingSinceMs,
    timeoutMs: message.timeoutMs,
    failsAtMs: message.failsAtMs ?? null,
  };
}

function vertexToMessage(view: VertexView): Vertex {
  return { id: view.id, name: view.name, operators: view.operators, parallelism: view.parallelism, subtasks: view.subtasks.map(subtaskToMessage) };
}

function vertexFromMessage(message: Vertex__Output): VertexView {
  return { id: message.id, name: message.name, operators: message.operators, parallelism: message.parallelism, subtasks: message.subtasks.map(subtaskFromMessage) };
}

function subtaskToMessage(view: SubtaskView): Subtask {
  return {
    index: view.index,
    state: view.state,
    ...(view.workerId !== null ? { workerId: view.workerId } : {}),
    recordsIn: view.recordsIn,
    recordsOut: view.recordsOut,
    deadLetters: view.deadLetters,
    ...(view.error !== undefined ? { error: view.error } : {}),
    eventTime: view.inputWatermark !== undefined,
    ...(typeof view.inputWatermark === 'number' ? { inputWatermarkMs: view.inputWatermark } : {}),
    source: view.splits !== undefined,
    splits: (view.splits ?? []).map(splitToMessage),
    counters: view.counters ?? {},
    ...rates(view),
  };
}

/** The optional time and rate fields, copied where set (the same names in the view and the message). */
const RATE_FIELDS = ['busyTimeMsPerSecond', 'backPressuredTimeMsPerSecond', 'idleTimeMsPerSecond', 'recordsInPerSecond', 'recordsOutPerSecond'] as const;

function rates(from: Partial<Record<(typeof RATE_FIELDS)[number], number | null>>): Partial<Record<(typeof RATE_FIELDS)[number], number>> {
  const out: Partial<Record<(typeof RATE_FIELDS)[number], number>> = {};
  for (const field of RATE_FIELDS) {
    const value = from[field];
    if (typeof value === 'number') out[field] = value;
  }
  return out;
}

function subtaskFromMessage(message: Subtask__Output): SubtaskView {
  const view: SubtaskView = {
    index: message.index,
    state: message.state as ExecutionState,
    workerId: message.workerId ?? null,
    recordsIn: message.recordsIn,
    recordsOut: message.recordsOut,
    deadLetters: message.deadLetters,
  };
  if (message.error !== undefined) view.error = message.error;
  if (message.eventTime) view.inputWatermark = message.inputWatermarkMs ?? null;
  if (message.source) view.splits = message.splits.map(splitFromMessage);
  if (Object.keys(message.counters).length > 0) view.counters = message.counters;
  Object.assign(view, rates(message));
  return view;
}

function splitToMessage(split: SplitStatus): Split {
  return {
    id: split.id,
    ...(split.position !== undefined ? { position: split.position } : {}),
    ...(split.checkpointedPosition !== undefined ? { checkpointedPosition: split.checkpointedPosition } : {}),
    ...(split.lag !== undefined ? { lag: split.lag } : {}),
    eventTime: split.watermark !== undefined,
    ...(typeof split.watermark === 'number' ? { watermarkMs: split.watermark } : {}),
    ...(split.idle !== undefined ? { idle: split.idle } : {}),
    ...(split.waiting !== undefined ? { waiting: split.waiting } : {}),
  };
}

function splitFromMessage(message: Split__Output): SplitStatus {
  const split: SplitStatus = { id: message.id };
  if (message.position !== undefined) split.position = message.position;
  if (message.checkpointedPosition !== undefined) split.checkpointedPosition = message.checkpointedPosition;
  if (message.lag !== undefined) split.lag = message.lag;
  if (message.eventTime) split.watermark = message.watermarkMs ?? null;
  if (message.idle !== undefined) split.idle = message.idle;
  if (message.waiting !== undefined) split.waiting = message.waiting;
  return split;
}
