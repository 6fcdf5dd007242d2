// The CheckpointCoordinator of one job: triggers checkpoints and savepoints,
// collects the subtasks' acknowledgements, completes or fails each checkpoint
// and keeps the latest completed one to restore from.
import { randomBytes } from 'node:crypto';
import type { CheckpointConfig, JobGraph } from '@weir/common';
import { joinLocation, savepointDirectoryName, subtaskId, type CheckpointMetadata, type CheckpointPointer, type CheckpointView, type Logger, type SubtaskCheckpointAck } from '@weir/protocol';
import { assembleMetadata, carryStates, type CompletedStates } from './checkpoint-assembly.ts';
import { CheckpointAckTimes } from './checkpoint-ack-times.ts';
import { CheckpointHistory, type SaveCheckpointHistory } from './checkpoint-history.ts';
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
  /** Stores the job's checkpoint history (the metadata store), so it outlives this coordinator. */
  saveHistory?: SaveCheckpointHistory;
}

interface Pending {
  id: number;
  attempt: number;
  triggeredAtMs: number;
  expected: Set<string>;
  acks: Map<string, SubtaskCheckpointAck>;
  /** A savepoint: the new directory it goes into, whether this coordinator created it (so may remove it), whether sources stop after it. */
  savepoint: { directory: string; created: boolean; stop: boolean } | null;
  timer: NodeJS.Timeout;
  waiters: { resolve: (path: string) => void; reject: (error: Error) => void }[];
}

