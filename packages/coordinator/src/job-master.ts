import { type JobGraph } from '@weir/common';
import {
  attemptKeyPrefix,
  attemptSubtaskKey,
  backoffDelayMs,
  isTerminalExecutionState,
  isTerminalJobStatus,
  subtaskId,
  unaryCall,
  type CheckpointPointer,
  type ExecutionState,
  type JobStatus,
  type CheckpointView,
  type JobStatusView,
  type Logger,
  type SubtaskCheckpointAck,
  type TaskDeployment,
  type TaskStateUpdate,
} from '@weir/protocol';
import { CheckpointCoordinator, type CheckpointHost, type CompletedCheckpoint } from './checkpoint-coordinator.ts';
import type { CheckpointStorage } from './checkpoint-storage.ts';
import type { JobAssignment } from './metadata-store.ts';
import { ExecutionGraph, type Execution } from './execution-graph.ts';
import { restoreSpecFor } from './state-assignment.ts';
import { assignSlots, totalFreeSlots } from './slot-assignment.ts';
import type { RegisteredWorker, WorkerRegistry } from './worker-registry.ts';

/** A submitted job as the coordinator keeps it. */
export interface JobRecord {
  jobId: string;
  name: string;
  graph: JobGraph;
  args: string[];
  submittedAtMs: number;
  /** A savepoint (or retained checkpoint) to start from. */
  restoreFrom?: CompletedCheckpoint | null;
}

export interface JobMasterDeps {
  registry: WorkerRegistry;
  logger: Logger;
  slotWaitTimeoutMs: number;
  cancelTimeoutMs: number;
  storage: CheckpointStorage;
  /** Called after every change of the job's status (to persist it). */
  onStatus?: (job: JobMaster) => void;
  /** The leader epoch sent with every order to workers (etcd mode: the fence revision; 0 without etcd). */
  epoch?: number;
  /** The number of the first attempt (etcd mode: one more than the last attempt an earlier leader started). */
  initialAttempt?: number;
  /** etcd mode: records an attempt's placement (a guarded write) before it is deployed; throws when this coordinator no longer leads. */
  beforeDeploy?: (assignment: JobAssignment) => Promise<void>;
  /** etcd mode: the checkpoint id counter and latest-checkpoint pointer (guarded writes). */
  checkpointRecords?: CheckpointRecords;
}

/** Where a leader keeps a job's checkpoint counter and latest-checkpoint pointer (etcd mode). */
export interface CheckpointRecords {
  /** Advances the job's counter to at least `atLeast` and returns the id handed out. */
  reserveId(jobId: string, atLeast: number): Promise<number>;
  /** Records a completed checkpoint; must succeed before sinks are told to commit. */
  recordCompleted(jobId: string, pointer: CheckpointPointer): Promise<void>;
  latest(jobId: string): Promise<CheckpointPointer | null>;
}

/**
 * Runs one job (Flink's JobMaster): schedules each attempt's subtasks onto
 * worker slots, follows their states, restarts the job under its restart
 * strategy when a subtask fails or a worker is lost, and cancels it on request.
 */
export class JobMaster {
  readonly record: JobRecord;
  private readonly deps: JobMasterDeps;
  private readonly logger: Logger;
  private status: JobStatus = 'CREATED';
  private graph: ExecutionGraph;
  private restarts = 0;
  /** etcd mode: the current attempt's assignment as recorded, and the splits last added to it. */
  private assignment: JobAssignment | undefined;
  private recordedSplits: string | undefined;
  /** The current attempt started from a checkpoint or savepoint. */
  private restoredAttempt = false;
  private error: string | null = null;
  private endTimeMs: number | null = null;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Set while a restart waits for the failed attempt's subtasks to end: called when one of them does. */
  private oldSubtaskEnded: (() => void) | undefined;
  private cancelTimer: NodeJS.Timeout | undefined;
  private readonly waiters: (() => void)[] = [];
  private readonly checkpoints: CheckpointCoordinator;
  private checkpointsStarted = false;
  private stopping = false;
  /** Set when this coordinator stopped leading: the job is left alone (no orders, no writes) for the next leader. */
  private halted = false;

