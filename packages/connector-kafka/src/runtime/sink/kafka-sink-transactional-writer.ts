// The Kafka sink's exactly-once writer: one transaction per checkpoint and subtask, pre-committed on the barrier, committed on completion.
import type { OperatorContext } from '@weir/worker/connector';
import { connectSecured } from '../kafka-security-options.ts';
import { openKafkaConnection, type KafkaConnection, type TransactionalProducer } from './kafka-producer-internals.ts';
import { kafkaClientConfig, type KafkaSinkSettings } from './kafka-sink-config.ts';
import type { KafkaSinkWriter } from './kafka-sink-writer.ts';
import { abortLingeringTransactions, endTransaction, transactionalIdOf, type TransactionHandle } from './kafka-transactions.ts';

/** A transaction flushed on a checkpoint's barrier, to commit when that checkpoint completes. */
export interface PendingTransaction extends TransactionHandle {
  checkpointId: number;
}

/**
 * The exactly-once sink's state in a checkpoint: one item per subtask, so
 * that whichever subtask receives it on restore (the same index, or another
 * one when the job runs at a lower parallelism) gets everything about that id
 * space: the transactions to commit, and where the ids that may still have
 * open transactions start.
 */
export interface KafkaSinkState {
  /** `<prefix><job id>-<operator uid>-<subtask>`: ids are `<idBase>-<n>`. */
  idBase: string;
  jobId: string;
  /** Ids from `<idBase>-<nextCounter>` on were not used when the checkpoint was taken. */
  nextCounter: number;
  pending: PendingTransaction[];
}

function isKafkaSinkState(item: unknown): item is KafkaSinkState {
  const s = item as KafkaSinkState;
  return typeof s === 'object' && s !== null && typeof s.idBase === 'string' && typeof s.jobId === 'string' && Number.isInteger(s.nextCounter) && Array.isArray(s.pending);
}

/** The exactly-once items of a restored operator state; throws on anything else. */
export function restoredSinkStates(ctx: OperatorContext): KafkaSinkState[] {
  const items = ctx.restoredState ?? [];
  const bad = items.find((item) => !isKafkaSinkState(item));
  if (bad !== undefined) {
    throw new Error(
      `Kafka sink '${ctx.descriptor.name}' (${ctx.descriptor.id}) cannot restore state ${JSON.stringify(bad).slice(0, 200)}: it is not a Kafka sink's state; give the sink its own .uid(), or restore with --allow-non-restored-state after renaming it`,
    );
  }
  return items as KafkaSinkState[];
}

/**
 * Finishes what the restored checkpoint left: commits every transaction it
 * pre-committed (again, if it was committed already: that is a no-op), and
 * fences and aborts the later transactions of the id spaces of this job that
 * are not `ownIdBase` (subtasks that no longer exist after a rescale).
 * Returns where this subtask's own ids resume, if the state had them.
 */
export async function recoverTransactions(ctx: OperatorContext, connection: KafkaConnection, states: KafkaSinkState[], ownIdBase: string | undefined, transactionTimeoutMs: number): Promise<number | undefined> {
  let ownNext: number | undefined;
  for (const state of states) {
    for (const transaction of state.pending) {
      const { transactionalId, producerId, producerEpoch } = transaction;
      const result = await endTransaction(connection, { transactionalId, producerId, producerEpoch }, true);
      // 'gone': fenced or timed out since (the broker aborted it): its records are lost.
      ctx.count(result === 'done' ? 'kafkaTransactionsRecommitted' : 'kafkaTransactionsUnrecoverable');
    }
    if (state.idBase === ownIdBase) {
      ownNext = state.nextCounter;
    } else if (state.jobId === ctx.runtime.jobId) {
      // Another job's ids (a savepoint restored into a new job) are left alone: that job may still run.
      const { fenced } = await abortLingeringTransactions(connection, state.idBase, state.nextCounter, transactionTimeoutMs);
      ctx.count('kafkaTransactionsFenced', fenced);
    }
  }
  return ownNext;
}

interface OpenTransaction {
  producer: TransactionalProducer;
  ready: Promise<void>;
}

