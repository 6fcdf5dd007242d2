import type {
  AggregateFunction,
  AggregatingStateDescriptorSpec,
  ListStateDescriptorSpec,
  MapStateDescriptorSpec,
  MapStateKeyType,
  ReducingStateDescriptorSpec,
  StateDescriptorOptions,
  StateKind,
  StateTtlConfig,
  ValueStateDescriptorSpec,
} from '@weir/common';

// Descriptors are created where the job is defined (module top level or the
// job function), which runs on the client and on every worker: checking them
// here reports a mistake when the job is submitted.

const DESCRIPTOR_CLASS: Record<StateKind, string> = {
  value: 'ValueStateDescriptor',
  list: 'ListStateDescriptor',
  map: 'MapStateDescriptor',
  reducing: 'ReducingStateDescriptor',
  aggregating: 'AggregatingStateDescriptor',
};

function checkName(kind: StateKind, name: unknown): string {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`${DESCRIPTOR_CLASS[kind]}: the state name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  return name;
}

/** A frozen copy of a TTL config with the update type filled in, or undefined. */
function checkTtl(kind: StateKind, name: string, ttl: StateTtlConfig | undefined): StateTtlConfig | undefined {
  if (ttl === undefined) return undefined;
  const where = `${DESCRIPTOR_CLASS[kind]} '${name}'`;
  if (typeof ttl !== 'object' || ttl === null) throw new TypeError(`${where}: ttl must be an object { ttlMs, updateType? }`);
  if (typeof ttl.ttlMs !== 'number' || !Number.isFinite(ttl.ttlMs) || ttl.ttlMs <= 0) {
    throw new RangeError(`${where}: ttl.ttlMs must be a finite number of milliseconds > 0, got ${String(ttl.ttlMs)}`);
  }
  const updateType = ttl.updateType ?? 'OnCreateAndWrite';
  if (updateType !== 'OnCreateAndWrite' && updateType !== 'OnReadAndWrite') {
    throw new RangeError(`${where}: ttl.updateType must be 'OnCreateAndWrite' or 'OnReadAndWrite', got ${JSON.stringify(updateType)}`);
  }
  return Object.freeze({ ttlMs: ttl.ttlMs, updateType });
}

/** What a descriptor's last argument resolves to. */
interface ResolvedOptions {
  ttl: StateTtlConfig | undefined;
  serializer: 'msgpack' | 'json';
  version: number;
  migrate: ((value: unknown, fromVersion: number) => unknown) | undefined;
}

const OPTION_KEYS = new Set(['ttl', 'serializer', 'version', 'migrate']);

/**
 * Reads a descriptor's last argument: a TTL config (`{ ttlMs }`, as before
 * options existed) or options `{ ttl?, serializer?, version?, migrate? }`.
 */
function checkOptions(kind: StateKind, name: string, arg: StateTtlConfig | StateDescriptorOptions | undefined): ResolvedOptions {
  const where = `${DESCRIPTOR_CLASS[kind]} '${name}'`;
  if (arg === undefined) return { ttl: undefined, serializer: 'msgpack', version: 1, migrate: undefined };
  if (typeof arg !== 'object' || arg === null) throw new TypeError(`${where}: the options must be an object { ttl?, serializer?, version?, migrate? }`);
  if ('ttlMs' in arg) return { ttl: checkTtl(kind, name, arg), serializer: 'msgpack', version: 1, migrate: undefined };
  const options = arg as StateDescriptorOptions;
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw new TypeError(`${where}: unknown option '${key}'; the options are ttl, serializer, version and migrate`);
  }
  const serializer = options.serializer ?? 'msgpack';
  if (serializer !== 'msgpack' && serializer !== 'json') throw new RangeError(`${where}: serializer must be 'msgpack' or 'json', got ${JSON.stringify(serializer)}`);
  const version = options.version ?? 1;
  if (!Number.isSafeInteger(version) || version < 1) throw new RangeError(`${where}: version must be an integer >= 1, got ${String(version)}`);
  if (options.migrate !== undefined) checkFunction(kind, name, 'migrate', options.migrate);
  return { ttl: checkTtl(kind, name, options.ttl), serializer, version, migrate: options.migrate };
}

/** What every descriptor class has: its name and options, checked when it is created. */
abstract class StateDescriptorBase {
  readonly name: string;
  readonly ttl: StateTtlConfig | undefined;
  readonly serializer: 'msgpack' | 'json';
  readonly version: number;
  readonly migrate: ((value: unknown, fromVersion: number) => unknown) | undefined;

  protected constructor(kind: StateKind, name: string, options: StateTtlConfig | StateDescriptorOptions | undefined) {
    this.name = checkName(kind, name);
    const resolved = checkOptions(kind, this.name, options);
    this.ttl = resolved.ttl;
    this.serializer = resolved.serializer;
    this.version = resolved.version;
    this.migrate = resolved.migrate;
  }
}

function checkFunction(kind: StateKind, name: string, what: string, fn: unknown): void {
  if (typeof fn !== 'function') throw new TypeError(`${DESCRIPTOR_CLASS[kind]} '${name}': ${what} must be a function, got ${typeof fn}`);
}

/**
 * Declares a ValueState: one value per key, read with `ctx.getState(descriptor)`.
 *
 * @example
 * const count = new ValueStateDescriptor<number>('count', 0);
 * // in processElement: const s = ctx.getState(count); s.update((s.value() ?? 0) + 1);
 *
 * @example
 * // Forget a key's value an hour after it was last written:
 * const lastSeen = new ValueStateDescriptor<number>('last-seen', undefined, { ttlMs: 3_600_000 });
 */
export class ValueStateDescriptor<T> extends StateDescriptorBase implements ValueStateDescriptorSpec<T> {
  readonly kind = 'value' as const;
  readonly defaultValue: T | undefined;
  /**
   * @param name unique among the operator's states; it names the state in checkpoints
   * @param defaultValue what `value()` returns for a key with no value yet (or an expired one)
   * @param options optional `{ ttl, serializer, version, migrate }` (see {@link StateDescriptorOptions}), or a TTL config alone: expiry of values
   */
  constructor(name: string, defaultValue?: T, options?: StateTtlConfig | StateDescriptorOptions) {
    super('value', name, options);
    this.defaultValue = defaultValue;
  }
}

/**
 * Declares a ListState: a list of values per key, read with
 * `ctx.getListState(descriptor)`. Each key's list is stored as one array, so
 * every change writes the whole list: keep per-key lists modest.
 *
 * @example
 * const recent = new ListStateDescriptor<number>('recent-amounts');
 * // in processElement:
 * const list = ctx.getListState(recent);
 * list.add(event.amount);
 * if (list.get().length > 10) list.update(list.get().slice(-10));
 */
export class ListStateDescriptor<T> extends StateDescriptorBase implements ListStateDescriptorSpec<T> {
  readonly kind = 'list' as const;
  /** Type-level marker of the element type; never set at runtime. */
  declare readonly __stateType?: (element: T) => T;
  /**
   * @param name unique among the operator's states; it names the state in checkpoints
   * @param options optional `{ ttl, serializer, version, migrate }` (see {@link StateDescriptorOptions}), or a TTL config alone: expiry of a key's whole list
   */
  constructor(name: string, options?: StateTtlConfig | StateDescriptorOptions) {
    super('list', name, options);
  }
}

/**
 * The arguments of {@link MapStateDescriptor} after the name: the key type
 * (required, `'number'`, when the keys are numbers: they are stored as text
 * and converted back), then optional options (or a TTL config alone).
 */
export type MapStateDescriptorArgs<K extends string | number> = [K] extends [number]
  ? [keyType: 'number', options?: StateTtlConfig | StateDescriptorOptions]
  : [keyType?: 'string', options?: StateTtlConfig | StateDescriptorOptions];

/**
 * Declares a MapState: a map of user keys to values per key, read with
 * `ctx.getMapState(descriptor)`. Each key's map is stored as one plain
 * object. String keys are the default; number keys need `'number'` as the
 * second argument, so that keys come back as numbers. With a key type that
 * mixes strings and numbers, keys come back as strings.
 *
 * @example
 * const perPage = new MapStateDescriptor<string, number>('views-per-page');
 * // in processElement:
 * const views = ctx.getMapState(perPage);
 * views.put(event.page, (views.get(event.page) ?? 0) + 1);
 *
 * @example
 * const perHour = new MapStateDescriptor<number, number>('per-hour', 'number', { ttlMs: 86_400_000 });
 * // ctx.getMapState(perHour).keys() returns numbers
 */
export class MapStateDescriptor<K extends string | number, V> extends StateDescriptorBase implements MapStateDescriptorSpec<K, V> {
  readonly kind = 'map' as const;
  readonly keyType: MapStateKeyType;
  /** Type-level marker of the key and value types; never set at runtime. */
  declare readonly __stateType?: (entry: [K, V]) => [K, V];
  /**
   * @param name unique among the operator's states; it names the state in checkpoints
   * @param args the key type (`'number'` for number keys, else optional `'string'`), then an optional TTL of a key's whole map
   */
  constructor(name: string, ...args: MapStateDescriptorArgs<K>) {
    super('map', name, args[1]);
    const keyType = args[0] as MapStateKeyType | undefined;
    if (keyType !== undefined && keyType !== 'string' && keyType !== 'number') {
      throw new RangeError(`MapStateDescriptor '${this.name}': the key type must be 'string' or 'number', got ${JSON.stringify(keyType)}`);
    }
    this.keyType = keyType ?? 'string';
  }
}

/**
 * Declares a ReducingState: one value per key that every added value is
 * combined into with `reduceFunction`, read with `ctx.getReducingState(descriptor)`.
 * The function receives a copy of the stored value, so it may change it in
 * place; it must return the new value.
 *
 * @example
 * const total = new ReducingStateDescriptor<number>('total', (a, b) => a + b);
 * // in processElement:
 * const sum = ctx.getReducingState(total);
 * sum.add(event.amount);
 * out.collect({ key: ctx.currentKey, total: sum.get() });
 */
export class ReducingStateDescriptor<T> extends StateDescriptorBase implements ReducingStateDescriptorSpec<T> {
  readonly kind = 'reducing' as const;
  readonly reduceFunction: (accumulated: T, value: T) => T;
  /**
   * @param name unique among the operator's states; it names the state in checkpoints
   * @param reduceFunction combines the stored value with an added one
   * @param options optional `{ ttl, serializer, version, migrate }` (see {@link StateDescriptorOptions}), or a TTL config alone: expiry of values
   */
  constructor(name: string, reduceFunction: (accumulated: T, value: T) => T, options?: StateTtlConfig | StateDescriptorOptions) {
    super('reducing', name, options);
    checkFunction('reducing', this.name, 'the reduce function', reduceFunction);
    this.reduceFunction = reduceFunction;
  }
}

/**
 * Declares an AggregatingState: one accumulator per key that every added
 * value is aggregated into, read with `ctx.getAggregatingState(descriptor)`;
 * `get()` returns `getResult` of the accumulator. `add` and `getResult`
 * receive a copy of the stored accumulator, so they may change it in place.
 *
 * @example
 * const average = new AggregatingStateDescriptor('average', {
 *   createAccumulator: () => ({ sum: 0, count: 0 }),
 *   add: (value: number, acc: { sum: number; count: number }) => {
 *     acc.sum += value;
 *     acc.count++;
 *     return acc;
 *   },
 *   getResult: (acc) => acc.sum / acc.count,
 * });
 * // in processElement:
 * const avg = ctx.getAggregatingState(average);
 * avg.add(event.amount);
 * out.collect({ key: ctx.currentKey, average: avg.get() });
 */
export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptorBase implements AggregatingStateDescriptorSpec<IN, ACC, OUT> {
  readonly kind = 'aggregating' as const;
  readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>;
  /**
   * @param name unique among the operator's states; it names the state in checkpoints
   * @param aggregateFunction `{ createAccumulator, add, getResult }`
   * @param options optional `{ ttl, serializer, version, migrate }` (see {@link StateDescriptorOptions}), or a TTL config alone: expiry of the accumulator
   */
  constructor(name: string, aggregateFunction: AggregateFunction<IN, ACC, OUT>, options?: StateTtlConfig | StateDescriptorOptions) {
    super('aggregating', name, options);
    if (typeof aggregateFunction !== 'object' || aggregateFunction === null) {
      throw new TypeError(`AggregatingStateDescriptor '${this.name}': the aggregate function must be an object { createAccumulator, add, getResult }`);
    }
    checkFunction('aggregating', this.name, 'createAccumulator', aggregateFunction.createAccumulator);
    checkFunction('aggregating', this.name, 'add', aggregateFunction.add);
    checkFunction('aggregating', this.name, 'getResult', aggregateFunction.getResult);
    this.aggregateFunction = aggregateFunction;
  }
}