  constructor(record: JobRecord, deps: JobMasterDeps) {
    this.record = record;
    this.deps = deps;
    this.logger = deps.logger.child({ jobId: record.jobId });
    this.graph = new ExecutionGraph(record.jobId, record.graph, deps.initialAttempt ?? 0);
    this.checkpoints = new CheckpointCoordinator({
      jobId: record.jobId,
      jobName: record.name,
      graph: record.graph,
      storage: deps.storage,
      host: this.checkpointHost(),
      logger: this.logger,
    });
  }

  private get epoch(): number {
    return this.deps.epoch ?? 0;
  }

  /**
   * This coordinator no longer leads: stop every timer and the checkpoints,
   * and never again send an order or write a record for this job. Its
   * subtasks keep running on the workers until the next leader replaces them.
   */
  halt(reason: string): void {
    if (this.halted) return;
    this.halted = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.cancelTimer);
    this.checkpoints.stop(`this coordinator stopped leading: ${reason}`);
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  get isHalted(): boolean {
    return this.halted;
  }

  /** Takes a savepoint into `directory`; with `stop`, the job then ends (FINISHED). Resolves with the savepoint's path. */
  async savepoint(directory: string, stop: boolean): Promise<string> {
    if (this.status !== 'RUNNING') throw new Error(`job ${this.record.jobId} is ${this.status}; only a running job can take a savepoint`);
    if (stop) this.stopping = true;
    try {
      const path = await this.checkpoints.savepoint(directory, stop);
      if (stop) this.stopAfterSavepoint();
      return path;
    } catch (error) {
      this.stopping = false;
      throw error;
    }
  }

  checkpointViews(): CheckpointView[] {
    return this.checkpoints.views();
  }

  onCheckpointAck(ack: SubtaskCheckpointAck): void {
    this.checkpoints.onAck(ack);
  }

  onCheckpointDeclined(checkpointId: number, attempt: number, subtask: string, reason: string): void {
    this.checkpoints.onDecline(checkpointId, attempt, subtask, reason);
  }

  private checkpointHost(): CheckpointHost {
    return {
      attempt: () => (this.status === 'RUNNING' && !this.halted ? { attempt: this.graph.attempt, executions: this.graph.all() } : undefined),
      isSource: (vertexId) => !this.record.graph.edges.some((e) => e.target === vertexId),
      trigger: async (workerId, attempt, checkpointId, stopSources) => {
        const worker = this.deps.registry.get(workerId);
        if (!worker) throw new Error(`worker ${workerId} is gone`);
        if (this.halted) throw new Error('this coordinator no longer leads');
        await unaryCall(worker.client, 'TriggerCheckpoint', { jobId: this.record.jobId, attempt, checkpointId, stopSources, leaderEpoch: this.epoch });
      },
      notifyComplete: async (workerIds, attempt, checkpointId) => {
        if (this.halted) return;
        await Promise.all(
          workerIds.map(async (workerId) => {
            const worker = this.deps.registry.get(workerId);
            if (!worker) return;
            await unaryCall(worker.client, 'NotifyCheckpointComplete', { jobId: this.record.jobId, attempt, checkpointId, leaderEpoch: this.epoch }).catch((error: Error) =>
              this.logger.warn({ workerId, checkpointId, err: error.message }, 'could not notify a worker of a completed checkpoint'),
            );
          }),
        );
      },
      failJob: (reason) => this.failAttempt(reason),
      ...(this.deps.checkpointRecords
        ? {
            reserveId: (atLeast: number) => this.deps.checkpointRecords!.reserveId(this.record.jobId, atLeast),
            recordCompleted: (pointer: CheckpointPointer) => this.deps.checkpointRecords!.recordCompleted(this.record.jobId, pointer),
            latestPointer: () => this.deps.checkpointRecords!.latest(this.record.jobId),
          }
        : {}),
    };
  }

  /** After a stop-with-savepoint: the sinks have committed; end the attempt and the job. */
  private stopAfterSavepoint(): void {
    this.checkpoints.stop('the job was stopped with a savepoint');
    this.transition('CANCELLING');
    this.cancelAttempt(this.graph);
    const deadline = Date.now() + this.deps.cancelTimeoutMs;
    const check = setInterval(() => {
      if (this.graph.all().every((e) => isTerminalExecutionState(e.state)) || Date.now() > deadline) {
        clearInterval(check);
        this.finish('FINISHED');
      }
    }, 50);
  }

