// The shapes a connector's builders hand to `env.fromSource` and `stream.sinkTo`.
import type { ConnectorRef } from '@weir/common';

/**
 * A source built by a connector (e.g. `KafkaSource.builder<T>()...build()`),
 * handed to `env.fromSource`. It becomes a `source.connector` operator that
 * workers run with the connector's runtime. Its config is JSON; its
 * functions (deserializers) are bundled with the job.
 */
export interface Source<T> {
  /** The connector that runs it, and the runtime module a worker loads for it. */
  readonly connector: ConnectorRef;
  /** Default operator name shown by `weir status`. */
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly functions?: Record<string, unknown>;
  /** @internal type marker */
  readonly __output?: (record: T) => void;
}

/** A sink built by a connector (e.g. `KafkaSink.builder<T>()...build()`), handed to `stream.sinkTo`; a `sink.connector` operator. */
export interface Sink<T> {
  /** The connector that runs it, and the runtime module a worker loads for it. */
  readonly connector: ConnectorRef;
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly functions?: Record<string, unknown>;
  /** @internal type marker */
  readonly __input?: (record: T) => void;
}
