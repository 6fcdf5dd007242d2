import { InvalidJobError } from '@weir/common/runtime';
import type {
  AggregateFunction,
  AggregatingState,
  AggregatingStateDescriptorSpec,
  ListState,
  ListStateDescriptorSpec,
  MapState,
  MapStateDescriptorSpec,
  MapStateKeyType,
  ReducingState,
  ReducingStateDescriptorSpec,
  StateDescriptorSpec,
  StateKind,
  ValueState,
  ValueStateDescriptorSpec,
} from '@weir/common/runtime';
import type { KeyedStateBackend } from '../../state-backends/keyed-state-backend.ts';
import { BoundAggregatingState } from './aggregating-state.ts';
import { BoundListState } from './list-state.ts';
import { BoundMapState } from './map-state.ts';
import { BoundReducingState } from './reducing-state.ts';
import { describeTtl, resolveTtl, sameTtl, type StateTtl } from './state-ttl.ts';
import { StateSlot, type KeyScope } from './state-slot.ts';
import { BoundValueState } from './value-state.ts';

/** Options of a {@link KeyedStateStore}. */
export interface KeyedStateStoreOptions {
  /** Processing time for TTL, in milliseconds (default `Date.now`); tests inject their own. */
  clock?: () => number;
}

const STATE_TYPE: Record<StateKind, string> = {
  value: 'ValueState',
  list: 'ListState',
  map: 'MapState',
  reducing: 'ReducingState',
  aggregating: 'AggregatingState',
};

const GETTER: Record<StateKind, string> = {
  value: 'getState',
  list: 'getListState',
  map: 'getMapState',
  reducing: 'getReducingState',
  aggregating: 'getAggregatingState',
};

/** The backend table of state `name` of kind `kind`. */
function tableName(kind: StateKind, name: string): string {
  return `${kind}/${name}`;
}

/** What the first use of a state name declared; later uses must agree. */
interface Declaration {
  kind: StateKind;
  ttl: StateTtl | undefined;
  keyType: MapStateKeyType | undefined;
}

/**
 * The keyed state of one operator as user functions see it (Flink's
 * KeyedStateStore): binds state descriptors to the backend's tables and to
 * the current key. State `name` of kind `kind` lives in table `<kind>/<name>`;
 * a name belongs to one kind, with one TTL (and one key type for maps).
 * Binding is per descriptor object, so a descriptor created anew for every
 * record works too (with its own functions), at the cost of a new binding.
 */
export class KeyedStateStore {
  private readonly backend: KeyedStateBackend;
  private readonly clock: () => number;
  private readonly scope: KeyScope = { key: '' };
  private readonly declared = new Map<string, Declaration>();
  private readonly bound = new WeakMap<object, unknown>();

  constructor(backend: KeyedStateBackend, options: KeyedStateStoreOptions = {}) {
    this.backend = backend;
    this.clock = options.clock ?? Date.now;
  }

  /** Scopes every state to `key` (the canonical text of the record's key, as `keyToString` makes it). */
  setCurrentKey(key: string): void {
    this.scope.key = key;
  }

  getState<T>(descriptor: ValueStateDescriptorSpec<T>): ValueState<T> {
    return this.bind(descriptor, 'value', (slot) => new BoundValueState(slot, descriptor.defaultValue)) as ValueState<T>;
  }

  getListState<T>(descriptor: ListStateDescriptorSpec<T>): ListState<T> {
    return this.bind(descriptor, 'list', (slot) => new BoundListState(slot)) as ListState<T>;
  }

  getMapState<K extends string | number, V>(descriptor: MapStateDescriptorSpec<K, V>): MapState<K, V> {
    return this.bind(descriptor, 'map', (slot, keyType) => new BoundMapState(slot, keyType!)) as MapState<K, V>;
  }

