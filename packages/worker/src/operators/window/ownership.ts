/**
 * Which stored objects the window operator may change in place. Keyed state
 * values are replaced, never changed, while a heap snapshot may share them;
 * copying a key's windows and accumulator for every record is costly, so the
 * operator copies a stored object once after each checkpoint and changes
 * its own copy in place until the next one: an object it made after the
 * last snapshot belongs to no snapshot. `reset()` runs when a checkpoint
 * starts (before the backend's snapshot is taken).
 */
export class Ownership {
  private owned = new WeakSet<object>();

  /** A checkpoint is starting: everything stored so far may be shared with its snapshot. */
  reset(): void {
    this.owned = new WeakSet<object>();
  }

  /** Marks a fresh object as this operator's to change. */
  claim<T>(value: T): T {
    if (typeof value === 'object' && value !== null) this.owned.add(value);
    return value;
  }

  /** `value` itself if it is this operator's, else a deep copy that is. */
  deep<T>(value: T): T {
    if (typeof value !== 'object' || value === null || this.owned.has(value)) return value;
    return this.claim(structuredClone(value));
  }

  /** `value` itself if it is this operator's, else a shallow copy (an array or a plain object) that is. */
  shallow<T extends object>(value: T): T {
    if (this.owned.has(value)) return value;
    return this.claim((Array.isArray(value) ? [...value] : { ...value }) as T);
  }
}
