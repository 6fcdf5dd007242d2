// The JobMaster of one job: its status, the start of each attempt (slots, state
// to restore, deployment), the subtask states it follows, failover and restarts,
// cancellation, savepoints, and halting when this coordinator stops leading.
import {
  attemptSubtaskKey,
  isTerminalExecutionState,
  isTerminalJobStatus,
  type ExecutionState,
  type JobStatus,
  type CheckpointView,
  type JobStatusView,
  type Logger,
  type TaskStateUpdate__Output,
} from '@weir/protocol';
import { CheckpointCoordinator, type CheckpointHost, type CompletedCheckpoint } from '../checkpoint/checkpoint-coordinator.ts';
import type { CheckpointStorage } from '../checkpoint/checkpoint-storage.ts';
import type { JobAssignment } from '../store/metadata-store.ts';
import { ExecutionGraph } from '../scheduler/execution-graph.ts';
import { SlotRequest } from '../scheduler/slot-request.ts';
import type { RegisteredWorker, WorkerRegistry } from '../resource-manager/worker-registry.ts';
import { AssignmentRecorder } from './assignment-recorder.ts';
import { AttemptEndWatch, whenAllTerminal } from './attempt-end.ts';
import { applyFinalMetrics, applyHeartbeatMetrics } from './execution-metrics.ts';
import { jobCheckpointRecords, type CheckpointRecords, type JobRecord } from './job-record.ts';
import { jobStatusView } from './job-status-view.ts';
import { DEFAULT_RESTART_STRATEGY, isNonRecoverable, type RestartStrategy } from '@weir/common';
import { checkRestoredStates } from './restored-state-check.ts';
import { ExecutionFailureHandler } from './execution-failure-handler.ts';
import type { StrategyClock } from './restart-strategy.ts';
import { buildTaskDeployments } from './task-deployments.ts';
import { TaskExecutorGateway } from './task-executor-gateway.ts';

/** What a JobMaster is given by the coordinator. */
export interface JobMasterDeps {
  registry: WorkerRegistry;
  logger: Logger;
  /** How long a job may wait while the cluster has fewer slots than it needs (the job's own setting wins). */
  slotRequestTimeoutMs: number;
  cancelTimeoutMs: number;
  /** The cluster's restart strategy, for a job that sets none (default: DEFAULT_RESTART_STRATEGY). */
  restartStrategy?: RestartStrategy;
  /** The clock of the restart strategy (tests). */
  clock?: StrategyClock;
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
  /** Stores the job's checkpoint history in the metadata store (etcd mode: a guarded write). */
  saveCheckpointHistory?: (views: CheckpointView[]) => Promise<void>;
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
  /** Restarts or fails the job under its restart strategy: from `weir run` or the job's code, else the cluster's. */
  private readonly failures: ExecutionFailureHandler;
  /** etcd mode: records each attempt's assignment and the splits its sources read. */
  private readonly assignments: AssignmentRecorder | undefined;
  private readonly gateway: TaskExecutorGateway;
  /** The current attempt started from a checkpoint or savepoint. */
  private restoredAttempt = false;
  private error: string | null = null;
  private endTimeMs: number | null = null;
  private restartTimer: NodeJS.Timeout | undefined;
  /** The current attempt's request for slots, while it waits for them. */
  private slotRequest: SlotRequest | undefined;
  /** A restart waits here for the failed attempt's subtasks to end. */
  private readonly oldAttemptEnd = new AttemptEndWatch();
  private cancelTimer: NodeJS.Timeout | undefined;
  private readonly waiters: (() => void)[] = [];
  /** The job's CheckpointCoordinator: history, counts, acknowledgements and declines go straight to it. */
  readonly checkpoints: CheckpointCoordinator;
  private checkpointsStarted = false;
  private stopping = false;
  /** Set when this coordinator stopped leading: the job is left alone (no orders, no writes) for the next leader. */
  private halted = false;