  getReducingState<T>(descriptor: ReducingStateDescriptorSpec<T>): ReducingState<T> {
    return this.bind(descriptor, 'reducing', (slot) => {
      const reduce = descriptor.reduceFunction as unknown;
      if (typeof reduce !== 'function') throw new TypeError(`${slot.label}: the descriptor has no reduce function`);
      return new BoundReducingState(slot, reduce as (a: unknown, b: unknown) => unknown);
    }) as ReducingState<T>;
  }

  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptorSpec<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    return this.bind(descriptor, 'aggregating', (slot) => {
      const fn = descriptor.aggregateFunction as AggregateFunction<unknown, unknown, unknown> | undefined;
      if (typeof fn !== 'object' || fn === null || ['createAccumulator', 'add', 'getResult'].some((m) => typeof fn[m as keyof typeof fn] !== 'function')) {
        throw new TypeError(`${slot.label}: the descriptor's aggregate function must be an object { createAccumulator, add, getResult }`);
      }
      return new BoundAggregatingState(slot, fn);
    }) as AggregatingState<IN, OUT>;
  }

  /**
   * The state `descriptor` declares, whatever its kind, and the name of its
   * table in the backend (for `applyToKeyedState`, which visits a table's keys).
   */
  stateOf(descriptor: StateDescriptorSpec): { state: unknown; table: string } {
    const kind = typeof descriptor === 'object' && descriptor !== null ? descriptor.kind : undefined;
    const getters: Record<StateKind, (d: never) => unknown> = {
      value: (d) => this.getState(d),
      list: (d) => this.getListState(d),
      map: (d) => this.getMapState(d),
      reducing: (d) => this.getReducingState(d),
      aggregating: (d) => this.getAggregatingState(d),
    };
    if (typeof kind !== 'string' || !(kind in getters)) throw new TypeError('applyToKeyedState() takes a keyed state descriptor (ValueStateDescriptor, MapStateDescriptor, ...)');
    return { state: getters[kind](descriptor as never), table: tableName(kind as StateKind, descriptor.name) };
  }

  private bind(descriptor: StateDescriptorSpec, kind: StateKind, create: (slot: StateSlot, keyType: MapStateKeyType | undefined) => unknown): unknown {
    if (typeof descriptor !== 'object' || descriptor === null) {
      throw new TypeError(`${GETTER[kind]}() takes a state descriptor, got ${descriptor === null ? 'null' : typeof descriptor}`);
    }
    const existing = this.bound.get(descriptor);
    if (existing !== undefined) return existing;

    const { name } = descriptor;
    if (typeof name !== 'string' || name === '') throw new TypeError(`${GETTER[kind]}(): the state descriptor has no name`);
    const label = `${STATE_TYPE[kind]} '${name}'`;
    if (descriptor.kind !== kind) {
      const what = typeof descriptor.kind === 'string' && descriptor.kind in STATE_TYPE ? `a ${STATE_TYPE[descriptor.kind]} descriptor: use ${GETTER[descriptor.kind]}()` : 'not a state descriptor';
      throw new TypeError(`${GETTER[kind]}(): the descriptor of state '${name}' is ${what}`);
    }
    const ttl = resolveTtl(label, descriptor.ttl);
    let keyType: MapStateKeyType | undefined;
    if (kind === 'map') {
      const declaredKeyType = (descriptor as MapStateDescriptorSpec<string, unknown>).keyType ?? 'string';
      if (declaredKeyType !== 'string' && declaredKeyType !== 'number') {
        throw new RangeError(`${label}: the key type must be 'string' or 'number', got ${JSON.stringify(declaredKeyType)}`);
      }
      keyType = declaredKeyType;
    }

    const earlier = this.declared.get(name);
    if (earlier === undefined) {
      this.declared.set(name, { kind, ttl, keyType });
    } else if (earlier.kind !== kind) {
      throw new InvalidJobError(
        `keyed state '${name}' is used as both ${STATE_TYPE[earlier.kind]} and ${STATE_TYPE[kind]}: ` + 'a state name belongs to one kind of state; give each state its own name',
      );
    } else if (!sameTtl(earlier.ttl, ttl)) {
      throw new InvalidJobError(`${label} is declared with ${describeTtl(earlier.ttl)} and with ${describeTtl(ttl)}: every descriptor of a state must agree`);
    } else if (earlier.keyType !== keyType) {
      throw new InvalidJobError(`${label} is declared with key type '${earlier.keyType}' and with '${keyType}': every descriptor of a state must agree`);
    }

    const slot = new StateSlot(label, this.backend.table(tableName(kind, name)), this.scope, ttl, this.clock);
    const state = create(slot, keyType);
    this.bound.set(descriptor, state);
    return state;
  }
}
