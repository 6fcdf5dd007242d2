import type { OperatorKind } from '@weir/common';

/**
 * A source built by a connector (e.g. `KafkaSource.builder<T>()...build()`),
 * handed to `env.fromSource`. Its config is JSON; its functions (deserializers)
 * are bundled with the job.
 */
export interface Source<T> {
  readonly kind: OperatorKind;
  /** Default operator name shown by `weir status`. */
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly functions?: Record<string, unknown>;
  /** @internal type marker */
  readonly __output?: (record: T) => void;
}

/** A sink built by a connector (e.g. `KafkaSink.builder<T>()...build()`), handed to `stream.sinkTo`. */
export interface Sink<T> {
  readonly kind: OperatorKind;
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly functions?: Record<string, unknown>;
  /** @internal type marker */
  readonly __input?: (record: T) => void;
}
