import type { Frame, FrameKind } from '@weir/common/runtime';
import { OutputChannel } from './output-channel.ts';
import type { RecordWriter } from './record-writer.ts';

/**
 * All outgoing channels of a subtask. The task waits on `available()` before
 * reading more input, so no backlog grows beyond one input frame's output.
 */
export class TaskOutput {
  readonly writers: RecordWriter[] = [];
  private readonly channels = new Map<string, OutputChannel>();
  private waiter: (() => void) | undefined;
  private readonly send: (channel: string, frame: Frame) => void;
  /** Records the chain's last operator emitted. */
  recordsOut = 0;

  constructor(send: (channel: string, frame: Frame) => void) {
    this.send = send;
  }

  createChannel(id: string): OutputChannel {
    const channel = new OutputChannel(id, this.send);
    this.channels.set(id, channel);
    return channel;
  }

  addWriter(writer: RecordWriter): void {
    this.writers.push(writer);
  }

  /** The chain's last operator emits here: every outgoing edge gets the record. */
  emit(record: unknown): void {
    this.recordsOut++;
    const writers = this.writers;
    for (let i = 0; i < writers.length; i++) writers[i]!.emit(record);
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

  broadcastEvent(kind: FrameKind, watermark = 0, checkpointId = 0): void {
    for (const writer of this.writers) writer.broadcastEvent(kind, watermark, checkpointId);
  }

  backlogFrames(): number {
    let n = 0;
    for (const channel of this.channels.values()) n += channel.backlogFrames;
    return n;
  }

}
