import { type WatermarkStrategySpec } from '@weir/common/runtime';
import { backoffDelayMs, sleep, type SplitStatus } from '@weir/protocol/runtime';
import type { Emit, OperatorContext, SourceOperator } from '../../runtime/operator.ts';
import { SplitWatermarks } from '../../runtime/time/split-watermarks.ts';
import { KafkaClient, type FetchedBatch, type FetchFailure } from './kafka-client.ts';
import type { FetchedRecords } from './fetched-records.ts';
import { fetchedRecordDecoder, rawText, TOMBSTONE } from './kafka-deserializers.ts';
import { parseKafkaSourceConfig, topicSelection, type StartingOffsets } from './kafka-source-config.ts';
import { restoreOffsets, stateItem, type PartitionOffset } from './kafka-source-state.ts';
import { missingTopics, ownedPartitions, selectTopics, splitId, type TopicPartition } from './partition-assignment.ts';

/** One partition this subtask reads. */
interface PartitionReader extends TopicPartition {
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
interface Chunk {
  reader: PartitionReader;
  records: FetchedRecords;
  next: number;
}

const IDLE_POLL_MS = 50;
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
  const chunks: Chunk[] = [];
  const pendingCommits = new Map<number, PartitionOffset[]>();
  const stopping = new AbortController();
  let client: KafkaClient | undefined;
  let bounded = config.bounded;
  let buffered = 0;
  let failure: Error | undefined;
  let dataArrived: (() => void) | undefined;
  let spaceFreed: (() => void) | undefined;
  let loops: Promise<unknown>[] = [];
  let commits: Promise<void> = Promise.resolve();

  function addReader(tp: TopicPartition, offset: number, stop: number | undefined): void {
    const id = splitId(tp);
    readers.set(id, {
      ...tp,
      id,
      position: offset,
      fetchOffset: offset,
      stop,
      highWatermark: undefined,
      buffered: 0,
      checkpointed: undefined,
      waiting: undefined,
      done: stop !== undefined && offset >= stop,
    });
    if (stop === undefined || offset < stop) watermarks.addSplit(id);
  }

