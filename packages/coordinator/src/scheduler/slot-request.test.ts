// Tests of slot requests: waiting for slots, failing when the cluster has too few, and what the wait shows.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_STRATEGY, NoResourceAvailableError, parseJobGraph, type JobGraph } from '@weir/common';
import { attemptSlotKey, attemptSubtaskKey, createLogger } from '@weir/protocol';
import { WorkerRegistry, type RegisteredWorker } from '../resource-manager/worker-registry.ts';
import { SlotRequest } from './slot-request.ts';

const logger = createLogger('slot-request-test');
logger.level = 'silent';

/** source (p) -> sink (p): in one slot sharing group, or the sink in a group of its own. */
function job(p: number, sinkGroup?: string): JobGraph {
  const v = (id: string, kind: string, group?: string) => ({ id, name: id, parallelism: p, maxParallelism: 128, ...(group ? { slotSharingGroup: group } : {}), operators: [{ id, name: id, kind, config: {} }] });
  return parseJobGraph(
    JSON.stringify({
      version: 1,
      name: 'slot-request-test',
      maxParallelism: 128,
      vertices: [v('src', 'source.generator'), v('sink', 'sink.discard', sinkGroup)],
      edges: [{ source: 'src', target: 'sink', partitioning: 'forward' }],
      config: { restartStrategy: { ...DEFAULT_RESTART_STRATEGY }, bufferTimeoutMs: 50 },
    }),
  );
}

let registry: WorkerRegistry;
let port = 1;

function worker(id: string, slots: number): RegisteredWorker {
  return registry.register({ workerId: id, address: `127.0.0.1:${port++}`, slots, pid: 1, host: 'test-host' });
}

beforeEach(() => {
  registry = new WorkerRegistry(logger, 60_000);
});

afterEach(() => {
  registry.close();
});

describe('SlotRequest', () => {
  it('places at once when the slots are free', async () => {
    worker('w1', 1);
    worker('w2', 1);
    const request = new SlotRequest(job(2), registry, 1000, logger);
    const result = await request.place(() => true);
    expect('placement' in result && result.placement.size).toBe(4);
  });

  it('fails after the timeout while the cluster has fewer slots than needed, naming the need, the cluster and the ways out', async () => {
    worker('w1', 1);
    worker('w2', 1);
    const request = new SlotRequest(job(2, 'sinks'), registry, 600, logger);
    const view = request.view();
    expect(view).toMatchObject({ groups: [{ name: 'default', slots: 2 }, { name: 'sinks', slots: 2 }], slotsNeeded: 4, freeSlots: 2, totalSlots: 2, workers: 2, timeoutMs: 600 });
    expect(view.failsAtMs).toBeGreaterThanOrEqual(view.waitingSinceMs + 600);
    const started = Date.now();
    const result = await request.place(() => true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect('error' in result).toBe(true);
    const error = (result as { error: NoResourceAvailableError }).error;
    expect(error).toBeInstanceOf(NoResourceAvailableError);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("needs 4 slots (slot sharing groups 'default': 2, 'sinks': 2)");
    expect(error.message).toContain('the cluster has 2 (2 free) on 2 workers');
    expect(error.message).toMatch(/add workers .* lower the parallelism .* slotSharingGroup/);
  });

  it('places once a worker joins before the timeout', async () => {
    worker('w1', 1);
    const request = new SlotRequest(job(2), registry, 30_000, logger);
    const placed = request.place(() => true);
    await new Promise((r) => setTimeout(r, 300));
    expect(request.view().failsAtMs).not.toBeNull();
    worker('w2', 1);
    const result = await placed;
    expect('placement' in result && new Set(result.placement.values()).size).toBe(2);
  });

  it('waits without a deadline while the cluster has the slots but others hold them', async () => {
    const w = worker('w1', 2);
    w.occupied.occupy(attemptSubtaskKey('other', 0, 'x', 0), attemptSlotKey('other', 0, 'default', 0));
    const request = new SlotRequest(job(2), registry, 300, logger);
    const placed = request.place(() => true);
    await new Promise((r) => setTimeout(r, 700));
    // Past the timeout, still waiting: the slot is held, not missing.
    expect(request.view()).toMatchObject({ slotsNeeded: 2, freeSlots: 1, totalSlots: 2, failsAtMs: null });
    w.occupied.release(attemptSubtaskKey('other', 0, 'x', 0));
    const result = await placed;
    expect('placement' in result).toBe(true);
  });

  it('is abandoned when the attempt is no longer wanted', async () => {
    worker('w1', 1);
    let wanted = true;
    const placed = new SlotRequest(job(2), registry, 30_000, logger).place(() => wanted);
    wanted = false;
    expect(await placed).toEqual({ abandoned: true });
  });
});
