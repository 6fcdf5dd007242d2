import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyGroupRangeForSubtask, murmur3String, type KeyGroupRange } from '@weir/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HeapKeyedStateBackend } from './heap-keyed-state-backend.ts';
import type { KeyedStateBackend, KeyedStateHandle } from './keyed-state-backend.ts';
import { readKeyedStateFile, type KeyedStateEntry } from './keyed-state-file.ts';
import { RocksDBKeyedStateBackend } from './rocksdb-keyed-state-backend.ts';

const MAX = 128;
const ALL: KeyGroupRange = { start: 0, end: MAX - 1 };

let root: string;
let dbCount = 0;
const open: RocksDBKeyedStateBackend[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'weir-rocksdb-state-'));
});

afterEach(async () => {
  for (const backend of open.splice(0)) await backend.close();
  await rm(root, { recursive: true, force: true });
});

async function rocks(keyGroupRange: KeyGroupRange = ALL, cacheEntries?: number, directory = join(root, `db${dbCount++}`)): Promise<RocksDBKeyedStateBackend> {
  const backend = await RocksDBKeyedStateBackend.open({ directory, keyGroupRange, maxParallelism: MAX, ...(cacheEntries === undefined ? {} : { cacheEntries }) });
  open.push(backend);
  return backend;
}

/** Independent of the code under test: the key group of a key. */
function groupOf(key: string, max = MAX): number {
  return murmur3String(key) % max;
}

/** Everything a snapshot of `backend` holds, as read back from its file (full range). */
async function dump(backend: KeyedStateBackend, name = `dump-${Math.random().toString(36).slice(2)}.state`): Promise<KeyedStateEntry[]> {
  const snapshot = await backend.snapshot();
  try {
    const handle = await snapshot.write(join(root, 'dumps'), name);
    return await readKeyedStateFile(join(root, 'dumps'), handle, ALL);
  } finally {
    snapshot.release();
  }
}

/** Entries as a sorted list of "table|key=json(value)" lines, for order-insensitive comparison. */
function lines(entries: readonly KeyedStateEntry[]): string[] {
  return entries.map(([, table, key, value]) => `${table}|${key}=${JSON.stringify(value)}`).sort();
}

function expectSortedByKeyGroup(entries: readonly KeyedStateEntry[]): void {
  for (let i = 1; i < entries.length; i++) expect(entries[i]![0]).toBeGreaterThanOrEqual(entries[i - 1]![0]);
  for (const [group, , key] of entries) expect(group).toBe(groupOf(key));
}

