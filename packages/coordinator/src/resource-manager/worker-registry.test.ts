// Tests of the worker registry, alone and behind a coordinator's WorkerSession stream.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_RESTART_STRATEGY, parseJobGraph } from '@weir/common';
import {
  clusterFromMessage,
  createLogger,
  grpc,
  jobManagerClient,
  rootLogger,
  unaryCall,
  type ClusterView,
  type CoordinatorMessage__Output,
  type JobManagerClient,
  type RegisterWorker__Output,
  type TaskMetrics,
  type WorkerMessage,
} from '@weir/protocol';
import { startCoordinator, type RunningCoordinator } from '../coordinator.ts';
import { ExecutionGraph } from '../scheduler/execution-graph.ts';
import { WorkerRegistry } from './worker-registry.ts';

function registration(workerId: string, port: number, slots = 2): RegisterWorker__Output {
  return { workerId, address: `127.0.0.1:${port}`, slots, pid: 4000 + port, host: 'test-host' };
}

function metrics(jobId: string, attempt: number, vertexId: string, subtaskIndex: number, recordsIn: number): TaskMetrics {
  return { jobId, attempt, vertexId, subtaskIndex, recordsIn, recordsOut: recordsIn * 2, deadLetters: 0, backpressuredFrames: 0 };
}

function silentLogger() {
  const logger = createLogger('worker-registry-test');
  logger.level = 'silent';
  return logger;
}

/** Records the registry's events in order. */
function recordEvents(registry: WorkerRegistry): string[] {
  const events: string[] = [];
  registry.on('registered', (id) => events.push(`registered ${id}`));
  registry.on('lost', (id, reason) => events.push(`lost ${id}: ${reason}`));
  return events;
}

