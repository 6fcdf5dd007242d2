import { describe, expect, it } from 'vitest';
import { javaStringHash, missingTopics, ownedPartitions, ownerOf, selectTopics } from './partition-assignment.ts';

describe('partition assignment', () => {
  it('hashes topic names like Java String.hashCode', () => {
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('orders')).toBe(-1008770331);
    expect(javaStringHash('a')).toBe(97);
  });

  it('spreads a topic’s partitions round-robin from a topic-dependent start', () => {
    const p = 3;
    const owners = Array.from({ length: 9 }, (_, i) => ownerOf('orders', i, p));
    const start = owners[0]!;
    expect(owners).toEqual(owners.map((_, i) => (start + i) % p));
    // Every subtask gets 3 of 9 partitions.
    for (let k = 0; k < p; k++) expect(owners.filter((o) => o === k)).toHaveLength(3);
  });

  it('gives every partition exactly one owner at any parallelism, the same on every call', () => {
    const all = ['a', 'orders', 'payments-eu'].flatMap((topic) => Array.from({ length: 7 }, (_, partition) => ({ topic, partition })));
    for (const parallelism of [1, 2, 3, 5, 8]) {
      const byOwner = Array.from({ length: parallelism }, (_, k) => ownedPartitions(all, k, parallelism));
      expect(byOwner.flat()).toHaveLength(all.length);
      expect(new Set(byOwner.flat().map((tp) => `${tp.topic}-${tp.partition}`)).size).toBe(all.length);
      expect(Array.from({ length: parallelism }, (_, k) => ownedPartitions(all, k, parallelism))).toEqual(byOwner);
    }
  });

  it('a partition added later goes to exactly one subtask and moves no existing one', () => {
    const before = Array.from({ length: 4 }, (_, partition) => ({ topic: 't', partition }));
    const after = [...before, { topic: 't', partition: 4 }];
    for (let k = 0; k < 2; k++) {
      const old = ownedPartitions(before, k, 2);
      const now = ownedPartitions(after, k, 2);
      expect(now.slice(0, old.length)).toEqual(old);
    }
    expect([0, 1].filter((k) => ownedPartitions([{ topic: 't', partition: 4 }], k, 2).length === 1)).toHaveLength(1);
  });
});

describe('topic selection', () => {
  const available = ['orders-eu', 'orders-us', 'orders', 'payments', '__consumer_offsets', 'x-orders-eu'];

  it('keeps a list’s order and reports the missing ones', () => {
    expect(selectTopics({ topics: ['payments', 'orders', 'nope'] }, available)).toEqual(['payments', 'orders']);
    expect(missingTopics({ topics: ['payments', 'nope'] }, available)).toEqual(['nope']);
  });

  it('matches a pattern against whole names and skips internal topics', () => {
    expect(selectTopics({ pattern: /orders-.*/ }, available)).toEqual(['orders-eu', 'orders-us']);
    expect(selectTopics({ pattern: /.*/ }, available)).not.toContain('__consumer_offsets');
    expect(missingTopics({ pattern: /nothing/ }, available)).toEqual([]);
  });
});
