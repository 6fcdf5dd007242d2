// One partition a Kafka source subtask reads: its positions (emitted, fetched, checkpointed), and its status for
// `weir status`.
import type { SplitStatus, SplitWatermarks } from '@weir/worker/connector';
import type { FetchedRecords } from '../wire/fetched-records.ts';
import { splitId, type TopicPartition } from './partition-assignment.ts';

/** One partition this subtask reads. */
export interface PartitionReader extends TopicPartition {
  id: string;
  /** Offset of the next record to emit: what a checkpoint records. */
  position: number;
  /** Offset the next fetch starts at (ahead of `position` by what is buffered). */
  fetchOffset: number;
  /** Bounded mode: stop before this offset. */
  stop: number | undefined;
  highWatermark: number | undefined;
  /** Fetched records of this partition not emitted yet. */
  buffered: number;
  /** Offset recorded by the latest completed checkpoint. */
  checkpointed: number | undefined;
  /** Why it makes no progress (broker unreachable...). */
  waiting: string | undefined;
  /** Bounded mode: every record before `stop` has been emitted. */
  done: boolean;
}

/** Fetched records of one partition, emitted from index `next` on. */
export interface Chunk {
  reader: PartitionReader;
  records: FetchedRecords;
  next: number;
}

/** A reader of `tp` starting at `offset` (and, bounded, stopping before `stop`). */
export function partitionReader(tp: TopicPartition, offset: number, stop: number | undefined): PartitionReader {
  return {
    ...tp,
    id: splitId(tp),
    position: offset,
    fetchOffset: offset,
    stop,
    highWatermark: undefined,
    buffered: 0,
    checkpointed: undefined,
    waiting: undefined,
    done: stop !== undefined && offset >= stop,
  };
}

/** The reader's position, lag and watermark, for `weir status`. */
export function splitStatus(r: PartitionReader, watermarks: SplitWatermarks): SplitStatus {
  const end = r.highWatermark === undefined ? undefined : r.stop === undefined ? r.highWatermark : Math.min(r.stop, r.highWatermark);
  const status: SplitStatus = { id: r.id, position: String(r.position) };
  if (r.checkpointed !== undefined) status.checkpointedPosition = String(r.checkpointed);
  if (end !== undefined) status.lag = Math.max(0, end - r.position);
  if (watermarks.enabled) {
    status.watermark = watermarks.splitWatermark(r.id);
    status.idle = watermarks.isIdle(r.id);
  }
  if (r.waiting) status.waiting = r.waiting;
  return status;
}