  get jobStatus(): JobStatus {
    return this.status;
  }

  get endTime(): number | null {
    return this.endTimeMs;
  }

  start(): void {
    if (this.halted) return;
    this.transition('RUNNING');
    void this.schedule(this.graph);
  }

  /** A subtask changed state on a worker. Updates of old attempts only free slots. */
  onTaskState(update: TaskStateUpdate, worker: RegisteredWorker | undefined): void {
    if (this.halted) return;
    const state = update.state as ExecutionState;
    const key = attemptSubtaskKey(update.jobId, update.attempt, update.vertexId, update.subtaskIndex);
    if (isTerminalExecutionState(state)) {
      worker?.occupied.delete(key);
      if (update.attempt !== this.graph.attempt) this.oldSubtaskEnded?.();
    }
    if (update.attempt !== this.graph.attempt) return;
    const execution = this.graph.get(update.vertexId, update.subtaskIndex);
    if (!execution || isTerminalExecutionState(execution.state)) return;
    execution.state = state;
    if (update.metricsJson) {
      const final = JSON.parse(update.metricsJson) as { metrics: Execution['metrics']; deadLetterDir: string | null };
      execution.metrics = final.metrics;
      execution.deadLetterDir = final.deadLetterDir;
      // A subtask may end between two heartbeats: its last report still names the splits it read.
      this.recordSplits();
    }
    if (state === 'RUNNING' && !this.checkpointsStarted && this.status === 'RUNNING' && this.graph.allIn('RUNNING')) {
      this.checkpointsStarted = true;
      // After a restore, checkpoint at once: output the failure held back commits with the first completed checkpoint.
      this.checkpoints.start(this.restoredAttempt ? 0 : undefined);
    }
    if (state === 'FAILED') {
      execution.error = update.error || 'the subtask failed without an error message';
      this.failAttempt(`subtask ${execution.subtaskIndex} of '${this.vertexName(update.vertexId)}' failed:\n${execution.error}`);
    } else if (state === 'FINISHED' && this.status === 'RUNNING' && this.graph.allIn('FINISHED')) {
      this.finish('FINISHED');
    } else if (this.status === 'CANCELLING' && !this.stopping && this.graph.all().every((e) => isTerminalExecutionState(e.state))) {
      this.finish('CANCELED');
    }
  }

  /** Copies a worker's latest metrics into this job's executions. */
  onHeartbeat(worker: RegisteredWorker): void {
    for (const execution of this.graph.all()) {
      if (execution.workerId !== worker.workerId || isTerminalExecutionState(execution.state)) continue;
      const entry = worker.metrics.get(execution.key);
      if (entry) {
        execution.metrics = entry.metrics;
        execution.deadLetterDir = entry.deadLetterDir;
      }
    }
    this.recordSplits();
  }

  /**
   * etcd mode: when the source splits the subtasks report (Kafka partitions
   * found by discovery, splits moved by a restore) differ from those last
   * recorded, rewrites the attempt's assignment with them (a guarded write).
   */
  private recordSplits(): void {
    const { beforeDeploy } = this.deps;
    const placed = this.assignment;
    if (!beforeDeploy || !placed || placed.attempt !== this.graph.attempt || this.halted) return;
    const splits: Record<string, string[]> = {};
    for (const e of this.graph.all()) {
      const ids = e.metrics?.splits?.map((s) => s.id);
      if (ids && ids.length > 0) splits[subtaskId(e.vertexId, e.subtaskIndex)] = [...ids].sort();
    }
    const text = JSON.stringify(splits);
    if (Object.keys(splits).length === 0 || text === this.recordedSplits) return;
    this.recordedSplits = text;
    const assignment = { ...placed, splits };
    beforeDeploy(assignment).catch((error: Error) => {
      this.recordedSplits = undefined;
      this.logger.warn({ err: error.message }, 'cannot record the source splits in etcd');
    });
  }

