// The queues of the async wait operator (Flink's OrderedStreamElementQueue
// and UnorderedStreamElementQueue): records in flight and the watermarks
// between them, and what of them may be emitted now.

/** One input record of the async operator, from its first call until its results are emitted. */
export interface AsyncEntry {
  readonly record: unknown;
  /** The record's event time (NaN: none); its results carry it. */
  readonly timestamp: number;
  /** Set once complete: the results to emit... */
  results?: readonly unknown[];
  /** ...or the error to hand to the error policy. */
  error?: unknown;
  done: boolean;
}

/** What the operator does with what a queue releases. */
export interface QueueOutput {
  entry(entry: AsyncEntry): void;
  watermark(watermark: number): void;
}

/** Records in flight and the watermarks between them. */
export interface StreamElementQueue {
  /** Entries not yet emitted (in flight or complete). */
  readonly size: number;
  add(entry: AsyncEntry): void;
  addWatermark(watermark: number): void;
  /** `entry` is done (its `results` or `error` set). */
  complete(entry: AsyncEntry): void;
  /** Emits, in order, every entry and watermark that may go now; returns how many entries went. */
  drain(out: QueueOutput): number;
  /** The entries not yet emitted (a checkpoint keeps their records), oldest first. */
  entries(): AsyncEntry[];
}

/** Results in input order; a watermark goes once every record before it has. */
export class OrderedQueue implements StreamElementQueue {
  private items: (AsyncEntry | number)[] = [];
  private head = 0;
  size = 0;

  add(entry: AsyncEntry): void {
    this.items.push(entry);
    this.size++;
  }

  addWatermark(watermark: number): void {
    this.items.push(watermark);
  }

  complete(): void {}

  drain(out: QueueOutput): number {
    let emitted = 0;
    const items = this.items;
    while (this.head < items.length) {
      const item = items[this.head]!;
      if (typeof item === 'number') out.watermark(item);
      else if (item.done) {
        this.size--;
        emitted++;
        out.entry(item);
      } else break;
      items[this.head++] = 0;
    }
    if (this.head > 1024 && this.head * 2 > items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
    return emitted;
  }

  entries(): AsyncEntry[] {
    return this.items.slice(this.head).filter((item): item is AsyncEntry => typeof item !== 'number');
  }
}

/** The records between two watermarks, and the watermark that closes them. */
interface Segment {
  pending: number;
  ready: AsyncEntry[];
  readonly members: Set<AsyncEntry>;
  /** The watermark after this segment's records; undefined for the open (last) segment. */
  closedBy: number | undefined;
}

/**
 * Results as they complete, but never across a watermark: records are
 * grouped into segments between watermarks, and only the oldest segment
 * emits; it gives way to the next once its records are out and its
 * watermark has gone.
 */
export class UnorderedQueue implements StreamElementQueue {
  private readonly segments: Segment[] = [UnorderedQueue.segment()];
  private readonly segmentOf = new Map<AsyncEntry, Segment>();
  size = 0;

  private static segment(): Segment {
    return { pending: 0, ready: [], members: new Set(), closedBy: undefined };
  }

  add(entry: AsyncEntry): void {
    const open = this.segments[this.segments.length - 1]!;
    open.pending++;
    open.members.add(entry);
    this.segmentOf.set(entry, open);
    this.size++;
  }

  addWatermark(watermark: number): void {
    const open = this.segments[this.segments.length - 1]!;
    open.closedBy = watermark;
    this.segments.push(UnorderedQueue.segment());
  }

  complete(entry: AsyncEntry): void {
    const segment = this.segmentOf.get(entry);
    if (!segment) return;
    segment.pending--;
    segment.ready.push(entry);
  }

  drain(out: QueueOutput): number {
    let emitted = 0;
    for (;;) {
      const head = this.segments[0]!;
      if (head.ready.length > 0) {
        const ready = head.ready;
        head.ready = [];
        for (const entry of ready) {
          head.members.delete(entry);
          this.segmentOf.delete(entry);
          this.size--;
          emitted++;
          out.entry(entry);
        }
      }
      if (head.pending > 0 || head.closedBy === undefined) return emitted;
      out.watermark(head.closedBy);
      this.segments.shift();
    }
  }

  entries(): AsyncEntry[] {
    return this.segments.flatMap((segment) => [...segment.members]);
  }
}