/** A completed checkpoint the job can restart from. */
export interface CompletedCheckpoint {
  metadata: CheckpointMetadata;
  directory: string;
}

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
  private readonly history: CheckpointHistory;
  /** Each subtask's acknowledgement of the newest checkpoints. */
  readonly ackTimes = new CheckpointAckTimes();
  /** Checkpoints completed and failed since this coordinator took the job (the history keeps only the latest). */
  completedCount = 0;
  failedCount = 0;
  /** Each subtask's state in the latest completed checkpoint (kept for subtasks that have finished). */
  private lastStates: CompletedStates = new Map();
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
    this.history = new CheckpointHistory(options.host.saveHistory, this.logger);
  }

  /** The history an earlier coordinator stored for the job. */
  restoreHistory(views: readonly CheckpointView[]): void {
    this.history.restore(views);
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
      if (this.history.has(s.checkpointId, 'FAILED')) continue;
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
        entry.operators[operatorId] = {
          keyedState: s.keyedState,
          operatorState: s.operatorState,
          ...(s.unionListState ? { unionListState: true } : {}),
          ...(s.broadcastState ? { broadcastState: s.broadcastState } : {}),
        };
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
    return [...this.history.all(), ...inFlight];
  }

  /**
   * Takes a savepoint into a new directory `savepoint-<job>-<random>` under
   * `target` (created exclusively before any source is triggered: it never
   * overwrites); with `stop`, sources emit nothing after it. Resolves with the
   * new directory's path; rejects with the reason as soon as any part fails.
   */
  savepoint(target: string, stop: boolean): Promise<string> {
    const directory = joinLocation(target, savepointDirectoryName(this.jobId, randomBytes(6).toString('hex')));
    return new Promise((resolve, reject) => {
      const pending = this.trigger({ directory, created: false, stop });
      if (typeof pending === 'string') reject(new Error(pending));
      else pending.waiters.push({ resolve, reject });
    });
  }

  /**
   * After a stop-with-savepoint failed: takes a checkpoint at once (not held
   * back by the minimum pause or the limit in flight) without stopping sources,
   * which makes sources that stopped at the savepoint's barrier emit again.
   * Should this one not be taken, the next periodic checkpoint does the same.
   */
  resumeSources(): void {
    const result = this.trigger(null, true);
    if (typeof result === 'string') this.logger.warn({ reason: result }, 'could not trigger the checkpoint that resumes the sources; the next periodic one will');
  }

  onAck(ack: SubtaskCheckpointAck): void {
    const p = this.pending.get(ack.checkpointId);
    if (!p || p.attempt !== ack.attempt) return;
    const key = subtaskId(ack.vertexId, ack.subtaskIndex);
    if (!p.expected.has(key)) return;
    p.acks.set(key, ack);
    this.ackTimes.record(p.id, p.triggeredAtMs, ack);
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

  private trigger(savepoint: Pending['savepoint'], resume = false): Pending | string {
    const current = this.host.attempt();
    if (!current || !this.running) return 'the job is not running';
    // A checkpoint without stop would make stopped sources emit again before a stop-with-savepoint completes or fails.
    if ([...this.pending.values()].some((p) => p.savepoint?.stop)) return 'a stop-with-savepoint is in flight';
    if (savepoint === null && !resume) {
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
    if (!this.host.reserveId && !savepoint) {
      triggerSources();
      return pending;
    }
    void this.prepare(pending).then((ready) => {
      if (ready) triggerSources();
    });
    return pending;
  }

  /**
   * Before any source sees the id: a savepoint's directory is created (a
   * failure fails the savepoint at once), and in etcd mode the id is handed
   * out by the counter in etcd (a guarded write). Resolves whether to trigger.
   */
  private async prepare(p: Pending): Promise<boolean> {
    if (p.savepoint) {
      try {
        await this.storage.createSavepointDirectory(p.savepoint.directory);
        p.savepoint.created = true;
      } catch (error) {
        this.fail(p, `cannot create the savepoint directory: ${(error as Error).message}`, false);
        return false;
      }
    }
    if (!this.host.reserveId) return this.pending.has(p.id);
    let reserved: number;
    try {
      reserved = await this.host.reserveId(p.id);
    } catch (error) {
      this.fail(p, `reserving its id failed: ${(error as Error).message}`, true);
      return false;
    }
    if (reserved === p.id) return this.pending.has(p.id);
    this.nextId = Math.max(this.nextId, reserved + 1);
    this.fail(p, `the checkpoint counter in etcd was already at ${reserved - 1}`, false);
    return false;
  }

  private async complete(p: Pending): Promise<void> {
    clearTimeout(p.timer);
    const directory = this.storage.checkpointDirectory(this.jobId, p.id);
    let completed: { metadata: CheckpointMetadata; states: CompletedStates };
    try {
      const states = await carryStates(p.acks, this.lastStates, directory, await this.storage.fileSystem(directory));
      const metadata = assembleMetadata(this.graph, states, {
        format: 'weir-checkpoint',
        version: 1,
        jobId: this.jobId,
        jobName: this.jobName,
        checkpointId: p.id,
        savepoint: p.savepoint !== null,
        triggeredAtMs: p.triggeredAtMs,
        completedAtMs: Date.now(),
      });
      await this.storage.writeMetadata(directory, metadata);
      // A savepoint is whole (metadata last) before it counts as completed.
      if (p.savepoint) await this.storage.copy(directory, p.savepoint.directory).catch((error: Error) => Promise.reject(new Error(`writing the savepoint to ${p.savepoint!.directory} failed: ${error.message}`)));
      // etcd mode: the completion is recorded by a guarded write before anything commits; a deposed leader fails here.
      if (!this.pending.has(p.id)) throw new Error('it was abandoned while its metadata was written');
      if (this.host.recordCompleted) await this.host.recordCompleted({ checkpointId: p.id, directory, completedAtMs: metadata.completedAtMs });
      if (!this.pending.has(p.id)) throw new Error('it was abandoned while its completion was recorded');
      completed = { metadata, states };
    } catch (error) {
      // Failed while it was written (timed out, the attempt ended): what the write left behind goes too.
      if (!this.pending.has(p.id)) this.discard(p);
      this.fail(p, `completing failed: ${(error as Error).message}`, true);
      return;
    }
    const { metadata, states } = completed;
    this.pending.delete(p.id);
    this.latest = { metadata, directory };
    this.lastStates = states;
    this.consecutiveFailures = 0;
    this.lastCompletedAtMs = Date.now();
    const durationMs = metadata.completedAtMs - p.triggeredAtMs;
    const totals = ackTotals(p.acks.values());
    this.record({ checkpointId: p.id, status: 'COMPLETED', savepoint: p.savepoint !== null, triggeredAtMs: p.triggeredAtMs, durationMs, ...totals, path: p.savepoint?.directory ?? directory, failure: null });
    this.logger.info({ checkpointId: p.id, durationMs, bytes: totals.bytes, ...(p.savepoint ? { savepoint: p.savepoint.directory } : {}) }, 'checkpoint completed');
    const workers = [...new Set((this.host.attempt()?.executions ?? []).map((e) => e.workerId).filter((w): w is string => w !== null))];
    await this.host.notifyComplete(workers, p.attempt, p.id).catch((error: Error) => this.logger.warn({ checkpointId: p.id, err: error.message }, 'could not tell every worker the checkpoint completed'));
    if (p.waiters.length > 0) await this.history.flushed();
    for (const w of p.waiters) w.resolve(p.savepoint?.directory ?? directory);
    await this.storage.retain(this.jobId, this.config.retained, p.id).catch((error: Error) => this.logger.warn({ err: error.message }, 'could not delete old checkpoints'));
  }

  /** Fails a pending checkpoint; savepoint failures never count toward failing the job over. */
  private fail(p: Pending, reason: string, countsAsFailure: boolean): void {
    if (!this.pending.delete(p.id)) return;
    clearTimeout(p.timer);
    this.logger.warn({ checkpointId: p.id, reason, ...(p.savepoint ? { savepoint: p.savepoint.directory } : {}) }, p.savepoint ? 'savepoint failed' : 'checkpoint failed');
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
    this.discard(p);
    if (p.waiters.length > 0) {
      const error = new Error(`savepoint ${p.id} failed: ${reason}`);
      void this.history.flushed().then(() => {
        for (const w of p.waiters) w.reject(error);
      });
    }
    if (!countsAsFailure || p.savepoint) return;
    this.consecutiveFailures++;
    if (this.consecutiveFailures > this.config.tolerableFailures) {
      this.consecutiveFailures = 0;
      this.host.failJob(`${this.config.tolerableFailures + 1} checkpoints failed in a row; the last: checkpoint ${p.id} ${reason}`);
    }
  }

  /** Removes what a failed checkpoint wrote; of a savepoint, only a directory this coordinator created (never one that was there). */
  private discard(p: Pending): void {
    void this.storage.removeCheckpoint(this.jobId, p.id).catch(() => {});
    if (p.savepoint?.created) void this.storage.removeSavepoint(p.savepoint.directory).catch(() => {});
  }

  private missing(p: Pending): string {
    const missing = [...p.expected].filter((k) => !p.acks.has(k));
    return missing.length > 0 ? `acknowledgements of ${missing.join(', ')}` : 'the metadata write';
  }

  private record(view: CheckpointView): void {
    if (view.status === 'COMPLETED') this.completedCount++;
    else if (view.status === 'FAILED') this.failedCount++;
    this.history.add(view);
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
