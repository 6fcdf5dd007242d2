import { hostname } from 'node:os';
import {
  addReflectionService,
  addTaskExecutorService,
  bindServer,
  createLogger,
  serverCredentials,
  useInternalTransport,
  serveMetrics,
  grpc,
  isTerminalExecutionState,
  SERVER_OPTIONS,
  shutdownServer,
  ServingHealth,
  TASK_EXECUTOR_SERVICE_NAME,
  taskDeploymentSchema,
  toServiceError,
  type DeployTasksRequest__Output,
  type JobAssignment,
  type Logger,
  type MetricsEndpoint,
  type TaskDeployment,
  type TaskMetrics,
} from '@weir/protocol';
import { ArtifactCache } from './artifact-cache.ts';
import { CoordinatorSession } from './coordinator-session.ts';
import { EtcdLeaderTracker } from './etcd-leader-tracker.ts';
import { slotThreadEntry } from './slot-thread-entry.ts';
import { SlotThreadPool } from './slot-thread-pool.ts';
import { WorkerSlots } from './worker-slots.ts';
import { ChannelRouter } from '../network/channel-router.ts';
import { LocalChannels } from '../network/local-channels.ts';
import { SubtaskThread } from './subtask-thread.ts';
import { WorkerMetrics, type SubtaskMetricsEntry } from './worker-metrics.ts';
import { resolveWorkerOptions, type ResolvedWorkerOptions, type WorkerOptions } from '../worker-options.ts';

/** A running worker process's TaskExecutor. */
export interface RunningWorker {
  readonly workerId: string;
  readonly address: string;
  /** Where its Prometheus metrics are served (`http://host:port/metrics`). */
  readonly metricsUrl: string;
  stop(): Promise<void>;
}

/**
 * The worker (Flink's TaskExecutor): offers slots to the coordinator, runs
 * deployed subtasks in threads of their own, and moves their data.
 */
export class TaskExecutor {
  private readonly options: ResolvedWorkerOptions;
  private readonly logger: Logger;
  private readonly server = new grpc.Server(SERVER_OPTIONS);
  /** grpc.health.v1: SERVING while registered with the (leading) coordinator. */
  private readonly health = new ServingHealth([TASK_EXECUTOR_SERVICE_NAME]);
  private readonly threads = new Map<string, SubtaskThread>();
  /** Final metrics of finished subtasks, reported until their job is released. */
  private readonly finishedMetrics = new Map<string, SubtaskMetricsEntry & { deadLetterDir: string | null }>();
  private metricsEndpoint: MetricsEndpoint | undefined;
  private readonly artifacts: ArtifactCache;
  private router!: ChannelRouter;
  /** Channels between two subtasks of this worker: their slot threads get a MessagePort each. */
  private readonly localChannels: LocalChannels;
  private session!: CoordinatorSession;
  private tracker: EtcdLeaderTracker | undefined;
  /** Starts slot threads (from a bundle of the runtime, made at start), and threads ahead of a job's restart. */
  private pool!: SlotThreadPool;
  /** Slots in use (shared by the subtasks of one slot sharing group), held by prepared threads, free. */
  private slots!: WorkerSlots;
  /** Where each job's code is cached here, while the job has subtasks here (or may come back after a failure). */
  private readonly jobArtifacts = new Map<string, string>();
  private stopping = false;
  /** The newest leader epoch seen (registration or order); orders from older epochs are refused. 0 without etcd. */
  private newestEpoch = 0;
  /** Threads a newer leader registration made obsolete: terminated, and nothing they report is sent on. */
  private readonly retired = new WeakSet<SubtaskThread>();
  /** Terminations of retired threads still in progress: deployments wait for them (no old sink writes beside a new one). */
  private readonly retiring = new Set<Promise<void>>();
  address = '';

  constructor(options: WorkerOptions) {
    this.options = resolveWorkerOptions(options);
    this.logger = createLogger('worker', { workerId: this.options.workerId });
    useInternalTransport(this.options.transport);
    this.artifacts = new ArtifactCache(this.options.dataDir);
    this.localChannels = new LocalChannels(this.options.workerId);
  }

