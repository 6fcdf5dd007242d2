import { compareStateMetadata, InvalidJobError, stateMetadataOf, StateMigrationError, stateMigrationMessage, type StateMetadata } from '@weir/common/runtime';
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
import { migrateStoredValue, StateSlot, type KeyScope } from './state-slot.ts';
import { BoundValueState } from './value-state.ts';

/** Options of a {@link KeyedStateStore}. */
export interface KeyedStateStoreOptions {
  /** Processing time for TTL, in milliseconds (default `Date.now`); tests inject their own. */
  clock?: () => number;
  /** The operator's uid, for errors. */
  operatorUid?: string;
  /** The states of the checkpoint the operator is restored from: a state used now must fit its entry. */
  restored?: readonly StateMetadata[];
  /** The descriptors the user function declares up front: checked against `restored` at once. */
  declared?: readonly StateDescriptorSpec[];
}

/** A state restored from an older schema version, whose stored values are migrated as the backend restores. */
export interface StateMigration {
  /** The backend table of the state. */
  readonly table: string;
  /** Migrates one stored value (as the table holds it: with its TTL wrapper, as JSON text when so serialized). */
  migrate(stored: unknown): unknown;
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
  metadata: StateMetadata;
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
  private readonly operatorUid: string;
  private readonly restored: ReadonlyMap<string, StateMetadata>;
  private readonly upfront = new Map<string, StateMetadata>();
  /** The migrations of declared states restored from an older version (see {@link migrations}). */
  readonly migrations: StateMigration[] = [];

  /**
   * @throws StateMigrationError when a declared state does not fit the restored one of its name
   */
  constructor(backend: KeyedStateBackend, options: KeyedStateStoreOptions = {}) {
    this.backend = backend;
    this.clock = options.clock ?? Date.now;
    this.operatorUid = options.operatorUid ?? '';
    this.restored = new Map((options.restored ?? []).map((s) => [s.name, s]));
    for (const descriptor of options.declared ?? []) {
      const metadata = this.checkRestored(descriptor, true);
      this.upfront.set(descriptor.name, metadata);
      const saved = this.restored.get(descriptor.name);
      if (saved && saved.version !== metadata.version && descriptor.migrate) {
        const migrate = descriptor.migrate;
        const fromVersion = saved.version;
        const hasTtl = descriptor.ttl !== undefined && descriptor.ttl !== null;
        this.migrations.push({ table: tableName(descriptor.kind, descriptor.name), migrate: (stored) => migrateStoredValue(stored, hasTtl, metadata.serializer, (v) => migrate(v, fromVersion)) });
      }
    }
  }

  /** The states this operator has now: those restored, then those declared or used (which replace a restored one of their name). */
  states(): StateMetadata[] {
    const byName = new Map([...this.restored, ...this.upfront]);
    for (const [name, declaration] of this.declared) byName.set(name, declaration.metadata);
    return [...byName.values()];
  }

  /**
   * The metadata of `descriptor`, checked against the restored state of its
   * name. Only a state declared up front (`upfront`) can migrate: its values
   * are rewritten while the backend restores, before any record.
   */
  private checkRestored(descriptor: StateDescriptorSpec, upfront = false): StateMetadata {
    if (!upfront && this.upfront.has(descriptor.name)) return this.upfront.get(descriptor.name)!;
    const { migrates: _migrates, ...metadata } = stateMetadataOf(descriptor);
    const saved = this.restored.get(descriptor.name);
    if (saved) {
      const fit = compareStateMetadata(saved, stateMetadataOf(descriptor));
      if (!fit.fits) throw new StateMigrationError(this.operatorUid, descriptor.name, stateMigrationMessage(this.operatorUid, saved, metadata, fit.reason));
      if (fit.migrates && !upfront) {
        const reason = `a migration runs on restore, for states declared up front only: declare it with process(fn, { states: [descriptor] }) (or states on the function)`;
        throw new StateMigrationError(this.operatorUid, descriptor.name, stateMigrationMessage(this.operatorUid, saved, metadata, reason));
      }
    }
    return metadata;
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
      this.declared.set(name, { metadata: this.checkRestored(descriptor), kind, ttl, keyType });
    } else if (earlier.kind !== kind) {
      throw new InvalidJobError(
        `keyed state '${name}' is used as both ${STATE_TYPE[earlier.kind]} and ${STATE_TYPE[kind]}: ` + 'a state name belongs to one kind of state; give each state its own name',
      );
    } else if (!sameTtl(earlier.ttl, ttl)) {
      throw new InvalidJobError(`${label} is declared with ${describeTtl(earlier.ttl)} and with ${describeTtl(ttl)}: every descriptor of a state must agree`);
    } else if (earlier.keyType !== keyType) {
      throw new InvalidJobError(`${label} is declared with key type '${earlier.keyType}' and with '${keyType}': every descriptor of a state must agree`);
    }

    const slot = new StateSlot(label, this.backend.table(tableName(kind, name)), this.scope, ttl, this.clock, this.declared.get(name)!.metadata.serializer);
    const state = create(slot, keyType);
    this.bound.set(descriptor, state);
    return state;
  }
}
