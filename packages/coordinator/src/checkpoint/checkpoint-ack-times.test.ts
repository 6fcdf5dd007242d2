import { describe, expect, it } from 'vitest';
import type { SubtaskCheckpointAck } from '@weir/protocol';
import { ACK_TIMES_LIMIT, CheckpointAckTimes } from './checkpoint-ack-times.ts';

function ack(checkpointId: number, vertexId: string, subtaskIndex: number, bytes = 10): SubtaskCheckpointAck {
  return { jobId: 'j', attempt: 0, checkpointId, vertexId, subtaskIndex, operators: {}, bytes, alignmentMs: 1, syncMs: 2, asyncMs: 3 };
}

describe('CheckpointAckTimes', () => {
  it('keeps each acknowledgement with its time and end-to-end duration, one per subtask', () => {
    const times = new CheckpointAckTimes();
    times.record(1, 1000, ack(1, 'v', 0), 1250);
    times.record(1, 1000, ack(1, 'v', 1), 1300);
    times.record(1, 1000, ack(1, 'v', 0, 20), 1400);
    expect(times.of(1)).toEqual([
      { vertexId: 'v', subtaskIndex: 0, ackTimestampMs: 1400, endToEndDurationMs: 400, bytes: 20, incrementalBytes: 20, alignmentMs: 1, syncMs: 2, asyncMs: 3 },
      { vertexId: 'v', subtaskIndex: 1, ackTimestampMs: 1300, endToEndDurationMs: 300, bytes: 10, incrementalBytes: 10, alignmentMs: 1, syncMs: 2, asyncMs: 3 },
    ]);
  });

  it(`keeps only the newest ${ACK_TIMES_LIMIT} checkpoints`, () => {
    const times = new CheckpointAckTimes();
    for (let id = 1; id <= ACK_TIMES_LIMIT + 2; id++) times.record(id, 0, ack(id, 'v', 0), 1);
    expect(times.of(1)).toBeUndefined();
    expect(times.of(2)).toBeUndefined();
    expect(times.of(3)).toHaveLength(1);
    expect(times.of(ACK_TIMES_LIMIT + 2)).toHaveLength(1);
  });
});
