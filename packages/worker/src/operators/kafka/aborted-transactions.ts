// read_committed filtering of fetched records, as the Java consumer does it.
// kafkajs's own filter (consumer/filterAbortedMessages.js) assumes the
// broker lists aborted transactions by first offset and steps into at most
// one per record; the broker lists them in the order they were aborted, so
// when two producers' transactions abort close together kafkajs hands out
// records of an aborted transaction.

/** A fetched record with what read_committed filtering needs. */
export interface TransactionalRecord {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

/** An aborted transaction as the fetch response lists it. */
export interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

/** The key of an ABORT control record (version 0, type 0); COMMIT is type 1. */
function isAbortMarker(record: TransactionalRecord): boolean {
  const key = record.key;
  return key !== null && key.length >= 4 && key.readInt16BE(0) === 0 && key.readInt16BE(2) === 0;
}

/**
 * Keeps the records of committed transactions and non-transactional
 * records, in order, and drops control records: a producer's records are
 * skipped from the first offset of each of its aborted transactions up to
 * that transaction's ABORT marker.
 */
export function keepCommitted<T extends TransactionalRecord>(records: readonly T[], aborted: readonly AbortedTransaction[] | null | undefined): T[] {
  if (!aborted || aborted.length === 0) return records.filter((r) => !r.isControlRecord);
  const pending = [...aborted].sort((a, b) => compareOffsets(a.firstOffset, b.firstOffset));
  const abortedProducers = new Set<string>();
  const kept: T[] = [];
  let next = 0;
  for (const record of records) {
    // Every aborted transaction that starts at or before this record is open now.
    while (next < pending.length && compareOffsets(pending[next]!.firstOffset, record.offset) <= 0) abortedProducers.add(pending[next++]!.producerId);
    const { producerId, inTransaction } = record.batchContext;
    if (record.isControlRecord) {
      if (isAbortMarker(record)) abortedProducers.delete(producerId);
      continue;
    }
    if (inTransaction && abortedProducers.has(producerId)) continue;
    kept.push(record);
  }
  return kept;
}

/** Compares two int64 offsets given as decimal strings. */
function compareOffsets(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
