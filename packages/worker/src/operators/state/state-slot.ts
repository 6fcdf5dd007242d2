import { NonRecoverableError } from '@weir/common/runtime';
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

  constructor(label: string, table: StateTable, scope: KeyScope, ttl: StateTtl | undefined, clock: () => number) {
    this.label = label;
    this.table = table;
    this.scope = scope;
    this.ttl = ttl;
    this.clock = clock;
  }

  /** The current key's value, or undefined when it has none or it expired (then it is deleted). */
  get(access: SlotAccess): unknown {
    const key = this.scope.key;
    const stored = this.table.get(key);
    const ttl = this.ttl;
    if (ttl === undefined || stored === undefined) return stored;
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
    return stored.v;
  }

  /** Stores `value` (not undefined) for the current key, with the current time when the state has TTL. */
  set(value: unknown): void {
    this.table.set(this.scope.key, this.ttl === undefined ? value : { v: value, t: this.clock() });
  }

  delete(): void {
    this.table.delete(this.scope.key);
  }
}
