import { encodeRecords, FrameKind, type Frame } from '@weir/protocol/runtime';

const TARGET_FRAME_BYTES = 32 * 1024;
const MIN_BATCH = 16;
const MAX_BATCH = 4096;

/**
 * The sending end of one channel (a subpartition of a ResultPartition).
 * Records gather until a frame's worth is there, are serialized once per
 * frame, and are sent only against credit the receiver granted; frames
 * without credit wait in a backlog the task drains before reading more.
 */
export class OutputChannel {
  readonly id: string;
  private records: unknown[] = [];
  /** Timestamps of `records`, kept from the first record that has one (NaN for those without). */
  private timestamps: number[] | undefined;
  private readonly backlog: Frame[] = [];
  private credits = 0;
  private batchSize = 256;
  private readonly send: (channel: string, frame: Frame) => void;
  recordsOut = 0;

  constructor(id: string, send: (channel: string, frame: Frame) => void) {
    this.id = id;
    this.send = send;
  }

  /** Adds a record with its event-time timestamp (NaN: none); returns true when a frame is full and should be flushed. */
  push(record: unknown, timestamp = Number.NaN): boolean {
    if (this.timestamps) this.timestamps.push(timestamp);
    else if (timestamp === timestamp) {
      // The first timestamped record of the frame: the ones before it have none.
      this.timestamps = new Array<number>(this.records.length).fill(Number.NaN);
      this.timestamps.push(timestamp);
    }
    this.records.push(record);
    return this.records.length >= this.batchSize;
  }

  get pendingRecords(): number {
    return this.records.length;
  }

  get backlogFrames(): number {
    return this.backlog.length;
  }

  /** Packs the gathered records into one frame and sends or queues it. */
  flush(): void {
    const records = this.records;
    if (records.length === 0) return;
    const timestamps = this.timestamps;
    this.records = [];
    this.timestamps = undefined;
    const packed = encodeRecords(records, timestamps);
    // msgpackr hands out slices of a shared buffer: copy into an owned one so
    // the frame's buffer can be transferred to another thread.
    const payload = new Uint8Array(packed);
    const perRecord = payload.byteLength / records.length;
    this.batchSize = Math.max(MIN_BATCH, Math.min(MAX_BATCH, Math.round(TARGET_FRAME_BYTES / Math.max(1, perRecord))));
    this.recordsOut += records.length;
    this.enqueue({ kind: FrameKind.Records, payload, recordCount: records.length, watermark: 0, checkpointId: 0 });
  }

  /** Sends an in-line event (watermark, barrier, end-of-partition) after the records before it. */
  event(kind: FrameKind, watermark = 0, checkpointId = 0): void {
    this.flush();
    this.enqueue({ kind, payload: new Uint8Array(0), recordCount: 0, watermark, checkpointId });
  }

  onCredit(credits: number): void {
    this.credits += credits;
    while (this.credits > 0 && this.backlog.length > 0) {
      this.credits--;
      this.send(this.id, this.backlog.shift()!);
    }
  }

  private enqueue(frame: Frame): void {
    if (this.credits > 0 && this.backlog.length === 0) {
      this.credits--;
      this.send(this.id, frame);
    } else {
      this.backlog.push(frame);
    }
  }
}
