import { describe, expect, it } from 'vitest';
import { ownerOf, ownedPartitions } from './partition-assignment.ts';
import { restoreOffsets, stateItem, type PartitionOffset } from './kafka-source-state.ts';

const all = Array.from({ length: 6 }, (_, partition) => ({ topic: 'orders', partition }));

function snapshotAt(parallelism: number): unknown[][] {
  return Array.from({ length: parallelism }, (_, k) =>
    [stateItem(k, parallelism, false, ownedPartitions(all, k, parallelism).map((tp): PartitionOffset => ({ ...tp, offset: 100 + tp.partition })))],
  );
}

describe('Kafka source state', () => {
  it('at the same parallelism each subtask gets back its own partitions and offsets', () => {
    const items = snapshotAt(2);
    for (let k = 0; k < 2; k++) {
      const { owned } = restoreOffsets(items[k]!, k, 2);
      expect([...owned.values()].map((p) => [p.partition, p.offset])).toEqual(ownedPartitions(all, k, 2).map((tp) => [tp.partition, 100 + tp.partition]));
    }
  });

  it('at another parallelism each subtask takes its partitions out of the union of all items', () => {
    const union = snapshotAt(2).flat();
    const seen = new Map<number, number>();
    for (let k = 0; k < 3; k++) {
      for (const p of restoreOffsets(union, k, 3).owned.values()) {
        expect(ownerOf(p.topic, p.partition, 3)).toBe(k);
        seen.set(p.partition, p.offset);
      }
    }
    expect([...seen.entries()].sort((a, b) => a[0] - b[0])).toEqual(all.map((tp) => [tp.partition, 100 + tp.partition]));
  });

  it('refuses a rescale when it did not get every subtask’s item, instead of rereading or skipping', () => {
    const items = snapshotAt(2);
    // Round-robin hand-out at parallelism 3: subtask 2 gets nothing, subtask 0 only old subtask 0's item.
    expect(() => restoreOffsets([], 2, 3)).toThrow(/union list state/);
    expect(() => restoreOffsets(items[0]!, 0, 3)).toThrow(/restore at parallelism 2/);
  });

  it('keeps the stop offsets of a bounded job and rejects foreign state', () => {
    const item = stateItem(0, 1, true, [{ topic: 't', partition: 0, offset: 5, stop: 9 }]);
    const restored = restoreOffsets([item], 0, 1);
    expect(restored.bounded).toBe(true);
    expect(restored.owned.get('t-0')).toEqual({ topic: 't', partition: 0, offset: 5, stop: 9 });
    expect(() => restoreOffsets([{ split: 0, of: 1, next: 3 }], 0, 1)).toThrow(/not Kafka source state/);
  });
});
