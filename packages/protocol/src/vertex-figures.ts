// A vertex's figures as the dashboard shows them, taken over its subtasks the
// way Flink's web UI does: records/s summed, backpressure the worst subtask's,
// the watermark the lowest subtask's. No imports but types, so the
// dashboard's browser bundle takes it (@weir/protocol/vertex-figures).
import type { VertexView } from './views.ts';

/** Flink's backpressure levels: OK up to 10% of the time, LOW up to 50%, then HIGH. */
export type BackpressureLevel = 'OK' | 'LOW' | 'HIGH';

/** What one vertex shows. */
export interface VertexFigures {
  recordsInPerSecond: number;
  recordsOutPerSecond: number;
  /** The highest backpressured time of its subtasks, ms per second. */
  backPressuredMsPerSecond: number;
  backpressure: BackpressureLevel;
  /** The highest busy time of its subtasks, ms per second. */
  busyMsPerSecond: number;
  /** The lowest input watermark of its subtasks; null when none has one. */
  watermark: number | null;
}

/** The figures of `vertex` from its subtasks. */
export function vertexFigures(vertex: VertexView): VertexFigures {
  let recordsIn = 0;
  let recordsOut = 0;
  let bp = 0;
  let busy = 0;
  let watermark: number | null = null;
  for (const s of vertex.subtasks) {
    recordsIn += s.recordsInPerSecond ?? 0;
    recordsOut += s.recordsOutPerSecond ?? 0;
    bp = Math.max(bp, s.backPressuredTimeMsPerSecond ?? 0);
    busy = Math.max(busy, s.busyTimeMsPerSecond ?? 0);
    if (typeof s.inputWatermark === 'number' && Number.isFinite(s.inputWatermark)) watermark = watermark === null ? s.inputWatermark : Math.min(watermark, s.inputWatermark);
  }
  return {
    recordsInPerSecond: recordsIn,
    recordsOutPerSecond: recordsOut,
    backPressuredMsPerSecond: bp,
    backpressure: bp > 500 ? 'HIGH' : bp > 100 ? 'LOW' : 'OK',
    busyMsPerSecond: busy,
    watermark,
  };
}