  onWorkerLost(workerId: string, reason: string): void {
    if (this.halted) return;
    // Subtasks of a failed attempt on that worker are gone with it: a restart waiting for them may go on.
    this.oldSubtaskEnded?.();
    const affected = this.graph.all().some((e) => e.workerId === workerId && !isTerminalExecutionState(e.state));
    if (!affected) return;
    for (const e of this.graph.all()) {
      if (e.workerId === workerId && !isTerminalExecutionState(e.state)) {
        e.state = 'FAILED';
        e.error = `worker ${workerId} was lost: ${reason}`;
      }
    }
    if (this.status === 'CANCELLING') {
      if (this.graph.all().every((e) => isTerminalExecutionState(e.state))) this.finish('CANCELED');
      return;
    }
    this.failAttempt(`worker ${workerId} was lost: ${reason}`);
  }

  cancel(): void {
    if (this.halted) return;
    if (isTerminalJobStatus(this.status) || this.status === 'CANCELLING') return;
    this.checkpoints.stop('the job is being cancelled');
    clearTimeout(this.restartTimer);
    const running = this.graph.all().filter((e) => e.workerId && !isTerminalExecutionState(e.state));
    if (running.length === 0) {
      this.finish('CANCELED');
      return;
    }
    this.transition('CANCELLING');
    this.cancelAttempt(this.graph);
    this.cancelTimer = setTimeout(() => {
      if (this.status === 'CANCELLING') {
        this.logger.warn('subtasks did not confirm cancellation in time; marking the job cancelled');
        this.finish('CANCELED');
      }
    }, this.deps.cancelTimeoutMs);
  }

