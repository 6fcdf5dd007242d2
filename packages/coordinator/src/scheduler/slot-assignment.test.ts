// Tests of slot assignment.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_STRATEGY, parseJobGraph, type JobEdge, type JobGraph, type JobVertex, type OperatorKind } from '@weir/common';
import { attemptSlotKey, attemptSubtaskKey, createLogger, subtaskId } from '@weir/protocol';
import { slotRequirements, slotSharingGroupOf } from '@weir/common';
import { assignSlots, totalFreeSlots } from './slot-assignment.ts';
import { WorkerRegistry, type RegisteredWorker } from '../resource-manager/worker-registry.ts';

function vertex(id: string, kind: OperatorKind, parallelism: number, slotSharingGroup?: string): JobVertex {
  return { id, name: id.toUpperCase(), parallelism, maxParallelism: 128, ...(slotSharingGroup ? { slotSharingGroup } : {}), operators: [{ id, name: id.toUpperCase(), kind, config: {} }] };
}

/** A valid JobGraph, with the defaults parseJobGraph fills in. */
function graph(vertices: JobVertex[], edges: JobEdge[]): JobGraph {
  const raw = { version: 1, name: 'slot-test', maxParallelism: 128, vertices, edges, config: { restartStrategy: { ...DEFAULT_RESTART_STRATEGY }, bufferTimeoutMs: 50 } };
  return parseJobGraph(JSON.stringify(raw));
}

/** A source of parallelism `p` followed by a sink of parallelism `q`; both share slots unless the sink gets a slot sharing group of its own. */
function pipeline(p: number, q: number, sinkGroup?: string): JobGraph {
  return graph([vertex('src', 'source.generator', p), vertex('sink', 'sink.discard', q, sinkGroup)], [{ source: 'src', target: 'sink', partitioning: 'rebalance' }]);
}

function expectedKeys(g: JobGraph): string[] {
  return g.vertices.flatMap((v) => Array.from({ length: v.parallelism }, (_, i) => subtaskId(v.id, i))).sort();
}

/** How many subtasks of each worker a placement uses, by worker id. */
function perWorker(placement: Map<string, RegisteredWorker>, vertexId?: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [key, worker] of placement) {
    if (vertexId !== undefined && !key.startsWith(`${vertexId}#`)) continue;
    counts.set(worker.workerId, (counts.get(worker.workerId) ?? 0) + 1);
  }
  return counts;
}

/** How many shared slots of a placement each worker holds, by worker id: subtask i of a group's vertices shares the group's slot i. */
function slotsPerWorker(placement: Map<string, RegisteredWorker>, g: JobGraph): Map<string, number> {
  const slots = new Map<string, Set<string>>();
  for (const v of g.vertices) {
    for (let i = 0; i < v.parallelism; i++) {
      const worker = placement.get(subtaskId(v.id, i))!.workerId;
      const set = slots.get(worker) ?? new Set<string>();
      set.add(`${slotSharingGroupOf(v)}@${i}`);
      slots.set(worker, set);
    }
  }
  return new Map([...slots].map(([w, set]) => [w, set.size]));
}

let registry: WorkerRegistry;
let nextPort = 1;

/** Registers a fake worker; its gRPC client connects lazily, so nothing listens on its port. */
function worker(id: string, slots: number, occupied = 0): RegisteredWorker {
  const w = registry.register({ workerId: id, address: `127.0.0.1:${nextPort++}`, slots, pid: 1000 + nextPort, host: 'test-host' });
  for (let i = 0; i < occupied; i++) w.occupied.occupy(attemptSubtaskKey('other-job', 0, 'x', i), attemptSlotKey('other-job', 0, 'default', i));
  return w;
}

const free = (w: RegisteredWorker): number => registry.freeSlots(w);

beforeEach(() => {
  const logger = createLogger('slot-assignment-test');
  logger.level = 'silent';
  registry = new WorkerRegistry(logger, 60_000);
});

afterEach(() => {
  registry.close();
});