  async start(): Promise<RunningWorker> {
    const o = this.options;
    this.pool = new SlotThreadPool(
      await slotThreadEntry(this.logger, o.connectorModules),
      { maxOldGenerationSizeMb: o.slotHeapMb, maxYoungGenerationSizeMb: o.slotYoungGenerationMb },
      this.logger,
      o.connectorModules,
    );
    this.slots = new WorkerSlots(o.slots, this.pool, () => this.threads.values());
    addTaskExecutorService(this.server, {
      DeployTasks: (call, cb) => this.order('DeployTasks', call.request.leaderEpoch, cb, () => this.deploy(call.request)),
      CancelTasks: (call, cb) => this.order('CancelTasks', call.request.leaderEpoch, cb, () => this.cancel(call.request.jobId, call.request.attempt)),
      ReleaseJob: (call, cb) => this.order('ReleaseJob', call.request.leaderEpoch, cb, () => this.release(call.request.jobId)),
      TriggerCheckpoint: (call, cb) => {
        const r = call.request;
        this.order('TriggerCheckpoint', r.leaderEpoch, cb, () => {
          for (const thread of this.threadsOf(r.jobId, r.attempt)) if (thread.isSource) thread.triggerCheckpoint(r.checkpointId, r.stopSources);
        });
      },
      // The one that matters most: a deposed leader must not make sinks commit for an attempt a newer leader replaced.
      NotifyCheckpointComplete: (call, cb) => {
        const r = call.request;
        this.order('NotifyCheckpointComplete', r.leaderEpoch, cb, () => {
          for (const thread of this.threadsOf(r.jobId, r.attempt)) thread.checkpointComplete(r.checkpointId);
        });
      },
      Exchange: (call, cb) => {
        call.on('data', (message) => {
          try {
            this.router.fromPeer(message);
          } catch (error) {
            this.logger.warn({ err: (error as Error).message }, 'could not take a message of a peer data stream; dropped');
          }
        });
        call.on('end', () => cb(null, {}));
        call.on('error', () => {});
      },
    });
    addReflectionService(this.server, [TASK_EXECUTOR_SERVICE_NAME]);
    this.health.addToServer(this.server);
    if (o.transport.kind === 'plaintext') {
      this.logger.warn({ host: o.host }, 'PLAINTEXT: the coordinator and other workers connect without TLS, and any process that reaches this port can deploy code or inject data; use certificates of the cluster CA (security.internalCa, security.internalCert, security.internalKey) outside a test setup');
    }
    // Only holders of a certificate of the cluster CA (the coordinator, other workers) may connect.
    const port = await bindServer(this.server, o.host, o.port, serverCredentials(o.transport, true));
    this.address = `${o.advertisedHost}:${port}`;
    const metrics = new WorkerMetrics(o.workerId, () => this.metricsEntries());
    try {
      this.metricsEndpoint = await serveMetrics({ host: o.host, port: o.metricsPort, flag: '--metrics-port', advertisedHost: o.advertisedHost, render: () => metrics.render(), contentType: metrics.contentType, ready: () => this.health.serving });
    } catch (error) {
      await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
      throw error;
    }
    this.router = new ChannelRouter(o.workerId, this.logger, (address, reason) => {
      for (const thread of this.router.threadsTalkingTo(address)) thread.fail(reason);
    });
    if (o.etcd.length > 0) {
      this.tracker = new EtcdLeaderTracker({ endpoints: o.etcd, tls: o.etcdTls, clusterId: o.clusterId, logger: this.logger });
      this.tracker.start({ workerId: o.workerId, address: this.address, host: hostname(), pid: process.pid, slots: o.slots, startedAtMs: Date.now() });
      this.tracker.on('assignment', (assignment) => this.onAssignment(assignment));
    }
    this.session = new CoordinatorSession({
      coordinator: o.coordinator,
      ...(this.tracker ? { leader: this.tracker } : {}),
      onRegistered: (epoch) => this.onRegistered(epoch),
      onDisconnected: () => this.health.set(false),
      registration: { workerId: o.workerId, address: this.address, slots: o.slots, pid: process.pid, host: hostname() },
      logger: this.logger,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      metrics: () => JSON.stringify(this.collectMetrics()),
      onLost: () => this.cancelAll(),
    });
    this.session.start();
    this.logger.info({ address: this.address, metrics: this.metricsEndpoint.url, slots: o.slots, ...(this.tracker ? { etcd: o.etcd, clusterId: o.clusterId } : { coordinator: o.coordinator }) }, 'worker started');
    return { workerId: o.workerId, address: this.address, metricsUrl: this.metricsEndpoint.url, stop: () => this.stop() };
  }