  /** Resolves when the job reaches a terminal status. */
  whenTerminal(): Promise<void> {
    if (isTerminalJobStatus(this.status) || this.halted) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  view(): JobStatusView {
    const g = this.record.graph;
    let deadLetters = 0;
    let deadLetterDir: string | null = null;
    const vertices = g.vertices.map((v) => ({
      id: v.id,
      name: v.name,
      operators: v.operators.map((o) => `${o.name} (${o.id})`),
      parallelism: v.parallelism,
      subtasks: Array.from({ length: v.parallelism }, (_, i) => {
        const e = this.graph.get(v.id, i)!;
        deadLetters += e.metrics?.deadLetters ?? 0;
        deadLetterDir ??= e.deadLetterDir;
        return {
          index: i,
          state: e.state,
          workerId: e.workerId,
          recordsIn: e.metrics?.recordsIn ?? 0,
          recordsOut: e.metrics?.recordsOut ?? 0,
          deadLetters: e.metrics?.deadLetters ?? 0,
          ...(e.error ? { error: e.error } : {}),
          ...(e.metrics?.inputWatermark !== undefined ? { inputWatermark: e.metrics.inputWatermark } : {}),
          ...(e.metrics?.splits ? { splits: e.metrics.splits } : {}),
          ...(e.metrics?.counters ? { counters: e.metrics.counters } : {}),
        };
      }),
    }));
    return {
      jobId: this.record.jobId,
      name: this.record.name,
      status: this.status,
      attempt: this.graph.attempt,
      restarts: this.restarts,
      startTimeMs: this.record.submittedAtMs,
      endTimeMs: this.endTimeMs,
      vertices,
      error: this.error,
      deadLetters,
      deadLetterDir,
    };
  }

  private async schedule(graph: ExecutionGraph): Promise<void> {
    const { registry } = this.deps;
    for (const e of graph.all()) e.state = 'SCHEDULED';
    const deadline = Date.now() + this.deps.slotWaitTimeoutMs;
    let placement = assignSlots(this.record.graph, registry.all(), (w) => registry.freeSlots(w));
    while (!placement) {
      if (graph !== this.graph || this.status !== 'RUNNING' || this.halted) return;
      if (Date.now() > deadline) {
        const needed = this.record.graph.vertices.reduce((n, v) => n + v.parallelism, 0);
        const free = totalFreeSlots(registry.all(), (w) => registry.freeSlots(w));
        this.failAttempt(
          `not enough free slots: the job needs ${needed}, the cluster has ${free} free on ${registry.all().length} workers; start more workers (weir worker), give them more --slots, or lower the parallelism (weir run -p)`,
        );
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      placement = assignSlots(this.record.graph, registry.all(), (w) => registry.freeSlots(w));
    }
    if (graph !== this.graph || this.status !== 'RUNNING' || this.halted) return;
    let latest: CompletedCheckpoint | null;
    try {
      latest = await this.checkpoints.reload(this.record.restoreFrom ?? null);
    } catch (error) {
      this.failAttempt(`cannot read the checkpoints of the job: ${(error as Error).message}`);
      return;
    }
    if (graph !== this.graph || this.status !== 'RUNNING' || this.halted) return;
    if (latest) this.logger.info({ checkpointId: latest.metadata.checkpointId, directory: latest.directory }, 'restoring from checkpoint');
    this.restoredAttempt = latest !== null;
    if (this.deps.beforeDeploy) {
      const subtasks: Record<string, string> = {};
      for (const [key, worker] of placement) subtasks[key] = worker.workerId;
      try {
        this.assignment = { jobId: this.record.jobId, attempt: graph.attempt, epoch: this.epoch, subtasks };
        this.recordedSplits = undefined;
        await this.deps.beforeDeploy(this.assignment);
      } catch (error) {
        if (graph === this.graph && !this.halted) this.failAttempt(`cannot record the assignment of attempt ${graph.attempt}: ${(error as Error).message}`);
        return;
      }
      if (graph !== this.graph || this.status !== 'RUNNING' || this.halted) return;
    }

    const byWorker = new Map<RegisteredWorker, string[]>();
    const peers: Record<string, string> = {};
    for (const worker of placement.values()) peers[worker.workerId] = worker.address;
    const location = (vertexId: string, index: number) => ({ vertexId, subtaskIndex: index, workerId: placement.get(subtaskId(vertexId, index))!.workerId });
    const g = this.record.graph;
    for (const vertex of g.vertices) {
      const inEdges = g.edges.filter((e) => e.target === vertex.id);
      const outEdges = g.edges.filter((e) => e.source === vertex.id);
      for (let i = 0; i < vertex.parallelism; i++) {
        const worker = placement.get(subtaskId(vertex.id, i))!;
        const execution = graph.get(vertex.id, i)!;
        execution.workerId = worker.workerId;
        execution.state = 'DEPLOYING';
        worker.occupied.add(execution.key);
        const deployment: TaskDeployment = {
          jobId: this.record.jobId,
          jobName: this.record.name,
          attempt: graph.attempt,
          attemptToken: graph.attemptToken,
          vertexId: vertex.id,
          vertexName: vertex.name,
          subtaskIndex: i,
          parallelism: vertex.parallelism,
          maxParallelism: vertex.maxParallelism,
          operators: vertex.operators,
          inputs: inEdges.map((edge, inputIndex) => {
            const source = g.vertices.find((v) => v.id === edge.source)!;
            const indices = edge.partitioning === 'forward' ? [i] : Array.from({ length: source.parallelism }, (_, k) => k);
            return {
              inputIndex,
              ...(edge.keySelector ? { keySelector: edge.keySelector } : {}),
              producers: indices.map((k) => location(source.id, k)),
            };
          }),
          outputs: outEdges.map((edge) => {
            const target = g.vertices.find((v) => v.id === edge.target)!;
            const indices = edge.partitioning === 'forward' ? [i] : Array.from({ length: target.parallelism }, (_, k) => k);
            return {
              partitioning: edge.partitioning,
              ...(edge.keySelector ? { keySelector: edge.keySelector } : {}),
              ...(edge.sideOutput ? { sideOutput: edge.sideOutput } : {}),
              maxParallelism: target.maxParallelism,
              consumers: indices.map((k) => location(target.id, k)),
            };
          }),
          config: g.config,
          args: this.record.args,
          peers,
          checkpointDir: this.deps.storage.jobDirectory(this.record.jobId),
          restore: latest ? restoreSpecFor(latest.metadata, latest.directory, vertex, i) : null,
        };
        const list = byWorker.get(worker) ?? [];
        list.push(JSON.stringify(deployment));
        byWorker.set(worker, list);
      }
    }
    this.logger.info({ attempt: graph.attempt, workers: byWorker.size }, 'deploying subtasks');
    await Promise.all(
      [...byWorker].map(async ([worker, deploymentJson]) => {
        try {
          await unaryCall(worker.client, 'DeployTasks', { deploymentJson, leaderEpoch: this.epoch });
        } catch (error) {
          if (graph === this.graph && !this.halted) this.failAttempt(`deploying to worker ${worker.workerId} failed: ${(error as Error).message}`);
        }
      }),
    );
  }

  private failAttempt(error: string): void {
    if (this.status !== 'RUNNING' || this.stopping || this.halted) return;
    this.error = error;
    this.checkpoints.stop('the attempt failed');
    this.checkpointsStarted = false;
    const strategy = this.record.graph.config.restartStrategy;
    const failed = this.graph;
    this.cancelAttempt(failed);
    for (const e of failed.all()) if (!isTerminalExecutionState(e.state)) e.state = 'CANCELED';
    if (this.restarts >= strategy.maxAttempts) {
      this.logger.warn({ error, restarts: this.restarts }, 'job failed; restart attempts exhausted');
      this.finish('FAILED');
      return;
    }
    const delay = backoffDelayMs(this.restarts, strategy.initialDelayMs, strategy.maxDelayMs, strategy.multiplier);
    this.restarts++;
    this.transition('RESTARTING');
    this.logger.warn({ error, restartInMs: delay, restarts: this.restarts }, 'attempt failed; restarting the job');
    const failedAtMs = Date.now();
    this.restartTimer = setTimeout(() => {
      void this.restart(failed, failedAtMs);
    }, delay);
  }

  /**
   * Starts the next attempt once every subtask of the failed one is confirmed
   * gone (a worker terminates threads that ignore cancellation), so an old
   * sink never writes beside a new one. The restart delay has run since the
   * failure, and so has the cancellation: usually they are gone by now; if
   * not, the last confirmation starts the attempt at once (no polling).
   */
  private async restart(failed: ExecutionGraph, failedAtMs: number): Promise<void> {
    const prefix = attemptKeyPrefix(this.record.jobId, failed.attempt);
    const deadline = Date.now() + this.deps.cancelTimeoutMs;
    const lingering = (): boolean => this.deps.registry.all().some((w) => [...w.occupied].some((key) => key.startsWith(prefix)));
    while (lingering() && Date.now() < deadline) {
      if (this.status !== 'RESTARTING' || this.halted) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, Math.min(200, deadline - Date.now())));
        this.oldSubtaskEnded = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.oldSubtaskEnded = undefined;
    }
    if (this.status !== 'RESTARTING' || this.halted) return;
    if (lingering()) this.logger.warn({ attempt: failed.attempt, waitedMs: Date.now() - failedAtMs }, 'subtasks of the failed attempt did not confirm their end in time; starting the next attempt anyway');
    this.graph = new ExecutionGraph(this.record.jobId, this.record.graph, failed.attempt + 1);
    this.transition('RUNNING');
    void this.schedule(this.graph);
  }

