// The Kafka source's read-ahead: fetches the partitions it reads into a bounded buffer of chunks, retries with
// backoff while brokers are unreachable, and moves past offsets the brokers no longer have.
import { backoffDelayMs, sleep, type OperatorContext } from '@weir/worker/connector';
import type { FetchedBatch, FetchFailure, KafkaClient } from './kafka-client.ts';
import type { KafkaSourceConfig } from './kafka-source-config.ts';
import type { Chunk, PartitionReader } from './partition-reader.ts';
import { splitId } from './partition-assignment.ts';
import { startOffsets } from './start-offsets.ts';

const IDLE_POLL_MS = 50;

/**
 * Fetches ahead of what the source emits: `run` fetches while fewer than
 * `maxBufferedRecords` records are buffered and appends them to `chunks`,
 * which the source emits from (and reports with `consumed`).
 */
export class FetchAhead {
  /** Fetched records not emitted yet, in the order they arrived. */
  readonly chunks: Chunk[] = [];
  /** Records in `chunks` not emitted yet. */
  buffered = 0;
  private readonly client: KafkaClient;
  private readonly readers: ReadonlyMap<string, PartitionReader>;
  private readonly config: KafkaSourceConfig;
  private readonly ctx: OperatorContext;
  private dataArrived: (() => void) | undefined;
  private spaceFreed: (() => void) | undefined;

  constructor(client: KafkaClient, readers: ReadonlyMap<string, PartitionReader>, config: KafkaSourceConfig, ctx: OperatorContext) {
    this.client = client;
    this.readers = readers;
    this.config = config;
    this.ctx = ctx;
  }

  /** Fetches ahead while the buffer has room, with backoff while brokers are unreachable, until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { config, client } = this;
    let failures = 0;
    while (!signal.aborted) {
      if (this.buffered >= config.maxBufferedRecords) {
        await new Promise<void>((resolve) => (this.spaceFreed = resolve));
        continue;
      }
      const fetchable = [...this.readers.values()].filter((r) => !r.done && (r.stop === undefined || r.fetchOffset < r.stop));
      if (fetchable.length === 0) {
        await sleep(IDLE_POLL_MS * 2, signal);
        continue;
      }
      let batches: FetchedBatch[] = [];
      let problems: FetchFailure[] = [];
      try {
        ({ batches, failures: problems } = await client.fetch(fetchable, {
          maxWaitMs: config.fetchMaxWaitMs,
          maxBytes: config.fetchMaxBytes,
          partitionMaxBytes: config.partitionFetchMaxBytes,
        }));
      } catch (error) {
        problems = [{ partitions: fetchable, error: error as FetchFailure['error'] }];
      }
      if (signal.aborted) return;
      let arrived = false;
      for (const batch of batches) arrived = this.take(batch) || arrived;
      if (arrived) this.wake();
      const retry = problems.filter((p) => !(p.error.name === 'KafkaJSOffsetOutOfRange'));
      for (const p of problems) if (p.error.name === 'KafkaJSOffsetOutOfRange') await this.resetOutOfRange(p);
      if (retry.length === 0) {
        failures = 0;
        continue;
      }
      const delay = backoffDelayMs(failures++, 100, 5000);
      for (const p of retry) {
        for (const tp of p.partitions) {
          const reader = this.readers.get(splitId(tp));
          if (reader) reader.waiting = `cannot fetch from Kafka (${p.error.message}); retry ${failures} in ${delay} ms`;
        }
      }
      this.ctx.count('kafkaFetchRetries');
      await sleep(delay, signal);
      await client.refreshMetadata().catch(() => undefined);
    }
  }

  /** Waits until records arrive (or `wake`), at most the idle poll interval. */
  async waitForData(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.dataArrived = resolve;
      timer = setTimeout(resolve, IDLE_POLL_MS);
    });
    clearTimeout(timer);
    this.dataArrived = undefined;
  }

  /** Ends a wait for data at once (records arrived, the source failed or closes). */
  wake(): void {
    const w = this.dataArrived;
    this.dataArrived = undefined;
    w?.();
  }

  /** `n` buffered records were emitted; fetching resumes once the buffer is half empty. */
  consumed(n: number): void {
    this.buffered -= n;
  }

  /** Lets a paused fetch go on when the buffer has room again (or unconditionally, to stop). */
  release(force = false): void {
    if (!this.spaceFreed || (!force && this.buffered >= this.config.maxBufferedRecords / 2)) return;
    const s = this.spaceFreed;
    this.spaceFreed = undefined;
    s();
  }

  /** Buffers a fetched batch; true when it held records. */
  private take(batch: FetchedBatch): boolean {
    const reader = this.readers.get(splitId(batch));
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
    this.chunks.push({ reader, records, next: 0 });
    reader.buffered += records.length;
    this.buffered += records.length;
    return true;
  }

  /** The broker no longer has the offset (retention deleted it): continue at the earliest offset it has. */
  private async resetOutOfRange(problem: FetchFailure): Promise<void> {
    const { topic, partition } = problem.error;
    const reader = topic !== undefined && partition !== undefined ? this.readers.get(splitId({ topic, partition })) : undefined;
    if (!reader) return;
    try {
      const earliest = (await startOffsets(this.client, [reader], { kind: 'earliest' }, this.config.groupId)).get(reader.id)!;
      this.ctx.deadLetters.write({
        reason: `offset ${reader.fetchOffset} is out of range on the broker (deleted by retention?); continuing at offset ${earliest}`,
        origin: { topic: reader.topic, partition: reader.partition, offset: reader.fetchOffset },
        raw: '',
      });
      this.ctx.count('kafkaOffsetResets');
      if (reader.buffered === 0) reader.position = earliest;
      reader.fetchOffset = earliest;
    } catch (error) {
      reader.waiting = `offset ${reader.fetchOffset} is out of range and the earliest offset is unknown (${(error as Error).message})`;
    }
  }
}
