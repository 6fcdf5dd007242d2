import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyGroupRange } from '@weir/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HeapKeyedStateBackend } from './heap-keyed-state-backend.ts';
import type { KeyedStateBackend, KeyedStateHandle } from './keyed-state-backend.ts';
import { readKeyedStateFile } from './keyed-state-file.ts';
import { RocksDBKeyedStateBackend, type RocksDBKeyedStateBackendOptions } from './rocksdb-keyed-state-backend.ts';

const MAX = 128;
const ALL: KeyGroupRange = { start: 0, end: MAX - 1 };

let root: string;
let count = 0;
const open: RocksDBKeyedStateBackend[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'weir-incremental-'));
});

afterEach(async () => {
  for (const backend of open.splice(0)) await backend.close();
  await rm(root, { recursive: true, force: true });
});

async function rocks(options: Partial<RocksDBKeyedStateBackendOptions> = {}): Promise<RocksDBKeyedStateBackend> {
  const backend = await RocksDBKeyedStateBackend.open({ directory: join(root, `db${count++}`), keyGroupRange: ALL, maxParallelism: MAX, ...options });
  open.push(backend);
  return backend;
}

/** The model: table -> key -> value, kept independently of the backend. */
type Model = Map<string, Map<string, unknown>>;

function apply(backend: RocksDBKeyedStateBackend, model: Model, table: string, key: string, value: unknown): void {
  let entries = model.get(table);
  if (!entries) model.set(table, (entries = new Map()));
  if (value === undefined) {
    backend.table(table).delete(key);
    entries.delete(key);
  } else {
    backend.table(table).set(key, value);
    entries.set(key, value);
  }
}

function modelLines(model: Model): string[] {
  return [...model].flatMap(([table, entries]) => [...entries].map(([key, value]) => `${table}|${key}=${JSON.stringify(value)}`)).sort();
}

/** What a backend holds, read back through a full snapshot file. */
async function contents(backend: KeyedStateBackend): Promise<string[]> {
  const snapshot = await backend.snapshot();
  try {
    const name = `dump-${count++}.state`;
    const handle = await snapshot.write(join(root, 'dumps'), name);
    const entries = await readKeyedStateFile(join(root, 'dumps'), handle, ALL);
    return entries.map(([, table, key, value]) => `${table}|${key}=${JSON.stringify(value)}`).sort();
  } finally {
    snapshot.release();
  }
}

/** Prefetches, changes (a random round of sets, overwrites and deletes) and flushes, like a batch of records. */
async function round(backend: RocksDBKeyedStateBackend, model: Model, keys: number, changes: number, seed: number): Promise<void> {
  let x = seed;
  const next = (): number => (x = (x * 1103515245 + 12345) % 2147483648);
  const picked: [table: string, key: string, value: unknown][] = [];
  for (let i = 0; i < changes; i++) {
    const table = next() % 3 === 0 ? 'names' : 'counts';
    const key = `key-${next() % keys}`;
    const value = next() % 5 === 0 ? undefined : table === 'names' ? { name: `n${next() % 1000}`, at: seed } : next() % 100_000;
    picked.push([table, key, value]);
  }
  await backend.prefetch(picked.map(([, key]) => key));
  for (const [table, key, value] of picked) apply(backend, model, table, key, value);
  await backend.flush();
}

async function checkpoint(backend: RocksDBKeyedStateBackend, id: number): Promise<{ directory: string; handles: KeyedStateHandle[] }> {
  const snapshot = await backend.snapshot();
  try {
    const directory = join(root, 'checkpoints', `chk-${id}`);
    expect(snapshot.writeIncremental).toBeDefined();
    const { handles, writtenBytes } = await snapshot.writeIncremental!(directory, 'keyed-v-0');
    expect(writtenBytes).toBeLessThanOrEqual(handles.reduce((n, h) => n + h.bytes, 0));
    return { directory, handles };
  } finally {
    snapshot.release();
  }
}

