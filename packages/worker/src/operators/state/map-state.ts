import type { MapState, MapStateKeyType } from '@weir/common/runtime';
import type { SlotAccess, StateSlot } from './state-slot.ts';

type StoredMap = Record<string, unknown>;
type UserKey = string | number;

/**
 * MapState over a {@link StateSlot}: the stored value is a non-empty plain
 * object whose property names are the user keys as text (an empty map is no
 * value). Every change stores a new object. With key type `'number'`, keys
 * must be numbers (not NaN), are stored as `String(key)` and come back through
 * `Number()`; with `'string'`, strings and numbers are accepted and keys come
 * back as strings. `'__proto__'` is refused: msgpack renames it on the way
 * back from RocksDB and checkpoints.
 */
export class BoundMapState implements MapState<UserKey, unknown> {
  private readonly slot: StateSlot;
  private readonly keyType: MapStateKeyType;

  constructor(slot: StateSlot, keyType: MapStateKeyType) {
    this.slot = slot;
    this.keyType = keyType;
  }

  get(key: UserKey): unknown {
    const name = this.storedKey(key, 'get');
    const map = this.current('read');
    return map !== undefined && Object.hasOwn(map, name) ? map[name] : undefined;
  }

  contains(key: UserKey): boolean {
    const name = this.storedKey(key, 'contains');
    const map = this.current('read');
    return map !== undefined && Object.hasOwn(map, name);
  }

  put(key: UserKey, value: unknown): void {
    const name = this.storedKey(key, 'put');
    // Spread defines own properties, so the copy is exact.
    const next: StoredMap = { ...this.current('write') };
    next[name] = value;
    this.slot.set(next);
  }

  putAll(entries: Readonly<Record<UserKey, unknown>> | ReadonlyMap<UserKey, unknown> | readonly (readonly [UserKey, unknown])[]): void {
    const pairs: [string, unknown][] = [];
    if (Array.isArray(entries) || entries instanceof Map) {
      for (const pair of entries as Iterable<readonly [UserKey, unknown]>) {
        if (!Array.isArray(pair)) throw new TypeError(`${this.slot.label}: putAll() takes [key, value] pairs, got ${typeof pair}`);
        pairs.push([this.storedKey(pair[0], 'putAll'), pair[1]]);
      }
    } else if (typeof entries === 'object' && entries !== null) {
      for (const [name, value] of Object.entries(entries)) pairs.push([this.storedKey(this.recordKey(name), 'putAll'), value]);
    } else {
      throw new TypeError(`${this.slot.label}: putAll() takes a record, a Map or an array of [key, value] pairs, got ${typeof entries}`);
    }
    if (pairs.length === 0) return;
    const next: StoredMap = { ...this.current('write') };
    for (const [name, value] of pairs) next[name] = value;
    this.slot.set(next);
  }

  remove(key: UserKey): void {
    const name = this.storedKey(key, 'remove');
    const map = this.current('write');
    if (map === undefined || !Object.hasOwn(map, name)) return;
    const next: StoredMap = { ...map };
    delete next[name];
    if (Object.keys(next).length > 0) this.slot.set(next);
    else this.slot.delete();
  }

  keys(): UserKey[] {
    const map = this.current('read');
    return map === undefined ? [] : Object.keys(map).map((name) => this.userKey(name));
  }

  values(): unknown[] {
    const map = this.current('read');
    return map === undefined ? [] : Object.values(map);
  }

  entries(): [UserKey, unknown][] {
    const map = this.current('read');
    return map === undefined ? [] : Object.entries(map).map(([name, value]) => [this.userKey(name), value]);
  }

  isEmpty(): boolean {
    return this.current('read') === undefined;
  }

  clear(): void {
    this.slot.delete();
  }

  private current(access: SlotAccess): Readonly<StoredMap> | undefined {
    const stored = this.slot.get(access);
    if (stored === undefined) return undefined;
    if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) {
      throw new Error(`${this.slot.label}: the stored value of the current key is not a map`);
    }
    return stored as StoredMap;
  }

  /** A record's property name as a user key (number keys of a record arrive as text). */
  private recordKey(name: string): UserKey {
    return this.keyType === 'number' && name.trim() !== '' ? Number(name) : name;
  }

  /** The property name a user key is stored under. */
  private storedKey(key: unknown, method: string): string {
    if (this.keyType === 'number') {
      if (typeof key !== 'number' || Number.isNaN(key)) {
        throw new TypeError(`${this.slot.label}: ${method}() needs a number key (the descriptor's key type is 'number'), got ${describe(key)}`);
      }
      return String(key);
    }
    if (typeof key === 'number') return String(key);
    if (typeof key !== 'string') throw new TypeError(`${this.slot.label}: ${method}() needs a string or number key, got ${describe(key)}`);
    if (key === '__proto__') throw new RangeError(`${this.slot.label}: '__proto__' cannot be a map state key`);
    return key;
  }

  private userKey(name: string): UserKey {
    return this.keyType === 'number' ? Number(name) : name;
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' ? String(value) : typeof value;
}
