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
  /** Watermark status: `watermark` 1 = the producer is idle (do not wait for its watermark), 0 = active again. */
  WatermarkStatus: 5,
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

/**
 * Serializes a batch of records once, for the whole frame: a msgpack array,
 * or, when the records carry event-time timestamps, a map `{ r: records,
 * t: timestamps }` (NaN where a record has none).
 */
export function encodeRecords(records: readonly unknown[], timestamps?: readonly number[]): Uint8Array {
  return timestamps ? packr.pack({ r: records, t: Float64Array.from(timestamps) }) : packr.pack(records);
}

/** Reads back a frame's records with their timestamps (undefined when the frame has none). */
export function decodeRecordFrame(payload: Uint8Array): { records: unknown[]; timestamps: ArrayLike<number> | undefined } {
  const value = packr.unpack(payload) as unknown[] | { r: unknown[]; t: ArrayLike<number> };
  if (Array.isArray(value)) return { records: value, timestamps: undefined };
  return { records: value.r, timestamps: value.t };
}

/** Reads back a frame's records (without their timestamps). */
export function decodeRecords(payload: Uint8Array): unknown[] {
  return decodeRecordFrame(payload).records;
}