describe('RocksDBKeyedStateBackend cache, prefetch and flush', () => {
  it('keeps set, overwritten and deleted values across flush and cache eviction', async () => {
    const backend = await rocks(ALL, 10);
    const counts = backend.table('counts');
    const names = backend.table('names');
    const keys = Array.from({ length: 500 }, (_, i) => `user-${i}`);
    for (const [i, key] of keys.entries()) {
      counts.set(key, i);
      names.set(key, { name: `näme ${i}`, tags: [i, 'x'], ok: i % 2 === 0, none: null });
    }
    expect(backend.stats.dirtyEntries).toBe(1000);
    await backend.flush();
    expect(backend.stats.dirtyEntries).toBe(0);
    expect(backend.stats.cachedEntries).toBeLessThanOrEqual(10);

    const before = backend.stats.readBatches;
    await backend.prefetch([...keys, ...keys.slice(0, 50)]);
    expect(backend.stats.readBatches - before).toBe(1);
    for (const [i, key] of keys.entries()) {
      expect(counts.get(key)).toBe(i);
      expect(names.get(key)).toEqual({ name: `näme ${i}`, tags: [i, 'x'], ok: i % 2 === 0, none: null });
    }

    for (const [i, key] of keys.entries()) {
      if (i % 3 === 0) counts.delete(key);
      else if (i % 3 === 1) counts.set(key, i * 10);
    }
    await backend.flush();
    expect(backend.stats.cachedEntries).toBeLessThanOrEqual(10);

    await backend.prefetch([...keys, 'never-written']);
    for (const [i, key] of keys.entries()) {
      expect(counts.get(key)).toBe(i % 3 === 0 ? undefined : i % 3 === 1 ? i * 10 : i);
    }
    expect(counts.get('never-written')).toBeUndefined();
    expect(names.get('never-written')).toBeUndefined();
    expect(lines(await dump(backend))).toEqual(
      lines([
        ...keys.filter((_, i) => i % 3 !== 0).map((key, _, __): KeyedStateEntry => [0, 'counts', key, Number(key.slice(5)) % 3 === 1 ? Number(key.slice(5)) * 10 : Number(key.slice(5))]),
        ...keys.map((key): KeyedStateEntry => [0, 'names', key, { name: `näme ${key.slice(5)}`, tags: [Number(key.slice(5)), 'x'], ok: Number(key.slice(5)) % 2 === 0, none: null }]),
      ]),
    );
  });

  it('reads nothing when every key is cached, and one batch for keys of several tables', async () => {
    const backend = await rocks();
    const a = backend.table('a');
    const b = backend.table('b');
    a.set('k1', 1);
    b.set('k2', 2);
    await backend.flush();
    const before = backend.stats.readBatches;
    await backend.prefetch(['k1', 'k2']);
    expect(backend.stats.readBatches).toBe(before + 1); // (a,k2) and (b,k1) were not cached
    await backend.prefetch(['k1', 'k2', 'k1']);
    expect(backend.stats.readBatches).toBe(before + 1);
    expect([a.get('k1'), a.get('k2'), b.get('k1'), b.get('k2')]).toEqual([1, undefined, undefined, 2]);
  });

  it('keeps a value set while a prefetch of the same key is in flight', async () => {
    const backend = await rocks(ALL, 0);
    const table = backend.table('t');
    table.set('k', 'old');
    await backend.flush();
    expect(backend.stats.cachedEntries).toBe(0);
    const loading = backend.prefetch(['k']);
    table.set('k', 'new');
    await loading;
    expect(table.get('k')).toBe('new');
    await backend.flush();
    await backend.prefetch(['k']);
    expect(table.get('k')).toBe('new');
  });

  it('throws on a get of a key that was not prefetched once the table has entries on disk', async () => {
    const backend = await rocks(ALL, 0);
    const table = backend.table('reduce');
    // A table that was never written holds nothing on disk: reads need no prefetch.
    expect(table.get('a')).toBeUndefined();
    table.set('a', 41);
    expect(table.get('a')).toBe(41); // dirty entries stay cached
    await backend.flush();
    expect(backend.stats.cachedEntries).toBe(0);
    expect(() => table.get('a')).toThrow(/key "a" of table 'reduce' was not prefetched/);
    expect(() => table.get('b')).toThrow(/not prefetched/);
    await backend.prefetch(['a', 'b']);
    expect(table.get('a')).toBe(41);
    expect(table.get('b')).toBeUndefined();
    // set and delete need no prefetch
    table.set('c', 1);
    table.delete('a');
    await backend.flush();
    await backend.prefetch(['a', 'c']);
    expect([table.get('a'), table.get('c')]).toEqual([undefined, 1]);
  });

  it('rejects a flush with a value msgpack cannot encode, naming the key, and still closes', async () => {
    const backend = await rocks();
    const table = backend.table('t');
    table.set('good', 1);
    table.set('bad', Symbol('not state'));
    await expect(backend.flush()).rejects.toThrow(/key "bad" in table 't' cannot be encoded/);
    table.set('bad', 2); // fixed: the pending changes are written now
    await backend.flush();
    expect(lines(await dump(backend))).toEqual(['t|bad=2', 't|good=1']);
    await backend.close();
  });

  it('wipes what the directory held when it opens', async () => {
    const directory = join(root, 'reused');
    const first = await rocks(ALL, undefined, directory);
    first.table('t').set('k', 1);
    await first.flush();
    await first.close();
    await writeFile(join(directory, 'stray'), 'x');
    const second = await rocks(ALL, undefined, directory);
    expect(await readdir(directory)).not.toContain('stray');
    const table = second.table('t');
    await second.prefetch(['k']);
    expect(table.get('k')).toBeUndefined();
    expect(await dump(second)).toEqual([]);
  });
});

