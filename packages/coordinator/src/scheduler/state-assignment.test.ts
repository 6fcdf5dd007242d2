// Tests of state assignment.
import { describe, expect, it } from 'vitest';
import type { JobVertex, OperatorKind } from '@weir/common';
import type { CheckpointMetadata } from '@weir/protocol';
import { restoreSpecFor } from './state-assignment.ts';

function metadata(kind: string, items: unknown[][]): CheckpointMetadata {
  return {
    format: 'weir-checkpoint',
    version: 1,
    jobId: 'j',
    jobName: 'j',
    checkpointId: 7,
    savepoint: false,
    triggeredAtMs: 0,
    completedAtMs: 0,
    operators: {
      [kind]: {
        parallelism: items.length,
        maxParallelism: 128,
        subtasks: items.map((operatorState, index) => ({ index, keyedState: [], operatorState, ...(kind === 'source.connector' ? { unionListState: true } : {}) })),
      },
    },
  };
}

function vertex(kind: OperatorKind, parallelism: number): JobVertex {
  return { id: kind, name: kind, parallelism, maxParallelism: 128, operators: [{ id: kind, name: kind, kind, config: {} }] };
}

describe('restoreSpecFor', () => {
  it('spreads operator list state round-robin over the new subtasks', () => {
    const saved = metadata('source.generator', [['a', 'b'], ['c']]);
    const at3 = [0, 1, 2].map((i) => restoreSpecFor(saved, '/cp', vertex('source.generator', 3), i).operators['source.generator']!.operatorState);
    expect(at3).toEqual([['a'], ['b'], ['c']]);
    const at1 = restoreSpecFor(saved, '/cp', vertex('source.generator', 1), 0).operators['source.generator']!.operatorState;
    expect(at1).toEqual(['a', 'b', 'c']);
  });

  it('gives every subtask the whole union list state of a source that says so (e.g. Kafka)', () => {
    const saved = metadata('source.connector', [[{ s: 0 }], [{ s: 1 }], [{ s: 2 }]]);
    for (let i = 0; i < 2; i++) {
      expect(restoreSpecFor(saved, '/cp', vertex('source.connector', 2), i).operators['source.connector']!.operatorState).toEqual([{ s: 0 }, { s: 1 }, { s: 2 }]);
    }
  });

  it('gives every new subtask one old copy of the broadcast state, beside its share of list state (scale up and down)', () => {
    const copy = (tag: string) => ({ rules: [['r1', { tag }]] as [unknown, unknown][] });
    const saved = metadata('keyed.broadcastProcess', [['f0'], ['f1']]);
    const op = saved.operators['keyed.broadcastProcess']!;
    op.subtasks = op.subtasks.map((s) => ({ ...s, broadcastState: copy(`from-${s.index}`) }));
    const at3 = [0, 1, 2].map((i) => restoreSpecFor(saved, '/cp', vertex('keyed.broadcastProcess', 3), i).operators['keyed.broadcastProcess']!);
    expect(at3.map((s) => s.broadcastState)).toEqual([copy('from-0'), copy('from-1'), copy('from-0')]);
    expect(at3.map((s) => s.operatorState)).toEqual([['f0'], ['f1'], []]);
    const at1 = restoreSpecFor(saved, '/cp', vertex('keyed.broadcastProcess', 1), 0).operators['keyed.broadcastProcess']!;
    expect(at1.broadcastState).toEqual(copy('from-0'));
    expect(at1.operatorState).toEqual(['f0', 'f1']);
  });

  it('gives no broadcast state to operators that had none', () => {
    const saved = metadata('source.generator', [['a']]);
    expect(restoreSpecFor(saved, '/cp', vertex('source.generator', 2), 1).operators['source.generator']!.broadcastState).toBeUndefined();
  });
});
