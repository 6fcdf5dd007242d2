import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.ts';
import { DEFAULT_RESTART_STRATEGY } from './restart-strategy.ts';
import { DEFAULT_CHECKPOINT_CONFIG, parseJobGraph, topologicalVertices, type JobEdge, type JobGraph, type JobVertex, type OperatorKind } from './job-graph.ts';

function vertex(id: string, kind: OperatorKind, parallelism = 2, extraOperators: { id: string; kind: OperatorKind }[] = []): JobVertex {
  return {
    id,
    name: id.toUpperCase(),
    parallelism,
    maxParallelism: 128,
    operators: [{ id, name: id.toUpperCase(), kind, config: {} }, ...extraOperators.map((o) => ({ id: o.id, name: o.id, kind: o.kind, config: {} }))],
  };
}

function graph(vertices: JobVertex[], edges: JobEdge[]): JobGraph {
  return {
    version: 1,
    name: 'test-job',
    maxParallelism: 128,
    vertices,
    edges,
    config: { restartStrategy: { ...DEFAULT_RESTART_STRATEGY }, bufferTimeoutMs: 50, checkpoint: { ...DEFAULT_CHECKPOINT_CONFIG }, stateBackend: 'heap', autoWatermarkIntervalMs: 200 },
  };
}

/** src -> map (forward) -> reduce (hash) -> sink (forward). */
function validGraph(): JobGraph {
  return graph(
    [vertex('src', 'source.generator', 2, [{ id: 'm', kind: 'map' }]), vertex('red', 'keyed.reduce', 3), vertex('out', 'sink.discard', 3)],
    [
      { source: 'src', target: 'red', partitioning: 'hash', keySelector: 'red/key0' },
      { source: 'red', target: 'out', partitioning: 'forward' },
    ],
  );
}

