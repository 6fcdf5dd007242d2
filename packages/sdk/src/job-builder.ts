import {
  DEFAULT_CHECKPOINT_CONFIG,
  DEFAULT_MAX_PARALLELISM,
  DEFAULT_SLOT_SHARING_GROUP,
  InvalidJobError,
  validateJobGraph,
  type BuiltJob,
  type JobConfig,
  type JobEdge,
  type JobGraph,
  type JobVertex,
  type OperatorDescriptor,
  type OperatorKind,
  type Partitioning,
  type StateDescriptorSpec,
} from '@weir/common';
import { declaredStateMetadata } from './declared-states.ts';
import type { Transformation, TransformationInput } from './transformation.ts';

/** Settings of the whole job, changed through the environment. */
export interface JobSettings {
  name: string;
  parallelism: number;
  maxParallelism: number;
  chaining: boolean;
  config: JobConfig;
}

/**
 * Collects the transformations a job definition creates and compiles them
 * into a JobGraph: operators joined by forward edges at equal parallelism are
 * chained into one vertex, and every user function gets a stable id.
 */
export class JobBuilder {
  readonly nodes: Transformation[] = [];
  readonly settings: JobSettings;

  constructor(defaultParallelism: number) {
    this.settings = {
      name: 'weir-job',
      parallelism: defaultParallelism,
      maxParallelism: DEFAULT_MAX_PARALLELISM,
      chaining: true,
      config: { bufferTimeoutMs: 50, checkpoint: { ...DEFAULT_CHECKPOINT_CONFIG }, stateBackend: 'rocksdb', autoWatermarkIntervalMs: 200 },
    };
  }

  addNode(
    kind: OperatorKind,
    name: string,
    fn: unknown,
    config: Record<string, unknown>,
    inputs: TransformationInput[],
    functions?: Record<string, unknown>,
  ): Transformation {
    const node: Transformation = {
      functions,
      index: this.nodes.length,
      kind,
      name,
      uid: undefined,
      parallelism: undefined,
      maxParallelism: undefined,
      chaining: 'always',
      slotSharingGroup: undefined,
      fn,
      config,
      inputs,
    };
    this.nodes.push(node);
    return node;
  }

