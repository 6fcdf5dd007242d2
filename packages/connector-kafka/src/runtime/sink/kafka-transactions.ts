// Finishing and fencing Kafka transactions by transactional id, producer id
// and epoch, the way Flink's KafkaCommitter and TransactionAborter do.
import { TRANSACTION_COORDINATOR, type KafkaConnection } from './kafka-producer-internals.ts';

/** What it takes to finish a transaction from any process: stored in the sink's checkpointed state. */
export interface TransactionHandle {
  transactionalId: string;
  /** Int64 as kafkajs gives it (a decimal string). */
  producerId: string;
  producerEpoch: number;
}

/**
 * How an EndTxn ended: `done` (committed or aborted as asked, also when it
 * had been already), or `gone` (the broker no longer has this transaction
 * under this producer id and epoch: a newer producer of the id fenced it, or
 * the transaction timed out and was aborted; nothing can be done about it).
 */
export type EndTransactionResult = 'done' | 'gone';

const RETRIABLE = new Set(['CONCURRENT_TRANSACTIONS', 'COORDINATOR_LOAD_IN_PROGRESS', 'NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'REQUEST_TIMED_OUT']);
const GONE = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'INVALID_PRODUCER_ID_MAPPING', 'INVALID_TXN_STATE', 'TRANSACTIONAL_ID_NOT_FOUND']);

interface KafkaError {
  type?: string;
  retriable?: boolean;
  name?: string;
}

/**
 * Sends EndTxn(commit or abort) for `handle` to its transaction coordinator,
 * retrying while the coordinator is busy (CONCURRENT_TRANSACTIONS: a previous
 * EndTxn of the same transaction is still writing its markers, after which a
 * repeated commit succeeds) or moving, for up to `timeoutMs`.
 */
export async function endTransaction(connection: KafkaConnection, handle: TransactionHandle, commit: boolean, timeoutMs = 60_000): Promise<EndTransactionResult> {
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    try {
      const coordinator = await connection.cluster.findGroupCoordinator({ groupId: handle.transactionalId, coordinatorType: TRANSACTION_COORDINATOR });
      await coordinator.endTxn({ ...handle, transactionResult: commit });
      return 'done';
    } catch (error) {
      const e = error as KafkaError;
      if (e.type && GONE.has(e.type)) return 'gone';
      const retriable = (e.type !== undefined && RETRIABLE.has(e.type)) || e.retriable === true || e.name === 'KafkaJSConnectionError';
      if (!retriable || Date.now() + delay > deadline) {
        throw new Error(
          `cannot ${commit ? 'commit' : 'abort'} Kafka transaction ${handle.transactionalId} (producer id ${handle.producerId}, epoch ${handle.producerEpoch}): ${(error as Error).message}; check that the brokers are reachable`,
          { cause: error },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 1000);
    }
  }
}

/** The transactional id number `counter` of a subtask's id space `idBase`. */
export function transactionalIdOf(idBase: string, counter: number): string {
  return `${idBase}-${counter}`;
}

/**
 * Fences and aborts whatever earlier attempts left open in the id space
 * `idBase`: ids are used in order `from`, from+1, ..., so InitProducerId is
 * sent for each in turn (which aborts its open transaction and fences its
 * producer) until one that was never initialized before (epoch 0). Returns
 * that counter: the first id free to use. `maxProbes` guards against a
 * broker that never answers epoch 0.
 */
export async function abortLingeringTransactions(connection: KafkaConnection, idBase: string, from: number, transactionTimeoutMs: number, maxProbes = 100_000): Promise<{ next: number; fenced: number }> {
  for (let counter = from; counter < from + maxProbes; counter++) {
    const { producerEpoch } = await connection.transactionalProducer(transactionalIdOf(idBase, counter), transactionTimeoutMs).init();
    if (producerEpoch === 0) return { next: counter, fenced: counter - from };
  }
  throw new Error(`transactional ids ${idBase}-${from}..${from + maxProbes} were all used before: use another setTransactionalIdPrefix()`);
}
