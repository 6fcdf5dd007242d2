// The orders a JobMaster sends to workers (Flink's TaskExecutorGateway):
// deploy, cancel, trigger and confirm checkpoints, release the job. Every
// order carries the leader epoch, so a worker refuses orders of a deposed leader.
import { unaryCall, type Logger } from '@weir/protocol';
import type { WorkerRegistry, RegisteredWorker } from '../resource-manager/worker-registry.ts';

/** What the gateway needs to address the job's workers. */
export interface TaskExecutorGatewayOptions {
  jobId: string;
  registry: WorkerRegistry;
  logger: Logger;
  /** The leader epoch sent with every order (etcd mode: the fence revision; 0 without etcd). */
  epoch: number;
  /** True once the coordinator stopped leading: checkpoint orders are no longer sent. */
  halted: () => boolean;
}

/** Sends one job's orders to the workers of the registry. */
export class TaskExecutorGateway {
  private readonly jobId: string;
  private readonly registry: WorkerRegistry;
  private readonly logger: Logger;
  private readonly epoch: number;
  private readonly halted: () => boolean;

  constructor(options: TaskExecutorGatewayOptions) {
    this.jobId = options.jobId;
    this.registry = options.registry;
    this.logger = options.logger;
    this.epoch = options.epoch;
    this.halted = options.halted;
  }

  /** Deploys subtasks (their TaskDeployments as JSON) on one worker. */
  async deployTasks(worker: RegisteredWorker, deploymentJson: string[]): Promise<void> {
    await unaryCall(worker.client, 'deployTasks', { deploymentJson, leaderEpoch: this.epoch });
  }

  /** Asks every worker still registered among `workerIds` to cancel the attempt's subtasks; failures are logged. */
  cancelTasks(workerIds: Iterable<string>, attempt: number): void {
    for (const workerId of workerIds) {
      const worker = this.registry.get(workerId);
      if (!worker) continue;
      unaryCall(worker.client, 'cancelTasks', { jobId: this.jobId, attempt, leaderEpoch: this.epoch }).catch((error: Error) =>
        this.logger.warn({ workerId, err: error.message }, 'could not cancel subtasks on a worker'),
      );
    }
  }

  /** Starts a checkpoint at the sources an attempt runs on a worker; throws when the worker is gone or the coordinator no longer leads. */
  async triggerCheckpoint(workerId: string, attempt: number, checkpointId: number, stopSources: boolean): Promise<void> {
    const worker = this.registry.get(workerId);
    if (!worker) throw new Error(`worker ${workerId} is gone`);
    if (this.halted()) throw new Error('this coordinator no longer leads');
    await unaryCall(worker.client, 'triggerCheckpoint', { jobId: this.jobId, attempt, checkpointId, stopSources, leaderEpoch: this.epoch });
  }

  /** Tells the workers a checkpoint completed (sinks commit); failures are logged. Not sent once the coordinator no longer leads. */
  async notifyCheckpointComplete(workerIds: string[], attempt: number, checkpointId: number): Promise<void> {
    if (this.halted()) return;
    await Promise.all(
      workerIds.map(async (workerId) => {
        const worker = this.registry.get(workerId);
        if (!worker) return;
        await unaryCall(worker.client, 'notifyCheckpointComplete', { jobId: this.jobId, attempt, checkpointId, leaderEpoch: this.epoch }).catch((error: Error) =>
          this.logger.warn({ workerId, checkpointId, err: error.message }, 'could not notify a worker of a completed checkpoint'),
        );
      }),
    );
  }

  /** The job ended: every worker may drop what it keeps of it. */
  releaseJob(): void {
    for (const worker of this.registry.all()) {
      unaryCall(worker.client, 'releaseJob', { jobId: this.jobId, leaderEpoch: this.epoch }).catch(() => {});
    }
  }
}