describe('WorkerRegistry', () => {
  let registry: WorkerRegistry;

  beforeEach(() => {
    // Only the registry's heartbeat check and the clock are faked; gRPC's
    // own timers stay real (no client ever connects in these tests).
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'], now: 1_000_000 });
    registry = new WorkerRegistry(silentLogger(), 1000);
  });

  afterEach(() => {
    registry.close();
    vi.useRealTimers();
  });

  it('registers a worker, emits registered and lists it', () => {
    const events = recordEvents(registry);
    const w = registry.register(registration('w1', 1, 3));
    expect(events).toEqual(['registered w1']);
    expect(w).toMatchObject({ workerId: 'w1', address: '127.0.0.1:1', host: 'test-host', pid: 4001, slots: 3, lastHeartbeatMs: 1_000_000 });
    expect(w.occupied.subtaskCount).toBe(0);
    expect(w.metrics.size).toBe(0);
    expect(registry.get('w1')).toBe(w);
    expect(registry.all()).toEqual([w]);
    expect(registry.get('w2')).toBeUndefined();
    expect(registry.freeSlots(w)).toBe(3);
  });

  it('parses heartbeat metrics into a per-subtask map keyed like the ExecutionGraph', () => {
    const w = registry.register(registration('w1', 1));
    const job = 'a'.repeat(32);
    const graph = new ExecutionGraph(
      job,
      parseJobGraph(
        JSON.stringify({
          version: 1,
          name: 'm',
          maxParallelism: 128,
          vertices: [{ id: 'src', name: 'SRC', parallelism: 2, maxParallelism: 128, operators: [{ id: 'src', name: 'SRC', kind: 'source.generator', config: {} }] }],
          edges: [],
          config: { restartStrategy: { ...DEFAULT_RESTART_STRATEGY }, bufferTimeoutMs: 50 },
        }),
      ),
      4,
    );
    vi.advanceTimersByTime(300);
    registry.heartbeat(
      'w1',
      [
        { metrics: metrics(job, 4, 'src', 0, 10), deadLetterDir: null },
        { metrics: metrics(job, 4, 'src', 1, 20), deadLetterDir: '/tmp/dead' },
      ],
    );
    expect(w.lastHeartbeatMs).toBe(1_000_300);
    expect([...w.metrics.keys()].sort()).toEqual([graph.key('src', 0), graph.key('src', 1)].sort());
    expect(w.metrics.get(graph.key('src', 1))).toEqual({ metrics: metrics(job, 4, 'src', 1, 20), deadLetterDir: '/tmp/dead' });
    expect(registry.metricsOf(graph.key('src', 0), 'w1')?.metrics.recordsIn).toBe(10);
    expect(registry.metricsOf(graph.key('src', 0), null)).toBeUndefined();
    expect(registry.metricsOf(graph.key('src', 0), 'nobody')).toBeUndefined();

    // A heartbeat without metrics refreshes liveness and keeps the last metrics;
    // an empty list replaces them.
    vi.advanceTimersByTime(200);
    registry.heartbeat('w1', null);
    expect(w.lastHeartbeatMs).toBe(1_000_500);
    expect(w.metrics.size).toBe(2);
    registry.heartbeat('w1', []);
    expect(w.metrics.size).toBe(0);
  });

  it('ignores heartbeats of unknown workers', () => {
    expect(() => registry.heartbeat('ghost', [])).not.toThrow();
    expect(registry.all()).toEqual([]);
  });

  it('removes a worker whose heartbeats stop, with a lost event naming the reason, and keeps one that heartbeats', () => {
    const events = recordEvents(registry);
    registry.register(registration('silent', 1));
    const alive = registry.register(registration('alive', 2));
    events.length = 0;

    // Within the timeout nobody is lost.
    vi.advanceTimersByTime(900);
    expect(registry.all().map((w) => w.workerId).sort()).toEqual(['alive', 'silent']);
    registry.heartbeat('alive', null);

    // Past the timeout (and a check interval) the silent one is gone.
    vi.advanceTimersByTime(700);
    expect(registry.get('silent')).toBeUndefined();
    expect(registry.get('alive')).toBe(alive);
    expect(events).toHaveLength(1);
    const [lost] = events;
    expect(lost).toMatch(/^lost silent: no heartbeat for (\d+) ms$/);
    expect(Number(/(\d+) ms/.exec(lost!)![1])).toBeGreaterThan(1000);
    expect(registry.views().map((v) => v.workerId)).toEqual(['alive']);

    // Then the other one stops too.
    vi.advanceTimersByTime(1500);
    expect(registry.all()).toEqual([]);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatch(/^lost alive: no heartbeat for \d+ ms$/);
  });

  it('replaces the entry of a worker that registers again, emitting lost for the old one', () => {
    const events = recordEvents(registry);
    const old = registry.register(registration('w1', 1, 2));
    old.occupied.occupy('job/0/src#0', 'job/0/default@0');
    vi.advanceTimersByTime(100);
    const fresh = registry.register(registration('w1', 2, 4));
    expect(events).toEqual(['registered w1', 'lost w1: registered again', 'registered w1']);
    expect(fresh).not.toBe(old);
    expect(registry.get('w1')).toBe(fresh);
    expect(registry.all()).toHaveLength(1);
    expect(fresh).toMatchObject({ address: '127.0.0.1:2', slots: 4, lastHeartbeatMs: 1_000_100 });
    expect(registry.freeSlots(fresh)).toBe(4);
    // The old entry's client is closed; the new one is not.
    expect(old.client.getChannel().getConnectivityState(false)).toBe(grpc.connectivityState.SHUTDOWN);
    expect(fresh.client.getChannel().getConnectivityState(false)).not.toBe(grpc.connectivityState.SHUTDOWN);
  });

  it('remove emits lost once, and nothing for an unknown worker', () => {
    const events = recordEvents(registry);
    registry.register(registration('w1', 1));
    registry.remove('w1', 'the worker ended its session');
    registry.remove('w1', 'again');
    registry.remove('nobody', 'never registered');
    expect(events).toEqual(['registered w1', 'lost w1: the worker ended its session']);
    expect(registry.all()).toEqual([]);
  });

  it('views() shows each worker with its free slots (shared slots count once) and last heartbeat', () => {
    const a = registry.register(registration('a', 1, 4));
    registry.register(registration('b', 2, 1));
    // Three subtasks in two shared slots: x#0 and y#0 share slot 0.
    a.occupied.occupy('j/0/x#0', 'j/0/default@0');
    a.occupied.occupy('j/0/y#0', 'j/0/default@0');
    a.occupied.occupy('j/0/x#1', 'j/0/default@1');
    a.occupied.occupy('j/0/x#1', 'j/0/default@1');
    vi.advanceTimersByTime(250);
    registry.heartbeat('b', null);
    expect(registry.views()).toEqual([
      { workerId: 'a', address: '127.0.0.1:1', host: 'test-host', pid: 4001, slots: 4, freeSlots: 2, lastHeartbeatMs: 1_000_000 },
      { workerId: 'b', address: '127.0.0.1:2', host: 'test-host', pid: 4002, slots: 1, freeSlots: 1, lastHeartbeatMs: 1_000_250 },
    ]);
    // The view is JSON-safe (it goes over GetCluster).
    expect(JSON.parse(JSON.stringify(registry.views()))).toEqual(registry.views());
  });

  it('close() forgets every worker, closes their clients and stops the heartbeat check', () => {
    const events = recordEvents(registry);
    const w = registry.register(registration('w1', 1));
    registry.close();
    expect(registry.all()).toEqual([]);
    expect(w.client.getChannel().getConnectivityState(false)).toBe(grpc.connectivityState.SHUTDOWN);
    vi.advanceTimersByTime(10_000);
    expect(events).toEqual(['registered w1']);
  });
});

