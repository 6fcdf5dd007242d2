import { keyGroupRangeForSubtask, keyToString, murmur3String, ValidationError } from '@weir/common';
import { decodeRecords, FrameKind, type Frame } from '@weir/protocol';
import { describe, expect, it } from 'vitest';
import { OutputChannel } from './output-channel.ts';
import { RecordWriter } from './record-writer.ts';

interface Setup {
  channels: OutputChannel[];
  /** Records received per channel index, in order. */
  received: unknown[][];
  /** Frame kinds per channel index, in order. */
  kinds: FrameKind[][];
}

/** `n` channels with plenty of credit, recording what each one sends. */
function channels(n: number): Setup {
  const received: unknown[][] = Array.from({ length: n }, () => []);
  const kinds: FrameKind[][] = Array.from({ length: n }, () => []);
  const list = Array.from({ length: n }, (_, i) => {
    const channel = new OutputChannel(`ch${i}`, (_id, frame: Frame) => {
      kinds[i]!.push(frame.kind);
      if (frame.kind === FrameKind.Records) received[i]!.push(...decodeRecords(frame.payload));
    });
    channel.onCredit(1_000_000);
    return channel;
  });
  return { channels: list, received, kinds };
}

/** Independent of the code under test: the subtask whose key-group range contains the key's group. */
function ownerOf(key: unknown, parallelism: number, maxParallelism: number): number {
  const group = murmur3String(keyToString(key)) % maxParallelism;
  for (let i = 0; i < parallelism; i++) {
    const { start, end } = keyGroupRangeForSubtask(i, parallelism, maxParallelism);
    if (group >= start && group <= end) return i;
  }
  throw new Error(`no subtask owns key group ${group}`);
}

describe('RecordWriter hash partitioning', () => {
  it.each([
    [1, 128],
    [2, 128],
    [3, 128],
    [4, 128],
    [7, 128],
    [5, 10],
    [16, 16],
  ])('with %i subtasks and maxParallelism %i, sends every key to the subtask owning its key group', (p, max) => {
    const { channels: list, received } = channels(p);
    const writer = new RecordWriter(list, 'hash', max, (r) => (r as { key: unknown }).key, 0);
    const records = Array.from({ length: 3000 }, (_, i) => ({ key: i % 3 === 0 ? `user-${i % 500}` : i % 3 === 1 ? i % 250 : { id: i % 100 }, i }));
    for (const r of records) writer.emit(r);
    writer.flushAll();

    const total = received.reduce((n, list) => n + list.length, 0);
    expect(total).toBe(records.length);
    const misplaced: string[] = [];
    received.forEach((list, subtask) => {
      for (const r of list as { key: unknown; i: number }[]) {
        const owner = ownerOf(r.key, p, max);
        if (owner !== subtask) misplaced.push(`${JSON.stringify(r.key)} at ${subtask}, owner ${owner}`);
      }
    });
    expect(misplaced.slice(0, 5)).toEqual([]);
    if (p > 1) expect(received.filter((list) => list.length > 0).length).toBe(p);
  });

  it('keeps the records of one subtask in emit order', () => {
    const { channels: list, received } = channels(3);
    const writer = new RecordWriter(list, 'hash', 128, (r) => (r as { k: string }).k, 0);
    for (let i = 0; i < 1000; i++) writer.emit({ k: `k${i % 10}`, i });
    writer.flushAll();
    for (const part of received as { i: number }[][]) {
      const order = part.map((r) => r.i);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });

  it('hashes keys by their canonical text: 7 and "7" land together', () => {
    const { channels: list, received } = channels(4);
    const writer = new RecordWriter(list, 'hash', 128, (r) => r, 0);
    writer.emit(7);
    writer.emit('7');
    writer.flushAll();
    expect(received.find((part) => part.length > 0)).toEqual([7, '7']);
  });

  it('rejects a record whose key is null or undefined', () => {
    const { channels: list } = channels(2);
    const writer = new RecordWriter(list, 'hash', 128, (r) => (r as { k?: string }).k, 0);
    expect(() => writer.emit({})).toThrow(ValidationError);
    expect(() => writer.emit({ k: null })).toThrow(ValidationError);
  });
});

describe('RecordWriter other partitionings', () => {
  it('forward sends every record to its single channel, in order', () => {
    const { channels: list, received } = channels(1);
    const writer = new RecordWriter(list, 'forward', 128, undefined, 3);
    for (let i = 0; i < 1000; i++) writer.emit(i);
    writer.flushAll();
    expect(received[0]).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('flushes a channel by itself once its frame is full', () => {
    const { channels: list, received, kinds } = channels(1);
    const writer = new RecordWriter(list, 'forward', 128, undefined, 0);
    for (let i = 0; i < 256; i++) writer.emit(i);
    expect(kinds[0]).toEqual([FrameKind.Records]);
    expect(received[0]).toHaveLength(256);
  });

  it('rebalance deals records round-robin, starting at the subtask index', () => {
    const { channels: list, received } = channels(3);
    const writer = new RecordWriter(list, 'rebalance', 128, undefined, 1);
    for (let i = 0; i < 9; i++) writer.emit(i);
    writer.flushAll();
    expect(received).toEqual([
      [2, 5, 8],
      [0, 3, 6],
      [1, 4, 7],
    ]);
  });

  it('rebalance spreads evenly', () => {
    const { channels: list, received } = channels(4);
    const writer = new RecordWriter(list, 'rebalance', 128, undefined, 0);
    for (let i = 0; i < 1001; i++) writer.emit(i);
    writer.flushAll();
    expect(received.map((r) => r.length)).toEqual([251, 250, 250, 250]);
  });

  it('broadcast sends every record to every channel', () => {
    const { channels: list, received } = channels(3);
    const writer = new RecordWriter(list, 'broadcast', 128, undefined, 0);
    const records = [{ a: 1 }, 'two', 3];
    for (const r of records) writer.emit(r);
    writer.flushAll();
    expect(received).toEqual([records, records, records]);
  });

  it('endOfPartition follows the pending records on every channel', () => {
    const { channels: list, kinds } = channels(3);
    const writer = new RecordWriter(list, 'rebalance', 128, undefined, 0);
    writer.emit('only-to-ch0');
    writer.endOfPartition();
    expect(kinds).toEqual([[FrameKind.Records, FrameKind.EndOfPartition], [FrameKind.EndOfPartition], [FrameKind.EndOfPartition]]);
  });
});
