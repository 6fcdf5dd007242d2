import { z } from 'zod';
import { ValidationError } from './errors.ts';
import { checkParallelism } from './key-groups.ts';
import { restartStrategySchema } from './restart-strategy.ts';
import { STATE_METADATA_KINDS, STATE_SERIALIZERS } from './state-metadata.ts';

/**
 * Operator kinds the worker knows how to run. `source.connector` and
 * `sink.connector` are run by the connector the descriptor names (its
 * `connector` field), with the runtime a worker loaded for it.
 */
export const OPERATOR_KINDS = [
  'source.generator',
  'source.file',
  'source.connector',
  'map',
  'filter',
  'flatMap',
  'keyed.reduce',
  'keyed.process',
  'keyed.window',
  'process',
  'co.process',
  'keyed.coProcess',
  'keyed.intervalJoin',
  'co.broadcastProcess',
  'keyed.broadcastProcess',
  'timestamps',
  'async.wait',
  'union',
  'sink.file',
  'sink.stdout',
  'sink.discard',
  'sink.forEach',
  'sink.connector',
] as const;
export type OperatorKind = (typeof OPERATOR_KINDS)[number];

/** Kinds with two inputs: their input edges say which input they feed (`inputIndex` 0 or 1). */
export const TWO_INPUT_KINDS: readonly OperatorKind[] = ['co.process', 'keyed.coProcess', 'keyed.intervalJoin', 'co.broadcastProcess', 'keyed.broadcastProcess'];

/** Kinds of the broadcast state pattern: input 1 is a broadcast edge, and the operator holds broadcast state. */
export const BROADCAST_KINDS: readonly OperatorKind[] = ['co.broadcastProcess', 'keyed.broadcastProcess'];

/** True for the operators of `stream.connect(broadcastStream)`. */
export function isBroadcastKind(kind: string): boolean {
  return (BROADCAST_KINDS as readonly string[]).includes(kind);
}

/** True for operators with two inputs (connect, interval join). */
export function isTwoInputKind(kind: string): boolean {
  return (TWO_INPUT_KINDS as readonly string[]).includes(kind);
}

/** How records of an edge are distributed over the consumer's subtasks. */
export const PARTITIONINGS = ['forward', 'hash', 'rebalance', 'broadcast'] as const;
export type Partitioning = (typeof PARTITIONINGS)[number];

const id = z.string().min(1).max(200);

/** The connector that runs a `source.connector` or `sink.connector` operator. */
export const connectorRefSchema = z.object({
  /** The connector's name, e.g. `kafka`: a worker runs the operator with the runtime registered under it. */
  name: z.string().min(1).max(100),
  /** The module a worker loads to run it (`weir worker --connector <module>`), named when a worker lacks it. */
  module: z.string().min(1),
});
export type ConnectorRef = z.infer<typeof connectorRefSchema>;

/** True for the kinds a connector runs (the descriptor names it in `connector`). */
export function isConnectorKind(kind: string): boolean {
  return kind === 'source.connector' || kind === 'sink.connector';
}

/** One state of an operator (see state-metadata.ts): what a job declares and a checkpoint records. */
export const stateMetadataSchema = z.object({
  name: z.string().min(1),
  kind: z.enum(STATE_METADATA_KINDS),
  serializer: z.enum(STATE_SERIALIZERS),
  version: z.number().int().min(1),
  migrates: z.boolean().optional(),
});

export const operatorDescriptorSchema = z.object({
  /** Stable id: the user's uid, or one derived from the position in the graph. */
  id,
  uid: z.string().optional(),
  name: z.string(),
  kind: z.enum(OPERATOR_KINDS),
  /** For `source.connector` and `sink.connector`: the connector that runs it. */
  connector: connectorRefSchema.optional(),
  /** Id of the user function this operator calls, looked up in the job artifact. */
  fn: z.string().optional(),
  /** Further user functions by role (e.g. `timestampAssigner`, `valueDeserializer`), as artifact ids. */
  functions: z.record(z.string(), z.string()).optional(),
  config: z.record(z.string(), z.unknown()),
  /** The keyed states the user function declares up front (`states` on the function), checked against a savepoint before the job starts. */
  states: z.array(stateMetadataSchema).optional(),
});
export type OperatorDescriptor = z.infer<typeof operatorDescriptorSchema>;

export const jobVertexSchema = z.object({
  /** The id of the chain's first operator. */
  id,
  name: z.string(),
  parallelism: z.number().int().min(1),
  maxParallelism: z.number().int().min(1),
  /**
   * The vertex's slot sharing group (Flink's SlotSharingGroup): one subtask
   * of each vertex of a group shares a slot. Absent: `default` (see
   * slot-sharing.ts).
   */
  slotSharingGroup: id.optional(),
  /** The operator chain run by every subtask of this vertex, head first. */
  operators: z.array(operatorDescriptorSchema).min(1),
});
export type JobVertex = z.infer<typeof jobVertexSchema>;