describe('worker sessions on a coordinator', () => {
  let coordinator: RunningCoordinator | undefined;
  let client: JobManagerClient | undefined;
  let dataDir = '';
  const calls: grpc.ClientDuplexStream<WorkerMessage, CoordinatorMessage__Output>[] = [];

  async function start(heartbeatTimeoutMs: number): Promise<void> {
    rootLogger().level = 'silent';
    dataDir = await mkdtemp(join(tmpdir(), 'weir-registry-test-'));
    coordinator = await startCoordinator({ port: 0, restPort: 0, dataDir, heartbeatTimeoutMs });
    client = jobManagerClient(coordinator.address);
  }

  afterEach(async () => {
    for (const call of calls.splice(0)) call.cancel();
    client?.close();
    await coordinator?.stop();
    coordinator = undefined;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  type Call = grpc.ClientDuplexStream<WorkerMessage, CoordinatorMessage__Output>;
  /** A worker's session: the call, and when the coordinator ended it. */
  interface Session {
    call: Call;
    ended: Promise<void>;
    isEnded: () => boolean;
  }

  /** Opens a WorkerSession and resolves once the coordinator confirms the registration. */
  async function session(register: RegisterWorker__Output): Promise<Session> {
    const call = client!.workerSession();
    calls.push(call);
    let ended = false;
    const whenEnded = new Promise<void>((resolve) => {
      const done = (): void => {
        ended = true;
        resolve();
      };
      call.on('status', done);
      call.on('error', done);
    });
    const registered = new Promise<string>((resolve) => call.on('data', (m: CoordinatorMessage__Output) => m.registered && resolve(m.registered.coordinatorId)));
    call.write({ register });
    expect(await registered).toBe(coordinator!.coordinatorId);
    return { call, ended: whenEnded, isEnded: () => ended };
  }

  async function clusterView(): Promise<ClusterView> {
    const response = await unaryCall(client!, 'getCluster', {}, 5000);
    return clusterFromMessage(response.cluster!);
  }

  it('lists a worker registered over a session, and drops it when the session ends', async () => {
    await start(60_000);
    const s = await session(registration('w1', 1, 3));
    expect((await clusterView()).workers).toMatchObject([{ workerId: 'w1', slots: 3, freeSlots: 3 }]);
    s.call.end();
    await s.ended;
    expect((await clusterView()).workers).toEqual([]);
  });

  it('keeps the new registration when the stale session of a re-registered worker closes', async () => {
    await start(60_000);
    // A worker's session breaks and it reconnects with the same id before the
    // coordinator notices; the old session then ends on the coordinator.
    const stale = await session(registration('w1', 1, 2));
    await session(registration('w1', 1, 3));
    expect((await clusterView()).workers).toMatchObject([{ workerId: 'w1', address: '127.0.0.1:1', slots: 3 }]);
    stale.call.end();
    await stale.ended;
    expect((await clusterView()).workers, 'closing the stale session removed the live registration').toMatchObject([{ workerId: 'w1', address: '127.0.0.1:1', slots: 3 }]);
  });

  it('refuses another WorkerSession claiming a registered worker id from another address, and malformed registrations', async () => {
    await start(60_000);
    const live = await session(registration('w1', 1));
    const refusal = async (register: RegisterWorker__Output): Promise<grpc.ServiceError> => {
      const call = client!.workerSession();
      calls.push(call);
      const error = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
      call.on('data', () => undefined);
      call.write({ register });
      return error;
    };
    const claimed = await refusal(registration('w1', 2));
    expect(claimed.code).toBe(grpc.status.ALREADY_EXISTS);
    expect(claimed.details).toMatch(/worker id w1 is registered already, with a live session from 127\.0\.0\.1:1/);
    const noSlots = await refusal({ ...registration('w2', 3), slots: 0 });
    expect(noSlots.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(noSlots.details).toMatch(/^the worker registration is invalid: slots:/);
    const badId = await refusal(registration('../w3', 4));
    expect(badId.details).toMatch(/workerId: a worker id has only letters/);
    expect(live.isEnded()).toBe(false);
    expect((await clusterView()).workers).toMatchObject([{ workerId: 'w1', address: '127.0.0.1:1' }]);
  });

  it('does not leave a worker dropped for missed heartbeats stranded on an open session', async () => {
    // The registry checks every 200 ms; a worker silent for 200 ms is lost.
    await start(200);
    const s = await session(registration('w1', 1));
    await vi.waitFor(async () => expect((await clusterView()).workers).toEqual([]), { timeout: 2000, interval: 25 });
    // The worker comes back to life (a paused VM, a blocked event loop) and
    // heartbeats again on its session. Either the coordinator has ended that
    // session (so the worker cancels its tasks and registers again), or the
    // heartbeats must bring it back; it must not stay invisible while it
    // believes it is registered.
    const heartbeats = setInterval(() => s.isEnded() || s.call.write({ heartbeat: { metricsJson: '' } }), 50);
    try {
      const deadline = Date.now() + 400;
      let listed = false;
      while (!s.isEnded() && !listed && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        listed = (await clusterView()).workers.some((w) => w.workerId === 'w1');
      }
      expect(
        s.isEnded() || listed,
        'the coordinator dropped w1 for missed heartbeats but keeps its session open and ignores its heartbeats',
      ).toBe(true);
    } finally {
      clearInterval(heartbeats);
    }
  });
});
