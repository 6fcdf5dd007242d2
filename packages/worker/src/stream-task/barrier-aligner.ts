import type { CheckpointMode } from '@weir/common/runtime';
import type { InputChannel, InputGate } from '../network/input-gate.ts';

/**
 * Aligns checkpoint barriers over a task's input channels. In exactly-once
 * mode a channel whose barrier has arrived is blocked until the barrier has
 * arrived on every channel (ended channels count as arrived), so the snapshot
 * reflects exactly the records before the barrier. In at-least-once mode
 * channels keep flowing and the checkpoint is taken when the last barrier
 * arrives.
 */
export class BarrierAligner {
  private readonly gate: InputGate;
  private readonly mode: CheckpointMode;
  private current: { id: number; received: Set<InputChannel>; startedAt: number } | undefined;
  /** Highest checkpoint taken (or aborted) by this task. */
  lastId = 0;

  constructor(gate: InputGate, mode: CheckpointMode) {
    this.gate = gate;
    this.mode = mode;
  }

  /**
   * A barrier arrived on `channel`. Returns the checkpoint to take now (with
   * how long alignment took) once every channel has delivered it.
   */
  onBarrier(channel: InputChannel, checkpointId: number): { checkpointId: number; alignmentMs: number } | undefined {
    if (checkpointId <= this.lastId) return undefined; // late barrier of an aborted checkpoint
    if (this.current && checkpointId > this.current.id) this.abort();
    this.current ??= { id: checkpointId, received: new Set(), startedAt: performance.now() };
    this.current.received.add(channel);
    if (this.mode === 'exactly-once') channel.blocked = true;
    return this.check();
  }

  /** A channel ended: it no longer holds alignment back. */
  onChannelEnded(): { checkpointId: number; alignmentMs: number } | undefined {
    return this.current ? this.check() : undefined;
  }

  private check(): { checkpointId: number; alignmentMs: number } | undefined {
    const current = this.current!;
    for (const channel of this.gate.all()) if (!channel.ended && !current.received.has(channel)) return undefined;
    this.current = undefined;
    this.lastId = current.id;
    this.gate.unblockAll();
    return { checkpointId: current.id, alignmentMs: performance.now() - current.startedAt };
  }

  private abort(): void {
    this.lastId = Math.max(this.lastId, this.current!.id);
    this.current = undefined;
    this.gate.unblockAll();
  }
}