  /**
   * Epoch fencing: runs order `what` of `leaderEpoch` unless it is refused,
   * and answers `cb` (FAILED_PRECONDITION with the reason, or the order's own
   * error). Refused: an order from an epoch older than the newest this worker
   * has seen (a deposed leader); without etcd, any epoch but 0 (forged: it
   * would fence the real coordinator out); with etcd, a newer epoch than the
   * newest seen unless etcd confirms it is the leader's now. Orders of the
   * newest epoch run at once, in the order they arrive.
   */
  private order(what: string, leaderEpoch: number | undefined, cb: grpc.sendUnaryData<object>, run: () => void | Promise<void>): void {
    const epoch = Number(leaderEpoch ?? 0);
    const refuse = (reason: string, code = grpc.status.FAILED_PRECONDITION): void => {
      this.logger.warn({ order: what, epoch, newestEpoch: this.newestEpoch, reason }, 'refused an order');
      cb(toServiceError(new Error(`worker ${this.options.workerId} refuses ${what} from leader epoch ${epoch}: ${reason}`), code));
    };
    const execute = (): void => {
      Promise.resolve()
        .then(run)
        .then(() => cb(null, {}), (error: Error) => cb(toServiceError(error, grpc.status.FAILED_PRECONDITION)));
    };
    if (!this.tracker && epoch !== 0) return refuse('without etcd every order carries leader epoch 0');
    if (epoch < this.newestEpoch) return refuse(`a newer leader (epoch ${this.newestEpoch}) has taken over`);
    if (epoch === this.newestEpoch) return execute();
    this.tracker!.leaderEpoch().then(
      (leader) => {
        if (leader !== epoch) return refuse(leader === undefined ? 'etcd names no leader' : `the leader in etcd has epoch ${leader} (a stale or forged order)`);
        this.newestEpoch = Math.max(this.newestEpoch, epoch);
        execute();
      },
      (error: Error) => refuse(`its epoch cannot be confirmed in etcd (${error.message}); the leader retries`, grpc.status.UNAVAILABLE),
    );
  }

  /**
   * etcd mode: registered with a leader. Subtasks still running from before
   * (the session broke, or the leader changed) were given up by that leader
   * or belong to a previous one, which the new leader restarts from the
   * latest completed checkpoint: they end now.
   */
  private onRegistered(epoch: number): void {
    this.health.set(true);
    this.newestEpoch = Math.max(this.newestEpoch, epoch);
    if (!this.tracker) return;
    const stale = [...this.threads.values()].filter((t) => !this.retired.has(t));
    if (stale.length === 0) return;
    this.logger.warn({ subtasks: stale.length, leaderEpoch: epoch }, 'ending the subtasks of earlier sessions: the leader restarts them');
    for (const thread of stale) {
      this.retired.add(thread);
      const done: Promise<void> = thread.terminate('CANCELED').finally(() => this.retiring.delete(done));
      this.retiring.add(done);
    }
  }

