import type { OperatorKind, Partitioning } from '@weir/common/job';

/** An input of a transformation: where records come from and how they are spread. */
export interface TransformationInput {
  node: Transformation;
  partitioning: Partitioning | undefined;
  keySelector: ((record: never) => unknown) | undefined;
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
  readonly fn: unknown;
  readonly config: Record<string, unknown>;
  readonly inputs: TransformationInput[];
}
