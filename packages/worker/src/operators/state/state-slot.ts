import { NonRecoverableError, type StateSerializer } from '@weir/common/runtime';
import type { StateTable } from '../../state-backends/keyed-state-backend.ts';
import { isExpired, isTtlValue, type StateTtl } from './state-ttl.ts';

/** The key whose state is being accessed (the canonical text of the current record's key). */
export interface KeyScope {
  key: string;
}

/** What a state value is read for: a user's read (refreshes an `OnReadAndWrite` TTL) or a read before a write. */
export type SlotAccess = 'read' | 'write';

/**
 * The current key's value in one state table: what every state kind is
 * built on. Applies TTL: with TTL, values are stored as `{ v, t }` and read
 * as absent (and deleted) once expired; without, they are stored bare.
 * With the `json` serializer the user's value is stored as its JSON text
 * (inside the TTL wrapper, when there is one).
 *
 * Values are replaced, never changed in place: the heap backend's snapshot
 * is a shallow copy of the tables, and the RocksDB backend writes back only
 * what was `set`.
 */
export class StateSlot {
  /** "ListState 'name'", for error messages. */
  readonly label: string;
  private readonly table: StateTable;
  private readonly scope: KeyScope;
  private readonly ttl: StateTtl | undefined;
  private readonly clock: () => number;
  private readonly json: boolean;

  constructor(label: string, table: StateTable, scope: KeyScope, ttl: StateTtl | undefined, clock: () => number, serializer: StateSerializer = 'msgpack') {
    this.label = label;
    this.table = table;
    this.scope = scope;
    this.ttl = ttl;
    this.clock = clock;
    this.json = serializer === 'json';
  }

  private decode(stored: unknown): unknown {
    if (!this.json || stored === undefined) return stored;
    if (typeof stored !== 'string') {
      throw new NonRecoverableError(`${this.label} is declared with serializer 'json', but key ${JSON.stringify(this.scope.key)} holds a value not written as JSON: keep the serializer it was written with`);
    }
    return JSON.parse(stored);
  }

  private encode(value: unknown): unknown {
    return this.json ? JSON.stringify(value) : value;
  }

  /** The current key's value, or undefined when it has none or it expired (then it is deleted). */
  get(access: SlotAccess): unknown {
    const key = this.scope.key;
    const stored = this.table.get(key);
    const ttl = this.ttl;
    if (ttl === undefined || stored === undefined) return this.decode(stored);
    if (!isTtlValue(stored)) {
      throw new NonRecoverableError(
        `${this.label} declares a TTL, but key ${JSON.stringify(key)} holds a value stored without one ` +
          '(state written without TTL cannot be read with TTL: give the state a new name)',
      );
    }
    const now = this.clock();
    if (isExpired(ttl, stored.t, now)) {
      this.table.delete(key);
      return undefined;
    }
    if (access === 'read' && ttl.refreshOnRead && stored.t !== now) this.table.set(key, { v: stored.v, t: now });
    return this.decode(stored.v);
  }

  /** Stores `value` (not undefined) for the current key, with the current time when the state has TTL. */
  set(value: unknown): void {
    const encoded = this.encode(value);
    this.table.set(this.scope.key, this.ttl === undefined ? encoded : { v: encoded, t: this.clock() });
  }

  delete(): void {
    this.table.delete(this.scope.key);
  }
}

/**
 * Rewrites one stored value of a state with `migrate` (a state restored from
 * an older schema version): unwraps TTL and JSON, migrates, wraps again.
 */
export function migrateStoredValue(stored: unknown, hasTtl: boolean, serializer: StateSerializer, migrate: (value: unknown) => unknown): unknown {
  const inner = hasTtl && isTtlValue(stored) ? stored.v : stored;
  const value = serializer === 'json' && typeof inner === 'string' ? JSON.parse(inner) : inner;
  const migrated = migrate(value);
  const encoded = serializer === 'json' ? JSON.stringify(migrated) : migrated;
  return hasTtl && isTtlValue(stored) ? { v: encoded, t: stored.t } : encoded;
}
