// Tests of the ExecutionGraph.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_STRATEGY, parseJobGraph, type JobEdge, type JobGraph, type JobVertex, type OperatorKind } from '@weir/common';
import { ExecutionGraph } from './execution-graph.ts';

function vertex(id: string, kind: OperatorKind, parallelism: number): JobVertex {
  return { id, name: id.toUpperCase(), parallelism, maxParallelism: 128, operators: [{ id, name: id.toUpperCase(), kind, config: {} }] };
}

/** A valid JobGraph, with the defaults parseJobGraph fills in. */
function graph(vertices: JobVertex[], edges: JobEdge[]): JobGraph {
  const raw = { version: 1, name: 'exec-test', maxParallelism: 128, vertices, edges, config: { restartStrategy: { ...DEFAULT_RESTART_STRATEGY }, bufferTimeoutMs: 50 } };
  return parseJobGraph(JSON.stringify(raw));
}

/** src (p=2) -> agg (p=3) -> out (p=1). */
const jobGraph = graph(
  [vertex('src', 'source.generator', 2), vertex('agg', 'keyed.reduce', 3), vertex('out', 'sink.discard', 1)],
  [
    { source: 'src', target: 'agg', partitioning: 'hash', keySelector: 'agg/key0' },
    { source: 'agg', target: 'out', partitioning: 'rebalance' },
  ],
);

const JOB = '0123456789abcdef0123456789abcdef';

describe('ExecutionGraph', () => {
  it('has one Execution per subtask of every vertex, all CREATED and unplaced', () => {
    const g = new ExecutionGraph(JOB, jobGraph, 0);
    expect(g.all()).toHaveLength(6);
    expect(g.executions.size).toBe(6);
    const subtasks = g.all().map((e) => `${e.vertexId}:${e.subtaskIndex}`).sort();
    expect(subtasks).toEqual(['agg:0', 'agg:1', 'agg:2', 'out:0', 'src:0', 'src:1']);
    for (const e of g.all()) {
      expect(e).toMatchObject({ state: 'CREATED', workerId: null, error: null, metrics: null, deadLetterDir: null });
    }
  });

  it('keys each Execution by job, attempt, vertex and subtask index', () => {
    const g = new ExecutionGraph(JOB, jobGraph, 3);
    expect(g.attempt).toBe(3);
    expect(g.key('agg', 2)).toBe(`${JOB}/3/agg#2`);
    const e = g.get('agg', 2)!;
    expect(e.key).toBe(`${JOB}/3/agg#2`);
    expect(g.executions.get(e.key)).toBe(e);
    for (const [key, execution] of g.executions) {
      expect(key).toBe(execution.key);
      expect(key).toBe(`${JOB}/3/${execution.vertexId}#${execution.subtaskIndex}`);
    }
  });

  it('gives every subtask a distinct key, and different keys in another attempt or job', () => {
    const first = new ExecutionGraph(JOB, jobGraph, 0);
    const second = new ExecutionGraph(JOB, jobGraph, 1);
    const otherJob = new ExecutionGraph('ffffffffffffffffffffffffffffffff', jobGraph, 0);
    const keys = [first, second, otherJob].flatMap((g) => g.all().map((e) => e.key));
    expect(new Set(keys).size).toBe(18);
    // Attempts 1 and 10 must not share a prefix that JobMaster.restart matches on.
    const tenth = new ExecutionGraph(JOB, jobGraph, 10);
    expect(tenth.all().some((e) => e.key.startsWith(`${JOB}/1/`))).toBe(false);
  });

  it('finds executions by vertex and index, and nothing outside the parallelism', () => {
    const g = new ExecutionGraph(JOB, jobGraph, 0);
    expect(g.get('src', 1)).toMatchObject({ vertexId: 'src', subtaskIndex: 1 });
    expect(g.get('src', 2)).toBeUndefined();
    expect(g.get('out', 1)).toBeUndefined();
    expect(g.get('missing', 0)).toBeUndefined();
  });

  it('keeps subtask keys distinct when vertex ids contain # and digits', () => {
    const tricky = graph([vertex('a', 'source.generator', 12), vertex('a#1', 'sink.discard', 12)], [{ source: 'a', target: 'a#1', partitioning: 'forward' }]);
    const g = new ExecutionGraph(JOB, tricky, 0);
    expect(g.all()).toHaveLength(24);
    expect(g.get('a', 11)!.vertexId).toBe('a');
    expect(g.get('a#1', 1)!.vertexId).toBe('a#1');
  });

  it('allIn is true only when every Execution is in the state', () => {
    const g = new ExecutionGraph(JOB, jobGraph, 0);
    expect(g.allIn('CREATED')).toBe(true);
    expect(g.allIn('FINISHED')).toBe(false);
    const all = g.all();
    for (const e of all.slice(0, -1)) e.state = 'FINISHED';
    expect(g.allIn('FINISHED')).toBe(false);
    expect(g.allIn('CREATED')).toBe(false);
    all.at(-1)!.state = 'FINISHED';
    expect(g.allIn('FINISHED')).toBe(true);
  });

  it('hands out the live Executions, so state set through all() is what get() sees', () => {
    const g = new ExecutionGraph(JOB, jobGraph, 0);
    for (const e of g.all()) if (e.vertexId === 'agg') e.workerId = 'w1';
    expect(g.get('agg', 0)!.workerId).toBe('w1');
    expect(g.get('src', 0)!.workerId).toBeNull();
  });
});
