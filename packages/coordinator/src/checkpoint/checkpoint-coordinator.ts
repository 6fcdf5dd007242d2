// The CheckpointCoordinator of one job: triggers checkpoints and savepoints,
// collects the subtasks' acknowledgements, completes or fails each checkpoint
// and keeps the latest completed one to restore from.
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointConfig, JobGraph } from '@weir/common';
import { subtaskId, type CheckpointMetadata, type CheckpointPointer, type CheckpointView, type Logger, type OperatorSubtaskState, type SubtaskCheckpointAck } from '@weir/protocol';
import type { CheckpointStorage } from './checkpoint-storage.ts';
import type { Execution } from '../scheduler/execution-graph.ts';

/** What the CheckpointCoordinator needs from its JobMaster. */
export interface CheckpointHost {
  /** The current attempt and its executions. */
  attempt(): { attempt: number; executions: Execution[] } | undefined;
  isSource(vertexId: string): boolean;
  trigger(workerId: string, attempt: number, checkpointId: number, stopSources: boolean): Promise<void>;
  notifyComplete(workerIds: string[], attempt: number, checkpointId: number): Promise<void>;
  /** Too many checkpoints failed in a row: fail over. */
  failJob(reason: string): void;
  /** etcd mode: advances the job's checkpoint counter to at least `atLeast`; resolves with the id handed out. */
  reserveId?(atLeast: number): Promise<number>;
  /** etcd mode: records a completed checkpoint (a guarded write). Sinks are told to commit only after it succeeded. */
  recordCompleted?(pointer: CheckpointPointer): Promise<void>;
  /** etcd mode: the job's latest completed checkpoint as recorded. */
  latestPointer?(): Promise<CheckpointPointer | null>;
}

interface Pending {
  id: number;
  attempt: number;
  triggeredAtMs: number;
  expected: Set<string>;
  acks: Map<string, SubtaskCheckpointAck>;
  savepoint: { directory: string; stop: boolean } | null;
  timer: NodeJS.Timeout;
  waiters: { resolve: (path: string) => void; reject: (error: Error) => void }[];
}

/** A completed checkpoint the job can restart from. */
export interface CompletedCheckpoint {
  metadata: CheckpointMetadata;
  directory: string;
}

const HISTORY = 50;

/**
 * Drives a job's checkpoints (Flink's CheckpointCoordinator): triggers the
 * sources every interval, collects every subtask's acknowledgement, writes
 * the metadata last, records the checkpoint as the latest completed one,
 * then tells every subtask it is complete (sinks commit). Checkpoints that
 * time out or are declined fail; too many failures in a row fail the job over.
 * Ids come from the storage and never repeat.
 */
export class CheckpointCoordinator {
  private readonly jobId: string;
  private readonly jobName: string;
  private readonly graph: JobGraph;
  private readonly config: CheckpointConfig;
  private readonly storage: CheckpointStorage;
  private readonly host: CheckpointHost;
  private readonly logger: Logger;
  private readonly pending = new Map<number, Pending>();
  private readonly history: CheckpointView[] = [];
  /** Checkpoints completed and failed since this coordinator took the job (the history keeps only the latest). */
  completedCount = 0;
  failedCount = 0;
  /** Each subtask's state in the latest completed checkpoint (kept for subtasks that have finished). */
  private lastStates = new Map<string, { operators: Record<string, OperatorSubtaskState>; directory: string }>();
  private nextId = 1;
  private periodic: NodeJS.Timeout | undefined;
  private running = false;
  private consecutiveFailures = 0;
  private lastCompletedAtMs = 0;
  latest: CompletedCheckpoint | null = null;

  constructor(options: { jobId: string; jobName: string; graph: JobGraph; storage: CheckpointStorage; host: CheckpointHost; logger: Logger }) {
    this.jobId = options.jobId;
    this.jobName = options.jobName;
    this.graph = options.graph;
    this.config = options.graph.config.checkpoint;
    this.storage = options.storage;
    this.host = options.host;
    this.logger = options.logger.child({ component: 'checkpoint-coordinator' });
  }

