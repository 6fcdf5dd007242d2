import { InvalidJobError, slotRequirements, ValidationError, type BuiltJob, type JobGraph } from '@weir/common';
import { defineJob, RestartStrategies, type JobDefinitionFn } from '@weir/sdk';
import { describe, expect, it } from 'vitest';

function build(fn: JobDefinitionFn, defaultParallelism?: number, args: readonly string[] = []): BuiltJob {
  return defineJob(fn).build(args, defaultParallelism === undefined ? {} : { defaultParallelism });
}

/** Each vertex as its operator kinds, head first. */
function chains(graph: JobGraph): string[][] {
  return graph.vertices.map((v) => v.operators.map((o) => o.kind));
}

function buildError(fn: JobDefinitionFn): InvalidJobError {
  try {
    build(fn);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidJobError);
    return error as InvalidJobError;
  }
  throw new Error('the job built without an error');
}

describe('defineJob', () => {
  it('returns a job artifact module', () => {
    const job = defineJob((env) => env.fromElements(1).discard());
    expect(job.weirJobVersion).toBe(1);
    expect(typeof job.build).toBe('function');
  });

  it('passes the arguments to the job function and the environment', () => {
    let seen: readonly string[] = [];
    let envArgs: readonly string[] = [];
    build((env, args) => {
      seen = args;
      envArgs = env.args;
      env.fromElements(1).discard();
    }, undefined, ['--in', 'x']);
    expect(seen).toEqual(['--in', 'x']);
    expect(envArgs).toEqual(['--in', 'x']);
  });
});

