import type { Frame, FrameKind } from '@weir/protocol/runtime';
import { OutputChannel } from './output-channel.ts';
import type { RecordWriter } from './record-writer.ts';

/**
 * All outgoing channels of a subtask. The task waits on `available()` before
 * reading more input, so no backlog grows beyond one input frame's output.
 */
export class TaskOutput {
  readonly writers: RecordWriter[] = [];
  /** Writers of side-output edges, by tag. */
  private readonly sideWriters = new Map<string, RecordWriter[]>();
  private readonly channels = new Map<string, OutputChannel>();
  private waiter: (() => void) | undefined;
  private readonly send: (channel: string, frame: Frame) => void;
  /** Records the chain's last operator emitted. */
  recordsOut = 0;

  constructor(send: (channel: string, frame: Frame) => void) {
    this.send = send;
  }

  /** Adds a channel; `send`: its own way to its consumer (a local channel's port), else the output's. */
  createChannel(id: string, send?: (channel: string, frame: Frame) => void): OutputChannel {
    const channel = new OutputChannel(id, send ?? this.send);
    this.channels.set(id, channel);
    return channel;
  }

  /** Adds the writer of an outgoing edge: the main output, or the side output `sideOutput`. */
  addWriter(writer: RecordWriter, sideOutput?: string): void {
    if (sideOutput === undefined) {
      this.writers.push(writer);
      return;
    }
    const list = this.sideWriters.get(sideOutput) ?? [];
    list.push(writer);
    this.sideWriters.set(sideOutput, list);
  }

  /** The chain's last operator emits here: every outgoing edge gets the record (with its timestamp; NaN: none). */
  emit(record: unknown, timestamp = Number.NaN): void {
    this.recordsOut++;
    const writers = this.writers;
    for (let i = 0; i < writers.length; i++) writers[i]!.emit(record, timestamp);
  }

  /** An operator of the chain emits to its side output `tag`; without an edge for it, the record is dropped. */
  emitSide(tag: string, record: unknown, timestamp = Number.NaN): void {
    const writers = this.sideWriters.get(tag);
    if (!writers) return;
    this.recordsOut++;
    for (const writer of writers) writer.emit(record, timestamp);
  }

  onCredit(channelId: string, credits: number): void {
    this.channels.get(channelId)?.onCredit(credits);
    if (this.waiter && this.isAvailable()) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter();
    }
  }

  isAvailable(): boolean {
    for (const channel of this.channels.values()) if (channel.backlogFrames > 0) return false;
    return true;
  }

  /** Resolves once every channel has sent its backlog (or at once, when there is none). */
  available(): Promise<void> {
    if (this.isAvailable()) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Wakes a waiter so it can notice cancellation. */
  interrupt(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  flushAll(): void {
    for (const channel of this.channels.values()) channel.flush();
  }

  /** Sends an in-line event on every channel, main and side outputs. */
  broadcastEvent(kind: FrameKind, watermark = 0, checkpointId = 0): void {
    for (const writer of this.writers) writer.broadcastEvent(kind, watermark, checkpointId);
    for (const writers of this.sideWriters.values()) for (const writer of writers) writer.broadcastEvent(kind, watermark, checkpointId);
  }

  backlogFrames(): number {
    let n = 0;
    for (const channel of this.channels.values()) n += channel.backlogFrames;
    return n;
  }

}
