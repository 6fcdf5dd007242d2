import type { StateTtlConfig } from '@weir/common/runtime';

/** A checked TTL config. */
export interface StateTtl {
  readonly ttlMs: number;
  /** True for `OnReadAndWrite`: reads refresh the timestamp too. */
  readonly refreshOnRead: boolean;
}

/**
 * A value stored with TTL: the user's value and when it was last written
 * (or, with `OnReadAndWrite`, last read), in milliseconds of processing time.
 * Values of states without TTL are stored bare.
 */
export interface TtlValue {
  v: unknown;
  t: number;
}

/** Checks a descriptor's TTL config (descriptors may be hand-made plain objects). */
export function resolveTtl(label: string, ttl: StateTtlConfig | undefined): StateTtl | undefined {
  if (ttl === undefined || ttl === null) return undefined;
  if (typeof ttl !== 'object') throw new TypeError(`${label}: ttl must be an object { ttlMs, updateType? }`);
  if (typeof ttl.ttlMs !== 'number' || !Number.isFinite(ttl.ttlMs) || ttl.ttlMs <= 0) {
    throw new RangeError(`${label}: ttl.ttlMs must be a finite number of milliseconds > 0, got ${String(ttl.ttlMs)}`);
  }
  const updateType = ttl.updateType ?? 'OnCreateAndWrite';
  if (updateType !== 'OnCreateAndWrite' && updateType !== 'OnReadAndWrite') {
    throw new RangeError(`${label}: ttl.updateType must be 'OnCreateAndWrite' or 'OnReadAndWrite', got ${JSON.stringify(updateType)}`);
  }
  return { ttlMs: ttl.ttlMs, refreshOnRead: updateType === 'OnReadAndWrite' };
}

/** Whether two states declare the same TTL. */
export function sameTtl(a: StateTtl | undefined, b: StateTtl | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.ttlMs === b.ttlMs && a.refreshOnRead === b.refreshOnRead);
}

/** Describes a TTL config for error messages. */
export function describeTtl(ttl: StateTtl | undefined): string {
  return ttl === undefined ? 'no TTL' : `TTL ${ttl.ttlMs} ms (${ttl.refreshOnRead ? 'OnReadAndWrite' : 'OnCreateAndWrite'})`;
}

/** Whether a stored value has the shape of a {@link TtlValue}. */
export function isTtlValue(stored: unknown): stored is TtlValue {
  return typeof stored === 'object' && stored !== null && typeof (stored as TtlValue).t === 'number' && 'v' in stored;
}

/** Whether a value last touched at `t` has expired at `now` (as Flink: expired once `t + ttl <= now`). */
export function isExpired(ttl: StateTtl, t: number, now: number): boolean {
  return t + ttl.ttlMs <= now;
}