describe('operator chaining', () => {
  it('chains source -> map -> filter -> sink into one vertex with no edges', () => {
    const { graph, functions } = build((env) => {
      env
        .fromGenerator((i) => i, { count: 10 })
        .map((x) => x * 2)
        .filter((x) => x > 3)
        .discard();
    });
    expect(chains(graph)).toEqual([['source.generator', 'map', 'filter', 'sink.discard']]);
    expect(graph.edges).toEqual([]);
    const vertex = graph.vertices[0]!;
    expect(vertex.id).toBe('source-generator-0');
    expect(vertex.name).toBe('Generator -> Map -> Filter -> Discard');
    expect(vertex.operators.map((o) => o.id)).toEqual(['source-generator-0', 'map-1', 'filter-2', 'sink-discard-3']);
    expect(vertex.operators.map((o) => o.fn)).toEqual(['source-generator-0/fn', 'map-1/fn', 'filter-2/fn', undefined]);
    expect([...functions.keys()].sort()).toEqual(['filter-2/fn', 'map-1/fn', 'source-generator-0/fn']);
    expect(vertex.operators[0]!.config).toEqual({ count: 10, ratePerSecond: null });
  });

  it('breaks the chain at keyBy with a hash edge whose key selector is in functions', () => {
    const selector = (e: { key: string }) => e.key;
    const reducer = (a: { key: string }, _b: { key: string }) => a;
    const { graph, functions } = build((env) => {
      env
        .fromGenerator((i) => ({ key: `k${i % 3}` }), { count: 9 })
        .map((e) => e)
        .keyBy(selector)
        .reduce(reducer)
        .print();
    }, 2);
    expect(chains(graph)).toEqual([
      ['source.generator', 'map'],
      ['keyed.reduce', 'sink.stdout'],
    ]);
    expect(graph.edges).toHaveLength(1);
    const edge = graph.edges[0]!;
    expect(edge).toMatchObject({ source: 'source-generator-0', target: 'keyed-reduce-2', partitioning: 'hash' });
    expect(edge.keySelector).toBeDefined();
    expect(functions.has(edge.keySelector!)).toBe(true);
    expect(functions.get(edge.keySelector!)).toBe(selector);
    expect(functions.get(graph.vertices[1]!.operators[0]!.fn!)).toBe(reducer);
  });

  it('keyBy().process() also gets a hash edge, and a plain function is wrapped as processElement', () => {
    const processElement = () => {};
    const { graph, functions } = build((env) => {
      env.fromElements('a', 'b').keyBy((s) => s).process(processElement).discard();
    });
    expect(graph.edges.map((e) => e.partitioning)).toEqual(['hash']);
    const fn = functions.get(graph.vertices[1]!.operators[0]!.fn!) as { processElement: unknown };
    expect(fn.processElement).toBe(processElement);
  });

  it('uses a rebalance edge (and no chaining) between different parallelism', () => {
    const { graph } = build((env) => {
      env.setParallelism(2);
      env
        .fromGenerator((i) => i)
        .map((x) => x)
        .setParallelism(3)
        .filter(() => true)
        .setParallelism(3)
        .discard();
    });
    expect(chains(graph)).toEqual([['source.generator'], ['map', 'filter'], ['sink.discard']]);
    expect(graph.vertices.map((v) => v.parallelism)).toEqual([2, 3, 2]);
    expect(graph.edges.map((e) => [e.source, e.target, e.partitioning])).toEqual([
      ['source-generator-0', 'map-1', 'rebalance'],
      ['map-1', 'sink-discard-3', 'rebalance'],
    ]);
  });

  it('env.disableOperatorChaining() gives every operator a vertex of its own, joined by forward edges', () => {
    const { graph } = build((env) => {
      env.disableOperatorChaining();
      env
        .fromGenerator((i) => i)
        .map((x) => x)
        .filter(() => true)
        .discard();
    });
    expect(chains(graph)).toEqual([['source.generator'], ['map'], ['filter'], ['sink.discard']]);
    expect(graph.edges.map((e) => `${e.source}>${e.target}:${e.partitioning}`)).toEqual([
      'source-generator-0>map-1:forward',
      'map-1>filter-2:forward',
      'filter-2>sink-discard-3:forward',
    ]);
  });

  it('.disableChaining() isolates one operator on both sides', () => {
    const { graph } = build((env) => {
      env
        .fromGenerator((i) => i)
        .map((x) => x)
        .disableChaining()
        .filter(() => true)
        .discard();
    });
    expect(chains(graph)).toEqual([['source.generator'], ['map'], ['filter', 'sink.discard']]);
    expect(graph.edges.every((e) => e.partitioning === 'forward')).toBe(true);
  });

  it('.startNewChain() starts a chain that later operators still join', () => {
    const { graph } = build((env) => {
      env
        .fromGenerator((i) => i)
        .map((x) => x)
        .startNewChain()
        .filter(() => true)
        .discard();
    });
    expect(chains(graph)).toEqual([['source.generator'], ['map', 'filter', 'sink.discard']]);
    expect(graph.edges).toEqual([{ source: 'source-generator-0', target: 'map-1', partitioning: 'forward' }]);
  });

  it('union has two inputs and chains with what follows it', () => {
    const { graph } = build((env) => {
      const a = env.fromGenerator((i) => i, { count: 3 });
      const b = env.fromGenerator((i) => -i, { count: 3 });
      a.union(b).map((x) => x).print();
    });
    expect(chains(graph)).toEqual([['source.generator'], ['source.generator'], ['union', 'map', 'sink.stdout']]);
    expect(graph.edges).toEqual([
      { source: 'source-generator-0', target: 'union-2', partitioning: 'forward' },
      { source: 'source-generator-1', target: 'union-2', partitioning: 'forward' },
    ]);
  });

  it('union of inputs with a different parallelism rebalances only those', () => {
    const { graph } = build((env) => {
      const a = env.fromGenerator((i) => i).setParallelism(3);
      const b = env.fromGenerator((i) => i);
      a.union(b).discard();
    }, 2);
    expect(graph.edges.map((e) => e.partitioning)).toEqual(['rebalance', 'forward']);
  });

  it('does not chain an operator whose input fans out to two consumers', () => {
    const { graph } = build((env) => {
      const src = env.fromGenerator((i) => i);
      src.map((x) => x).discard();
      src.filter(() => true).print();
    });
    expect(chains(graph)).toEqual([['source.generator'], ['map', 'sink.discard'], ['filter', 'sink.stdout']]);
    expect(graph.edges.map((e) => e.target)).toEqual(['map-1', 'filter-3']);
  });

  it('explicit rebalance() and broadcast() break the chain even at equal parallelism', () => {
    const { graph } = build((env) => {
      env.fromGenerator((i) => i).rebalance().map((x) => x).broadcast().discard();
    }, 2);
    expect(chains(graph)).toEqual([['source.generator'], ['map'], ['sink.discard']]);
    expect(graph.edges.map((e) => e.partitioning)).toEqual(['rebalance', 'broadcast']);
  });
});

