// The broadcast state of one subtask (Flink's BROADCAST operator state): the
// maps named by the operator's descriptors, held in memory, snapshotted with
// every checkpoint and restored from the copy the coordinator hands over.
import { InvalidJobError, type BroadcastState, type BroadcastStateDescriptorSpec, type ReadOnlyBroadcastState } from '@weir/common/runtime';

/** Each broadcast state's entries by name, as checkpoints hold them. */
export type BroadcastStateSnapshot = Record<string, [unknown, unknown][]>;

/**
 * A frozen deep copy of `value`, which must be JSON data (broadcast state
 * travels in the checkpoint metadata as JSON); throws naming `where` and the
 * path of the first value that is not.
 */
export function frozenJsonCopy(value: unknown, where: string, path = ''): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
  } else if (Array.isArray(value)) {
    return Object.freeze(value.map((item, i) => frozenJsonCopy(item, where, `${path}[${i}]`)));
  } else if (typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) copy[k] = frozenJsonCopy(v, where, `${path}.${k}`);
    return Object.freeze(copy);
  }
  const what = value === undefined ? 'undefined' : typeof value === 'number' ? String(value) : typeof value === 'object' ? `a ${value.constructor?.name ?? 'non-plain object'}` : `a ${typeof value}`;
  throw new TypeError(
    `${where}: the value holds ${what}${path ? ` at ${path}` : ''}; broadcast state is kept as JSON in checkpoints: store JSON data (strings, finite numbers, booleans, null, arrays, plain objects), e.g. a Date as its epoch milliseconds`,
  );
}

function checkKey(key: unknown, where: string): void {
  if (typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key))) return;
  throw new TypeError(`${where}: a key must be a string or a finite number, got ${typeof key === 'number' ? String(key) : typeof key}`);
}

/** One broadcast state: its map and the views user functions get. */
class BroadcastMap {
  readonly entries: Map<unknown, unknown>;
  readonly readOnly: ReadOnlyBroadcastState<unknown, unknown>;
  readonly readWrite: BroadcastState<unknown, unknown>;

  constructor(label: string, restored: [unknown, unknown][] | undefined) {
    const map = new Map<unknown, unknown>();
    for (const [key, value] of restored ?? []) map.set(key, frozenJsonCopy(value, label));
    this.entries = map;
    const readOnly: ReadOnlyBroadcastState<unknown, unknown> = {
      get: (key) => map.get(key),
      contains: (key) => map.has(key),
      entries: () => [...map],
      keys: () => [...map.keys()],
      values: () => [...map.values()],
      get size() {
        return map.size;
      },
    };
    this.readOnly = Object.freeze(readOnly);
    const put = (key: unknown, value: unknown): void => {
      checkKey(key, label);
      map.set(key, frozenJsonCopy(value, `${label} (key ${JSON.stringify(key)})`));
    };
    this.readWrite = Object.freeze({
      get: readOnly.get,
      contains: readOnly.contains,
      entries: readOnly.entries,
      keys: readOnly.keys,
      values: readOnly.values,
      get size() {
        return map.size;
      },
      put,
      putAll(entries) {
        const pairs = Array.isArray(entries) ? entries : entries instanceof Map ? [...entries] : Object.entries(entries);
        for (const [key, value] of pairs as [unknown, unknown][]) put(key, value);
      },
      remove: (key) => void map.delete(key),
      clear: () => map.clear(),
    } satisfies BroadcastState<unknown, unknown>);
  }
}

/**
 * The broadcast states an operator declared (`stream.broadcast(d1, d2, ...)`,
 * by name), restored from `restored`. Values are frozen JSON copies, so a
 * snapshot shares them safely and `processElement` cannot change them.
 */
export class BroadcastStateStore {
  private readonly maps = new Map<string, BroadcastMap>();
  private readonly operatorName: string;

  constructor(operatorName: string, names: readonly string[], restored: BroadcastStateSnapshot | undefined) {
    this.operatorName = operatorName;
    for (const name of names) this.maps.set(name, new BroadcastMap(`broadcast state '${name}' of '${operatorName}'`, restored?.[name]));
  }

  /** The read-only view of the state `descriptor` names (for `processElement` and `onTimer`). */
  readOnly<K extends string | number, V>(descriptor: BroadcastStateDescriptorSpec<K, V>): ReadOnlyBroadcastState<K, V> {
    return this.find(descriptor).readOnly as ReadOnlyBroadcastState<K, V>;
  }

  /** The view to change the state `descriptor` names (for `processBroadcastElement`). */
  readWrite<K extends string | number, V>(descriptor: BroadcastStateDescriptorSpec<K, V>): BroadcastState<K, V> {
    return this.find(descriptor).readWrite as BroadcastState<K, V>;
  }

  /** Every state's entries (values are frozen: the snapshot shares them). */
  snapshot(): BroadcastStateSnapshot {
    const snapshot: BroadcastStateSnapshot = {};
    for (const [name, map] of this.maps) snapshot[name] = [...map.entries];
    return snapshot;
  }

  private find(descriptor: { readonly name?: unknown } | null): BroadcastMap {
    const name = typeof descriptor === 'object' && descriptor !== null ? descriptor.name : undefined;
    const map = typeof name === 'string' ? this.maps.get(name) : undefined;
    if (!map) {
      const known = [...this.maps.keys()].map((n) => `'${n}'`).join(', ');
      throw new InvalidJobError(
        `getBroadcastState(): '${this.operatorName}' has no broadcast state ${name === undefined ? '(not a state descriptor)' : `'${String(name)}'`}; its broadcast states are ${known}: pass the descriptor to stream.broadcast(...) or use one of those`,
      );
    }
    return map;
  }
}