describe('assignSlots', () => {
  it('places every subtask of every vertex exactly once, on a worker that was offered', () => {
    const workers = [worker('w1', 4), worker('w2', 4), worker('w3', 4)];
    const g = graph(
      [vertex('a', 'source.generator', 3), vertex('b', 'map', 3), vertex('c', 'sink.discard', 2)],
      [
        { source: 'a', target: 'b', partitioning: 'forward' },
        { source: 'b', target: 'c', partitioning: 'rebalance' },
      ],
    );
    const placement = assignSlots(g, workers, free)!;
    expect(placement).toBeDefined();
    expect([...placement.keys()].sort()).toEqual(expectedKeys(g));
    for (const w of placement.values()) expect(workers).toContain(w);
  });

  it('never gives a worker more shared slots than it has free', () => {
    // Exactly as many free slots as the two groups need (3 + 4), unevenly spread and partly occupied.
    const workers = [worker('w1', 4, 3), worker('w2', 2), worker('w3', 6, 2), worker('w4', 1, 1)];
    const g = pipeline(3, 4, 'sinks');
    expect(totalFreeSlots(workers, free)).toBe(7);
    const placement = assignSlots(g, workers, free)!;
    expect(placement).toBeDefined();
    expect(placement.size).toBe(7);
    const counts = slotsPerWorker(placement, g);
    expect(counts.get('w1') ?? 0).toBeLessThanOrEqual(1);
    expect(counts.get('w2') ?? 0).toBeLessThanOrEqual(2);
    expect(counts.get('w3') ?? 0).toBeLessThanOrEqual(4);
    expect(counts.has('w4')).toBe(false);
    expect(Object.fromEntries(counts)).toEqual({ w1: 1, w2: 2, w3: 4 });
  });

  it('respects free slots over many shapes of cluster and job', () => {
    // A small deterministic generator, so a failure is reproducible.
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      registry.close();
      const logger = createLogger('slot-assignment-test');
      logger.level = 'silent';
      registry = new WorkerRegistry(logger, 60_000);
      const workers = Array.from({ length: 1 + random(4) }, (_, i) => {
        const slots = 1 + random(4);
        return worker(`w${i}`, slots, random(slots + 1));
      });
      const g = pipeline(1 + random(4), 1 + random(4), random(2) === 0 ? 'sinks' : undefined);
      const needed = slotRequirements(g).total;
      const available = totalFreeSlots(workers, free);
      const placement = assignSlots(g, workers, free);
      const context = `round ${round}: free ${workers.map(free).join(',')}, parallelism ${g.vertices.map((v) => `${v.parallelism} (${slotSharingGroupOf(v)})`).join(',')}`;
      if (available < needed) {
        expect(placement, context).toBeUndefined();
        continue;
      }
      expect(placement, context).toBeDefined();
      expect([...placement!.keys()].sort(), context).toEqual(expectedKeys(g));
      const counts = slotsPerWorker(placement!, g);
      for (const w of workers) expect(counts.get(w.workerId) ?? 0, `${context}: ${w.workerId}`).toBeLessThanOrEqual(free(w));
      // Subtask i of both vertices shares a worker when they share a group.
      if (slotSharingGroupOf(g.vertices[1]!) === 'default') {
        for (let i = 0; i < Math.min(g.vertices[0]!.parallelism, g.vertices[1]!.parallelism); i++) {
          expect(placement!.get(`src#${i}`), `${context}: subtask ${i}`).toBe(placement!.get(`sink#${i}`));
        }
      }
    }
  });

  it('puts p=2 on two workers with equal free slots one on each', () => {
    const workers = [worker('w1', 2), worker('w2', 2)];
    const g = graph([vertex('src', 'source.generator', 2)], []);
    const placement = assignSlots(g, workers, free)!;
    expect(placement.get('src#0')).not.toBe(placement.get('src#1'));
    expect(Object.fromEntries(perWorker(placement))).toEqual({ w1: 1, w2: 1 });
  });

  it('spreads each vertex of a pipeline over two equal workers', () => {
    const workers = [worker('w1', 4), worker('w2', 4)];
    const g = pipeline(2, 2);
    const placement = assignSlots(g, workers, free)!;
    expect(Object.fromEntries(perWorker(placement, 'src'))).toEqual({ w1: 1, w2: 1 });
    expect(Object.fromEntries(perWorker(placement, 'sink'))).toEqual({ w1: 1, w2: 1 });
  });

  it('spreads a vertex after an earlier vertex of parallelism 1 used a slot', () => {
    const workers = [worker('w1', 2), worker('w2', 2)];
    const g = pipeline(1, 2);
    const placement = assignSlots(g, workers, free)!;
    expect(Object.fromEntries(perWorker(placement, 'sink'))).toEqual({ w1: 1, w2: 1 });
  });

  it('prefers the worker with the most free slots', () => {
    const workers = [worker('w1', 4, 3), worker('w2', 4)];
    const g = graph([vertex('src', 'source.generator', 1)], []);
    expect(assignSlots(g, workers, free)!.get('src#0')!.workerId).toBe('w2');
  });

  it('breaks ties between equally free workers in favour of one without a subtask of the same vertex', () => {
    // Three workers with 1, 2 and 2 free slots; source p=1, sink p=2 in a
    // group of its own. After the source's slot and the first sink slot are
    // placed every worker has one free slot, and the second sink slot should
    // go to a worker that does not already hold a sink slot.
    const workers = [worker('w1', 2, 1), worker('w2', 2), worker('w3', 2)];
    const g = pipeline(1, 2, 'sinks');
    const placement = assignSlots(g, workers, free)!;
    expect(placement.size).toBe(3);
    const sinkWorkers = [placement.get('sink#0')!.workerId, placement.get('sink#1')!.workerId];
    expect(new Set(sinkWorkers).size, `both sink subtasks went to ${sinkWorkers[0]}; free slots were w1=1, w2=2, w3=2`).toBe(2);
  });

  it('returns undefined when the cluster is one slot short, and a full placement when it has exactly enough', () => {
    const workers = [worker('w1', 2), worker('w2', 3, 1)];
    expect(totalFreeSlots(workers, free)).toBe(4);
    expect(assignSlots(pipeline(2, 3, 'sinks'), workers, free)).toBeUndefined();
    const exact = assignSlots(pipeline(2, 2, 'sinks'), workers, free)!;
    expect(exact.size).toBe(4);
    expect(Object.fromEntries(slotsPerWorker(exact, pipeline(2, 2, 'sinks')))).toEqual({ w1: 2, w2: 2 });
    // Sharing slots, the same job needs 3 slots and fits.
    expect(assignSlots(pipeline(2, 3), workers, free)!.size).toBe(5);
  });

  it('returns undefined without workers, and never uses a worker with no free slot', () => {
    expect(assignSlots(pipeline(1, 1), [], free)).toBeUndefined();
    const full = worker('full', 2, 2);
    const spare = worker('spare', 2);
    expect(assignSlots(pipeline(1, 2, 'sinks'), [full, spare], free)).toBeUndefined();
    const placement = assignSlots(pipeline(1, 1), [full, spare], free)!;
    expect([...placement.values()].map((w) => w.workerId)).toEqual(['spare', 'spare']);
  });

  it('does not count an over-occupied worker against the others', () => {
    // More subtasks on a worker than slots (a worker re-registered with fewer
    // slots while old subtasks linger): its free slots are negative.
    const over = worker('over', 1, 3);
    const ok = worker('ok', 2);
    expect(free(over)).toBe(-2);
    const placement = assignSlots(pipeline(1, 1), [over, ok], free)!;
    expect([...placement.values()].map((w) => w.workerId)).toEqual(['ok', 'ok']);
    expect(assignSlots(pipeline(2, 1, 'sinks'), [over, ok], free)).toBeUndefined();
  });

  it('does not change the workers it is given', () => {
    const workers = [worker('w1', 2), worker('w2', 2)];
    assignSlots(pipeline(2, 2), workers, free);
    expect(workers.map((w) => w.occupied.subtaskCount)).toEqual([0, 0]);
    expect(workers.map(free)).toEqual([2, 2]);
  });
});

