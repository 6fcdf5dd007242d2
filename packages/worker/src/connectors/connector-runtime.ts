// The contract between the worker and a connector's runtime module: which operator factories it offers, by kind.
import type { ChainedOperator, Emit, OperatorContext, SourceOperator } from '../runtime/operator.ts';

/** Builds a connector's source operator, the head of a source task. */
export type ConnectorSourceFactory = (ctx: OperatorContext, next: Emit) => SourceOperator;

/** Builds a connector's sink operator, the end of a chain. */
export type ConnectorSinkFactory = (ctx: OperatorContext) => ChainedOperator;

/**
 * What a connector's runtime module exports as its default export (e.g.
 * `@weir/connector-kafka/runtime`): the worker runs the `source.connector`
 * and `sink.connector` operators whose descriptor names `name` with these
 * factories. A worker loads it into every slot thread when started with
 * `--connector <module>` (or `WEIR_CONNECTORS`).
 */
export interface ConnectorRuntime {
  /** The name job graphs use for it (the descriptor's `connector.name`), e.g. `kafka`. */
  readonly name: string;
  /** Factories by operator kind: what `source.connector` and `sink.connector` operators of this connector are built with. */
  readonly operators: {
    readonly source?: ConnectorSourceFactory;
    readonly sink?: ConnectorSinkFactory;
  };
}
