// Routes the Kafka sink's records into per-partition batches and sends them: one request in flight, after a short linger or enough bytes.
import type { KafkaSinkWriter } from './kafka-sink-writer.ts';
import type { RecordAccumulator } from './record-accumulator.ts';

/** How long records may wait for more to join their request, and how many bytes make a request worth sending at once. */
export interface LingerSettings {
  lingerMs: number;
  lingerBytes: number;
}

/** Records of topics without metadata yet held before the task waits for the metadata. */
export const MAX_UNROUTED_RECORDS = 10_000;

/** Like the Java producer's linger.ms (5 ms since Kafka 4.0): fewer, larger requests cost the broker less CPU. */
export const DEFAULT_LINGER: LingerSettings = { lingerMs: 5, lingerBytes: 256 * 1024 };

/**
 * Sends the sink's accumulated records, one request at a time (so records
 * keep their order per partition, and sequence numbers stay simple), while
 * the task goes on appending: when a request completes, the next one takes
 * everything that accumulated meanwhile, so requests grow with the broker's
 * latency instead of queueing many small ones; a request also waits up to
 * `lingerMs` for `lingerBytes` to accumulate (`offer`). The task waits while more
 * than a bound of full batches wait (`waitForRoom`), and for everything on a
 * checkpoint or at the end (`flush`). The first failure is kept and thrown
 * by the next wait: nothing after it is sent.
 */
export class KafkaSinkSender {
  private readonly accumulator: RecordAccumulator;
  private readonly writer: Pick<KafkaSinkWriter, 'send' | 'loadTopics'>;
  private readonly linger: LingerSettings;
  private inFlight: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly onSent: (() => void) | undefined;

  /** `onSent` is called after each request the broker acknowledged (for a metric). */
  constructor(accumulator: RecordAccumulator, writer: Pick<KafkaSinkWriter, 'send' | 'loadTopics'>, linger: LingerSettings = DEFAULT_LINGER, onSent?: () => void) {
    this.accumulator = accumulator;
    this.writer = writer;
    this.linger = linger;
    this.onSent = onSent;
  }

  /** Starts a request if enough bytes accumulated or the oldest record lingered long enough; otherwise sets a timer for it. */
  offer(now = Date.now()): void {
    if (this.inFlight || this.failure || this.accumulator.size === 0) return;
    const acc = this.accumulator;
    const waited = now - acc.oldestAppend;
    if (waited >= this.linger.lingerMs || acc.batchedBytes >= this.linger.lingerBytes || acc.waitingBytes > 0 || acc.unroutedTopics.length > 0) {
      this.kick();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.offer();
    }, this.linger.lingerMs - waited);
  }

  /** A request is being sent. */
  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /** Starts a request unless one is in flight or nothing waits. */
  kick(): void {
    if (this.inFlight || this.failure || this.accumulator.size === 0) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.inFlight = this.sendOnce().then(
      () => {
        this.inFlight = undefined;
        this.offer();
      },
      (error: unknown) => {
        this.failure ??= { error };
        this.inFlight = undefined;
      },
    );
  }

  /** Resolves once at most `maxWaitingBytes` of full batches (and MAX_UNROUTED_RECORDS records without metadata) wait; throws the first failure. */
  async waitForRoom(maxWaitingBytes: number): Promise<void> {
    while (!this.failure && (this.accumulator.waitingBytes > maxWaitingBytes || this.accumulator.unroutedRecords > MAX_UNROUTED_RECORDS)) {
      this.kick();
      await this.inFlight;
    }
    this.throwIfFailed();
  }

  /** Resolves once every record appended so far was sent; throws the first failure. */
  async flush(): Promise<void> {
    for (;;) {
      this.throwIfFailed();
      if (!this.inFlight) {
        if (this.accumulator.size === 0) return;
        this.kick();
      }
      await this.inFlight;
    }
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  /** Stops the linger timer (the sink is closing). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async sendOnce(): Promise<void> {
    const topics = this.accumulator.unroutedTopics;
    if (topics.length > 0) {
      await this.writer.loadTopics(topics);
      for (const topic of topics) {
        if (!this.accumulator.route(topic, Date.now())) throw new Error(`Kafka has no partitions for topic ${topic}: create it, or let the brokers create topics (auto.create.topics.enable)`);
      }
    }
    const batches = this.accumulator.drain();
    try {
      if (batches.length > 0) {
        await this.writer.send(batches);
        this.onSent?.();
      }
    } finally {
      // A send may have refreshed the metadata (leaders moved, partitions added).
      this.accumulator.forgetMetadata();
    }
  }
}
