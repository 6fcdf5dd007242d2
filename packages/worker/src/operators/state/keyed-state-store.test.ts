import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  AggregatingStateDescriptorSpec,
  ListStateDescriptorSpec,
  MapStateDescriptorSpec,
  ReducingStateDescriptorSpec,
  StateTtlConfig,
  ValueStateDescriptorSpec,
} from '@weir/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HeapKeyedStateBackend } from '../../state-backends/heap-keyed-state-backend.ts';
import type { KeyedStateBackend } from '../../state-backends/keyed-state-backend.ts';
import { readKeyedStateFile } from '../../state-backends/keyed-state-file.ts';
import { RocksDBKeyedStateBackend } from '../../state-backends/rocksdb-keyed-state-backend.ts';
import { KeyedStateStore } from './keyed-state-store.ts';

// Descriptors as plain objects: the worker sees whatever object the job passes
// (the SDK's classes are tested in the SDK).
const value = <T>(name: string, defaultValue?: T, ttl?: StateTtlConfig): ValueStateDescriptorSpec<T> => ({ kind: 'value', name, defaultValue, ttl });
const list = <T>(name: string, ttl?: StateTtlConfig): ListStateDescriptorSpec<T> => ({ kind: 'list', name, ttl });
const map = <K extends string | number, V>(name: string, keyType: 'string' | 'number' = 'string', ttl?: StateTtlConfig): MapStateDescriptorSpec<K, V> => ({
  kind: 'map',
  name,
  keyType,
  ttl,
});
const reducing = <T>(name: string, reduceFunction: (a: T, b: T) => T, ttl?: StateTtlConfig): ReducingStateDescriptorSpec<T> => ({ kind: 'reducing', name, reduceFunction, ttl });

interface Avg {
  sum: number;
  count: number;
  seen: number[];
}
/** An aggregate function in Flink's idiom: it changes the accumulator in place and returns it. */
const average = (name: string, ttl?: StateTtlConfig): AggregatingStateDescriptorSpec<number, Avg, number> & { created: number } => {
  const descriptor = {
    kind: 'aggregating' as const,
    name,
    ttl,
    created: 0,
    aggregateFunction: {
      createAccumulator: (): Avg => {
        descriptor.created++;
        return { sum: 0, count: 0, seen: [] };
      },
      add: (v: number, acc: Avg): Avg => {
        acc.sum += v;
        acc.count++;
        acc.seen.push(v);
        return acc;
      },
      getResult: (acc: Avg): number => acc.sum / acc.count,
    },
  };
  return descriptor;
};

const MAX = 128;
const ALL = { start: 0, end: MAX - 1 };

let root: string;
let dbCount = 0;
const toClose: KeyedStateBackend[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'weir-keyed-state-store-'));
});

afterEach(async () => {
  for (const backend of toClose.splice(0)) await backend.close();
  await rm(root, { recursive: true, force: true });
});

type BackendKind = 'heap' | 'rocksdb';

async function openBackend(kind: BackendKind): Promise<KeyedStateBackend> {
  // No cache: every batch reads from RocksDB, so every value goes through msgpack.
  const backend = kind === 'heap' ? new HeapKeyedStateBackend(ALL, MAX) : await RocksDBKeyedStateBackend.open({ directory: join(root, `db${dbCount++}`), keyGroupRange: ALL, maxParallelism: MAX, cacheEntries: 0 });
  toClose.push(backend);
  return backend;
}

/** A store over a backend of one kind, used as the runtime uses it: one batch at a time. */
class Harness {
  readonly kind: BackendKind;
  backend!: KeyedStateBackend;
  store!: KeyedStateStore;
  /** The injected processing time. */
  now = 1_000_000;

  constructor(kind: BackendKind) {
    this.kind = kind;
  }

  async open(): Promise<this> {
    this.backend = await openBackend(this.kind);
    this.store = new KeyedStateStore(this.backend, { clock: () => this.now });
    return this;
  }

  /** Runs `fn` for `key` as a batch: prefetch the key, access state synchronously, flush. */
  async at<T>(key: string, fn: () => T): Promise<T> {
    await this.backend.prefetch?.([key]);
    this.store.setCurrentKey(key);
    const result = fn();
    await this.backend.flush?.();
    return result;
  }

  /** What the backend holds for (table, key), bypassing the store. */
  async raw(table: string, key: string): Promise<unknown> {
    await this.backend.prefetch?.([key]);
    return this.backend.table(table).get(key);
  }