  build(): BuiltJob {
    if (this.nodes.length === 0) throw new InvalidJobError('the job defines no operators: add a source and a sink');
    const functions = new Map<string, unknown>();
    const operatorIds = new Map<Transformation, string>();
    const descriptors = new Map<Transformation, OperatorDescriptor>();
    const parallelism = new Map<Transformation, number>();
    const slotSharingGroup = new Map<Transformation, string>();
    const consumers = new Map<Transformation, Transformation[]>();

    for (const node of this.nodes) {
      // A connector's operator is named by the connector (`source-kafka-0`), as before connectors had kinds of their own.
      const kindName = node.connector ? `${node.kind.split('.')[0]}-${node.connector.name}` : node.kind.replace('.', '-');
      const opId = node.uid ?? `${kindName}-${node.index}`;
      operatorIds.set(node, opId);
      const descriptor: OperatorDescriptor = { id: opId, name: node.name, kind: node.kind, config: node.config };
      if (node.connector) descriptor.connector = node.connector;
      if (node.uid !== undefined) descriptor.uid = node.uid;
      if (node.fn !== undefined) {
        const fnId = `${opId}/fn`;
        functions.set(fnId, node.fn);
        descriptor.fn = fnId;
      }
      const states = declaredStateMetadata(node.functions?.states as readonly StateDescriptorSpec[] | undefined);
      if (states) descriptor.states = states;
      const named = Object.entries(node.functions ?? {}).filter(([, fn]) => fn !== undefined);
      if (named.length > 0) {
        descriptor.functions = {};
        for (const [role, fn] of named) {
          const fnId = `${opId}/${role}`;
          functions.set(fnId, fn);
          descriptor.functions[role] = fnId;
        }
      }
      descriptors.set(node, descriptor);
      parallelism.set(node, node.parallelism ?? this.settings.parallelism);
      slotSharingGroup.set(node, node.slotSharingGroup ?? inheritedSlotSharingGroup(node.inputs.map((i) => slotSharingGroup.get(i.node)!)));
      for (const input of node.inputs) {
        // A side output does not count: the producer may still chain with its main consumer.
        if (input.sideOutput) continue;
        const list = consumers.get(input.node) ?? [];
        list.push(node);
        consumers.set(input.node, list);
      }
    }

    const isSink = (n: Transformation): boolean => n.kind.startsWith('sink.');
    for (const node of this.nodes) {
      const sideConsumers = this.nodes.some((n) => n.inputs.some((i) => i.node === node && i.sideOutput));
      if (!isSink(node) && (consumers.get(node)?.length ?? 0) === 0 && !sideConsumers) {
        throw new InvalidJobError(`operator '${node.name}' (${operatorIds.get(node)}) has no consumer: end every stream in a sink such as writeToFile(), print() or discard()`);
      }
    }

    const edgeOf = (node: Transformation, input: TransformationInput): Partitioning => {
      if (input.partitioning) return input.partitioning;
      return parallelism.get(input.node) === parallelism.get(node) ? 'forward' : 'rebalance';
    };

    // Chaining: a node joins its input's chain when the edge is forward, it has
    // a single input, the input has a single consumer, and nobody opted out.
    const chainHead = new Map<Transformation, Transformation>();
    for (const node of this.nodes) {
      const input = node.inputs.length === 1 ? node.inputs[0]! : undefined;
      const canChain =
        this.settings.chaining &&
        input !== undefined &&
        !input.sideOutput &&
        node.chaining === 'always' &&
        input.node.chaining !== 'never' &&
        edgeOf(node, input) === 'forward' &&
        slotSharingGroup.get(node) === slotSharingGroup.get(input.node) &&
        consumers.get(input.node)?.length === 1;
      chainHead.set(node, canChain ? chainHead.get(input!.node)! : node);
    }

    const maxParallelism = this.settings.maxParallelism;
    const vertices = new Map<Transformation, JobVertex>();
    for (const node of this.nodes) {
      const head = chainHead.get(node)!;
      const nodeMax = node.maxParallelism ?? maxParallelism;
      let vertex = vertices.get(head);
      if (!vertex) {
        vertex = { id: operatorIds.get(head)!, name: '', parallelism: parallelism.get(head)!, maxParallelism: nodeMax, slotSharingGroup: slotSharingGroup.get(head)!, operators: [] };
        vertices.set(head, vertex);
      }
      vertex.operators.push(descriptors.get(node)!);
      vertex.maxParallelism = Math.max(vertex.maxParallelism, nodeMax);
    }
    for (const vertex of vertices.values()) vertex.name = vertex.operators.map((o) => o.name).join(' -> ');

    const edges: JobEdge[] = [];
    for (const node of this.nodes) {
      if (chainHead.get(node) !== node) continue;
      for (const input of node.inputs) {
        const edge: JobEdge = {
          source: vertices.get(chainHead.get(input.node)!)!.id,
          target: vertices.get(node)!.id,
          partitioning: edgeOf(node, input),
        };
        if (input.sideOutput) edge.sideOutput = input.sideOutput;
        if (input.inputIndex) edge.inputIndex = input.inputIndex;
        if (input.keySelector) {
          const keyFnId = `${operatorIds.get(node)}/key${node.inputs.indexOf(input)}`;
          functions.set(keyFnId, input.keySelector);
          edge.keySelector = keyFnId;
        }
        edges.push(edge);
      }
    }

    const graph: JobGraph = {
      version: 1,
      name: this.settings.name,
      maxParallelism,
      vertices: [...vertices.values()],
      edges,
      config: this.settings.config,
    };
    try {
      validateJobGraph(graph);
    } catch (error) {
      throw new InvalidJobError(`invalid job '${graph.name}': ${(error as Error).message}`, { cause: error });
    }
    return { graph, functions };
  }
}

/**
 * The slot sharing group of an operator that sets none (Flink's rule): the
 * group of its inputs when they all agree, else `default` (sources too).
 */
function inheritedSlotSharingGroup(inputGroups: string[]): string {
  const [first] = inputGroups;
  return first !== undefined && inputGroups.every((g) => g === first) ? first : DEFAULT_SLOT_SHARING_GROUP;
}