export const jobEdgeSchema = z.object({
  source: id,
  target: id,
  partitioning: z.enum(PARTITIONINGS),
  /** For hash edges: the user's key selector, run on both sides of the edge. */
  keySelector: z.string().optional(),
  /** The edge carries the records a producer emits to this side output (e.g. late data), not its main output. */
  sideOutput: z.string().optional(),
  /**
   * Which input of the target's head operator the edge feeds: 1 for the
   * second input of a two-input operator; absent or 0 for the first (and
   * for every other operator).
   */
  inputIndex: z.number().int().min(0).max(1).optional(),
});
export type JobEdge = z.infer<typeof jobEdgeSchema>;

export const STATE_BACKENDS = ['rocksdb', 'heap'] as const;
export type StateBackendKind = (typeof STATE_BACKENDS)[number];

export const CHECKPOINT_MODES = ['exactly-once', 'at-least-once'] as const;
export type CheckpointMode = (typeof CHECKPOINT_MODES)[number];

export const checkpointConfigSchema = z.object({
  /** 0 disables checkpointing. */
  intervalMs: z.number().int().min(0),
  timeoutMs: z.number().int().min(1),
  /** Least time between the end of one checkpoint and the start of the next. */
  minPauseMs: z.number().int().min(0),
  maxConcurrent: z.number().int().min(1),
  mode: z.enum(CHECKPOINT_MODES),
  /** Failed checkpoints in a row before the job fails over. */
  tolerableFailures: z.number().int().min(0),
  /** Completed checkpoints to keep. */
  retained: z.number().int().min(1),
  /** Keep the checkpoints of a cancelled job. */
  retainOnCancel: z.boolean(),
});
export type CheckpointConfig = z.infer<typeof checkpointConfigSchema>;

export const DEFAULT_CHECKPOINT_CONFIG: CheckpointConfig = {
  intervalMs: 0,
  timeoutMs: 60_000,
  minPauseMs: 0,
  maxConcurrent: 1,
  mode: 'exactly-once',
  tolerableFailures: 3,
  retained: 3,
  retainOnCancel: false,
};

export const jobConfigSchema = z.object({
  /** How failures are retried; absent: `weir run --restart-strategy` or the cluster's default decides. */
  restartStrategy: restartStrategySchema.optional(),
  /** Longest a partly filled output frame waits before it is sent. */
  bufferTimeoutMs: z.number().int().min(0),
  /** Where malformed records go; default: the worker's data dir. */
  deadLetterDir: z.string().optional(),
  checkpoint: checkpointConfigSchema.default(DEFAULT_CHECKPOINT_CONFIG),
  /** Where keyed state lives: RocksDB on the worker's disk (default) or the JavaScript heap. */
  stateBackend: z.enum(STATE_BACKENDS).default('rocksdb'),
  /** How often periodic watermark generators emit (Flink's autoWatermarkInterval). */
  autoWatermarkIntervalMs: z.number().int().min(1).default(200),
  /**
   * How long the job may wait while the cluster has fewer slots than it
   * needs before it fails (Flink's slot.request.timeout); absent: the
   * coordinator's `slotRequestTimeoutMs`.
   */
  slotRequestTimeoutMs: z.number().int().min(1).optional(),
});
export type JobConfig = z.infer<typeof jobConfigSchema>;

export const jobGraphSchema = z.object({
  version: z.literal(1),
  name: z.string().min(1),
  maxParallelism: z.number().int().min(1),
  vertices: z.array(jobVertexSchema).min(1),
  edges: z.array(jobEdgeSchema),
  config: jobConfigSchema,
});
/** The serializable form of a job: chained vertices and the edges between them. */
export type JobGraph = z.infer<typeof jobGraphSchema>;

/**
 * Parses and checks a JobGraph from untrusted JSON: its shape, that edges
 * name existing vertices, that forward edges join equal parallelism, and that
 * the graph has no cycle. Throws a ValidationError naming the problem.
 */