  /**
   * Reads the newest checkpoint of the job that restores whole from storage
   * (skipping, with the reason, any that are partial or corrupt) and makes it
   * the one to restart from; without one, `initial` (a savepoint) or nothing.
   */
  async reload(initial: CompletedCheckpoint | null): Promise<CompletedCheckpoint | null> {
    this.nextId = Math.max(this.nextId, await this.storage.nextCheckpointId(this.jobId));
    let recorded: CompletedCheckpoint | null = null;
    if (this.host.latestPointer) {
      // etcd mode: the pointer names the latest checkpoint whose completion was recorded (and only those were ever committed by sinks).
      const pointer = await this.host.latestPointer();
      if (pointer) {
        this.nextId = Math.max(this.nextId, pointer.checkpointId + 1);
        try {
          recorded = { metadata: await this.storage.readMetadata(pointer.directory), directory: pointer.directory };
        } catch (error) {
          this.logger.warn({ checkpointId: pointer.checkpointId, err: (error as Error).message }, 'the latest recorded checkpoint cannot be read; falling back to the newest valid one in storage');
        }
      }
    }
    // etcd mode: past every id any leader handed out (the counter may be ahead of storage: ids of checkpoints that never completed).
    if (this.host.reserveId) this.nextId = (await this.host.reserveId(this.nextId)) + 1;
    const { found, skipped } = recorded ? { found: recorded, skipped: [] } : await this.storage.latestValid(this.jobId);
    for (const s of skipped) {
      if (this.history.some((h) => h.checkpointId === s.checkpointId && h.status === 'FAILED')) continue;
      this.logger.warn({ checkpointId: s.checkpointId, reason: s.reason }, 'skipping a checkpoint that cannot be restored; falling back to an earlier one');
      this.record({ checkpointId: s.checkpointId, status: 'FAILED', savepoint: false, triggeredAtMs: 0, durationMs: null, bytes: 0, incrementalBytes: 0, alignmentMsMax: 0, syncMsMax: 0, asyncMsMax: 0, path: s.directory, failure: s.reason });
    }
    const chosen = found ?? initial;
    if (chosen) this.adoptLatest(chosen);
    else this.latest = null;
    return this.latest;
  }

  /** Starts from a savepoint or an earlier checkpoint of another job run. */
  adoptLatest(completed: CompletedCheckpoint): void {
    this.latest = completed;
    this.nextId = Math.max(this.nextId, completed.metadata.checkpointId + 1);
    this.lastStates = new Map();
    for (const [operatorId, op] of Object.entries(completed.metadata.operators)) {
      for (const s of op.subtasks) {
        const vertex = this.graph.vertices.find((v) => v.operators.some((o) => o.id === operatorId));
        if (!vertex) continue;
        const key = subtaskId(vertex.id, s.index);
        const entry = this.lastStates.get(key) ?? { operators: {}, directory: completed.directory };
        entry.operators[operatorId] = { keyedState: s.keyedState, operatorState: s.operatorState, ...(s.unionListState ? { unionListState: true } : {}) };
        this.lastStates.set(key, entry);
      }
    }
  }

  /** The attempt is running: take checkpoints periodically, the first after `firstDelayMs` (default: the interval). */
  start(firstDelayMs = this.config.intervalMs): void {
    this.running = true;
    this.schedule(firstDelayMs);
  }

  /** The attempt is over: stop triggering and fail what is in flight. */
  stop(reason: string): void {
    this.running = false;
    clearTimeout(this.periodic);
    for (const p of [...this.pending.values()]) this.fail(p, reason, false);
  }

  views(): CheckpointView[] {
    const inFlight = [...this.pending.values()].map<CheckpointView>((p) => ({
      checkpointId: p.id,
      status: 'IN_PROGRESS',
      savepoint: p.savepoint !== null,
      triggeredAtMs: p.triggeredAtMs,
      durationMs: null,
      ...ackTotals(p.acks.values()),
      path: null,
      failure: null,
    }));
    return [...this.history, ...inFlight];
  }

  /** Takes a savepoint into `directory`; with `stop`, sources emit nothing after it. Resolves with its path. */
  savepoint(directory: string, stop: boolean): Promise<string> {
    return new Promise((resolve, reject) => {
      const pending = this.trigger({ directory, stop });
      if (typeof pending === 'string') reject(new Error(pending));
      else pending.waiters.push({ resolve, reject });
    });
  }

  onAck(ack: SubtaskCheckpointAck): void {
    const p = this.pending.get(ack.checkpointId);
    if (!p || p.attempt !== ack.attempt) return;
    const key = subtaskId(ack.vertexId, ack.subtaskIndex);
    if (!p.expected.has(key)) return;
    p.acks.set(key, ack);
    if (p.acks.size === p.expected.size) void this.complete(p);
  }