  private async deploy(request: DeployTasksRequest__Output): Promise<void> {
    if (this.retiring.size > 0) await Promise.all(this.retiring);
    const deployments: TaskDeployment[] = request.deploymentJson.map((json) => taskDeploymentSchema.parse(JSON.parse(json)));
    this.slots.admit(deployments, this.options.workerId);
    const byJob = new Map<string, string>();
    for (const d of deployments) {
      if (!byJob.has(d.jobId)) byJob.set(d.jobId, await this.artifacts.get(d.jobId, this.session.coordinatorClient()));
      this.jobArtifacts.set(d.jobId, byJob.get(d.jobId)!);
    }
    const prepared = this.pool.size;
    for (const d of deployments) {
      const thread = new SubtaskThread(
        d,
        {
          onFrame: (_t, channel, frame) => this.router.frameFromThread(channel, frame),
          onCredit: (_t, channel, credits) => this.router.creditFromThread(channel, credits),
          onState: (t, state, error) => this.onThreadState(t, state, error),
          onCheckpointAck: (t, ack) => {
            if (!this.retired.has(t)) this.session.send({ checkpointAck: { ackJson: JSON.stringify(ack) } });
          },
          onCheckpointDeclined: (t, checkpointId, reason) =>
            !this.retired.has(t) &&
            this.session.send({
              checkpointDeclined: { jobId: t.deployment.jobId, attempt: t.deployment.attempt, checkpointId, vertexId: t.deployment.vertexId, subtaskIndex: t.deployment.subtaskIndex, reason },
            }),
        },
        this.pool.take(d.jobId, `subtask ${d.vertexName} ${d.subtaskIndex}`),
      );
      this.threads.set(thread.key, thread);
      this.router.register(thread);
      thread.start(byJob.get(d.jobId)!, this.options.dataDir, this.options.initialCredits, this.localChannels.take(d, thread));
    }
    this.logger.info({ count: deployments.length, jobId: deployments[0]?.jobId, preparedThreads: prepared - this.pool.size }, 'deployed subtasks');
    // The attempt is placed: threads prepared for a restart and not used here are not needed, and
    // threads waiting for other jobs may not outnumber the slots left. Spares wait for the next restart.
    for (const jobId of byJob.keys()) this.pool.drop(jobId);
    this.slots.shrinkPrepared();
    for (const [jobId, artifactPath] of byJob) {
      this.pool.prepare(jobId, artifactPath, Math.min(this.options.spareThreads, this.slots.free() * this.slots.threadsPerSlotOf(jobId)), Infinity);
    }
  }

  private onThreadState(thread: SubtaskThread, state: SubtaskThread['state'], error?: string): void {
    const d = thread.deployment;
    this.logger.debug({ subtask: thread.key, state, ms: Date.now() - thread.createdAtMs }, 'subtask state');
    if (isTerminalExecutionState(state)) {
      this.router.unregister(thread);
      this.localChannels.release(thread);
      if (this.threads.get(thread.key) === thread) this.threads.delete(thread.key);
      if (state !== 'FINISHED') this.prepareRestart(d.jobId, d.attempt);
      if (this.retired.has(thread)) return;
      this.finishedMetrics.set(thread.key, { metrics: thread.metrics, deadLetterDir: thread.deadLetterDir, jobName: d.jobName, vertexName: d.vertexName });
      if (state === 'FAILED') this.logger.warn({ subtask: thread.key, error }, 'subtask failed');
    }
    if (this.retired.has(thread)) return;
    this.session.sendTaskState({
      jobId: d.jobId,
      attempt: d.attempt,
      vertexId: d.vertexId,
      subtaskIndex: d.subtaskIndex,
      state,
      error: error ?? '',
      nonRecoverable: state === 'FAILED' && thread.nonRecoverable,
      metricsJson: isTerminalExecutionState(state) ? JSON.stringify({ metrics: thread.metrics, deadLetterDir: thread.deadLetterDir }) : '',
    });
  }

  /**
   * A leader assigned a job's subtasks for `attempt`: this worker's subtasks
   * of older attempts of that job are stale (a newer leader or a restart
   * replaced them), so they stop now, whether or not the leader that wrote
   * the assignment can reach this worker (nothing they did after the last
   * completed checkpoint is committed).
   */
  private onAssignment(assignment: JobAssignment): void {
    const stale = [...this.threads.values()].filter((t) => t.deployment.jobId === assignment.jobId && t.deployment.attempt < assignment.attempt && !isTerminalExecutionState(t.state));
    if (stale.length === 0) return;
    this.logger.warn({ jobId: assignment.jobId, attempt: assignment.attempt, epoch: assignment.epoch, stale: stale.length }, 'etcd assigns a newer attempt of this job: failing the subtasks of older attempts');
    // Failed, not cancelled: should the leader still count on that attempt, it fails over instead of waiting for it.
    for (const thread of stale) thread.fail(`attempt ${thread.deployment.attempt} was replaced: etcd assigns attempt ${assignment.attempt} of job ${assignment.jobId} (leader epoch ${assignment.epoch})`);
  }

