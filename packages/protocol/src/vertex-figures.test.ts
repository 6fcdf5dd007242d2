import { describe, expect, it } from 'vitest';
import type { SubtaskView, VertexView } from './views.ts';
import { vertexFigures } from './vertex-figures.ts';

function vertex(subtasks: Partial<SubtaskView>[]): VertexView {
  return {
    id: 'v',
    name: 'v',
    operators: [],
    parallelism: subtasks.length,
    subtasks: subtasks.map((s, index) => ({ index, state: 'RUNNING', workerId: 'w', recordsIn: 0, recordsOut: 0, deadLetters: 0, ...s })),
  };
}

describe('vertexFigures', () => {
  it('sums records/s, takes the worst backpressure and busy time and the lowest watermark', () => {
    const f = vertexFigures(vertex([
      { recordsInPerSecond: 10, recordsOutPerSecond: 5, backPressuredTimeMsPerSecond: 50, busyTimeMsPerSecond: 900, inputWatermark: 2000 },
      { recordsInPerSecond: 30, recordsOutPerSecond: 7, backPressuredTimeMsPerSecond: 300, busyTimeMsPerSecond: 100, inputWatermark: 1000 },
      { inputWatermark: null },
    ]));
    expect(f).toEqual({ recordsInPerSecond: 40, recordsOutPerSecond: 12, backPressuredMsPerSecond: 300, backpressure: 'LOW', busyMsPerSecond: 900, watermark: 1000 });
  });

  it("uses Flink's backpressure levels: OK up to 100 ms/s, LOW up to 500, HIGH above", () => {
    const level = (ms: number): string => vertexFigures(vertex([{ backPressuredTimeMsPerSecond: ms }])).backpressure;
    expect([level(0), level(100), level(101), level(500), level(501)]).toEqual(['OK', 'OK', 'LOW', 'LOW', 'HIGH']);
  });

  it('has no watermark when no subtask reports one, and zero rates when none are reported', () => {
    expect(vertexFigures(vertex([{}, { inputWatermark: null }]))).toMatchObject({ watermark: null, recordsInPerSecond: 0, backpressure: 'OK' });
  });
});
