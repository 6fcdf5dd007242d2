import { Packr, Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeRecordFrame, decodeRecords, encodeRecords } from './frame.ts';

/** A decoder that shares nothing with the module's packer: frames must describe themselves. */
function freshDecode(payload: Uint8Array): unknown[] {
  return new Unpackr({ useRecords: true, moreTypes: true }).unpack(new Uint8Array(payload)) as unknown[];
}

/** An owned copy, as OutputChannel makes before a frame crosses threads. */
function own(payload: Uint8Array): Uint8Array {
  return new Uint8Array(payload);
}

const MIXED: unknown[] = [
  { id: 1, name: 'alpha', score: 1.5 },
  { id: 2, name: 'beta', score: -3 },
  { other: true, list: [1, 2, 3] },
  'a plain string',
  '',
  'ünïcödé 日本語 😀',
  0,
  -1,
  42,
  2 ** 40,
  -(2 ** 53 - 1),
  3.141592653589793,
  Number.MAX_VALUE,
  true,
  false,
  null,
  { id: 3, name: 'gamma', score: 0.25 },
  { nested: { deeper: { deepest: ['x', { y: null }] } }, arr: [[1], [2, [3]]] },
  [1, 'two', { three: 3 }],
  { empty: {}, emptyList: [] },
  { id: 4, name: 'same keys, other order', score: 9, extra: 'field' },
  { score: 7, name: 'reordered', id: 5 },
];

describe('encodeRecords / decodeRecords', () => {
  it('round-trips records of mixed shapes, strings, numbers and nested values', () => {
    expect(decodeRecords(own(encodeRecords(MIXED)))).toEqual(MIXED);
  });

  it('round-trips an empty batch and a batch of one', () => {
    expect(decodeRecords(own(encodeRecords([])))).toEqual([]);
    expect(decodeRecords(own(encodeRecords([{ a: 1 }])))).toEqual([{ a: 1 }]);
  });

  it('keeps the extra types msgpackr supports with moreTypes', () => {
    const records = [{ when: new Date(1_700_000_000_000), big: 2n ** 70n, map: new Map([['k', 1]]), set: new Set([1, 2]), bytes: new Uint8Array([1, 2, 3]) }];
    const decoded = decodeRecords(own(encodeRecords(records))) as (typeof records)[number][];
    expect(decoded[0]!.when).toBeInstanceOf(Date);
    expect(decoded[0]!.when.getTime()).toBe(1_700_000_000_000);
    expect(decoded[0]!.big).toBe(2n ** 70n);
    expect(decoded[0]!.map).toEqual(new Map([['k', 1]]));
    expect(decoded[0]!.set).toEqual(new Set([1, 2]));
    expect(Array.from(decoded[0]!.bytes)).toEqual([1, 2, 3]);
  });

  it('round-trips a large batch (10 000 records, 300 shapes)', () => {
    const records = Array.from({ length: 10_000 }, (_, i) => ({
      id: i,
      key: `k${i % 97}`,
      [`field${i % 300}`]: i * 1.5,
      tags: i % 2 === 0 ? ['even'] : ['odd', i],
    }));
    const payload = own(encodeRecords(records));
    expect(decodeRecords(payload)).toEqual(records);
    expect(freshDecode(payload)).toEqual(records);
  });

  it('packs repeated shapes compactly (records extension, not maps)', () => {
    const records = Array.from({ length: 1000 }, (_, i) => ({ aVeryLongFieldName: i, anotherLongFieldName: i }));
    const plain = new Packr({ useRecords: false }).pack(records);
    expect(encodeRecords(records).byteLength).toBeLessThan(plain.byteLength / 2);
  });
});

describe('frames are self-describing', () => {
  it('decodes with a fresh Unpackr', () => {
    expect(freshDecode(encodeRecords(MIXED))).toEqual(MIXED);
  });

  it('decodes each of many frames with its own fresh Unpackr, in any order', () => {
    // The module's packer has seen these shapes before: later frames must still carry their definitions.
    const batches = Array.from({ length: 20 }, (_, b) =>
      Array.from({ length: 50 }, (_, i) => (i % 3 === 0 ? { a: b, b: i } : i % 3 === 1 ? { c: `${b}-${i}`, d: [i] } : { [`s${b}`]: i })),
    );
    const payloads = batches.map((batch) => own(encodeRecords(batch)));
    for (let b = payloads.length - 1; b >= 0; b--) {
      expect(freshDecode(payloads[b]!)).toEqual(batches[b]);
    }
  });

  it('decodes frames from another packer, and encoding afterwards still yields self-describing frames', () => {
    // A worker decodes peers' frames and encodes its own output with the same module-level packer.
    const remote = new Packr({ useRecords: true, moreTypes: true, bundleStrings: false });
    for (let round = 0; round < 3; round++) {
      const incoming = own(remote.pack([{ a: round, b: 'x' }, { c: [round] }]));
      expect(decodeRecords(incoming)).toEqual([{ a: round, b: 'x' }, { c: [round] }]);
      const outgoing = [{ a: 10 + round, b: 'y' }, { q: round }, { c: [1, 2] }];
      const payload = own(encodeRecords(outgoing));
      expect(freshDecode(payload)).toEqual(outgoing);
      expect(decodeRecords(payload)).toEqual(outgoing);
    }
  });

  it('a frame stays intact after later frames are encoded', () => {
    const first = encodeRecords([{ first: 1 }, 'one']);
    for (let i = 0; i < 100; i++) encodeRecords([{ filler: 'z'.repeat(1000), i }]);
    expect(freshDecode(first)).toEqual([{ first: 1 }, 'one']);
  });
});

describe('record frames with timestamps', () => {
  it('carry timestamps beside the records, NaN where a record has none', () => {
    const payload = encodeRecords([{ a: 1 }, 'b', 3], [10, Number.NaN, -5]);
    const { records, timestamps } = decodeRecordFrame(payload);
    expect(records).toEqual([{ a: 1 }, 'b', 3]);
    expect(Array.from(timestamps!)).toEqual([10, Number.NaN, -5]);
    expect(decodeRecords(payload)).toEqual([{ a: 1 }, 'b', 3]);
  });

  it('stay a plain array without timestamps, so records that are objects with r and t are not confused', () => {
    const { records, timestamps } = decodeRecordFrame(encodeRecords([{ r: [1], t: [2] }]));
    expect(records).toEqual([{ r: [1], t: [2] }]);
    expect(timestamps).toBeUndefined();
  });
});
