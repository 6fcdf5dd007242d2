import { keyGroupForKeyString, keyToString, operatorIndexForKeyGroup, type Partitioning } from '@weir/common/runtime';
import { FrameKind } from '@weir/protocol/runtime';
import type { OutputChannel } from './output-channel.ts';

/**
 * Writes a subtask's output for one outgoing edge: picks the channel of each
 * record by the edge's partitioning (hash by key group exactly as Flink does).
 */
export class RecordWriter {
  private readonly channels: OutputChannel[];
  private readonly partitioning: Partitioning;
  private readonly keySelector: ((record: unknown) => unknown) | undefined;
  private readonly maxParallelism: number;
  private roundRobin: number;

  constructor(channels: OutputChannel[], partitioning: Partitioning, maxParallelism: number, keySelector: ((record: unknown) => unknown) | undefined, subtaskIndex: number) {
    this.channels = channels;
    this.partitioning = partitioning;
    this.keySelector = keySelector;
    this.maxParallelism = maxParallelism;
    this.roundRobin = subtaskIndex;
  }

  /** Writes a record with its event-time timestamp (NaN: none) to the channel(s) its partitioning picks. */
  emit(record: unknown, timestamp = Number.NaN): void {
    const channels = this.channels;
    switch (this.partitioning) {
      case 'forward': {
        const channel = channels[0]!;
        if (channel.push(record, timestamp)) channel.flush();
        return;
      }
      case 'hash': {
        const key = keyToString(this.keySelector!(record));
        const group = keyGroupForKeyString(key, this.maxParallelism);
        const channel = channels[operatorIndexForKeyGroup(group, channels.length, this.maxParallelism)]!;
        if (channel.push(record, timestamp)) channel.flush();
        return;
      }
      case 'rebalance': {
        const channel = channels[this.roundRobin++ % channels.length]!;
        if (channel.push(record, timestamp)) channel.flush();
        return;
      }
      case 'broadcast':
        for (const channel of channels) if (channel.push(record, timestamp)) channel.flush();
        return;
    }
  }

  flushAll(): void {
    for (const channel of this.channels) channel.flush();
  }

  broadcastEvent(kind: FrameKind, watermark = 0, checkpointId = 0): void {
    for (const channel of this.channels) channel.event(kind, watermark, checkpointId);
  }

  endOfPartition(): void {
    this.broadcastEvent(FrameKind.EndOfPartition);
  }
}
