import type {
  AggregateFunction,
  AggregatingStateDescriptorSpec,
  ListStateDescriptorSpec,
  MapStateDescriptorSpec,
  MapStateKeyType,
  ReducingStateDescriptorSpec,
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
export class ValueStateDescriptor<T> implements ValueStateDescriptorSpec<T> {
  readonly kind = 'value' as const;
  readonly name: string;
  readonly defaultValue: T | undefined;
  readonly ttl: StateTtlConfig | undefined;
  /**
   * @param name unique among the operator's states; it names the state in checkpoints
   * @param defaultValue what `value()` returns for a key with no value yet (or an expired one)
   * @param ttl optional expiry of values (see {@link StateTtlConfig})
   */
  constructor(name: string, defaultValue?: T, ttl?: StateTtlConfig) {
    this.name = checkName('value', name);
    this.defaultValue = defaultValue;
    this.ttl = checkTtl('value', this.name, ttl);
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
export class ListStateDescriptor<T> implements ListStateDescriptorSpec<T> {
  readonly kind = 'list' as const;
  readonly name: string;
  readonly ttl: StateTtlConfig | undefined;
  /** Type-level marker of the element type; never set at runtime. */
  declare readonly __stateType?: (element: T) => T;
  /**
   * @param name unique among the operator's states; it names the state in checkpoints
   * @param ttl optional expiry of a key's whole list (see {@link StateTtlConfig})
   */
  constructor(name: string, ttl?: StateTtlConfig) {
    this.name = checkName('list', name);
    this.ttl = checkTtl('list', this.name, ttl);
  }
}

/**
 * The arguments of {@link MapStateDescriptor} after the name: the key type
 * (required, `'number'`, when the keys are numbers: they are stored as text
 * and converted back), then an optional TTL.
 */
export type MapStateDescriptorArgs<K extends string | number> = [K] extends [number]
  ? [keyType: 'number', ttl?: StateTtlConfig]
  : [keyType?: 'string', ttl?: StateTtlConfig];

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
export class MapStateDescriptor<K extends string | number, V> implements MapStateDescriptorSpec<K, V> {
  readonly kind = 'map' as const;
  readonly name: string;
  readonly keyType: MapStateKeyType;
  readonly ttl: StateTtlConfig | undefined;
  /** Type-level marker of the key and value types; never set at runtime. */
  declare readonly __stateType?: (entry: [K, V]) => [K, V];
  /**
   * @param name unique among the operator's states; it names the state in checkpoints
   * @param args the key type (`'number'` for number keys, else optional `'string'`), then an optional TTL of a key's whole map
   */
  constructor(name: string, ...args: MapStateDescriptorArgs<K>) {
    this.name = checkName('map', name);
    const [keyType, ttl] = args as [MapStateKeyType | undefined, StateTtlConfig | undefined];
    if (keyType !== undefined && keyType !== 'string' && keyType !== 'number') {
      throw new RangeError(`MapStateDescriptor '${this.name}': the key type must be 'string' or 'number', got ${JSON.stringify(keyType)}`);
    }
    this.keyType = keyType ?? 'string';
    this.ttl = checkTtl('map', this.name, ttl);
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
export class ReducingStateDescriptor<T> implements ReducingStateDescriptorSpec<T> {
  readonly kind = 'reducing' as const;
  readonly name: string;
  readonly reduceFunction: (accumulated: T, value: T) => T;
  readonly ttl: StateTtlConfig | undefined;
  /**
   * @param name unique among the operator's states; it names the state in checkpoints
   * @param reduceFunction combines the stored value with an added one
   * @param ttl optional expiry of values (see {@link StateTtlConfig})
   */
  constructor(name: string, reduceFunction: (accumulated: T, value: T) => T, ttl?: StateTtlConfig) {
    this.name = checkName('reducing', name);
    checkFunction('reducing', this.name, 'the reduce function', reduceFunction);
    this.reduceFunction = reduceFunction;
    this.ttl = checkTtl('reducing', this.name, ttl);
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
export class AggregatingStateDescriptor<IN, ACC, OUT> implements AggregatingStateDescriptorSpec<IN, ACC, OUT> {
  readonly kind = 'aggregating' as const;
  readonly name: string;
  readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>;
  readonly ttl: StateTtlConfig | undefined;
  /**
   * @param name unique among the operator's states; it names the state in checkpoints
   * @param aggregateFunction `{ createAccumulator, add, getResult }`
   * @param ttl optional expiry of the accumulator (see {@link StateTtlConfig})
   */
  constructor(name: string, aggregateFunction: AggregateFunction<IN, ACC, OUT>, ttl?: StateTtlConfig) {
    this.name = checkName('aggregating', name);
    if (typeof aggregateFunction !== 'object' || aggregateFunction === null) {
      throw new TypeError(`AggregatingStateDescriptor '${this.name}': the aggregate function must be an object { createAccumulator, add, getResult }`);
    }
    checkFunction('aggregating', this.name, 'createAccumulator', aggregateFunction.createAccumulator);
    checkFunction('aggregating', this.name, 'add', aggregateFunction.add);
    checkFunction('aggregating', this.name, 'getResult', aggregateFunction.getResult);
    this.aggregateFunction = aggregateFunction;
    this.ttl = checkTtl('aggregating', this.name, ttl);
  }
}
