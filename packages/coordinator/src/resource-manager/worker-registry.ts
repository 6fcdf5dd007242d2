// The worker registry (the ResourceManager's view of the TaskExecutors): the
// registered workers, their slots, heartbeats and latest metrics, and the loss
// of a worker whose session broke or whose heartbeats stopped.
import { EventEmitter } from 'node:events';
import { SlotOccupancy } from './slot-occupancy.ts';
import { attemptSubtaskKey, taskExecutorClient, type Logger, type RegisterWorker__Output, type TaskExecutorClient, type TaskMetrics, type WorkerView } from '@weir/protocol';

/** A worker known to the coordinator (Flink's ResourceManager view of a TaskExecutor). */
export interface RegisteredWorker {
  readonly workerId: string;
  readonly address: string;
  readonly host: string;
  readonly pid: number;
  readonly slots: number;
  readonly client: TaskExecutorClient;
  lastHeartbeatMs: number;
  /** Subtasks placed on this worker and not yet terminal, by the shared slot each runs in. */
  readonly occupied: SlotOccupancy;
  metrics: Map<string, { metrics: TaskMetrics; deadLetterDir: string | null }>;
}

/**
 * Registered workers, their slots and their latest metrics. Emits 'lost'
 * (workerId, reason) when a session breaks or heartbeats stop.
 */
export class WorkerRegistry extends EventEmitter<{ lost: [workerId: string, reason: string]; registered: [workerId: string] }> {
  private readonly workers = new Map<string, RegisteredWorker>();
  private readonly logger: Logger;
  private readonly timer: NodeJS.Timeout;

  constructor(logger: Logger, heartbeatTimeoutMs: number) {
    super();
    this.logger = logger;
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const w of this.workers.values()) {
        if (now - w.lastHeartbeatMs > heartbeatTimeoutMs) this.remove(w.workerId, `no heartbeat for ${now - w.lastHeartbeatMs} ms`);
      }
    }, Math.max(200, Math.floor(heartbeatTimeoutMs / 4)));
    this.timer.unref();
  }

  register(message: RegisterWorker__Output): RegisteredWorker {
    if (this.workers.has(message.workerId)) this.remove(message.workerId, 'registered again');
    const worker: RegisteredWorker = {
      workerId: message.workerId,
      address: message.address,
      host: message.host,
      pid: message.pid,
      slots: message.slots,
      client: taskExecutorClient(message.address),
      lastHeartbeatMs: Date.now(),
      occupied: new SlotOccupancy(),
      metrics: new Map(),
    };
    this.workers.set(worker.workerId, worker);
    this.logger.info({ workerId: worker.workerId, address: worker.address, slots: worker.slots }, 'worker registered');
    this.emit('registered', worker.workerId);
    return worker;
  }

  /** A heartbeat of `workerId` with its metrics report, already validated (null: the heartbeat carried none). */
  heartbeat(workerId: string, entries: readonly { metrics: TaskMetrics; deadLetterDir: string | null }[] | null): void {
    const worker = this.workers.get(workerId);
    if (!worker) return;
    worker.lastHeartbeatMs = Date.now();
    if (!entries) return;
    const map = new Map<string, { metrics: TaskMetrics; deadLetterDir: string | null }>();
    for (const entry of entries) {
      const m = entry.metrics;
      map.set(attemptSubtaskKey(m.jobId, m.attempt, m.vertexId, m.subtaskIndex), entry);
    }
    worker.metrics = map;
  }

  remove(workerId: string, reason: string): void {
    const worker = this.workers.get(workerId);
    if (!worker) return;
    this.workers.delete(workerId);
    worker.client.close();
    this.logger.warn({ workerId, reason }, 'worker lost');
    this.emit('lost', workerId, reason);
  }

  get(workerId: string): RegisteredWorker | undefined {
    return this.workers.get(workerId);
  }

  all(): RegisteredWorker[] {
    return [...this.workers.values()];
  }

  /** Slots of the worker that hold no subtask (negative when it re-registered with fewer slots than are in use). */
  freeSlots(worker: RegisteredWorker): number {
    return worker.slots - worker.occupied.slotsInUse;
  }

  /** Metrics of a subtask, wherever it ran. */
  metricsOf(subtaskKey: string, workerId: string | null): { metrics: TaskMetrics; deadLetterDir: string | null } | undefined {
    if (workerId) return this.workers.get(workerId)?.metrics.get(subtaskKey);
    return undefined;
  }

  views(): WorkerView[] {
    return this.all().map((w) => ({
      workerId: w.workerId,
      address: w.address,
      host: w.host,
      pid: w.pid,
      slots: w.slots,
      freeSlots: this.freeSlots(w),
      lastHeartbeatMs: w.lastHeartbeatMs,
    }));
  }

  close(): void {
    clearInterval(this.timer);
    for (const w of this.workers.values()) w.client.close();
    this.workers.clear();
  }
}
