// The Kafka source operator: which partitions a subtask reads and from where (fresh start, restore, discovery),
// emitting fetched records into the chain, its checkpointed offsets, and its status.
import type { WatermarkStrategySpec } from '@weir/common/runtime';
import { sleep, SplitWatermarks, type Emit, type OperatorContext, type SourceOperator, type SplitStatus } from '@weir/worker/connector';
import type { FetchedRecords } from '../wire/fetched-records.ts';
import { FetchAhead } from './fetch-ahead.ts';
import { kafkaClientId } from '../../kafka-client-config.ts';
import { KafkaClient } from './kafka-client.ts';
import { fetchedRecordDecoder, rawText, TOMBSTONE } from './kafka-deserializers.ts';
import { parseKafkaSourceConfig, topicSelection } from './kafka-source-config.ts';
import { restoreOffsets, stateItem, type PartitionOffset } from './kafka-source-state.ts';
import { missingTopics, ownedPartitions, selectTopics, splitId, type TopicPartition } from './partition-assignment.ts';
import { partitionReader, splitStatus, type PartitionReader } from './partition-reader.ts';
import { startOffsets } from './start-offsets.ts';

const PENDING_CHECKPOINTS = 16;

/**
 * Reads Kafka topics (Flink's KafkaSource). Partitions are assigned to
 * subtasks by `ownerOf` (no consumer group), discovered again every
 * `partitionDiscoveryIntervalMs`; positions are the operator state, so a
 * restore resumes exactly after the last record emitted before the
 * checkpoint. Records are fetched ahead into a bounded buffer (fetching
 * pauses while it holds `maxBufferedRecords`) and emitted from it in
 * `emitBatch`. Records that fail to deserialize go to the dead letters with
 * topic, partition and offset. Offsets are committed to the broker, for
 * monitoring only, when a checkpoint completes and the source has a group id.
 */
