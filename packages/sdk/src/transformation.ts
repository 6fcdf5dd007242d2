import type { ConnectorRef, OperatorKind, Partitioning } from '@weir/common';

/** An input of a transformation: where records come from and how they are spread. */
export interface TransformationInput {
  node: Transformation;
  partitioning: Partitioning | undefined;
  keySelector: ((record: never) => unknown) | undefined;
  /** Read the input's side output with this tag instead of its main output. */
  sideOutput?: string;
  /** The input of a two-input operator this edge feeds: 1 for the second; absent for the first. */
  inputIndex?: 1;
}

/** How an operator may be chained with its neighbours. */
export type ChainingStrategy = 'always' | 'never' | 'head';

/**
 * One node of the logical plan, created by each DataStream call. The
 * JobGraph compiler turns these into chained vertices.
 */
export interface Transformation {
  readonly index: number;
  readonly kind: OperatorKind;
  name: string;
  uid: string | undefined;
  parallelism: number | undefined;
  maxParallelism: number | undefined;
  chaining: ChainingStrategy;
  /** The slot sharing group set on this operator; unset: inherited from its inputs (see JobBuilder). */
  slotSharingGroup: string | undefined;
  readonly fn: unknown;
  /** Further user functions by role (timestamp assigner, deserializers, ...). */
  readonly functions?: Record<string, unknown>;
  readonly config: Record<string, unknown>;
  /** For `source.connector` and `sink.connector`: the connector that runs it. */
  connector?: ConnectorRef;
  readonly inputs: TransformationInput[];
}
