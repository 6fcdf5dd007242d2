import {
  ValidationError,
  type Collector,
  type CoFlatMapFunction,
  type CoMapFunction,
  type CoProcessFunction,
  type KeyedCoProcessFunction,
  type OperatorKind,
} from '@weir/common';
import { declaredStates, type KeyedFunctionOptions } from './declared-states.ts';
import type { DataStream, KeySelector } from './data-stream.ts';
import type { JobBuilder } from './job-builder.ts';
import type { Transformation, TransformationInput } from './transformation.ts';

/** Wraps an operator's node in a DataStream (handed in by DataStream, so this module needs it as a type only). */
export type ToStream = <O>(node: Transformation) => DataStream<O>;

/** The two inputs of a connected stream as edges, and where the result goes. */
interface Inputs {
  readonly builder: JobBuilder;
  readonly first: TransformationInput;
  readonly second: TransformationInput;
  readonly toStream: ToStream;
}

function addTwoInput<O>(inputs: Inputs, kind: OperatorKind, name: string, fn: unknown, config: Record<string, unknown> = {}, functions?: Record<string, unknown>): DataStream<O> {
  const node = inputs.builder.addNode(kind, name, fn, config, [inputs.first, { ...inputs.second, inputIndex: 1 }], functions);
  return inputs.toStream<O>(node);
}

function coMapAsProcess<I1, I2, O>(fn1: CoMapFunction<I1, I2, O> | ((v: I1) => O), fn2: ((v: I2) => O) | undefined): KeyedCoProcessFunction<unknown, I1, I2, O> {
  const [map1, map2] = typeof fn1 === 'function' ? [fn1, fn2] : [fn1.map1.bind(fn1), fn1.map2.bind(fn1)];
  if (typeof map1 !== 'function' || typeof map2 !== 'function') {
    throw new ValidationError('map() on connected streams takes two functions (one per input) or a CoMapFunction { map1, map2 }');
  }
  return { processElement1: (v, _ctx, out) => out.collect(map1(v)), processElement2: (v, _ctx, out) => out.collect(map2(v)) };
}

function coFlatMapAsProcess<I1, I2, O>(
  fn1: CoFlatMapFunction<I1, I2, O> | ((v: I1) => Iterable<O>),
  fn2: ((v: I2) => Iterable<O>) | undefined,
): KeyedCoProcessFunction<unknown, I1, I2, O> {
  if (typeof fn1 === 'object' && fn1 !== null && typeof fn1.flatMap1 === 'function' && typeof fn1.flatMap2 === 'function') {
    return { processElement1: (v, _ctx, out) => fn1.flatMap1(v, out), processElement2: (v, _ctx, out) => fn1.flatMap2(v, out) };
  }
  if (typeof fn1 !== 'function' || typeof fn2 !== 'function') {
    throw new ValidationError('flatMap() on connected streams takes two functions returning iterables (one per input) or a CoFlatMapFunction { flatMap1, flatMap2 }');
  }
  const emitAll = <T>(items: Iterable<T> | null | undefined, out: Collector<T>): void => {
    if (items != null) for (const item of items) out.collect(item);
  };
  return { processElement1: (v, _ctx, out) => emitAll(fn1(v), out), processElement2: (v, _ctx, out) => emitAll(fn2(v), out) };
}

function needProcessFunction(fn: unknown, what: string): void {
  const f = fn as Partial<CoProcessFunction<unknown, unknown, unknown>> | null;
  if (typeof f !== 'object' || f === null || typeof f.processElement1 !== 'function' || typeof f.processElement2 !== 'function') {
    throw new ValidationError(`process() on connected streams takes a ${what}: an object { processElement1, processElement2${what.startsWith('Keyed') ? ', onTimer?' : ''} }`);
  }
}

/**
 * Two streams of possibly different types connected for one operator
 * (Flink's ConnectedStreams), made by `a.connect(b)`: each input has its own
 * function, and the operator's event time is the minimum of both inputs'
 * watermarks. Key both sides (`keyBy(ka, kb)`) for keyed state and timers.
 */
export class ConnectedStreams<I1, I2> {
  private readonly inputs: Inputs;

  /** @internal Use `a.connect(b)`. */
  constructor(builder: JobBuilder, first: TransformationInput, second: TransformationInput, toStream: ToStream) {
    if (first.node === second.node && first.sideOutput === second.sideOutput) {
      throw new ValidationError('connect() joins two different streams: to connect a stream with itself, map one side first (e.g. s.connect(s.map((x) => x)))');
    }
    this.inputs = { builder, first, second, toStream };
  }

  /** Maps each record of the first input with `fn1` and of the second with `fn2` (Flink's CoMap). */
  map<O>(fn1: (value: I1) => O, fn2: (value: I2) => O): DataStream<O>;
  /** Maps the records of both inputs with a CoMapFunction `{ map1, map2 }`. */
  map<O>(fn: CoMapFunction<I1, I2, O>): DataStream<O>;
  map<O>(fn1: CoMapFunction<I1, I2, O> | ((value: I1) => O), fn2?: (value: I2) => O): DataStream<O> {
    return addTwoInput<O>(this.inputs, 'co.process', 'CoMap', coMapAsProcess(fn1, fn2));
  }