  async function startOffsets(partitions: TopicPartition[], initializer: StartingOffsets): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    for (const topic of new Set(partitions.map((p) => p.topic))) {
      const wanted = partitions.filter((p) => p.topic === topic);
      const ends = new Map((await client!.offsets(topic)).map((o) => [o.partition, o]));
      let chosen: Map<number, number>;
      switch (initializer.kind) {
        case 'earliest':
          chosen = new Map([...ends].map(([p, o]) => [p, o.low]));
          break;
        case 'latest':
          chosen = new Map([...ends].map(([p, o]) => [p, o.high]));
          break;
        case 'timestamp':
          chosen = await client!.offsetsForTimestamp(topic, initializer.timestampMs ?? 0);
          break;
        case 'committed': {
          const committed = await client!.committedOffsets(config.groupId!, topic);
          chosen = new Map(
            [...ends].map(([p, o]) => {
              const c = committed.get(p) ?? -1;
              return [p, c >= 0 ? c : initializer.resetTo === 'latest' ? o.high : o.low];
            }),
          );
          break;
        }
      }
      for (const tp of wanted) {
        const offset = chosen.get(tp.partition);
        if (offset === undefined) throw new Error(`Kafka returned no offsets for partition ${splitId(tp)}: the topic changed while the source started; it will retry`);
        result.set(splitId(tp), offset);
      }
    }
    return result;
  }

  async function endOffsets(partitions: TopicPartition[]): Promise<Map<string, number>> {
    return startOffsets(partitions, { kind: 'latest' });
  }

  /** Fetches ahead while the buffer has room, with backoff while brokers are unreachable. */
  async function fetchLoop(): Promise<void> {
    let failures = 0;
    while (!stopping.signal.aborted) {
      if (buffered >= config.maxBufferedRecords) {
        await new Promise<void>((resolve) => (spaceFreed = resolve));
        continue;
      }
      const fetchable = [...readers.values()].filter((r) => !r.done && (r.stop === undefined || r.fetchOffset < r.stop));
      if (fetchable.length === 0) {
        await sleep(IDLE_POLL_MS * 2, stopping.signal);
        continue;
      }
      let batches: FetchedBatch[] = [];
      let problems: FetchFailure[] = [];
      try {
        ({ batches, failures: problems } = await client!.fetch(fetchable, {
          maxWaitMs: config.fetchMaxWaitMs,
          maxBytes: config.fetchMaxBytes,
          partitionMaxBytes: config.partitionFetchMaxBytes,
        }));
      } catch (error) {
        problems = [{ partitions: fetchable, error: error as FetchFailure['error'] }];
      }
      if (stopping.signal.aborted) return;
      let arrived = false;
      for (const batch of batches) arrived = take(batch) || arrived;
      if (arrived) wake();
      const retry = problems.filter((p) => !(p.error.name === 'KafkaJSOffsetOutOfRange'));
      for (const p of problems) if (p.error.name === 'KafkaJSOffsetOutOfRange') await resetOutOfRange(p);
      if (retry.length === 0) {
        failures = 0;
        continue;
      }
      const delay = backoffDelayMs(failures++, 100, 5000);
      for (const p of retry) {
        for (const tp of p.partitions) {
          const reader = readers.get(splitId(tp));
          if (reader) reader.waiting = `cannot fetch from Kafka (${p.error.message}); retry ${failures} in ${delay} ms`;
        }
      }
      ctx.count('kafkaFetchRetries');
      await sleep(delay, stopping.signal);
      await client!.refreshMetadata().catch(() => undefined);
    }
  }

  /** Buffers a fetched batch; true when it held records. */
  function take(batch: FetchedBatch): boolean {
    const reader = readers.get(splitId(batch));
    if (!reader) return false;
    reader.waiting = undefined;
    reader.highWatermark = batch.highWatermark;
    const records = batch.records;
    if (reader.stop !== undefined) {
      let keep = records.length;
      while (keep > 0 && records.offset(keep - 1) >= reader.stop) keep--;
      records.truncate(keep);
    }
    reader.fetchOffset = Math.max(reader.fetchOffset, batch.nextOffset);
    if (records.length === 0) return false;
    chunks.push({ reader, records, next: 0 });
    reader.buffered += records.length;
    buffered += records.length;
    return true;
  }

  /** The broker no longer has the offset (retention deleted it): continue at the earliest offset it has. */
  async function resetOutOfRange(problem: FetchFailure): Promise<void> {
    const { topic, partition } = problem.error;
    const reader = topic !== undefined && partition !== undefined ? readers.get(splitId({ topic, partition })) : undefined;
    if (!reader) return;
    try {
      const earliest = (await startOffsets([reader], { kind: 'earliest' })).get(reader.id)!;
      ctx.deadLetters.write({
        reason: `offset ${reader.fetchOffset} is out of range on the broker (deleted by retention?); continuing at offset ${earliest}`,
        origin: { topic: reader.topic, partition: reader.partition, offset: reader.fetchOffset },
        raw: '',
      });
      ctx.count('kafkaOffsetResets');
      if (reader.buffered === 0) reader.position = earliest;
      reader.fetchOffset = earliest;
    } catch (error) {
      reader.waiting = `offset ${reader.fetchOffset} is out of range and the earliest offset is unknown (${(error as Error).message})`;
    }
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
        const offsets = await startOffsets(found, { kind: 'earliest' });
        await client!.refreshMetadata();
        for (const tp of found) if (!readers.has(splitId(tp))) addReader(tp, offsets.get(splitId(tp))!, undefined);
        ctx.count('kafkaPartitionsDiscovered', found.length);
      } catch {
        ctx.count('kafkaDiscoveryFailures');
      }
    }
  }

  function wake(): void {
    const w = dataArrived;
    dataArrived = undefined;
    w?.();
  }

  function finished(): boolean {
    if (!bounded || buffered > 0) return false;
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
      client = await KafkaClient.connect({
        brokers: config.bootstrapServers,
        clientId: config.clientId ?? `weir-${ctx.runtime.jobId}-${ctx.runtime.operatorId}-${subtaskIndex}`,
        isolationLevel: config.isolationLevel,
      });
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
      const starts = await startOffsets(fresh, restored ? { kind: 'earliest' } : config.startingOffsets);
      const needStop = bounded ? partitions.filter((tp) => restored?.owned.get(splitId(tp))?.stop === undefined) : [];
      const stops = await endOffsets(needStop);
      for (const tp of partitions) {
        const id = splitId(tp);
        const saved = restored?.owned.get(id);
        const offset = saved?.offset ?? starts.get(id)!;
        const stop = bounded ? (saved?.stop ?? stops.get(id)!) : undefined;
        addReader(tp, offset, stop);
        if (saved) readers.get(id)!.checkpointed = saved.offset;
      }
      loops = [fetchLoop()];
      if (!bounded && config.partitionDiscoveryIntervalMs > 0) loops.push(discoveryLoop());
      for (const loop of loops) {
        loop.catch((error: unknown) => {
          failure ??= new Error(`the Kafka source stopped reading: ${(error as Error)?.message ?? String(error)}`, { cause: error });
          wake();
        });
      }
    },

    async emitBatch(max) {
      if (failure) throw failure;
      if (chunks.length === 0) {
        if (finished()) return false;
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          dataArrived = resolve;
          timer = setTimeout(resolve, IDLE_POLL_MS);
        });
        clearTimeout(timer);
        dataArrived = undefined;
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
        buffered -= taken;
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
      if (buffered < config.maxBufferedRecords / 2 && spaceFreed) {
        const s = spaceFreed;
        spaceFreed = undefined;
        s();
      }
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
      return [...readers.values()].map((r) => {
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
      });
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
      spaceFreed?.();
      wake();
      await Promise.allSettled(loops);
      await commits;
      await client?.close();
    },
  };
}