  onDecline(checkpointId: number, attempt: number, subtask: string, reason: string): void {
    const p = this.pending.get(checkpointId);
    if (!p || p.attempt !== attempt) return;
    this.fail(p, `subtask ${subtask} declined: ${reason}`, true);
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.periodic);
    if (!this.running || this.config.intervalMs <= 0) return;
    this.periodic = setTimeout(() => {
      this.trigger(null);
      this.schedule(this.config.intervalMs);
    }, Math.max(0, delayMs));
    this.periodic.unref();
  }

  private trigger(savepoint: Pending['savepoint']): Pending | string {
    const current = this.host.attempt();
    if (!current || !this.running) return 'the job is not running';
    if (savepoint === null) {
      if (this.pending.size >= this.config.maxConcurrent) return 'too many checkpoints in flight';
      if (Date.now() - this.lastCompletedAtMs < this.config.minPauseMs) return 'within the minimum pause';
    }
    const live = current.executions.filter((e) => e.state !== 'FINISHED');
    if (live.length === 0) return 'every subtask has finished';
    if (live.some((e) => e.state !== 'RUNNING' || !e.workerId)) return 'not every subtask is running yet';
    const id = this.nextId++;
    const pending: Pending = {
      id,
      attempt: current.attempt,
      triggeredAtMs: Date.now(),
      expected: new Set(live.map((e) => subtaskId(e.vertexId, e.subtaskIndex))),
      acks: new Map(),
      savepoint,
      timer: setTimeout(() => this.fail(pending, `timed out after ${this.config.timeoutMs} ms waiting for ${this.missing(pending)}`, true), this.config.timeoutMs),
      waiters: [],
    };
    this.pending.set(id, pending);
    const sourceWorkers = new Set(live.filter((e) => this.host.isSource(e.vertexId)).map((e) => e.workerId!));
    const triggerSources = (): void => {
      if (!this.pending.has(id)) return;
      for (const workerId of sourceWorkers) {
        this.host.trigger(workerId, current.attempt, id, savepoint?.stop ?? false).catch((error: Error) => this.fail(pending, `triggering worker ${workerId} failed: ${error.message}`, true));
      }
    };
    if (!this.host.reserveId) {
      triggerSources();
      return pending;
    }
    // etcd mode: the id is handed out by the counter in etcd (a guarded write) before any source sees it.
    this.host.reserveId(id).then(
      (reserved) => {
        if (reserved === id) return triggerSources();
        this.nextId = Math.max(this.nextId, reserved + 1);
        this.fail(pending, `the checkpoint counter in etcd was already at ${reserved - 1}`, false);
      },
      (error: Error) => this.fail(pending, `reserving its id failed: ${error.message}`, true),
    );
    return pending;
  }

  private async complete(p: Pending): Promise<void> {
    clearTimeout(p.timer);
    const directory = this.storage.checkpointDirectory(this.jobId, p.id);
    try {
      const states = new Map<string, { operators: Record<string, OperatorSubtaskState>; directory: string }>();
      for (const [key, ack] of p.acks) states.set(key, { operators: ack.operators, directory });
      // Subtasks that finished earlier keep the state of their last checkpoint.
      for (const [key, last] of this.lastStates) {
        if (states.has(key)) continue;
        const copied: Record<string, OperatorSubtaskState> = {};
        for (const [opId, state] of Object.entries(last.operators)) {
          for (const handle of state.keyedState) {
            await mkdir(directory, { recursive: true });
            await cp(join(last.directory, handle.file), join(directory, handle.file));
          }
          copied[opId] = state;
        }
        states.set(key, { operators: copied, directory });
      }
      const metadata: CheckpointMetadata = {
        format: 'weir-checkpoint',
        version: 1,
        jobId: this.jobId,
        jobName: this.jobName,
        checkpointId: p.id,
        savepoint: p.savepoint !== null,
        triggeredAtMs: p.triggeredAtMs,
        completedAtMs: Date.now(),
        operators: {},
      };
      for (const vertex of this.graph.vertices) {
        for (const op of vertex.operators) {
          const subtasks: CheckpointMetadata['operators'][string]['subtasks'] = [];
          for (let i = 0; i < vertex.parallelism; i++) {
            const state = states.get(subtaskId(vertex.id, i))?.operators[op.id];
            if (state) subtasks.push({ index: i, ...state });
          }
          metadata.operators[op.id] = { parallelism: vertex.parallelism, maxParallelism: vertex.maxParallelism, subtasks };
        }
      }
      await this.storage.writeMetadata(directory, metadata);
      // etcd mode: the completion is recorded by a guarded write before anything commits; a deposed leader fails here.
      if (this.host.recordCompleted) {
        if (!this.pending.has(p.id)) throw new Error('it was abandoned while its metadata was written');
        await this.host.recordCompleted({ checkpointId: p.id, directory, completedAtMs: metadata.completedAtMs });
      }
      this.pending.delete(p.id);
      this.latest = { metadata, directory };
      this.lastStates = states;
      this.consecutiveFailures = 0;
      this.lastCompletedAtMs = Date.now();
      const bytes = [...p.acks.values()].reduce((n, a) => n + a.bytes, 0);
      this.record({
        checkpointId: p.id,
        status: 'COMPLETED',
        savepoint: p.savepoint !== null,
        triggeredAtMs: p.triggeredAtMs,
        durationMs: metadata.completedAtMs - p.triggeredAtMs,
        ...ackTotals(p.acks.values()),
        path: p.savepoint?.directory ?? directory,
        failure: null,
      });
      this.logger.info({ checkpointId: p.id, durationMs: metadata.completedAtMs - p.triggeredAtMs, bytes }, 'checkpoint completed');
      const workers = [...new Set((this.host.attempt()?.executions ?? []).map((e) => e.workerId).filter((w): w is string => w !== null))];
      if (p.savepoint) await this.storage.copy(directory, p.savepoint.directory);
      await this.host.notifyComplete(workers, p.attempt, p.id);
      for (const w of p.waiters) w.resolve(p.savepoint?.directory ?? directory);
      await this.storage.retain(this.jobId, this.config.retained, p.id).catch((error: Error) => this.logger.warn({ err: error.message }, 'could not delete old checkpoints'));
    } catch (error) {
      this.fail(p, `completing failed: ${(error as Error).message}`, true);
    }
  }

  private fail(p: Pending, reason: string, countsAsFailure: boolean): void {
    if (!this.pending.delete(p.id)) return;
    clearTimeout(p.timer);
    this.logger.warn({ checkpointId: p.id, reason }, 'checkpoint failed');
    this.record({
      checkpointId: p.id,
      status: 'FAILED',
      savepoint: p.savepoint !== null,
      triggeredAtMs: p.triggeredAtMs,
      durationMs: Date.now() - p.triggeredAtMs,
      bytes: 0,
      incrementalBytes: 0,
      alignmentMsMax: 0,
      syncMsMax: 0,
      asyncMsMax: 0,
      path: null,
      failure: reason,
    });
    void this.storage.removeCheckpoint(this.jobId, p.id).catch(() => {});
    for (const w of p.waiters) w.reject(new Error(`savepoint ${p.id} failed: ${reason}`));
    if (!countsAsFailure) return;
    this.consecutiveFailures++;
    if (this.consecutiveFailures > this.config.tolerableFailures) {
      this.consecutiveFailures = 0;
      this.host.failJob(`${this.config.tolerableFailures + 1} checkpoints failed in a row; the last: checkpoint ${p.id} ${reason}`);
    }
  }

  private missing(p: Pending): string {
    const missing = [...p.expected].filter((k) => !p.acks.has(k));
    return missing.length > 0 ? `acknowledgements of ${missing.join(', ')}` : 'the metadata write';
  }

  private record(view: CheckpointView): void {
    if (view.status === 'COMPLETED') this.completedCount++;
    else if (view.status === 'FAILED') this.failedCount++;
    this.history.push(view);
    if (this.history.length > HISTORY) this.history.shift();
  }
}

/** Sizes and the slowest parts over the subtasks' acknowledgements of one checkpoint. */
function ackTotals(acks: Iterable<SubtaskCheckpointAck>): Pick<CheckpointView, 'bytes' | 'incrementalBytes' | 'alignmentMsMax' | 'syncMsMax' | 'asyncMsMax'> {
  const totals = { bytes: 0, incrementalBytes: 0, alignmentMsMax: 0, syncMsMax: 0, asyncMsMax: 0 };
  for (const a of acks) {
    totals.bytes += a.bytes;
    totals.incrementalBytes += a.incrementalBytes ?? a.bytes;
    totals.alignmentMsMax = Math.max(totals.alignmentMsMax, a.alignmentMs);
    totals.syncMsMax = Math.max(totals.syncMsMax, a.syncMs);
    totals.asyncMsMax = Math.max(totals.asyncMsMax, a.asyncMs);
  }
  return totals;
}