describe('RocksDBKeyedStateBackend snapshots', () => {
  it('writes the state as of snapshot(), sorted by key group, whatever changes afterwards', async () => {
    const backend = await rocks(ALL, 100);
    const table = backend.table('t');
    const keys = Array.from({ length: 3000 }, (_, i) => `k${i}`);
    for (const [i, key] of keys.entries()) table.set(key, { i });
    await backend.flush();
    table.set('k0', 'dirty at snapshot time'); // flushed by snapshot(): belongs in the file
    const expected = lines(keys.map((key, i): KeyedStateEntry => [0, 't', key, i === 0 ? 'dirty at snapshot time' : { i }]));

    const snapshot = await backend.snapshot();
    // Changes after snapshot(), flushed before the file is written...
    for (const [i, key] of keys.entries()) {
      if (i % 2 === 0) table.delete(key);
      else table.set(key, 'changed');
    }
    backend.table('later').set('k1', 'new table');
    table.set('brand-new', 1);
    await backend.flush();
    const writing = snapshot.write(root, 'snap-1.state');
    // ...and while it is being written.
    await backend.prefetch(keys.slice(0, 100));
    for (const key of keys.slice(0, 100)) table.set(key, 'during write');
    await backend.flush();
    const handle = await writing;
    snapshot.release();

    expect(handle).toMatchObject({ file: 'snap-1.state', entries: 3000, keyGroupRange: ALL });
    const entries = await readKeyedStateFile(root, handle, ALL);
    expectSortedByKeyGroup(entries);
    expect(lines(entries)).toEqual(expected);

    // The live state has the later changes.
    const now = await dump(backend);
    // 1500 odd keys, the 50 even keys among the first 100 set again, and two new entries
    expect(now).toHaveLength(1500 + 50 + 2);
    expect(lines(now)).toContain('later|k1="new table"');
  });

  it('finishes a write() whose snapshot is released before the file is written', async () => {
    const backend = await rocks();
    const table = backend.table('t');
    for (let i = 0; i < 20_000; i++) table.set(`k${i}`, i);
    const snapshot = await backend.snapshot();
    const writing = snapshot.write(root, 'early-release.state');
    snapshot.release();
    for (let i = 0; i < 20_000; i++) table.set(`k${i}`, -1);
    await backend.flush();
    const handle = await writing;
    expect(handle.entries).toBe(20_000);
    const entries = await readKeyedStateFile(root, handle, ALL);
    expect(entries.filter(([, , key, value]) => value !== Number(key.slice(1)))).toEqual([]);
  });

  it('reports a failed write() and still closes', async () => {
    const backend = await rocks();
    backend.table('t').set('k', 1);
    const snapshot = await backend.snapshot();
    const notADirectory = join(root, 'plain-file');
    await writeFile(notADirectory, 'x');
    await expect(snapshot.write(notADirectory, 'x.state')).rejects.toThrow();
    snapshot.release();
    await backend.close(); // would hang on a leaked iterator
  });

  it('rejects write() after release() and closes with a snapshot still open', async () => {
    const backend = await rocks();
    backend.table('t').set('k', 1);
    const released = await backend.snapshot();
    released.release();
    await expect(released.write(root, 'x.state')).rejects.toThrow(/released/);
    await backend.snapshot(); // never released
    await backend.close();
  });
});