describe('uids, names and parallelism', () => {
  it('.uid() becomes the operator id (and the vertex id of a chain head)', () => {
    const { graph, functions } = build((env) => {
      env
        .fromGenerator((i) => ({ k: i }))
        .uid('events')
        .name('Events')
        .keyBy((e) => e.k)
        .reduce((a) => a)
        .uid('totals')
        .map((x) => x)
        .uid('format')
        .discard()
        .uid('out');
    });
    expect(graph.vertices.map((v) => v.id)).toEqual(['events', 'totals']);
    expect(graph.vertices[0]!.operators[0]).toMatchObject({ id: 'events', uid: 'events', name: 'Events', fn: 'events/fn' });
    expect(graph.vertices[1]!.operators.map((o) => o.id)).toEqual(['totals', 'format', 'out']);
    expect(graph.vertices[1]!.operators.map((o) => o.uid)).toEqual(['totals', 'format', 'out']);
    expect(graph.edges[0]).toMatchObject({ source: 'events', target: 'totals', keySelector: 'totals/key0' });
    expect(functions.has('totals/key0')).toBe(true);
    expect(functions.has('totals/fn')).toBe(true);
    expect(functions.has('format/fn')).toBe(true);
  });

  it('operators without a uid have no uid field', () => {
    const { graph } = build((env) => env.fromElements(1).discard());
    expect(graph.vertices[0]!.operators.every((o) => !('uid' in o))).toBe(true);
  });

  it('defaultParallelism overrides env.setParallelism but not an operator setParallelism', () => {
    const job: JobDefinitionFn = (env) => {
      env.setParallelism(4);
      env.fromGenerator((i) => i).map((x) => x).setParallelism(3).discard();
    };
    expect(build(job).graph.vertices.map((v) => v.parallelism)).toEqual([4, 3, 4]);
    expect(build(job, 2).graph.vertices.map((v) => v.parallelism)).toEqual([2, 3, 2]);
    expect(build((env) => env.fromElements(1).discard(), 5).graph.vertices[0]!.parallelism).toBe(5);
    expect(build((env) => env.fromElements(1).discard()).graph.vertices[0]!.parallelism).toBe(1);
  });

  it('carries maxParallelism, name and job config into the graph', () => {
    const { graph } = build((env) => {
      env.setJobName('my-job').setMaxParallelism(256).setBufferTimeout(0).setRestartStrategy(RestartStrategies.fixedDelay(1, 250));
      env.fromGenerator((i) => i).keyBy((x) => x).reduce((a) => a).setMaxParallelism(512).discard();
    });
    expect(graph.name).toBe('my-job');
    expect(graph.maxParallelism).toBe(256);
    expect(graph.vertices.map((v) => v.maxParallelism)).toEqual([256, 512]);
    expect(graph.config.bufferTimeoutMs).toBe(0);
    expect(graph.config.restartStrategy).toEqual({ type: 'fixed-delay', attempts: 1, delayMs: 250 });
  });

  it('carries an operator\'s error policy in its config, and rejects a wrong one', () => {
    const { graph } = build((env) => {
      env.fromElements(1, 2).map((x) => x).uid('parse').onError('dead-letter').filter(() => true).uid('keep').discard();
    });
    const operators = graph.vertices.flatMap((v) => v.operators);
    expect(operators.find((o) => o.id === 'parse')!.config.onError).toBe('dead-letter');
    expect(operators.find((o) => o.id === 'keep')!.config.onError).toBeUndefined();
    expect(() => build((env) => env.fromElements(1).map((x) => x).onError('skip' as 'fail').discard())).toThrow("onError() takes 'fail' or 'dead-letter', got \"skip\"");
    expect(() => build((env) => env.fromElements(1).onError('dead-letter').discard())).toThrow(/not to the source/);
  });

  it('env.setParallelism rejects a parallelism below 1', () => {
    expect(() => build((env) => env.setParallelism(0))).toThrow(ValidationError);
  });
});