  constructor(record: JobRecord, deps: JobMasterDeps) {
    this.record = record;
    this.deps = deps;
    this.logger = deps.logger.child({ jobId: record.jobId });
    this.graph = new ExecutionGraph(record.jobId, record.graph, deps.initialAttempt ?? 0);
    this.failures = new ExecutionFailureHandler(record.graph.config.restartStrategy ?? deps.restartStrategy ?? DEFAULT_RESTART_STRATEGY, deps.clock);
    this.gateway = new TaskExecutorGateway({ jobId: record.jobId, registry: deps.registry, logger: this.logger, epoch: this.epoch, halted: () => this.halted });
    this.assignments = deps.beforeDeploy ? new AssignmentRecorder(deps.beforeDeploy, this.logger) : undefined;
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

  /**
   * Takes a savepoint into a new directory under `target`; with `stop`, the
   * job then ends (FINISHED). Resolves with the savepoint's path. When it
   * fails, a stopping job goes on running: its sources resume.
   */
  async savepoint(target: string, stop: boolean): Promise<string> {
    if (this.status !== 'RUNNING') throw new Error(`job ${this.record.jobId} is ${this.status}; only a running job can take a savepoint`);
    if (stop) this.stopping = true;
    try {
      const path = await this.checkpoints.savepoint(target, stop);
      if (stop) this.stopAfterSavepoint();
      return path;
    } catch (error) {
      if (!stop) throw error;
      this.stopping = false;
      if (this.status !== 'RUNNING' || this.halted) throw error;
      this.checkpoints.resumeSources();
      throw new Error(`${(error as Error).message}; job ${this.record.jobId} was not stopped and keeps running`, { cause: error });
    }
  }

  private checkpointHost(): CheckpointHost {
    return {
      attempt: () => (this.status === 'RUNNING' && !this.halted ? { attempt: this.graph.attempt, executions: this.graph.all() } : undefined),
      isSource: (vertexId) => !this.record.graph.edges.some((e) => e.target === vertexId),
      trigger: (workerId, attempt, checkpointId, stopSources) => this.gateway.triggerCheckpoint(workerId, attempt, checkpointId, stopSources),
      notifyComplete: (workerIds, attempt, checkpointId) => this.gateway.notifyCheckpointComplete(workerIds, attempt, checkpointId),
      failJob: (reason) => this.failAttempt(reason),
      ...jobCheckpointRecords(this.deps.checkpointRecords, this.record.jobId),
      ...(this.deps.saveCheckpointHistory ? { saveHistory: this.deps.saveCheckpointHistory } : {}),
    };
  }

  /** After a stop-with-savepoint: the sinks have committed; end the attempt and the job. */
  private stopAfterSavepoint(): void {
    this.checkpoints.stop('the job was stopped with a savepoint');
    this.transition('CANCELLING');
    this.cancelAttempt(this.graph);
    void whenAllTerminal(this.graph, Date.now() + this.deps.cancelTimeoutMs).then(() => this.finish('FINISHED'));
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
  onTaskState(update: TaskStateUpdate__Output, worker: RegisteredWorker | undefined): void {
    if (this.halted) return;
    const state = update.state as ExecutionState;
    const key = attemptSubtaskKey(update.jobId, update.attempt, update.vertexId, update.subtaskIndex);
    if (isTerminalExecutionState(state)) {
      worker?.occupied.release(key);
      if (update.attempt !== this.graph.attempt) this.oldAttemptEnd.notify();
    }
    if (update.attempt !== this.graph.attempt) return;
    const execution = this.graph.get(update.vertexId, update.subtaskIndex);
    // Only the worker the subtask was deployed to reports its state.
    if (!execution || execution.workerId !== worker?.workerId || isTerminalExecutionState(execution.state)) return;
    execution.state = state;
    if (update.metricsJson) {
      applyFinalMetrics(execution, update.metricsJson);
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
      this.failAttempt(`subtask ${execution.subtaskIndex} of '${this.vertexName(update.vertexId)}' failed:\n${execution.error}`, update.nonRecoverable);
    } else if (state === 'FINISHED' && this.status === 'RUNNING' && this.graph.allIn('FINISHED')) {
      this.finish('FINISHED');
    } else if (this.status === 'CANCELLING' && !this.stopping && this.graph.all().every((e) => isTerminalExecutionState(e.state))) {
      this.finish('CANCELED');
    }
  }

  /** Whether `workerId` runs subtask `subtaskIndex` of `vertexId` in `attempt`, the current attempt (only it may acknowledge or decline checkpoints for it). */
  runsOn(attempt: number, vertexId: string, subtaskIndex: number, workerId: string): boolean {
    return attempt === this.graph.attempt && this.graph.get(vertexId, subtaskIndex)?.workerId === workerId;
  }

  /** Copies a worker's latest metrics into this job's executions. */
  onHeartbeat(worker: RegisteredWorker): void {
    applyHeartbeatMetrics(this.graph, worker);
    this.recordSplits();
  }

  /** etcd mode: records the source splits the current attempt's subtasks report, when they changed (a guarded write). */
  private recordSplits(): void {
    if (this.halted) return;
    this.assignments?.recordSplits(this.graph);
  }

  onWorkerLost(workerId: string, reason: string): void {
    if (this.halted) return;
    // Subtasks of a failed attempt on that worker are gone with it: a restart waiting for them may go on.
    this.oldAttemptEnd.notify();
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
    const slotRequest = this.status === 'RUNNING' ? (this.slotRequest?.view() ?? null) : null;
    return jobStatusView(this.record, this.graph, { status: this.status, restarts: this.restarts, endTimeMs: this.endTimeMs, error: this.error, slotRequest, restartStrategy: this.failures.description });
  }

  private async schedule(graph: ExecutionGraph): Promise<void> {
    for (const e of graph.all()) e.state = 'SCHEDULED';
    const wanted = (): boolean => graph === this.graph && this.status === 'RUNNING' && !this.halted;
    const request = new SlotRequest(this.record.graph, this.deps.registry, this.record.graph.config.slotRequestTimeoutMs ?? this.deps.slotRequestTimeoutMs, this.logger);
    this.slotRequest = request;
    const slots = await request.place(wanted);
    if (this.slotRequest === request) this.slotRequest = undefined;
    if ('abandoned' in slots) return;
    if ('error' in slots) {
      // The cluster has too few slots: restarting would only wait again.
      this.failAttempt(slots.error.message, !slots.error.retryable);
      return;
    }
    const { placement } = slots;
    if (graph !== this.graph || this.status !== 'RUNNING' || this.halted) return;
    let latest: CompletedCheckpoint | null;
    try {
      latest = await this.checkpoints.reload(this.record.restoreFrom ?? null);
    } catch (error) {
      this.failAttempt(`cannot read the checkpoints of the job: ${(error as Error).message}`, isNonRecoverable(error));
      return;
    }
    if (graph !== this.graph || this.status !== 'RUNNING' || this.halted) return;
    if (latest) {
      this.logger.info({ checkpointId: latest.metadata.checkpointId, directory: latest.directory }, 'restoring from checkpoint');
      // Before anything is deployed: state the job cannot read fails it at once, as no restart can cure it.
      const misfit = checkRestoredStates(latest, this.record, this.logger);
      if (misfit) {
        this.failAttempt(misfit, true);
        return;
      }
    }
    this.restoredAttempt = latest !== null;
    if (this.assignments) {
      const subtasks: Record<string, string> = {};
      for (const [key, worker] of placement) subtasks[key] = worker.workerId;
      try {
        await this.assignments.recordPlacement({ jobId: this.record.jobId, attempt: graph.attempt, epoch: this.epoch, subtasks });
      } catch (error) {
        if (graph === this.graph && !this.halted) this.failAttempt(`cannot record the assignment of attempt ${graph.attempt}: ${(error as Error).message}`);
        return;
      }
      if (graph !== this.graph || this.status !== 'RUNNING' || this.halted) return;
    }

    const byWorker = buildTaskDeployments({ record: this.record, graph, placement, latest, checkpointDir: this.deps.storage.jobDirectory(this.record.jobId), s3: this.deps.storage.s3Settings });
    this.logger.info({ attempt: graph.attempt, workers: byWorker.size }, 'deploying subtasks');
    await Promise.all(
      [...byWorker].map(async ([worker, deploymentJson]) => {
        try {
          await this.gateway.deployTasks(worker, deploymentJson);
        } catch (error) {
          if (graph === this.graph && !this.halted) this.failAttempt(`deploying to worker ${worker.workerId} failed: ${(error as Error).message}`);
        }
      }),
    );
  }

  /** The attempt failed: restart under the restart strategy, or (`nonRecoverable`, or no restart left) fail the job. */
  private failAttempt(error: string, nonRecoverable = false): void {
    if (this.status !== 'RUNNING' || this.stopping || this.halted) return;
    this.error = error;
    this.checkpoints.stop('the attempt failed');
    this.checkpointsStarted = false;
    const failed = this.graph;
    this.cancelAttempt(failed);
    for (const e of failed.all()) if (!isTerminalExecutionState(e.state)) e.state = 'CANCELED';
    const handling = this.failures.handle(error, nonRecoverable, this.restarts);
    if (!handling.restart) {
      this.error = handling.error;
      this.logger.warn({ error, nonRecoverable, restarts: this.restarts, restartStrategy: this.failures.description }, 'job failed; it is not restarted');
      this.finish('FAILED');
      return;
    }
    const delay = handling.delayMs;
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
    const deadline = Date.now() + this.deps.cancelTimeoutMs;
    const lingering = (): boolean => AttemptEndWatch.lingering(this.deps.registry, this.record.jobId, failed.attempt);
    await this.oldAttemptEnd.wait(lingering, deadline, () => this.status === 'RESTARTING' && !this.halted);
    if (this.status !== 'RESTARTING' || this.halted) return;
    if (lingering()) this.logger.warn({ attempt: failed.attempt, waitedMs: Date.now() - failedAtMs }, 'subtasks of the failed attempt did not confirm their end in time; starting the next attempt anyway');
    this.graph = new ExecutionGraph(this.record.jobId, this.record.graph, failed.attempt + 1);
    this.transition('RUNNING');
    void this.schedule(this.graph);
  }

  private cancelAttempt(graph: ExecutionGraph): void {
    if (this.halted) return;
    const workers = new Set(graph.all().map((e) => e.workerId).filter((w): w is string => w !== null));
    this.gateway.cancelTasks(workers, graph.attempt);
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
    this.gateway.releaseJob();
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
