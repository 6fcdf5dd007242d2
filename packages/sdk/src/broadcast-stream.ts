import {
  ValidationError,
  type BroadcastProcessFunction,
  type BroadcastStateDescriptorSpec,
  type KeyedBroadcastProcessFunction,
  type OperatorKind,
} from '@weir/common';
import type { ToStream } from './connected-streams.ts';
import type { DataStream } from './data-stream.ts';
import type { JobBuilder } from './job-builder.ts';
import type { TransformationInput } from './transformation.ts';

/** Any MapStateDescriptor, whatever its key and value types, as `broadcast()` takes them. */
export type AnyBroadcastStateDescriptor = Pick<BroadcastStateDescriptorSpec<string, unknown>, 'kind' | 'name' | 'ttl'>;

/** Checks the descriptors given to `stream.broadcast(...)`: MapStateDescriptors with distinct names and no TTL. */
function checkDescriptors(descriptors: readonly AnyBroadcastStateDescriptor[]): string[] {
  if (descriptors.length === 0) throw new ValidationError('broadcast(descriptor, ...) needs at least one MapStateDescriptor naming a broadcast state');
  const names: string[] = [];
  for (const d of descriptors) {
    if (typeof d !== 'object' || d === null || d.kind !== 'map' || typeof d.name !== 'string' || d.name === '') {
      throw new ValidationError('broadcast() takes MapStateDescriptors, e.g. stream.broadcast(new MapStateDescriptor<string, Rule>(\'rules\'))');
    }
    if (d.ttl !== undefined) throw new ValidationError(`broadcast state '${d.name}': broadcast state does not expire; declare its MapStateDescriptor without a TTL`);
    if (names.includes(d.name)) throw new ValidationError(`broadcast(): two descriptors name the broadcast state '${d.name}'; give each state its own name`);
    names.push(d.name);
  }
  return names;
}

/**
 * A stream whose records go to every subtask of the operator it is connected
 * to, with the broadcast states its descriptors declare (Flink's
 * BroadcastStream), made by `stream.broadcast(descriptor, ...)`. Connect a
 * keyed or non-keyed stream to it: `events.keyBy(k).connect(rules).process(fn)`.
 */
export class BroadcastStream<T> {
  declare private readonly _type: T;
  /** @internal */
  readonly builder: JobBuilder;
  /** @internal The broadcast edge. */
  readonly input: TransformationInput;
  /** @internal The names of the broadcast states. */
  readonly stateNames: readonly string[];

  /** @internal Use `stream.broadcast(descriptor, ...)`. */
  constructor(builder: JobBuilder, input: TransformationInput, descriptors: readonly AnyBroadcastStateDescriptor[]) {
    this.builder = builder;
    this.input = { ...input, partitioning: 'broadcast', keySelector: undefined };
    this.stateNames = checkDescriptors(descriptors);
  }
}

function addBroadcastOperator<O>(kind: OperatorKind, name: string, first: TransformationInput, broadcast: BroadcastStream<unknown>, fn: unknown, toStream: ToStream): DataStream<O> {
  const f = fn as { processElement?: unknown; processBroadcastElement?: unknown } | null;
  if (typeof f !== 'object' || f === null || typeof f.processElement !== 'function' || typeof f.processBroadcastElement !== 'function') {
    throw new ValidationError(`process() on a stream connected with a broadcast stream takes a ${name}Function: an object { processElement, processBroadcastElement${kind === 'keyed.broadcastProcess' ? ', onTimer?' : ''} }`);
  }
  const node = broadcast.builder.addNode(kind, name, fn, { broadcastStates: [...broadcast.stateNames] }, [first, { ...broadcast.input, inputIndex: 1 }]);
  return toStream<O>(node);
}

/**
 * A non-keyed stream connected with a broadcast stream (Flink's
 * BroadcastConnectedStream), made by `stream.connect(broadcastStream)`.
 */
export class BroadcastConnectedStream<I1, I2> {
  private readonly first: TransformationInput;
  private readonly broadcast: BroadcastStream<I2>;
  private readonly toStream: ToStream;

  /** @internal Use `stream.connect(broadcastStream)`. */
  constructor(first: TransformationInput, broadcast: BroadcastStream<I2>, toStream: ToStream) {
    this.first = first;
    this.broadcast = broadcast;
    this.toStream = toStream;
  }

  /**
   * Runs a BroadcastProcessFunction: `processElement` per record of this
   * stream with the broadcast state read-only, `processBroadcastElement` per
   * record of the broadcast stream (every subtask gets each) with the
   * broadcast state to change. Broadcast state is checkpointed and restored
   * on every subtask, at any parallelism.
   */
  process<O>(fn: BroadcastProcessFunction<I1, I2, O>): DataStream<O> {
    return addBroadcastOperator<O>('co.broadcastProcess', 'BroadcastProcess', this.first, this.broadcast as BroadcastStream<unknown>, fn, this.toStream);
  }
}

/**
 * A keyed stream connected with a broadcast stream (Flink's
 * BroadcastConnectedStream on a KeyedStream), made by
 * `keyed.connect(broadcastStream)`.
 *
 * ```ts
 * const rules = new MapStateDescriptor<string, Rule>('rules');
 * events.keyBy((e) => e.user).connect(ruleStream.broadcast(rules)).process({
 *   processElement(event, ctx, out) { const rule = ctx.getBroadcastState(rules).get(event.kind); ... },
 *   processBroadcastElement(rule, ctx, out) { ctx.getBroadcastState(rules).put(rule.kind, rule); },
 * });
 * ```
 */
export class KeyedBroadcastConnectedStream<I1, I2, K> {
  private readonly first: TransformationInput;
  private readonly broadcast: BroadcastStream<I2>;
  private readonly toStream: ToStream;
  declare private readonly _key: K;

  /** @internal Use `keyed.connect(broadcastStream)`. */
  constructor(first: TransformationInput, broadcast: BroadcastStream<I2>, toStream: ToStream) {
    this.first = first;
    this.broadcast = broadcast;
    this.toStream = toStream;
  }

  /**
   * Runs a KeyedBroadcastProcessFunction: `processElement` per record of the
   * keyed stream with the key's state and timers (event and processing
   * time), side outputs and the broadcast state read-only;
   * `processBroadcastElement` per record of the broadcast stream with the
   * broadcast state to change and `ctx.applyToKeyedState(descriptor, fn)`
   * over every key's state; `onTimer` per timer. Keyed state, timers and
   * broadcast state are checkpointed and restored.
   */
  process<O>(fn: KeyedBroadcastProcessFunction<K, I1, I2, O>): DataStream<O> {
    return addBroadcastOperator<O>('keyed.broadcastProcess', 'KeyedBroadcastProcess', this.first, this.broadcast as BroadcastStream<unknown>, fn, this.toStream);
  }
}