describe('invalid jobs', () => {
  it('rejects a job with no operators', () => {
    expect(buildError(() => {}).message).toMatch(/defines no operators/);
  });

  it('rejects a stream without a sink, naming the operator', () => {
    const error = buildError((env) => {
      env.fromGenerator((i) => i).map((x) => x).name('Enrich');
    });
    expect(error.message).toContain("operator 'Enrich' (map-1) has no consumer");
    expect(error.message).toMatch(/sink/);
  });

  it('rejects a source without a consumer, naming it by its uid', () => {
    const error = buildError((env) => {
      env.fromElements(1, 2).discard();
      env.fromGenerator((i) => i).uid('lonely');
    });
    expect(error.message).toContain("operator 'Generator' (lonely) has no consumer");
  });

  it('rejects two chained operators with equal uids, naming the uid', () => {
    const error = buildError((env) => {
      env.fromGenerator((i) => i).map((x) => x).uid('dup').filter(() => true).uid('dup').discard();
    });
    expect(error.message).toContain("two operators share the uid 'dup'");
  });

  it('rejects two chain heads with equal uids, naming the uid', () => {
    // Both operators start a vertex, so the vertex ids collide before the operator ids are compared.
    const error = buildError((env) => {
      env.fromGenerator((i) => i).uid('dup').keyBy((x) => x).reduce((a) => a).uid('dup').discard();
    });
    expect(error.message).toContain("'dup'");
  });

  it('rejects a uid equal to another operator generated id', () => {
    const error = buildError((env) => {
      env.fromGenerator((i) => i).map((x) => x).filter(() => true).uid('map-1').discard();
    });
    expect(error.message).toContain("two operators share the uid 'map-1'");
  });

  it('rejects parallelism above maxParallelism', () => {
    const error = buildError((env) => {
      env.setMaxParallelism(4);
      env.fromElements(1).setParallelism(8).rebalance().discard();
    });
    expect(error.message).toMatch(/parallelism 8 exceeds maxParallelism 4/);
  });
});

