import { Packr } from 'msgpackr';

/**
 * What flows on a channel. Barriers and watermarks travel in-line with
 * records, never on a side channel, so snapshots stay consistent.
 */
export const FrameKind = {
  Records: 0,
  Watermark: 1,
  Barrier: 2,
  /** The producer has no more records, but still forwards barriers (for a final checkpoint). */
  EndOfData: 4,
  /** The channel is closed: nothing follows. */
  EndOfPartition: 3,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** A credit grant travels on the same streams as frames, with this kind. */
export const CREDIT_KIND = 0xff;

/** One frame of one channel, as it crosses threads (payload transferred, not copied). */
export interface Frame {
  kind: FrameKind;
  /** Records: one msgpack array. Empty for the other kinds. */
  payload: Uint8Array;
  recordCount: number;
  watermark: number;
  checkpointId: number;
}

// Records are packed with msgpackr's record extension: an object shape is
// described once per frame, then every record of that shape is a compact list.
const packr = new Packr({ useRecords: true, moreTypes: true, bundleStrings: false });

/** Serializes a batch of records once, for the whole frame. */
export function encodeRecords(records: readonly unknown[]): Uint8Array {
  return packr.pack(records);
}

/** Reads back a frame's records. */
export function decodeRecords(payload: Uint8Array): unknown[] {
  return packr.unpack(payload) as unknown[];
}