  /** Maps each record of either input to zero or more records (any iterable), one function per input (Flink's CoFlatMap). */
  flatMap<O>(fn1: (value: I1) => Iterable<O>, fn2: (value: I2) => Iterable<O>): DataStream<O>;
  /** Maps with a CoFlatMapFunction `{ flatMap1(value, out), flatMap2(value, out) }`. */
  flatMap<O>(fn: CoFlatMapFunction<I1, I2, O>): DataStream<O>;
  flatMap<O>(fn1: CoFlatMapFunction<I1, I2, O> | ((value: I1) => Iterable<O>), fn2?: (value: I2) => Iterable<O>): DataStream<O> {
    return addTwoInput<O>(this.inputs, 'co.process', 'CoFlatMap', coFlatMapAsProcess(fn1, fn2));
  }

  /**
   * Runs a CoProcessFunction: `processElement1` per record of the first
   * input, `processElement2` of the second, with side outputs. Timers and
   * keyed state need keyed inputs: `keyBy(ka, kb).process(...)`.
   */
  process<O>(fn: CoProcessFunction<I1, I2, O>): DataStream<O> {
    needProcessFunction(fn, 'CoProcessFunction');
    return addTwoInput<O>(this.inputs, 'co.process', 'CoProcess', fn);
  }

  /** Keys both inputs (Flink's `connected.keyBy(k1, k2)`): records with equal keys of either input meet in one subtask. */
  keyBy<K>(key1: KeySelector<I1, K>, key2: KeySelector<I2, K>): KeyedConnectedStreams<I1, I2, K> {
    const { builder, first, second, toStream } = this.inputs;
    const keyed = (input: TransformationInput, selector: unknown): TransformationInput => ({
      ...input,
      partitioning: 'hash',
      keySelector: selector as (record: never) => unknown,
    });
    return new KeyedConnectedStreams<I1, I2, K>(builder, keyed(first, key1), keyed(second, key2), toStream);
  }
}

/**
 * Two connected streams keyed alike (`keyedA.connect(keyedB)` or
 * `a.connect(b).keyBy(ka, kb)`): both inputs share each key's state and
 * timers (Flink's KeyedCoProcessOperator).
 *
 * ```ts
 * persons.keyBy((p) => p.id).connect(auctions.keyBy((a) => a.seller)).process({
 *   processElement1(person, ctx, out) { ctx.getState(personState).update(person); },
 *   processElement2(auction, ctx, out) { ... },
 * });
 * ```
 */
export class KeyedConnectedStreams<I1, I2, K> {
  private readonly inputs: Inputs;

  /** @internal Use `keyedA.connect(keyedB)` or `connected.keyBy(k1, k2)`. */
  constructor(builder: JobBuilder, first: TransformationInput, second: TransformationInput, toStream: ToStream) {
    if (!first.keySelector || !second.keySelector) throw new ValidationError('both inputs of keyed connected streams need a key selector');
    this.inputs = { builder, first, second, toStream };
  }

  /** Maps each record of either input with its function (Flink's CoMap on keyed inputs). */
  map<O>(fn1: (value: I1) => O, fn2: (value: I2) => O): DataStream<O>;
  map<O>(fn: CoMapFunction<I1, I2, O>): DataStream<O>;
  map<O>(fn1: CoMapFunction<I1, I2, O> | ((value: I1) => O), fn2?: (value: I2) => O): DataStream<O> {
    return addTwoInput<O>(this.inputs, 'keyed.coProcess', 'CoMap', coMapAsProcess(fn1, fn2));
  }

  /** Maps each record of either input to zero or more records (Flink's CoFlatMap on keyed inputs). */
  flatMap<O>(fn1: (value: I1) => Iterable<O>, fn2: (value: I2) => Iterable<O>): DataStream<O>;
  flatMap<O>(fn: CoFlatMapFunction<I1, I2, O>): DataStream<O>;
  flatMap<O>(fn1: CoFlatMapFunction<I1, I2, O> | ((value: I1) => Iterable<O>), fn2?: (value: I2) => Iterable<O>): DataStream<O> {
    return addTwoInput<O>(this.inputs, 'keyed.coProcess', 'CoFlatMap', coFlatMapAsProcess(fn1, fn2));
  }

  /**
   * Runs a KeyedCoProcessFunction: `processElement1`/`processElement2` per
   * record of each input and `onTimer` per timer, with the key's state
   * (shared by both inputs), event- and processing-time timers and side
   * outputs. State and timers are checkpointed and restored. Declare the
   * states it uses, `{ states: [...] }` (or `states` on the function), so a
   * restore checks them against the savepoint before any record flows.
   */
  process<O>(fn: KeyedCoProcessFunction<K, I1, I2, O>, options?: KeyedFunctionOptions): DataStream<O> {
    needProcessFunction(fn, 'KeyedCoProcessFunction');
    const states = declaredStates('keyed connected process()', fn, options);
    return addTwoInput<O>(this.inputs, 'keyed.coProcess', 'KeyedCoProcess', fn, {}, states ? { states } : undefined);
  }

  /** @internal The operator with both keyed inputs (the interval join uses it). */
  addOperator<O>(kind: OperatorKind, name: string, fn: unknown, config: Record<string, unknown>): DataStream<O> {
    return addTwoInput<O>(this.inputs, kind, name, fn, config);
  }
}