export function kafkaSource(ctx: OperatorContext, next: Emit): SourceOperator {
  const config = parseKafkaSourceConfig(ctx.descriptor.config);
  const selection = topicSelection(config);
  const { subtaskIndex, parallelism } = ctx.runtime;
  const decode = fetchedRecordDecoder(config, ctx.functions);
  const watermarks = new SplitWatermarks(ctx.descriptor.config.watermarks as WatermarkStrategySpec | undefined, ctx.functions);
  const readers = new Map<string, PartitionReader>();
  const pendingCommits = new Map<number, PartitionOffset[]>();
  const stopping = new AbortController();
  let client: KafkaClient | undefined;
  let fetcher: FetchAhead | undefined;
  let bounded = config.bounded;
  let failure: Error | undefined;
  let loops: Promise<unknown>[] = [];
  let commits: Promise<void> = Promise.resolve();

  function addReader(tp: TopicPartition, offset: number, stop: number | undefined): void {
    const reader = partitionReader(tp, offset, stop);
    readers.set(reader.id, reader);
    if (stop === undefined || offset < stop) watermarks.addSplit(reader.id);
  }

  /** Finds partitions created since the start (new topics of a pattern, partitions added to a topic). */
  async function discoveryLoop(): Promise<void> {
    while (!stopping.signal.aborted) {
      await sleep(config.partitionDiscoveryIntervalMs, stopping.signal);
      if (stopping.signal.aborted) return;
      try {
        const topics = selectTopics(selection, await client!.listTopics());
        const found = ownedPartitions(await client!.partitionsOf(topics), subtaskIndex, parallelism).filter((tp) => !readers.has(splitId(tp)));
        if (found.length === 0) continue;
        // Like Flink: partitions found while running start at their earliest offset, so nothing written to them is missed.
        const offsets = await startOffsets(client!, found, { kind: 'earliest' }, config.groupId);
        await client!.refreshMetadata();
        for (const tp of found) if (!readers.has(splitId(tp))) addReader(tp, offsets.get(splitId(tp))!, undefined);
        ctx.count('kafkaPartitionsDiscovered', found.length);
      } catch {
        ctx.count('kafkaDiscoveryFailures');
      }
    }
  }

  function finished(): boolean {
    if (!bounded || fetcher!.buffered > 0) return false;
    for (const r of readers.values()) if (!r.done) return false;
    return true;
  }

  function deadLetter(reader: PartitionReader, records: FetchedRecords, index: number, error: unknown): void {
    const message = records.message(index);
    ctx.deadLetters.write({
      reason: `cannot deserialize the record: ${(error as Error)?.message ?? String(error)}`,
      origin: {
        topic: reader.topic,
        partition: reader.partition,
        offset: Number(message.offset),
        timestamp: Number(message.timestamp),
        key: message.key === null ? null : rawText(message.key),
      },
      raw: rawText(message.value),
    });
  }

  return {
    // Partitions belong to subtasks by a hash of topic and partition: each subtask picks its own from every item.
    unionListState: true,
    async open() {
      const bootstrap = config.bootstrapServers.join(',');
      client = await KafkaClient.connect({ brokers: config.bootstrapServers, clientId: kafkaClientId(config, ctx.runtime), security: config.security, isolationLevel: config.isolationLevel });
      fetcher = new FetchAhead(client, readers, config, ctx);
      const available = await client.listTopics();
      const missing = missingTopics(selection, available);
      if (missing.length > 0) {
        throw new Error(
          `Kafka topic${missing.length > 1 ? 's' : ''} ${missing.map((t) => `'${t}'`).join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist on ${bootstrap}: create ${missing.length > 1 ? 'them' : 'it'} (kafka-topics.sh --create) or fix the names given to setTopics()`,
        );
      }
      if (config.startingOffsets.kind === 'committed' && !config.groupId) {
        throw new Error('the Kafka source starts from committed offsets but has no group id: call setGroupId()');
      }
      const restored = ctx.restoredState ? restoreOffsets(ctx.restoredState, subtaskIndex, parallelism) : undefined;
      if (restored?.bounded) bounded = true;
      const current = ownedPartitions(await client.partitionsOf(selectTopics(selection, available)), subtaskIndex, parallelism);
      // A restored bounded job reads exactly the partitions it started with.
      const partitions = restored && bounded ? [...restored.owned.values()].map(({ topic, partition }) => ({ topic, partition })) : current;
      const fresh = partitions.filter((tp) => !restored?.owned.has(splitId(tp)));
      // New partitions start where the builder says on a fresh start, at their earliest offset after a restore (as in Flink).
      const starts = await startOffsets(client, fresh, restored ? { kind: 'earliest' } : config.startingOffsets, config.groupId);
      const needStop = bounded ? partitions.filter((tp) => restored?.owned.get(splitId(tp))?.stop === undefined) : [];
      const stops = await startOffsets(client, needStop, { kind: 'latest' }, config.groupId);
      for (const tp of partitions) {
        const id = splitId(tp);
        const saved = restored?.owned.get(id);
        const offset = saved?.offset ?? starts.get(id)!;
        const stop = bounded ? (saved?.stop ?? stops.get(id)!) : undefined;
        addReader(tp, offset, stop);
        if (saved) readers.get(id)!.checkpointed = saved.offset;
      }
      loops = [fetcher.run(stopping.signal)];
      if (!bounded && config.partitionDiscoveryIntervalMs > 0) loops.push(discoveryLoop());
      for (const loop of loops) {
        loop.catch((error: unknown) => {
          failure ??= new Error(`the Kafka source stopped reading: ${(error as Error)?.message ?? String(error)}`, { cause: error });
          fetcher!.wake();
        });
      }
    },

    async emitBatch(max) {
      if (failure) throw failure;
      const ahead = fetcher!;
      const chunks = ahead.chunks;
      if (chunks.length === 0) {
        if (finished()) return false;
        await ctx.waitIdle(ahead.waitForData());
        if (failure) throw failure;
      }
      let budget = max;
      while (budget > 0 && chunks.length > 0) {
        const chunk = chunks[0]!;
        const { reader, records } = chunk;
        const end = Math.min(records.length, chunk.next + budget);
        for (let i = chunk.next; i < end; i++) {
          const offset = records.offset(i);
          let record: unknown;
          try {
            record = decode(records, i, reader.topic, reader.partition);
          } catch (error) {
            deadLetter(reader, records, i, error);
            reader.position = offset + 1;
            continue;
          }
          reader.position = offset + 1;
          if (record === TOMBSTONE) {
            ctx.count('kafkaTombstonesSkipped');
            continue;
          }
          const timestamp = watermarks.timestampOf(record, records.timestamp(i));
          ctx.time.timestamp = timestamp;
          watermarks.onEvent(reader.id, record, timestamp);
          next(record);
        }
        const taken = end - chunk.next;
        budget -= taken;
        reader.buffered -= taken;
        ahead.consumed(taken);
        chunk.next = end;
        if (end === records.length) chunks.shift();
      }
      for (const r of readers.values()) {
        if (r.buffered > 0 || r.done) continue;
        // Everything fetched was emitted: skip what the broker filtered out (transaction markers, aborted records).
        const fetched = r.stop === undefined ? r.fetchOffset : Math.min(r.fetchOffset, r.stop);
        if (fetched > r.position) r.position = fetched;
        if (r.stop !== undefined && r.position >= r.stop) {
          r.done = true;
          watermarks.removeSplit(r.id);
        }
      }
      ahead.release();
      return !finished();
    },

    snapshotState(checkpointId) {
      const offsets = [...readers.values()].map((r): PartitionOffset => ({
        topic: r.topic,
        partition: r.partition,
        offset: r.position,
        ...(r.stop !== undefined ? { stop: r.stop } : {}),
      }));
      pendingCommits.set(checkpointId, offsets);
      for (const id of pendingCommits.keys()) if (pendingCommits.size > PENDING_CHECKPOINTS) pendingCommits.delete(id);
      return [stateItem(subtaskIndex, parallelism, bounded, offsets)];
    },

    watermark() {
      return watermarks.current();
    },

    splits(): SplitStatus[] {
      return [...readers.values()].map((r) => splitStatus(r, watermarks));
    },

    notifyCheckpointComplete(checkpointId) {
      const offsets = pendingCommits.get(checkpointId);
      for (const id of pendingCommits.keys()) if (id <= checkpointId) pendingCommits.delete(id);
      if (!offsets) return;
      for (const o of offsets) {
        const r = readers.get(splitId(o));
        if (r) r.checkpointed = o.offset;
      }
      const groupId = config.groupId;
      if (!groupId || !client) return;
      // For monitoring only (consumer lag tools): never waits for, or fails on, the broker.
      commits = commits.then(() => client!.commit(groupId, offsets).catch(() => ctx.count('kafkaCommitFailures')));
    },

    async close() {
      stopping.abort();
      fetcher?.release(true);
      fetcher?.wake();
      await Promise.allSettled(loops);
      await commits;
      await client?.close();
    },
  };
}