  /** Snapshots the state to a file and restores it into a fresh backend of `kind` with a fresh store (as a restart does). */
  async restart(kind: BackendKind = this.kind): Promise<void> {
    const snapshot = await this.backend.snapshot();
    const handle = await snapshot.write(join(root, 'checkpoint'), `state-${dbCount++}.state`);
    snapshot.release();
    const fresh = await openBackend(kind);
    await fresh.restore(join(root, 'checkpoint'), [handle]);
    this.backend = fresh;
    this.store = new KeyedStateStore(fresh, { clock: () => this.now });
  }
}

describe.each<BackendKind>(['heap', 'rocksdb'])('keyed state on the %s backend', (kind) => {
  let h: Harness;
  beforeEach(async () => {
    h = await new Harness(kind).open();
  });

  describe('ValueState', () => {
    it('reads the default until set, keeps keys apart, and clears', async () => {
      const d = value<{ n: number }>('v', { n: -1 });
      const s = h.store.getState(d);
      expect(h.store.getState(d)).toBe(s);
      expect(await h.at('a', () => s.value())).toEqual({ n: -1 });
      await h.at('a', () => s.update({ n: 1 }));
      await h.at('b', () => s.update({ n: 2 }));
      expect(await h.at('a', () => s.value())).toEqual({ n: 1 });
      expect(await h.at('b', () => s.value())).toEqual({ n: 2 });
      await h.at('a', () => s.clear());
      await h.at('b', () => s.update(undefined as unknown as { n: number }));
      expect(await h.at('a', () => s.value())).toEqual({ n: -1 });
      expect(await h.raw('value/v', 'a')).toBeUndefined();
      expect(await h.raw('value/v', 'b')).toBeUndefined();
    });
  });

  describe('ListState', () => {
    it('adds, adds all, replaces and clears, keeping keys apart; get() returns a copy', async () => {
      const s = h.store.getListState(list<{ id: number } | string>('l'));
      expect(await h.at('a', () => s.get())).toEqual([]);
      await h.at('a', () => s.add('x'));
      await h.at('b', () => s.add('other key'));
      await h.at('a', () => s.addAll([{ id: 1 }, 'y']));
      await h.at('a', () => s.addAll([]));
      const got = await h.at('a', () => s.get());
      expect(got).toEqual(['x', { id: 1 }, 'y']);
      expect(await h.raw('list/l', 'a')).toEqual(['x', { id: 1 }, 'y']);
      // The copy: changing it changes nothing stored, even within the batch.
      expect(
        await h.at('a', () => {
          s.get().push('not stored');
          return s.get();
        }),
      ).toEqual(['x', { id: 1 }, 'y']);
      // update() stores a copy of the caller's array.
      const replacement = ['r1', 'r2'];
      await h.at('a', () => s.update(replacement));
      replacement.push('later');
      expect(await h.at('a', () => s.get())).toEqual(['r1', 'r2']);
      expect(await h.at('b', () => s.get())).toEqual(['other key']);
      await h.at('a', () => s.update([]));
      expect(await h.raw('list/l', 'a')).toBeUndefined();
      await h.at('b', () => s.clear());
      expect(await h.at('b', () => s.get())).toEqual([]);
      expect(await h.raw('list/l', 'b')).toBeUndefined();
    });

    it('refuses undefined elements and non-arrays, naming the state, and changes nothing', async () => {
      const s = h.store.getListState(list<string>('events'));
      await h.at('a', () => s.add('kept'));
      await expect(h.at('a', () => s.add(undefined as unknown as string))).rejects.toThrow(/ListState 'events': add\(\) cannot add undefined/);
      await expect(h.at('a', () => s.addAll(['ok', undefined as unknown as string]))).rejects.toThrow(/ListState 'events': addAll\(\) cannot add undefined/);
      await expect(h.at('a', () => s.update('abc' as unknown as string[]))).rejects.toThrow(/ListState 'events': update\(\) takes an array/);
      expect(await h.at('a', () => s.get())).toEqual(['kept']);
    });
  });

  describe('MapState', () => {
    it('puts, gets, removes and lists entries by string key; removing the last key clears the state', async () => {
      const s = h.store.getMapState(map<string, { n: number }>('m'));
      expect(await h.at('a', () => [s.isEmpty(), s.keys(), s.values(), s.entries(), s.get('x'), s.contains('x')])).toEqual([true, [], [], [], undefined, false]);
      await h.at('a', () => s.put('x', { n: 1 }));
      await h.at('a', () => s.putAll({ y: { n: 2 }, z: { n: 3 } }));
      await h.at('a', () => s.putAll(new Map([['w', { n: 4 }]])));
      await h.at('a', () => s.putAll([['x', { n: 10 }]]));
      await h.at('b', () => s.put('x', { n: 99 }));
      expect(await h.at('a', () => [s.get('x'), s.get('y'), s.contains('z'), s.contains('nope'), s.isEmpty()])).toEqual([{ n: 10 }, { n: 2 }, true, false, false]);
      expect(await h.at('a', () => s.entries())).toEqual([
        ['x', { n: 10 }],
        ['y', { n: 2 }],
        ['z', { n: 3 }],
        ['w', { n: 4 }],
      ]);
      expect(await h.at('a', () => [s.keys(), s.values()])).toEqual([
        ['x', 'y', 'z', 'w'],
        [{ n: 10 }, { n: 2 }, { n: 3 }, { n: 4 }],
      ]);
      // keys() is a snapshot: removing while iterating it is safe.
      await h.at('a', () => {
        for (const k of s.keys()) if (k !== 'y') s.remove(k);
      });
      await h.at('a', () => s.remove('never there'));
      expect(await h.at('a', () => s.entries())).toEqual([['y', { n: 2 }]]);
      expect(await h.raw('map/m', 'a')).toEqual({ y: { n: 2 } });
      await h.at('a', () => s.remove('y'));
      expect(await h.at('a', () => s.isEmpty())).toBe(true);
      expect(await h.raw('map/m', 'a')).toBeUndefined();
      expect(await h.at('b', () => s.get('x'))).toEqual({ n: 99 });
      await h.at('b', () => s.clear());
      expect(await h.raw('map/m', 'b')).toBeUndefined();
    });

    it('gives number keys back as numbers, also when put from a record, and refuses other keys', async () => {
      const s = h.store.getMapState(map<number, string>('by-hour', 'number'));
      await h.at('a', () => s.put(10, 'ten'));
      await h.at('a', () => s.put(-2.5, 'minus'));
      await h.at('a', () => s.putAll({ 3: 'three', 1e21: 'big' }));
      await h.at('a', () => s.putAll(new Map([[0, 'zero']])));
      const entries = await h.at('a', () => s.entries());
      expect(new Map(entries)).toEqual(
        new Map([
          [10, 'ten'],
          [-2.5, 'minus'],
          [3, 'three'],
          [1e21, 'big'],
          [0, 'zero'],
        ]),
      );
      expect((await h.at('a', () => s.keys())).every((k) => typeof k === 'number')).toBe(true);
      expect(await h.at('a', () => [s.get(3), s.contains(10), s.get(4)])).toEqual(['three', true, undefined]);
      await expect(h.at('a', () => s.put('10' as unknown as number, 'x'))).rejects.toThrow(/MapState 'by-hour': put\(\) needs a number key .*got "10"/);
      await expect(h.at('a', () => s.get(Number.NaN))).rejects.toThrow(/needs a number key/);
      await expect(h.at('a', () => s.putAll({ abc: 'x' } as unknown as Record<number, string>))).rejects.toThrow(/putAll\(\) needs a number key/);
      expect(await h.at('a', () => s.keys())).toHaveLength(5);
    });

    it('gives keys of a mixed key type back as strings and refuses __proto__', async () => {
      const s = h.store.getMapState(map<string | number, number>('mixed'));
      await h.at('a', () => s.put(1, 1));
      await h.at('a', () => s.put('1', 2));
      await h.at('a', () => s.put('constructor', 3));
      expect(await h.at('a', () => s.entries())).toEqual([
        ['1', 2],
        ['constructor', 3],
      ]);
      await expect(h.at('a', () => s.put('__proto__', 4))).rejects.toThrow(/MapState 'mixed': '__proto__' cannot be a map state key/);
      await expect(h.at('a', () => s.put({} as unknown as string, 4))).rejects.toThrow(/needs a string or number key/);
      expect(await h.at('a', () => s.get('toString'))).toBeUndefined();
    });
  });

  describe('ReducingState', () => {
    it('reduces added values per key, hands the function a copy, and clears on undefined', async () => {
      const d = reducing<{ total: number; parts: number[] }>('r', (acc, v) => {
        acc.total += v.total; // in place, as Flink reduce functions often do
        acc.parts.push(...v.parts);
        return acc;
      });
      const s = h.store.getReducingState(d);
      expect(await h.at('a', () => s.get())).toBeUndefined();
      await h.at('a', () => s.add({ total: 1, parts: [1] }));
      const [before, after] = await h.at('a', () => {
        const seen = s.get()!;
        s.add({ total: 2, parts: [2] });
        return [structuredClone(seen), seen];
      });
      // The value read before add() was not changed by the reduce function.
      expect(after).toEqual(before);
      await h.at('a', () => s.add({ total: 3, parts: [3] }));
      await h.at('b', () => s.add({ total: 100, parts: [] }));
      expect(await h.at('a', () => s.get())).toEqual({ total: 6, parts: [1, 2, 3] });
      expect(await h.at('b', () => s.get())).toEqual({ total: 100, parts: [] });
      await h.at('a', () => s.add(undefined as unknown as { total: number; parts: number[] }));
      expect(await h.raw('reducing/r', 'a')).toBeUndefined();
      await h.at('b', () => s.clear());
      expect(await h.at('b', () => s.get())).toBeUndefined();
    });

    it('refuses a reduce function that returns undefined, naming the state', async () => {
      const s = h.store.getReducingState(reducing<number>('sum', (() => undefined) as unknown as (a: number, b: number) => number));
      await h.at('a', () => s.add(1));
      await expect(h.at('a', () => s.add(2))).rejects.toThrow(/ReducingState 'sum': the reduce function returned undefined/);
      expect(await h.at('a', () => s.get())).toBe(1);
    });
  });

  describe('AggregatingState', () => {
    it('aggregates into an accumulator changed in place; get() is the result', async () => {
      const d = average('avg');
      const s = h.store.getAggregatingState(d);
      expect(await h.at('a', () => s.get())).toBeUndefined();
      for (const v of [1, 2, 6]) await h.at('a', () => s.add(v));
      await h.at('b', () => s.add(10));
      expect(await h.at('a', () => s.get())).toBe(3);
      expect(await h.at('b', () => s.get())).toBe(10);
      expect(d.created).toBe(2);
      expect(await h.raw('aggregating/avg', 'a')).toEqual({ sum: 9, count: 3, seen: [1, 2, 6] });
      await h.at('a', () => s.add(undefined as unknown as number));
      expect(await h.at('a', () => s.get())).toBeUndefined();
      await h.at('a', () => s.add(4));
      expect(await h.at('a', () => s.get())).toBe(4);
      expect(d.created).toBe(3);
    });

    it('checkpoints the accumulator as of snapshot(), though add() changes accumulators in place afterwards', async () => {
      const s = h.store.getAggregatingState(average('avg'));
      await h.at('a', () => s.add(1));
      await h.at('a', () => s.add(2));
      const snapshot = await h.backend.snapshot();
      for (const v of [3, 4, 5]) await h.at('a', () => s.add(v));
      const handle = await snapshot.write(root, 'during.state');
      snapshot.release();
      const entries = await readKeyedStateFile(root, handle, ALL);
      expect(entries.map(([, table, key, v]) => [table, key, v])).toEqual([['aggregating/avg', 'a', { sum: 3, count: 2, seen: [1, 2] }]]);
      expect(await h.at('a', () => s.get())).toBe(3);
    });

    it('refuses an add() that returns undefined, naming the state', async () => {
      const s = h.store.getAggregatingState<number, number, number>({
        kind: 'aggregating',
        name: 'broken',
        aggregateFunction: { createAccumulator: () => 0, add: (() => undefined) as unknown as () => number, getResult: (a) => a },
      });
      await expect(h.at('a', () => s.add(1))).rejects.toThrow(/AggregatingState 'broken': the aggregate function's add\(\) returned undefined/);
      expect(await h.raw('aggregating/broken', 'a')).toBeUndefined();
    });
  });

  describe('names and tables', () => {
    it('keeps each state in its own table <kind>/<name>', async () => {
      await h.at('k', () => {
        h.store.getState(value<number>('s')).update(1);
        h.store.getListState(list<number>('l')).add(2);
        h.store.getMapState(map<string, number>('m')).put('x', 3);
        h.store.getReducingState(reducing<number>('r', (a, b) => a + b)).add(4);
        h.store.getAggregatingState(average('g')).add(5);
      });
      expect([await h.raw('value/s', 'k'), await h.raw('list/l', 'k'), await h.raw('map/m', 'k'), await h.raw('reducing/r', 'k'), await h.raw('aggregating/g', 'k')]).toEqual([
        1,
        [2],
        { x: 3 },
        4,
        { sum: 5, count: 1, seen: [5] },
      ]);
    });

    it('refuses one name for two kinds, the wrong getter, and disagreeing descriptors, naming the state', async () => {
      h.store.getListState(list<number>('dup'));
      expect(() => h.store.getMapState(map<string, number>('dup'))).toThrow(/keyed state 'dup' is used as both ListState and MapState/);
      expect(() => h.store.getState(value<number>('dup'))).toThrow(/keyed state 'dup' is used as both ListState and ValueState/);
      expect(() => h.store.getState(list<number>('l2') as unknown as ValueStateDescriptorSpec<number>)).toThrow(
        /getState\(\): the descriptor of state 'l2' is a ListState descriptor: use getListState\(\)/,
      );
      expect(() => h.store.getListState({ name: 'x' } as unknown as ListStateDescriptorSpec<number>)).toThrow(/not a state descriptor/);
      h.store.getState(value<number>('timed', 0, { ttlMs: 1000 }));
      expect(() => h.store.getState(value<number>('timed', 0, { ttlMs: 2000 }))).toThrow(/ValueState 'timed' is declared with TTL 1000 ms .* and with TTL 2000 ms/);
      expect(() => h.store.getState(value<number>('timed', 0))).toThrow(/declared with TTL 1000 ms .* and with no TTL/);
      h.store.getMapState(map<string, number>('keys'));
      expect(() => h.store.getMapState(map<number, number>('keys', 'number'))).toThrow(/MapState 'keys' is declared with key type 'string' and with 'number'/);
      expect(() => h.store.getState(value<number>('bad-ttl', 0, { ttlMs: 0 }))).toThrow(/ValueState 'bad-ttl': ttl.ttlMs must be a finite number/);
      // Another descriptor object that agrees binds to the same table.
      const a = h.store.getState(value<number>('same', 0));
      const b = h.store.getState(value<number>('same', 0));
      await h.at('k', () => a.update(7));
      expect(await h.at('k', () => b.value())).toBe(7);
    });

    it('keeps every kind of state through a snapshot and a restore into a fresh backend of either type', async () => {
      const ttl = { ttlMs: 60_000 };
      const d = {
        v: value<string>('v', undefined, ttl),
        l: list<number>('l'),
        m: map<number, string>('m', 'number', ttl),
        r: reducing<number>('r', (a, b) => Math.max(a, b)),
        g: average('g', ttl),
      };
      const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
      for (const [i, key] of keys.entries()) {
        await h.at(key, () => {
          h.store.getState(d.v).update(`v${i}`);
          h.store.getListState(d.l).addAll([i, i + 1]);
          h.store.getMapState(d.m).put(i, `m${i}`);
          h.store.getReducingState(d.r).add(i);
          h.store.getReducingState(d.r).add(i - 1);
          h.store.getAggregatingState(d.g).add(i);
        });
      }
      for (const target of ['heap', 'rocksdb'] as const) {
        await h.restart(target);
        for (const [i, key] of keys.entries()) {
          const got = await h.at(key, () => [
            h.store.getState(d.v).value(),
            h.store.getListState(d.l).get(),
            h.store.getMapState(d.m).entries(),
            h.store.getReducingState(d.r).get(),
            h.store.getAggregatingState(d.g).get(),
          ]);
          expect(got).toEqual([`v${i}`, [i, i + 1], [[i, `m${i}`]], i, i]);
        }
      }
    });
  });

  describe('TTL (processing time, injected clock)', () => {
    it('OnCreateAndWrite: a value expires ttlMs after its last write, reads do not refresh it, and an expired read deletes it', async () => {
      const s = h.store.getState(value<string>('session', 'none', { ttlMs: 1000 }));
      const t0 = h.now;
      await h.at('a', () => s.update('x'));
      expect(await h.raw('value/session', 'a')).toEqual({ v: 'x', t: t0 });
      h.now = t0 + 600;
      expect(await h.at('a', () => s.value())).toBe('x');
      h.now = t0 + 999;
      expect(await h.at('a', () => s.value())).toBe('x');
      expect(await h.raw('value/session', 'a')).toEqual({ v: 'x', t: t0 });
      h.now = t0 + 1000;
      expect(await h.raw('value/session', 'a')).toEqual({ v: 'x', t: t0 }); // still stored until read
      expect(await h.at('a', () => s.value())).toBe('none');
      expect(await h.raw('value/session', 'a')).toBeUndefined();
      // A write refreshes.
      await h.at('a', () => s.update('y'));
      h.now += 900;
      await h.at('a', () => s.update('z'));
      h.now += 900;
      expect(await h.at('a', () => s.value())).toBe('z');
    });

    it('OnReadAndWrite: every read refreshes the timestamp', async () => {
      const s = h.store.getState(value<number>('hot', undefined, { ttlMs: 1000, updateType: 'OnReadAndWrite' }));
      const t0 = h.now;
      await h.at('a', () => s.update(1));
      for (let i = 1; i <= 5; i++) {
        h.now = t0 + i * 900;
        expect(await h.at('a', () => s.value())).toBe(1);
      }
      expect(await h.raw('value/hot', 'a')).toEqual({ v: 1, t: t0 + 4500 });
      h.now = t0 + 4500 + 1000;
      expect(await h.at('a', () => s.value())).toBeUndefined();
      expect(await h.raw('value/hot', 'a')).toBeUndefined();
    });

    it('expires a list, a map, a reduced value and an accumulator as a whole; writes refresh and an expired value starts afresh', async () => {
      const ttl = { ttlMs: 1000 };
      const agg = average('g', ttl);
      const l = h.store.getListState(list<number>('l', ttl));
      const m = h.store.getMapState(map<string, number>('m', 'string', ttl));
      const r = h.store.getReducingState(reducing<number>('r', (a, b) => a + b, ttl));
      const g = h.store.getAggregatingState(agg);
      const t0 = h.now;
      const write = (v: number): Promise<void> =>
        h.at('a', () => {
          l.add(v);
          m.put(`k${v}`, v);
          r.add(v);
          g.add(v);
        });
      const read = (): Promise<unknown[]> => h.at('a', () => [l.get(), m.entries(), r.get(), g.get()]);
      await write(1);
      h.now = t0 + 900;
      await write(2);
      h.now = t0 + 1800; // 1800 after the first write, 900 after the second
      expect(await read()).toEqual([
        [1, 2],
        [
          ['k1', 1],
          ['k2', 2],
        ],
        3,
        1.5,
      ]);
      h.now = t0 + 1900;
      expect(await read()).toEqual([[], [], undefined, undefined]);
      for (const table of ['list/l', 'map/m', 'reducing/r', 'aggregating/g']) expect(await h.raw(table, 'a')).toBeUndefined();
      expect(agg.created).toBe(1);
      // After expiry, writes start from nothing: no old entries come back.
      h.now = t0 + 5000;
      await write(7);
      expect(await read()).toEqual([[7], [['k7', 7]], 7, 7]);
      expect(agg.created).toBe(2);
      expect(await h.raw('list/l', 'a')).toEqual({ v: [7], t: t0 + 5000 });
      h.now = t0 + 6000;
      expect(await h.at('a', () => [m.isEmpty(), m.contains('k7'), m.get('k7')])).toEqual([true, false, undefined]);
    });

    it('keeps timestamps through a snapshot and a restore, so values expire as they would have', async () => {
      const s = h.store.getMapState(map<string, number>('m', 'string', { ttlMs: 1000 }));
      const t0 = h.now;
      await h.at('old', () => s.put('x', 1));
      h.now = t0 + 500;
      await h.at('young', () => s.put('y', 2));
      await h.restart();
      const again = h.store.getMapState(map<string, number>('m', 'string', { ttlMs: 1000 }));
      h.now = t0 + 1200;
      expect(await h.at('old', () => again.entries())).toEqual([]);
      expect(await h.at('young', () => again.entries())).toEqual([['y', 2]]);
    });

    it('refuses to read with TTL a value stored without one, naming the state', async () => {
      await h.at('a', () => h.store.getListState(list<number>('plain')).add(1));
      await h.restart();
      const timed = h.store.getListState(list<number>('plain', { ttlMs: 1000 }));
      await expect(h.at('a', () => timed.get())).rejects.toThrow(/ListState 'plain' declares a TTL, but key "a" holds a value stored without one/);
    });
  });
});