  /**
   * A subtask of the job failed or was cancelled here: the job is most likely
   * restarting. Start threads for it in every free slot now (see
   * SlotThreadPool), so that loading them overlaps the restart delay.
   */
  private prepareRestart(jobId: string, attempt: number): void {
    const artifactPath = this.jobArtifacts.get(jobId);
    if (this.stopping || !artifactPath) return;
    // A newer attempt is already deployed here: this was a late end of an old one.
    if ([...this.threads.values()].some((t) => t.deployment.jobId === jobId && t.deployment.attempt > attempt)) return;
    // Every free slot, and those its prepared threads hold already, as many threads as a slot of the job holds.
    this.pool.prepare(jobId, artifactPath, (this.slots.free() + this.slots.preparedSlotsOf(jobId)) * this.slots.threadsPerSlotOf(jobId));
  }

  private threadsOf(jobId: string, attempt: number): SubtaskThread[] {
    return [...this.threads.values()].filter((t) => t.deployment.jobId === jobId && t.deployment.attempt === attempt && !this.retired.has(t));
  }

  private cancel(jobId: string, attempt: number): void {
    for (const thread of this.threads.values()) {
      const d = thread.deployment;
      if (d.jobId !== jobId || d.attempt > attempt) continue;
      thread.cancel();
      setTimeout(() => {
        if (!isTerminalExecutionState(thread.state)) {
          this.logger.warn({ subtask: thread.key }, 'subtask ignored cancellation; terminating its thread');
          void thread.terminate('CANCELED');
        }
      }, this.options.cancelTimeoutMs).unref();
    }
  }

  private cancelAll(): void {
    for (const thread of this.threads.values()) void thread.terminate('CANCELED');
  }

  private release(jobId: string): void {
    this.pool.drop(jobId);
    this.slots.forget(jobId);
    this.jobArtifacts.delete(jobId);
    this.router.releaseJob(jobId);
    this.localChannels.releaseJob(jobId);
    for (const [key, entry] of this.finishedMetrics) if (entry.metrics.jobId === jobId) this.finishedMetrics.delete(key);
  }

  private collectMetrics(): { metrics: TaskMetrics; deadLetterDir: string | null }[] {
    const all = [...this.finishedMetrics.values()].map(({ metrics, deadLetterDir }) => ({ metrics, deadLetterDir }));
    for (const thread of this.threads.values()) all.push({ metrics: thread.metrics, deadLetterDir: thread.deadLetterDir });
    return all;
  }

  /** Every subtask's latest metrics with its job's and vertex's names, for the Prometheus endpoint. */
  private metricsEntries(): SubtaskMetricsEntry[] {
    const all: SubtaskMetricsEntry[] = [...this.finishedMetrics.values()];
    for (const thread of this.threads.values()) all.push({ metrics: thread.metrics, jobName: thread.deployment.jobName, vertexName: thread.deployment.vertexName });
    return all;
  }

  /**
   * Stops the worker (SIGTERM): not ready any more, the session with the
   * coordinator ends first (so it reassigns this worker's subtasks at once),
   * then the subtasks are terminated and the services closed.
   */
  private async stop(): Promise<void> {
    const started = performance.now();
    this.stopping = true;
    this.health.set(false);
    this.session.stop();
    await this.tracker?.close();
    await Promise.all([this.pool.close(), ...[...this.threads.values()].map((t) => t.terminate('CANCELED'))]);
    this.router.close();
    this.localChannels.close();
    await this.metricsEndpoint?.close();
    // Peers may keep their data streams to this worker open: they get a moment, then are cancelled.
    await shutdownServer(this.server);
    this.logger.info({ stopMs: Math.round(performance.now() - started) }, 'worker stopped');
  }
}

/** Starts a worker: its TaskExecutor service and its session with the coordinator. */
export function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  return new TaskExecutor(options).start();
}