describe('assignSlots with slot sharing', () => {
  /** source -> map -> keyed process -> sink, each a vertex of parallelism 2 (as with chaining disabled). */
  function threeVertices(groups: [string?, string?, string?] = []): JobGraph {
    return graph(
      [vertex('src', 'source.generator', 2, groups[0]), vertex('count', 'keyed.process', 2, groups[1]), vertex('sink', 'sink.discard', 2, groups[2])],
      [
        { source: 'src', target: 'count', partitioning: 'hash', keySelector: 'count/key0' },
        { source: 'count', target: 'sink', partitioning: 'forward' },
      ],
    );
  }

  it('runs a three-vertex job at parallelism 2 on two workers with one slot each, subtask i of every vertex in slot i', () => {
    const workers = [worker('w1', 1), worker('w2', 1)];
    const g = threeVertices();
    expect(slotRequirements(g)).toEqual({ groups: [{ name: 'default', slots: 2 }], total: 2 });
    const placement = assignSlots(g, workers, free)!;
    expect(placement.size).toBe(6);
    for (const i of [0, 1]) {
      expect(placement.get(`count#${i}`)).toBe(placement.get(`src#${i}`));
      expect(placement.get(`sink#${i}`)).toBe(placement.get(`src#${i}`));
    }
    expect(placement.get('src#0')).not.toBe(placement.get('src#1'));
    expect(Object.fromEntries(slotsPerWorker(placement, g))).toEqual({ w1: 1, w2: 1 });
  });

  it('needs the highest parallelism of each group, summed over the groups', () => {
    const g = graph(
      [vertex('src', 'source.generator', 2), vertex('count', 'keyed.process', 3), vertex('sink', 'sink.discard', 2, 'io')],
      [
        { source: 'src', target: 'count', partitioning: 'hash', keySelector: 'count/key0' },
        { source: 'count', target: 'sink', partitioning: 'rebalance' },
      ],
    );
    expect(slotRequirements(g)).toEqual({ groups: [{ name: 'default', slots: 3 }, { name: 'io', slots: 2 }], total: 5 });
    expect(assignSlots(g, [worker('w1', 2), worker('w2', 2)], free)).toBeUndefined();
    const workers = [worker('w3', 3), worker('w4', 2)];
    const placement = assignSlots(g, workers, free)!;
    expect(placement.size).toBe(7);
    const counts = slotsPerWorker(placement, g);
    expect((counts.get('w3') ?? 0) + (counts.get('w4') ?? 0)).toBe(5);
    expect(counts.get('w3')).toBeLessThanOrEqual(3);
    expect(counts.get('w4')).toBeLessThanOrEqual(2);
  });

  it('with a group per vertex takes a slot per subtask, as without sharing, spreading each group', () => {
    const workers = [worker('w1', 3), worker('w2', 3)];
    const g = threeVertices(['a', 'b', 'c']);
    expect(slotRequirements(g).total).toBe(6);
    const placement = assignSlots(g, workers, free)!;
    expect(Object.fromEntries(slotsPerWorker(placement, g))).toEqual({ w1: 3, w2: 3 });
    for (const v of ['src', 'count', 'sink']) expect(Object.fromEntries(perWorker(placement, v))).toEqual({ w1: 1, w2: 1 });
    expect(assignSlots(g, [worker('w3', 3), worker('w4', 2)], free)).toBeUndefined();
  });
});

describe('totalFreeSlots', () => {
  it('sums free slots over workers, counting over-occupied workers as zero', () => {
    expect(totalFreeSlots([], free)).toBe(0);
    const workers = [worker('w1', 4), worker('w2', 3, 1), worker('w3', 2, 2), worker('w4', 1, 4)];
    expect(workers.map(free)).toEqual([4, 2, 0, -3]);
    expect(totalFreeSlots(workers, free)).toBe(6);
  });

  it('uses the free-slot function it is given', () => {
    const workers = [worker('w1', 4), worker('w2', 4)];
    expect(totalFreeSlots(workers, (w) => (w.workerId === 'w1' ? 1 : 0))).toBe(1);
  });
});