export function parseJobGraph(json: string): JobGraph {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new ValidationError(`the job graph is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = jobGraphSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError(`the job graph is malformed: ${z.prettifyError(parsed.error)}`);
  }
  validateJobGraph(parsed.data);
  return parsed.data;
}

/** Structural checks of a JobGraph beyond its shape. */
export function validateJobGraph(graph: JobGraph): void {
  const operatorIds = new Set<string>();
  for (const vertex of graph.vertices) {
    checkParallelism(vertex.parallelism, vertex.maxParallelism, `operator '${vertex.name}'`);
    for (const op of vertex.operators) {
      if (operatorIds.has(op.id)) {
        throw new ValidationError(`two operators share the uid '${op.id}': give each operator a unique .uid()`);
      }
      operatorIds.add(op.id);
      if (isConnectorKind(op.kind) !== (op.connector !== undefined)) {
        throw new ValidationError(`operator '${op.name}' (${op.id}): kind ${op.kind} ${op.connector ? 'names a connector but is not a connector kind' : 'names no connector'}; rebuild the job with the connector's builder`);
      }
    }
  }
  const byId = new Map(graph.vertices.map((v) => [v.id, v]));
  if (byId.size !== graph.vertices.length) throw new ValidationError('the job graph has two vertices with the same id');
  const indegree = new Map<string, number>(graph.vertices.map((v) => [v.id, 0]));
  for (const edge of graph.edges) {
    const source = byId.get(edge.source);
    const target = byId.get(edge.target);
    if (!source || !target) throw new ValidationError(`an edge names a vertex that does not exist: ${edge.source} -> ${edge.target}`);
    if (edge.partitioning === 'forward' && source.parallelism !== target.parallelism) {
      throw new ValidationError(
        `forward edge ${source.name} -> ${target.name} joins parallelism ${source.parallelism} and ${target.parallelism}; use rebalance() or equal parallelism`,
      );
    }
    if (edge.partitioning === 'hash' && !edge.keySelector) throw new ValidationError(`hash edge ${source.name} -> ${target.name} has no key selector`);
    indegree.set(edge.target, (indegree.get(edge.target) ?? 0) + 1);
  }
  // Kahn's algorithm: every vertex must be reachable in topological order.
  const queue = [...indegree].filter(([, d]) => d === 0).map(([v]) => v);
  let seen = 0;
  while (queue.length > 0) {
    const v = queue.pop()!;
    seen++;
    for (const edge of graph.edges) {
      if (edge.source !== v) continue;
      const d = indegree.get(edge.target)! - 1;
      indegree.set(edge.target, d);
      if (d === 0) queue.push(edge.target);
    }
  }
  if (seen !== graph.vertices.length) throw new ValidationError('the job graph has a cycle');
  for (const vertex of graph.vertices) {
    const head = vertex.operators[0]!;
    const hasInputs = graph.edges.some((e) => e.target === vertex.id);
    if (head.kind.startsWith('source.') === hasInputs) {
      throw new ValidationError(`vertex '${vertex.name}': sources take no inputs and every other operator needs one`);
    }
    checkOperatorInputs(graph, vertex);
  }
}

/** A two-input head needs edges into both inputs; any other head takes only its first input. */
function checkOperatorInputs(graph: JobGraph, vertex: JobVertex): void {
  const head = vertex.operators[0]!;
  const inputs = graph.edges.filter((e) => e.target === vertex.id).map((e) => e.inputIndex ?? 0);
  if (isTwoInputKind(head.kind)) {
    if (!inputs.includes(0) || !inputs.includes(1)) {
      throw new ValidationError(`vertex '${vertex.name}': the two-input operator ${head.kind} needs edges into both its inputs (inputIndex 0 and 1)`);
    }
    const edges = graph.edges.filter((e) => e.target === vertex.id);
    if (isBroadcastKind(head.kind)) {
      checkBroadcastInputs(vertex, edges);
      return;
    }
    const keyed = edges.map((e) => e.partitioning === 'hash');
    if (head.kind !== 'co.process' && keyed.includes(false)) {
      throw new ValidationError(`vertex '${vertex.name}': ${head.kind} needs both inputs keyed; key both streams with keyBy() before connecting them`);
    }
  } else if (inputs.some((i) => i !== 0)) {
    throw new ValidationError(`vertex '${vertex.name}': an edge feeds input ${inputs.find((i) => i !== 0)} of ${head.kind}, which has one input`);
  }
}

/** A broadcast head takes the broadcast stream on input 1 (a broadcast edge) and, when keyed, a keyed stream on input 0. */
function checkBroadcastInputs(vertex: JobVertex, edges: JobEdge[]): void {
  const head = vertex.operators[0]!;
  if (edges.some((e) => (e.inputIndex ?? 0) === 1 && e.partitioning !== 'broadcast')) {
    throw new ValidationError(`vertex '${vertex.name}': the second input of ${head.kind} must be a broadcast edge; connect a stream made by stream.broadcast(descriptor)`);
  }
  if (head.kind === 'keyed.broadcastProcess' && edges.some((e) => (e.inputIndex ?? 0) === 0 && e.partitioning !== 'hash')) {
    throw new ValidationError(`vertex '${vertex.name}': the first input of keyed.broadcastProcess must be keyed; call keyBy() before connect(broadcastStream)`);
  }
  const names = head.config.broadcastStates;
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string' && n !== '')) {
    throw new ValidationError(`vertex '${vertex.name}': ${head.kind} needs config.broadcastStates, the names of its broadcast states; build it with stream.broadcast(descriptor)`);
  }
}

/** Vertices in topological order (sources first). */
export function topologicalVertices(graph: JobGraph): JobVertex[] {
  const order: JobVertex[] = [];
  const placed = new Set<string>();
  while (order.length < graph.vertices.length) {
    const before = order.length;
    for (const v of graph.vertices) {
      if (placed.has(v.id)) continue;
      if (graph.edges.every((e) => e.target !== v.id || placed.has(e.source))) {
        order.push(v);
        placed.add(v.id);
      }
    }
    if (order.length === before) throw new ValidationError('the job graph has a cycle');
  }
  return order;
}