describe('RocksDBKeyedStateBackend restore', () => {
  const heapState = (backend: KeyedStateBackend, n: number): void => {
    const reduce = backend.table('reduce');
    const value = backend.table('value/count');
    for (let i = 0; i < n; i++) {
      reduce.set(`user-${i}`, { sum: i, list: [i, `${i}`], nested: { deep: i % 7 === 0 } });
      if (i % 2 === 0) value.set(`{"id":${i}}`, i * 1.5);
    }
    backend.table('empty');
  };

  it('round-trips heap -> file -> RocksDB -> file -> heap in the same format', async () => {
    const heap = new HeapKeyedStateBackend(ALL, MAX);
    heapState(heap, 2000);
    const original = await dump(heap);
    expect(original).toHaveLength(3000);

    const heapSnapshot = heap.snapshot();
    const fromHeap = await heapSnapshot.write(root, 'heap.state');
    heapSnapshot.release();

    const backend = await rocks(ALL, 50);
    await backend.restore(root, [fromHeap]);
    const keys = Array.from({ length: 2000 }, (_, i) => [`user-${i}`, `{"id":${i}}`]).flat();
    await backend.prefetch(keys);
    expect(backend.table('reduce').get('user-1999')).toEqual({ sum: 1999, list: [1999, '1999'], nested: { deep: false } });
    expect(backend.table('value/count').get('{"id":4}')).toBe(6);
    expect(backend.table('value/count').get('{"id":5}')).toBeUndefined();

    const rocksSnapshot = await backend.snapshot();
    const fromRocks = await rocksSnapshot.write(root, 'rocks.state');
    rocksSnapshot.release();
    expect(fromRocks.entries).toBe(3000);
    const rocksEntries = await readKeyedStateFile(root, fromRocks, ALL);
    expectSortedByKeyGroup(rocksEntries);
    expect(lines(rocksEntries)).toEqual(lines(original));

    const heapAgain = new HeapKeyedStateBackend(ALL, MAX);
    await heapAgain.restore(root, [fromRocks]);
    expect(lines(await dump(heapAgain))).toEqual(lines(original));
  });

  it.each([
    [2, 3],
    [2, 1],
    [3, 2],
  ])('rescales state written by %i subtasks into %i subtasks, each getting exactly its key groups', async (from, to) => {
    const keys = Array.from({ length: 3000 }, (_, i) => (i % 2 === 0 ? `key-${i}` : `{"user":${i}}`));
    const handles: KeyedStateHandle[] = [];
    for (let s = 0; s < from; s++) {
      const range = keyGroupRangeForSubtask(s, from, MAX);
      const backend = await rocks(range, 100);
      for (const key of keys) {
        const group = groupOf(key);
        if (group < range.start || group > range.end) continue;
        backend.table('a').set(key, `a:${key}`);
        backend.table('b').set(key, group);
      }
      const snapshot = await backend.snapshot();
      handles.push(await snapshot.write(root, `from-${s}.state`));
      snapshot.release();
    }
    expect(handles.reduce((n, h) => n + h.entries, 0)).toBe(2 * keys.length);

    const seen = new Set<string>();
    for (let s = 0; s < to; s++) {
      const range = keyGroupRangeForSubtask(s, to, MAX);
      const backend = await rocks(range, 100);
      await backend.restore(root, handles);
      const mine = keys.filter((key) => groupOf(key) >= range.start && groupOf(key) <= range.end);
      expect(mine.length).toBeGreaterThan(0);
      const expected = mine.flatMap((key): KeyedStateEntry[] => [
        [0, 'a', key, `a:${key}`],
        [0, 'b', key, groupOf(key)],
      ]);
      const entries = await dump(backend);
      expectSortedByKeyGroup(entries);
      expect(lines(entries)).toEqual(lines(expected));
      await backend.prefetch(keys);
      for (const key of keys) expect(backend.table('a').get(key)).toBe(mine.includes(key) ? `a:${key}` : undefined);
      for (const key of mine) seen.add(key);
    }
    expect(seen.size).toBe(keys.length);
  });

  describe('rejects a damaged file, naming it', () => {
    async function written(): Promise<KeyedStateHandle> {
      const backend = await rocks();
      for (let i = 0; i < 5000; i++) backend.table('t').set(`k${i}`, i);
      const snapshot = await backend.snapshot();
      const handle = await snapshot.write(root, 'chk-7-op-1.state');
      snapshot.release();
      return handle;
    }

    it('when a byte is flipped', async () => {
      const handle = await written();
      const path = join(root, handle.file);
      const data = await readFile(path);
      data[Math.floor(data.length / 2)]! ^= 0x55;
      await writeFile(path, data);
      const target = await rocks();
      await expect(target.restore(root, [handle])).rejects.toThrow(/chk-7-op-1\.state.*corrupt/);
    });

    it('when it is truncated', async () => {
      const handle = await written();
      await truncate(join(root, handle.file), handle.bytes - 100);
      const target = await rocks();
      await expect(target.restore(root, [handle])).rejects.toThrow(/chk-7-op-1\.state/);
    });

    it('when it is missing', async () => {
      const handle = await written();
      await rm(join(root, handle.file));
      const target = await rocks();
      await expect(target.restore(root, [handle])).rejects.toThrow(/chk-7-op-1\.state cannot be read/);
    });
  });

  it('refuses state written with a different maxParallelism', async () => {
    const heap = new HeapKeyedStateBackend({ start: 0, end: 63 }, 64);
    for (let i = 0; i < 200; i++) heap.table('t').set(`k${i}`, i);
    const snapshot = heap.snapshot();
    const handle = await snapshot.write(root, 'max64.state');
    const backend = await rocks();
    await expect(backend.restore(root, [handle])).rejects.toThrow(/max64\.state.*maxParallelism/);
  });
});