/**
 * Exactly-once: one Kafka transaction per checkpoint and subtask (opened on
 * the first record after a barrier), flushed and kept on the barrier
 * (pre-commit: its id, producer id and epoch go into the checkpoint), and
 * committed with EndTxn once the checkpoint completes; on restore, committed
 * from that handle by whichever process runs the subtask then.
 *
 * Transactional ids are `<prefix><job>-<operator uid>-<subtask>-<n>`, n
 * counting up with every transaction: ids are used in order, so a restored
 * subtask finds every id an earlier attempt may have left open by
 * initializing them in turn from the checkpoint's `nextCounter` until one was
 * never used; initializing an id fences its old producer (a zombie of a lost
 * worker can no longer write or commit) and aborts its open transaction.
 */
export function transactionalWriter(ctx: OperatorContext, settings: KafkaSinkSettings): KafkaSinkWriter {
  const { jobId, operatorId, subtaskIndex } = ctx.runtime;
  const idBase = `${settings.transactionalIdPrefix}${jobId}-${operatorId}-${subtaskIndex}`;
  const timeout = settings.transactionTimeoutMs;
  const connection = openKafkaConnection(kafkaClientConfig(settings));
  let counter = 0;
  let current: OpenTransaction | undefined;
  // The producer of the next transaction (id `counter`), initialized ahead so
  // that InitProducerId is not waited for after a barrier. Initializing an id
  // opens no transaction (the first AddPartitionsToTxn does); a restore
  // treats the id as used, which it is.
  let prepared: OpenTransaction | undefined;
  let pending: PendingTransaction[] = [];

  function begin(): OpenTransaction {
    const producer = connection.transactionalProducer(transactionalIdOf(idBase, counter), timeout);
    const ready = producer.init().then(() => producer.begin());
    // Failures surface where `ready` is awaited (the next send), not as unhandled rejections.
    ready.catch(() => undefined);
    return { producer, ready };
  }

  function handleOf(producer: TransactionalProducer): TransactionHandle {
    return { transactionalId: producer.transactionalId, producerId: String(producer.producerId()), producerEpoch: producer.producerEpoch() };
  }

  return {
    async open() {
      await connectSecured(() => connection.connect(), settings.bootstrapServers, settings.security);
      const ownNext = await recoverTransactions(ctx, connection, restoredSinkStates(ctx), idBase, timeout);
      const { next, fenced } = await abortLingeringTransactions(connection, idBase, ownNext ?? 0, timeout);
      ctx.count('kafkaTransactionsFenced', fenced);
      counter = next;
      prepared = begin();
    },
    partitionsOf: (topic) => connection.partitionsOf(topic),
    loadTopics: (topics) => connection.loadTopics(topics),
    async send(batches) {
      if (!current) {
        current = prepared ?? begin();
        prepared = undefined;
      }
      await current.ready;
      await current.producer.send(batches);
    },
    async snapshot(checkpointId) {
      const transaction = current;
      if (transaction) {
        current = undefined;
        counter++;
        prepared = begin();
        await transaction.ready;
        pending.push({ ...handleOf(transaction.producer), checkpointId });
      }
      const state: KafkaSinkState = { idBase, jobId, nextCounter: counter, pending: pending.map((p) => ({ ...p })) };
      return [state];
    },
    async commit(checkpointId) {
      for (const transaction of pending.filter((p) => p.checkpointId <= checkpointId)) {
        const { transactionalId, producerId, producerEpoch } = transaction;
        const result = await endTransaction(connection, { transactionalId, producerId, producerEpoch }, true);
        if (result === 'gone') {
          throw new Error(
            `Kafka transaction ${transactionalId} of checkpoint ${transaction.checkpointId} can no longer be committed: another producer with its id fenced it, or it timed out (raise setTransactionTimeoutMs, and the brokers' transaction.max.timeout.ms)`,
          );
        }
        pending = pending.filter((p) => p !== transaction);
        ctx.count('kafkaTransactionsCommitted');
      }
    },
    async close() {
      // An open transaction (not pre-committed) is aborted now rather than
      // blocking read_committed consumers until it times out; pre-committed
      // ones stay for the next attempt to commit.
      const transaction = current;
      current = undefined;
      prepared = undefined;
      if (transaction) {
        const started = await transaction.ready.then(() => true, () => false);
        if (started) await endTransaction(connection, handleOf(transaction.producer), false, 5000).catch(() => undefined);
      }
      await connection.disconnect();
    },
  };
}