function parseError(value: unknown): ValidationError {
  const json = typeof value === 'string' ? value : JSON.stringify(value);
  try {
    parseJobGraph(json);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('parseJobGraph accepted an invalid graph');
}

describe('parseJobGraph', () => {
  it('accepts a valid graph and returns it unchanged', () => {
    const g = validGraph();
    expect(parseJobGraph(JSON.stringify(g))).toEqual(g);
  });

  it('accepts a union vertex with two inputs and a fan-out', () => {
    const g = graph(
      [vertex('a', 'source.generator'), vertex('b', 'source.file'), vertex('u', 'union'), vertex('s1', 'sink.stdout'), vertex('s2', 'sink.discard', 1)],
      [
        { source: 'a', target: 'u', partitioning: 'forward' },
        { source: 'b', target: 'u', partitioning: 'forward' },
        { source: 'u', target: 's1', partitioning: 'broadcast' },
        { source: 'u', target: 's2', partitioning: 'rebalance' },
      ],
    );
    expect(parseJobGraph(JSON.stringify(g)).vertices.map((v) => v.id)).toEqual(['a', 'b', 'u', 's1', 's2']);
  });

  it('accepts connector operators that name their connector, and rejects ones that do not', () => {
    const kafka = { name: 'kafka', module: '@weir/connector-kafka/runtime' };
    const g = graph([vertex('src', 'source.connector', 2), vertex('out', 'sink.connector', 2)], [{ source: 'src', target: 'out', partitioning: 'forward' }]);
    g.vertices[0]!.operators[0]!.connector = kafka;
    g.vertices[1]!.operators[0]!.connector = kafka;
    expect(parseJobGraph(JSON.stringify(g))).toEqual(g);
    delete g.vertices[1]!.operators[0]!.connector;
    expect(() => parseJobGraph(JSON.stringify(g))).toThrow(/operator 'OUT' \(out\): kind sink.connector names no connector/);
    const plain = validGraph();
    plain.vertices[2]!.operators[0]!.connector = kafka;
    expect(() => parseJobGraph(JSON.stringify(plain))).toThrow(/kind sink.discard names a connector but is not a connector kind/);
  });

  it('rejects text that is not JSON', () => {
    expect(parseError('{"version": 1,').message).toMatch(/^the job graph is not valid JSON: /);
    expect(parseError('').message).toMatch(/not valid JSON/);
  });

  it('rejects a graph of the wrong shape, naming the field', () => {
    const wrongVersion = { ...validGraph(), version: 2 };
    expect(parseError(wrongVersion).message).toMatch(/^the job graph is malformed: [\s\S]*version/);

    const noVertices = { ...validGraph(), vertices: [] };
    expect(parseError(noVertices).message).toMatch(/malformed[\s\S]*vertices/);

    const badKind = validGraph();
    (badKind.vertices[0]!.operators[0] as { kind: string }).kind = 'teleport';
    expect(parseError(badKind).message).toMatch(/malformed[\s\S]*vertices\[0\]\.operators\[0\]\.kind/);

    const badPartitioning = validGraph();
    (badPartitioning.edges[1] as { partitioning: string }).partitioning = 'shuffle';
    expect(parseError(badPartitioning).message).toMatch(/malformed[\s\S]*edges\[1\]\.partitioning/);

    const zeroParallelism = validGraph();
    zeroParallelism.vertices[1]!.parallelism = 0;
    expect(parseError(zeroParallelism).message).toMatch(/malformed[\s\S]*vertices\[1\]\.parallelism/);

    expect(parseError([]).message).toMatch(/malformed/);
    expect(parseError(null).message).toMatch(/malformed/);
  });

  it('rejects an edge naming a vertex that does not exist', () => {
    const g = validGraph();
    g.edges.push({ source: 'red', target: 'ghost', partitioning: 'forward' });
    expect(parseError(g).message).toBe('an edge names a vertex that does not exist: red -> ghost');

    const h = validGraph();
    h.edges[0]!.source = 'nowhere';
    expect(parseError(h).message).toBe('an edge names a vertex that does not exist: nowhere -> red');
  });

  it('rejects a forward edge between different parallelism, naming both ends', () => {
    const g = validGraph();
    g.vertices[2]!.parallelism = 4;
    const message = parseError(g).message;
    expect(message).toContain('forward edge RED -> OUT joins parallelism 3 and 4');
    expect(message).toContain('rebalance()');
  });

  it('rejects a hash edge without a key selector', () => {
    const g = validGraph();
    delete g.edges[0]!.keySelector;
    expect(parseError(g).message).toBe('hash edge SRC -> RED has no key selector');
  });

  it('rejects cycles', () => {
    const g = validGraph();
    g.edges.push({ source: 'out', target: 'red', partitioning: 'forward' });
    expect(parseError(g).message).toBe('the job graph has a cycle');

    const selfLoop = validGraph();
    selfLoop.edges.push({ source: 'red', target: 'red', partitioning: 'forward' });
    expect(parseError(selfLoop).message).toBe('the job graph has a cycle');
  });

  it('rejects two operators with the same id, naming the id', () => {
    const g = validGraph();
    g.vertices[2]!.operators.push({ id: 'm', name: 'again', kind: 'map', config: {} });
    expect(parseError(g).message).toBe("two operators share the uid 'm': give each operator a unique .uid()");
  });

  it('rejects two vertices with the same id', () => {
    const g = validGraph();
    g.vertices.push(vertex('out', 'sink.discard', 3));
    expect(parseError(g).message).toBe("two operators share the uid 'out': give each operator a unique .uid()");
  });

  it('rejects a source with inputs, naming the vertex', () => {
    const g = graph(
      [vertex('a', 'source.generator'), vertex('b', 'source.file'), vertex('s', 'sink.discard')],
      [
        { source: 'a', target: 'b', partitioning: 'forward' },
        { source: 'b', target: 's', partitioning: 'forward' },
      ],
    );
    expect(parseError(g).message).toBe("vertex 'B': sources take no inputs and every other operator needs one");
  });

  it('rejects a non-source without inputs, naming the vertex', () => {
    const g = validGraph();
    g.vertices.push(vertex('orphan', 'map'));
    expect(parseError(g).message).toBe("vertex 'ORPHAN': sources take no inputs and every other operator needs one");
  });

  it('rejects parallelism above maxParallelism, naming the operator', () => {
    const g = validGraph();
    g.vertices[1]!.parallelism = 200;
    g.vertices[2]!.parallelism = 200;
    expect(parseError(g).message).toMatch(/^operator 'RED': parallelism 200 exceeds maxParallelism 128/);
  });
});

describe('topologicalVertices', () => {
  it('puts every vertex after all of its producers', () => {
    // Listed in reverse order on purpose, with a diamond and a union.
    const g = graph(
      [
        vertex('sink', 'sink.discard'),
        vertex('union', 'union'),
        vertex('right', 'map'),
        vertex('left', 'filter'),
        vertex('src2', 'source.generator'),
        vertex('src', 'source.file'),
      ],
      [
        { source: 'union', target: 'sink', partitioning: 'forward' },
        { source: 'left', target: 'union', partitioning: 'forward' },
        { source: 'right', target: 'union', partitioning: 'forward' },
        { source: 'src2', target: 'union', partitioning: 'forward' },
        { source: 'src', target: 'left', partitioning: 'forward' },
        { source: 'src', target: 'right', partitioning: 'rebalance' },
      ],
    );
    const parsed = parseJobGraph(JSON.stringify(g));
    const order = topologicalVertices(parsed).map((v) => v.id);
    expect([...order].sort()).toEqual(['left', 'right', 'sink', 'src', 'src2', 'union']);
    for (const edge of parsed.edges) {
      expect(order.indexOf(edge.source)).toBeLessThan(order.indexOf(edge.target));
    }
    expect(order.at(-1)).toBe('sink');
  });

  it('keeps the given order when it already is topological', () => {
    const g = validGraph();
    expect(topologicalVertices(g).map((v) => v.id)).toEqual(['src', 'red', 'out']);
  });
});