describe('determinism', () => {
  const job = defineJob((env, args) => {
    env.setJobName(`job-${args[0] ?? 'none'}`);
    const a = env.fromGenerator((i) => ({ k: i % 5, v: i }), { count: 100, ratePerSecond: 10 });
    const b = env.fromElements({ k: 1, v: 1 }).uid('elements');
    a.union(b)
      .filter((e) => e.v >= 0)
      .keyBy((e) => e.k)
      .reduce((x, y) => ({ k: x.k, v: x.v + y.v }))
      .uid('sum')
      .map((e) => JSON.stringify(e))
      .setParallelism(3)
      .writeToFile('/tmp/out', { format: 'text' });
    a.keyBy((e) => String(e.k)).process((e, _ctx, out) => out.collect(e)).forEach(() => {});
  });

  it('building twice gives identical graphs and the same function ids', () => {
    const first = job.build(['x'], { defaultParallelism: 2 });
    const second = job.build(['x'], { defaultParallelism: 2 });
    expect(JSON.stringify(second.graph)).toBe(JSON.stringify(first.graph));
    expect([...second.functions.keys()]).toEqual([...first.functions.keys()]);
    // every function the graph names is in functions
    const named = [
      ...first.graph.vertices.flatMap((v) => v.operators.map((o) => o.fn)),
      ...first.graph.edges.map((e) => e.keySelector),
    ].filter((id): id is string => id !== undefined);
    expect(named.length).toBe(first.functions.size);
    for (const id of named) expect(first.functions.has(id)).toBe(true);
  });

  it('building does not leak state between builds (defaultParallelism, args, restart strategy)', () => {
    const p2 = job.build(['x'], { defaultParallelism: 2 });
    const p4 = job.build(['y'], { defaultParallelism: 4 });
    const p2again = job.build(['x'], { defaultParallelism: 2 });
    expect(p4.graph.name).toBe('job-y');
    expect(p4.graph.vertices[0]!.parallelism).toBe(4);
    expect(JSON.stringify(p2again.graph)).toBe(JSON.stringify(p2.graph));

    const strategy = defineJob((env) => {
      env.setRestartStrategy(RestartStrategies.noRestart());
      env.fromElements(1).discard();
    });
    strategy.build([]);
    const plain = build((env) => env.fromElements(1).discard());
    // Not set in the code: the cluster's default (or weir run's flag) decides.
    expect(plain.graph.config.restartStrategy).toBeUndefined();
  });
});

describe('slot sharing groups', () => {
  it('puts every vertex in the group default unless one is set', () => {
    const { graph } = build((env) => {
      env.fromGenerator((i) => i).map((x) => x).keyBy((x) => x % 3).reduce((a, b) => a + b).discard();
    }, 2);
    expect(graph.vertices.map((v) => v.slotSharingGroup)).toEqual(['default', 'default']);
    expect(slotRequirements(graph)).toEqual({ groups: [{ name: 'default', slots: 2 }], total: 2 });
  });

  it('an operation inherits its input group, never chains across groups, and a union of groups falls back to default', () => {
    const { graph } = build((env) => {
      const a = env.fromGenerator((i) => i).uid('a');
      const b = env.fromGenerator((i) => i).uid('b').slotSharingGroup('side');
      const mapped = b.map((x) => x).uid('b-map');
      const heavy = a.keyBy((x) => x).process<number>((x, _ctx, out) => out.collect(x)).uid('heavy').slotSharingGroup('heavy');
      heavy.map((x) => x).uid('heavy-map').discard().uid('heavy-sink');
      // The map after the source runs in another group: it starts a vertex of its own.
      a.map((x) => x).uid('a-map').slotSharingGroup('other').union(mapped).uid('union').discard().uid('union-sink');
    }, 2);
    const group = Object.fromEntries(graph.vertices.map((v) => [v.id, v.slotSharingGroup]));
    expect(group).toEqual({ a: 'default', b: 'side', heavy: 'heavy', 'a-map': 'other', union: 'default' });
    expect(graph.vertices.find((v) => v.id === 'b')!.operators.map((o) => o.id)).toEqual(['b', 'b-map']);
    expect(graph.vertices.find((v) => v.id === 'heavy')!.operators.map((o) => o.id)).toEqual(['heavy', 'heavy-map', 'heavy-sink']);
    expect(slotRequirements(graph)).toEqual({
      groups: [
        { name: 'default', slots: 2 },
        { name: 'side', slots: 2 },
        { name: 'heavy', slots: 2 },
        { name: 'other', slots: 2 },
      ],
      total: 8,
    });
  });

  it('refuses an empty group name', () => {
    expect(() => build((env) => env.fromElements(1).slotSharingGroup('').discard())).toThrow(ValidationError);
    expect(() => build((env) => env.fromElements(1).slotSharingGroup('').discard())).toThrow(/slotSharingGroup\(\) takes a name/);
  });
});
