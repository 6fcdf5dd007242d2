import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyGroupRangeForSubtask, murmur3String, type KeyGroupRange } from '@weir/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HeapKeyedStateBackend } from './heap-keyed-state-backend.ts';
import type { KeyedStateHandle } from './keyed-state-backend.ts';
import { readKeyedStateFile, type KeyedStateEntry } from './keyed-state-file.ts';

const MAX = 128;
const ALL: KeyGroupRange = { start: 0, end: MAX - 1 };

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'weir-heap-state-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Independent of the code under test: the key group of a key. */
function groupOf(key: string): number {
  return murmur3String(key) % MAX;
}

/** Entries as a sorted list of "table|key=json(value)" lines, for order-insensitive comparison. */
function lines(entries: readonly KeyedStateEntry[]): string[] {
  return entries.map(([, table, key, value]) => `${table}|${key}=${JSON.stringify(value)}`).sort();
}

describe('HeapKeyedStateBackend snapshots', () => {
  it('writes the state as of snapshot(), later changes not included, each entry with its key group', async () => {
    const backend = new HeapKeyedStateBackend(ALL, MAX);
    const table = backend.table('reduce');
    const keys = Array.from({ length: 2000 }, (_, i) => `k${i}`);
    for (const [i, key] of keys.entries()) table.set(key, { sum: i });
    backend.table('value/seen').set('k1', true);
    const expected = lines([...keys.map((key, i): KeyedStateEntry => [0, 'reduce', key, { sum: i }]), [0, 'value/seen', 'k1', true]]);

    const snapshot = backend.snapshot();
    for (const [i, key] of keys.entries()) {
      if (i % 2 === 0) table.delete(key);
      else table.set(key, { sum: -i });
    }
    table.set('added-later', 1);
    backend.table('value/seen').set('k2', true);
    backend.table('created-later').set('k3', 3);
    const writing = snapshot.write(root, 'heap-1.state');
    table.set('k1', 'changed while writing');
    const handle = await writing;
    snapshot.release();

    expect(handle).toMatchObject({ file: 'heap-1.state', entries: 2001, keyGroupRange: ALL });
    const entries = await readKeyedStateFile(root, handle, ALL);
    for (const [group, , key] of entries) expect(group).toBe(groupOf(key));
    expect(lines(entries)).toEqual(expected);

    // The live state has the later changes.
    expect(table.get('k0')).toBeUndefined();
    expect(table.get('k1')).toBe('changed while writing');
    expect(backend.table('created-later').get('k3')).toBe(3);
  });
});

describe('HeapKeyedStateBackend restore', () => {
  async function written(): Promise<{ handle: KeyedStateHandle; keys: string[] }> {
    const backend = new HeapKeyedStateBackend(ALL, MAX);
    const keys = Array.from({ length: 3000 }, (_, i) => (i % 2 ? `user-${i}` : `{"id":${i}}`));
    for (const key of keys) {
      backend.table('a').set(key, `a:${key}`);
      backend.table('b').set(key, [key.length]);
    }
    const snapshot = backend.snapshot();
    const handle = await snapshot.write(root, 'all.state');
    snapshot.release();
    return { handle, keys };
  }

  it.each([
    [0, 3],
    [1, 3],
    [2, 3],
    [0, 1],
    [5, 7],
  ])('loads only the key groups of subtask %i of %i', async (index, parallelism) => {
    const { handle, keys } = await written();
    const range = keyGroupRangeForSubtask(index, parallelism, MAX);
    const backend = new HeapKeyedStateBackend(range, MAX);
    await backend.restore(root, [handle]);
    const mine = keys.filter((key) => groupOf(key) >= range.start && groupOf(key) <= range.end);
    expect(mine.length).toBeGreaterThan(0);
    for (const key of keys) {
      const owned = mine.includes(key);
      expect(backend.table('a').get(key)).toBe(owned ? `a:${key}` : undefined);
      expect(backend.table('b').get(key)).toEqual(owned ? [key.length] : undefined);
    }
    const snapshot = backend.snapshot();
    const again = await snapshot.write(root, `subtask-${index}.state`);
    expect(again.entries).toBe(2 * mine.length);
    expect(again.keyGroupRange).toEqual(range);
  });

  it('merges the files of several subtasks', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    const handles: KeyedStateHandle[] = [];
    for (let s = 0; s < 2; s++) {
      const range = keyGroupRangeForSubtask(s, 2, MAX);
      const backend = new HeapKeyedStateBackend(range, MAX);
      for (const key of keys) if (groupOf(key) >= range.start && groupOf(key) <= range.end) backend.table('t').set(key, key);
      const snapshot = backend.snapshot();
      handles.push(await snapshot.write(root, `s${s}.state`));
    }
    const merged = new HeapKeyedStateBackend(ALL, MAX);
    await merged.restore(root, handles);
    for (const key of keys) expect(merged.table('t').get(key)).toBe(key);
  });

  it('rejects a corrupted file, naming it', async () => {
    const { handle } = await written();
    const path = join(root, handle.file);
    const data = await readFile(path);
    data[data.length - 10]! ^= 0xff;
    await writeFile(path, data);
    await expect(new HeapKeyedStateBackend(ALL, MAX).restore(root, [handle])).rejects.toThrow(/all\.state is corrupt/);
  });
});