  private cancelAttempt(graph: ExecutionGraph): void {
    if (this.halted) return;
    const workers = new Set(graph.all().map((e) => e.workerId).filter((w): w is string => w !== null));
    for (const workerId of workers) {
      const worker = this.deps.registry.get(workerId);
      if (!worker) continue;
      unaryCall(worker.client, 'CancelTasks', { jobId: this.record.jobId, attempt: graph.attempt, leaderEpoch: this.epoch }).catch((error: Error) =>
        this.logger.warn({ workerId, err: error.message }, 'could not cancel subtasks on a worker'),
      );
    }
  }

  private finish(status: JobStatus): void {
    if (isTerminalJobStatus(this.status) || this.halted) return;
    this.checkpoints.stop(`the job is ${status}`);
    if (status === 'CANCELED' && !this.record.graph.config.checkpoint.retainOnCancel) {
      void this.deps.storage.removeJob(this.record.jobId).catch(() => {});
    }
    clearTimeout(this.restartTimer);
    clearTimeout(this.cancelTimer);
    this.endTimeMs = Date.now();
    this.transition(status);
    for (const worker of this.deps.registry.all()) {
      unaryCall(worker.client, 'ReleaseJob', { jobId: this.record.jobId, leaderEpoch: this.epoch }).catch(() => {});
    }
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private transition(status: JobStatus): void {
    if (this.status === status || this.halted) return;
    this.logger.info({ from: this.status, to: status }, 'job status');
    this.status = status;
    this.deps.onStatus?.(this);
  }

  /** A job that had already ended under an earlier coordinator: shown, never run. */
  markEnded(status: JobStatus, endTimeMs: number | null): void {
    this.status = status;
    this.endTimeMs = endTimeMs;
  }

  private vertexName(vertexId: string): string {
    return this.record.graph.vertices.find((v) => v.id === vertexId)?.name ?? vertexId;
  }
}