describe('incremental checkpoints of the RocksDB backend', () => {
  it('each checkpoint adds one delta of what changed; every checkpoint restores exactly, to RocksDB and to heap', async () => {
    const backend = await rocks({ stagingDirectory: join(root, 'staging'), materialization: { minEntries: 1_000_000, maxFiles: 100 } });
    const model: Model = new Map();
    const taken: { directory: string; handles: KeyedStateHandle[]; expected: string[] }[] = [];
    for (let i = 1; i <= 4; i++) {
      await round(backend, model, 500, i === 1 ? 2_000 : 150, i);
      taken.push({ ...(await checkpoint(backend, i)), expected: modelLines(model) });
    }
    expect(taken.map((t) => t.handles.length)).toEqual([1, 2, 3, 4]);
    // Later checkpoints link the same files: the first delta is one inode in all four.
    const inodes = await Promise.all(taken.map((t) => stat(join(t.directory, t.handles[0]!.file)).then((s) => s.ino)));
    expect(new Set(inodes).size).toBe(1);
    // A delta holds only the keys changed in its round.
    expect(taken[3]!.handles[3]!.entries).toBeLessThanOrEqual(150);
    expect(taken[3]!.handles[3]!.entries).toBeGreaterThan(0);
    // Deleting older checkpoint directories leaves newer ones whole.
    await rm(taken[0]!.directory, { recursive: true });
    await rm(taken[1]!.directory, { recursive: true });
    for (const t of taken.slice(2)) {
      const restored = await rocks();
      await restored.restore(t.directory, t.handles);
      expect(await contents(restored)).toEqual(t.expected);
      const heap = new HeapKeyedStateBackend(ALL, MAX);
      await heap.restore(t.directory, t.handles);
      expect(await contents(heap)).toEqual(t.expected);
    }
    expect(taken[2]!.expected).not.toEqual(taken[3]!.expected);
  });

  it('a full snapshot replaces the chain once the deltas are as large as the base, and superseded files leave staging', async () => {
    const staging = join(root, 'staging');
    const backend = await rocks({ stagingDirectory: staging, materialization: { minEntries: 100, maxFiles: 100 } });
    const model: Model = new Map();
    await round(backend, model, 300, 1_000, 1);
    const first = await checkpoint(backend, 1);
    expect(first.handles).toHaveLength(1);
    // The first delta holds more than the (empty) base: a materialization of checkpoint 1 started.
    await backend.materialized();
    await round(backend, model, 300, 50, 2);
    const second = await checkpoint(backend, 2);
    // Base (checkpoint 1's full state) + the delta of round 2.
    expect(second.handles).toHaveLength(2);
    const distinct = new Set([...model.values()].flatMap((m) => [...m.keys()].map((k) => k))).size;
    expect(second.handles[0]!.entries).toBeGreaterThanOrEqual(distinct);
    const restored = await rocks();
    await restored.restore(second.directory, second.handles);
    expect(await contents(restored)).toEqual(modelLines(model));
    // Staging holds the new base and the delta of round 2, not the superseded first delta.
    const staged = await readdir(join(staging));
    expect(staged).toHaveLength(2);
  });

  it('a restored backend adopts the restored files as its base and checkpoints only what changed after', async () => {
    const first = await rocks({ stagingDirectory: join(root, 'staging-a'), materialization: { minEntries: 1_000_000, maxFiles: 100 } });
    const model: Model = new Map();
    await round(first, model, 400, 1_500, 7);
    await round(first, model, 400, 100, 8);
    const before = await checkpoint(first, 1);
    await first.close();

    const second = await rocks({ stagingDirectory: join(root, 'staging-b'), materialization: { minEntries: 1_000_000, maxFiles: 100 } });
    await second.restore(before.directory, before.handles);
    await round(second, model, 400, 60, 9);
    const after = await checkpoint(second, 2);
    expect(after.handles).toHaveLength(before.handles.length + 1);
    for (let i = 0; i < before.handles.length; i++) {
      const [a, b] = await Promise.all([stat(join(before.directory, before.handles[i]!.file)), stat(join(after.directory, after.handles[i]!.file))]);
      expect(b.ino).toBe(a.ino);
    }
    expect(after.handles.at(-1)!.entries).toBeLessThanOrEqual(60);
    const restored = await rocks();
    await restored.restore(after.directory, after.handles);
    expect(await contents(restored)).toEqual(modelLines(model));
  });

  it('materializes a chain whose base is a heap snapshot (decoded values) and packed deltas', async () => {
    const heap = new HeapKeyedStateBackend(ALL, MAX);
    const model: Model = new Map();
    for (let i = 0; i < 300; i++) {
      heap.table('counts').set(`key-${i}`, i);
      model.set('counts', (model.get('counts') ?? new Map()).set(`key-${i}`, i));
    }
    const heapSnapshot = heap.snapshot();
    const heapHandle = await heapSnapshot.write(join(root, 'savepoint'), 'keyed.state');
    heapSnapshot.release();

    const backend = await rocks({ stagingDirectory: join(root, 'staging'), materialization: { minEntries: 1_000_000, maxFiles: 2 } });
    await backend.restore(join(root, 'savepoint'), [heapHandle]);
    await round(backend, model, 400, 500, 11);
    // Chain: the adopted heap file, then this delta; two files, so a materialization starts.
    const first = await checkpoint(backend, 1);
    expect(first.handles).toHaveLength(2);
    await backend.materialized();
    await round(backend, model, 400, 40, 12);
    const second = await checkpoint(backend, 2);
    expect(second.handles).toHaveLength(2);
    const restored = await rocks();
    await restored.restore(second.directory, second.handles);
    expect(await contents(restored)).toEqual(modelLines(model));
  });

  it('changes beyond the spill limit go to delta files before the checkpoint, which references them all', async () => {
    const backend = await rocks({ stagingDirectory: join(root, 'staging'), materialization: { minEntries: 1_000_000, maxFiles: 100 }, spillEntries: 100 });
    const model: Model = new Map();
    for (let i = 0; i < 5; i++) await round(backend, model, 1_000, 150, 20 + i);
    const taken = await checkpoint(backend, 1);
    // Every flush of more than 100 changes spilled one delta: five rounds, five files.
    expect(taken.handles).toHaveLength(5);
    const restored = await rocks();
    await restored.restore(taken.directory, taken.handles);
    expect(await contents(restored)).toEqual(modelLines(model));
  });

  it('a checkpoint taken while nothing changed references the same files', async () => {
    const backend = await rocks({ stagingDirectory: join(root, 'staging'), materialization: { minEntries: 1_000_000, maxFiles: 100 } });
    const model: Model = new Map();
    await round(backend, model, 100, 200, 3);
    const one = await checkpoint(backend, 1);
    const two = await checkpoint(backend, 2);
    expect(two.handles.map((h) => h.sha256)).toEqual(one.handles.map((h) => h.sha256));
    const restored = await rocks();
    await restored.restore(two.directory, two.handles);
    expect(await contents(restored)).toEqual(modelLines(model));
  });
});
