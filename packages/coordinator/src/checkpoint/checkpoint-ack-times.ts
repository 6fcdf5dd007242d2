// When each subtask acknowledged the latest checkpoints (Flink's per-subtask
// checkpoint statistics), kept in memory for the REST API's checkpoint
// details: since this coordinator took the job, for the newest few.
import type { SubtaskCheckpointAck, SubtaskCheckpointAckView } from '@weir/protocol';

/** How many checkpoints' acknowledgements are kept. */
export const ACK_TIMES_LIMIT = 20;

/** The per-subtask acknowledgements of the newest `ACK_TIMES_LIMIT` checkpoints. */
export class CheckpointAckTimes {
  private readonly byCheckpoint = new Map<number, SubtaskCheckpointAckView[]>();

  /** Records `ack` of checkpoint `checkpointId` (triggered at `triggeredAtMs`), received now. */
  record(checkpointId: number, triggeredAtMs: number, ack: SubtaskCheckpointAck, nowMs = Date.now()): void {
    let acks = this.byCheckpoint.get(checkpointId);
    if (!acks) {
      acks = [];
      this.byCheckpoint.set(checkpointId, acks);
      for (const old of this.byCheckpoint.keys()) if (this.byCheckpoint.size > ACK_TIMES_LIMIT) this.byCheckpoint.delete(old);
    }
    const view: SubtaskCheckpointAckView = {
      vertexId: ack.vertexId,
      subtaskIndex: ack.subtaskIndex,
      ackTimestampMs: nowMs,
      endToEndDurationMs: nowMs - triggeredAtMs,
      bytes: ack.bytes,
      incrementalBytes: ack.incrementalBytes ?? ack.bytes,
      alignmentMs: ack.alignmentMs,
      syncMs: ack.syncMs,
      asyncMs: ack.asyncMs,
    };
    // A subtask that acknowledges again (a retried message) keeps one entry.
    const again = acks.findIndex((a) => a.vertexId === ack.vertexId && a.subtaskIndex === ack.subtaskIndex);
    if (again >= 0) acks[again] = view;
    else acks.push(view);
  }

  /** The acknowledgements of a checkpoint, in the order they came; undefined when not kept. */
  of(checkpointId: number): readonly SubtaskCheckpointAckView[] | undefined {
    return this.byCheckpoint.get(checkpointId);
  }
}
