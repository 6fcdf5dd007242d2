// What the coordinator accepts on a WorkerSession stream: every message is
// checked against these zod schemas (and size limits) before it touches the
// worker registry or a job. protobuf decoding already fixes the wire types;
// these check what the types cannot (ranges, lengths, known states, JSON
// bodies).
import { z } from 'zod';
import { EXECUTION_STATES } from '@weir/protocol';

/** Limits on what one worker message may carry. */
export const WORKER_MESSAGE_LIMITS = {
  /** Longest worker id, address or host name. */
  maxNameLength: 256,
  /** Most slots one worker may offer. */
  maxSlots: 1024,
  /** Largest metrics report (JSON) of a heartbeat or a final task state. */
  maxMetricsJsonBytes: 8 * 1024 * 1024,
  /** Largest checkpoint acknowledgement (JSON). */
  maxAckJsonBytes: 16 * 1024 * 1024,
  /** Longest error of a failed subtask, or reason of a declined checkpoint (longer ones are cut). */
  maxErrorLength: 64 * 1024,
} as const;

const name = z.string().min(1).max(WORKER_MESSAGE_LIMITS.maxNameLength);

/** A worker id: letters, digits and `._:-`, as `weir worker --worker-id` takes it. */
export const workerIdSchema = name.regex(/^[A-Za-z0-9._:@-]+$/, 'a worker id has only letters, digits and . _ : @ -');

/** RegisterWorker. */
export const registerWorkerSchema = z.object({
  workerId: workerIdSchema,
  address: name.regex(/^[^\s/]+:\d{1,5}$/, 'an address is host:port'),
  slots: z.number().int().min(1).max(WORKER_MESSAGE_LIMITS.maxSlots),
  pid: z.number().int().min(0),
  host: z.string().max(WORKER_MESSAGE_LIMITS.maxNameLength),
});

const subtaskFields = {
  jobId: z.string().min(1).max(WORKER_MESSAGE_LIMITS.maxNameLength),
  attempt: z.number().int().min(0),
  vertexId: z.string().min(1).max(WORKER_MESSAGE_LIMITS.maxNameLength),
  subtaskIndex: z.number().int().min(0).max(1 << 16),
};

/** TaskStateUpdate (its metrics JSON is checked with `metricsReportSchema`). */
export const taskStateUpdateSchema = z.object({
  ...subtaskFields,
  state: z.enum(EXECUTION_STATES),
  error: z.string(),
  metricsJson: z.string().max(WORKER_MESSAGE_LIMITS.maxMetricsJsonBytes),
  nonRecoverable: z.boolean(),
});

/** CheckpointDeclined. */
export const checkpointDeclinedSchema = z.object({
  ...subtaskFields,
  checkpointId: z.number().int().min(1),
  reason: z.string(),
});

/** One subtask's metrics as a worker reports them (more fields may follow; these are the ones the coordinator keys by). */
const taskMetricsSchema = z.looseObject({
  ...subtaskFields,
  recordsIn: z.number(),
  recordsOut: z.number(),
  deadLetters: z.number(),
  backpressuredFrames: z.number(),
});

/** One entry of a metrics report: a subtask's metrics and where its dead letters go. */
export const metricsEntrySchema = z.object({ metrics: taskMetricsSchema, deadLetterDir: z.string().nullable() });

/** A heartbeat's metrics (every subtask of the worker). */
export const metricsReportSchema = z.array(metricsEntrySchema).max(1 << 16);

/**
 * Parses JSON text of at most `maxBytes` against `schema`; throws an error
 * naming `what` and the first problem (path and message) otherwise.
 */
export function parseJsonMessage<T>(what: string, text: string, maxBytes: number, schema: z.ZodType<T>): T {
  if (text.length > maxBytes) throw new Error(`${what} is ${text.length} bytes, more than the ${maxBytes} allowed`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseMessage(what, json, schema);
}

/** Checks `value` against `schema`; throws an error naming `what`, the field and the problem otherwise. */
export function parseMessage<T>(what: string, value: unknown, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new Error(`${what} is invalid: ${issue.path.join('.') || '(message)'}: ${issue.message}`);
}

/** Cuts an error text from a worker to the length the coordinator keeps. */
export function boundedText(text: string): string {
  const max = WORKER_MESSAGE_LIMITS.maxErrorLength;
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters cut)`;
}
