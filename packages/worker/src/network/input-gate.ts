import type { Frame } from '@weir/protocol/runtime';

/** One producer subtask's channel into this subtask. */
export interface InputChannel {
  readonly id: string;
  readonly inputIndex: number;
  readonly queue: Frame[];
  /** EndOfPartition arrived: nothing more will. */
  ended: boolean;
  /** EndOfData arrived: no more records, but barriers may follow. */
  endOfData: boolean;
  /** Held back while the task aligns a checkpoint's barriers. */
  blocked: boolean;
  /** Hands credits back to the channel's producer. */
  readonly grant: (credits: number) => void;
}

/** Hands `credits` for channel `channel` back to its producer. */
export type GrantCredits = (channel: string, credits: number) => void;

/**
 * All input channels of a subtask (Flink's InputGate). Frames arrive as
 * messages; the task takes them one at a time, round-robin over channels, and
 * hands a credit back for each frame it has processed, so at most
 * `initialCredits` frames per channel are ever queued here.
 */
export class InputGate {
  private readonly channels: InputChannel[] = [];
  private readonly byId = new Map<string, InputChannel>();
  private next = 0;
  private wake: (() => void) | undefined;
  private closed = false;
  private woken = false;
  private readonly grant: GrantCredits;

  /** `grant`: how credits go back to producers, for channels added without their own. */
  constructor(grant: GrantCredits) {
    this.grant = grant;
  }

  /** Adds a channel; `grant`: its own way back to its producer (a local channel's port), else the gate's. */
  addChannel(id: string, inputIndex: number, grant?: (credits: number) => void): void {
    const shared = this.grant;
    const channel: InputChannel = {
      id,
      inputIndex,
      queue: [],
      ended: false,
      endOfData: false,
      blocked: false,
      grant: grant ?? ((credits) => shared(id, credits)),
    };
    this.channels.push(channel);
    this.byId.set(id, channel);
  }

  get channelCount(): number {
    return this.channels.length;
  }

  /** Grants every channel its initial credits, telling producers they may send. */
  open(initialCredits: number): void {
    for (const channel of this.channels) channel.grant(initialCredits);
  }

  onFrame(channelId: string, frame: Frame): void {
    const channel = this.byId.get(channelId);
    if (!channel) return; // a channel of another attempt: drop
    channel.queue.push(frame);
    this.signal();
  }

  /** Makes the pending or next `take()` return 'woken' (a timer is due). */
  interrupt(): void {
    this.woken = true;
    this.signal();
  }

  /** Wakes a waiting `take()` so it can notice cancellation. */
  close(): void {
    this.closed = true;
    this.signal();
  }

  /**
   * The next frame; 'woken' when `interrupt()` was called; undefined once every
   * channel has ended or the gate was closed.
   */
  async take(): Promise<{ channel: InputChannel; frame: Frame } | 'woken' | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      if (this.woken) {
        this.woken = false;
        return 'woken';
      }
      let open = 0;
      const count = this.channels.length;
      for (let i = 0; i < count; i++) {
        const channel = this.channels[(this.next + i) % count]!;
        if (channel.ended) continue;
        open++;
        if (channel.blocked) continue;
        const frame = channel.queue.shift();
        if (!frame) continue;
        this.next = (this.next + i + 1) % count;
        return { channel, frame };
      }
      if (open === 0) return undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** Every channel, for alignment bookkeeping. */
  all(): readonly InputChannel[] {
    return this.channels;
  }

  /** Lets blocked channels deliver again (alignment done or aborted). */
  unblockAll(): void {
    for (const channel of this.channels) channel.blocked = false;
    this.signal();
  }

  /** The task is done with a frame of this channel: the producer may send another. */
  release(channel: InputChannel): void {
    channel.grant(1);
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
