// The Dispatcher (Flink's Dispatcher): accepts submitted jobs, keeps their
// code and records, runs one JobMaster per job and persists every status
// change, and on taking the lead resumes the jobs an earlier coordinator left.
import { randomBytes } from 'node:crypto';
import { parseJobGraph, type RestartStrategy } from '@weir/common';
import { grpc, isTerminalJobStatus, type Logger, type SubmitJobRequest__Output } from '@weir/protocol';
import type { CheckpointStorage } from '../checkpoint/checkpoint-storage.ts';
import type { SavepointLocations } from '../checkpoint/savepoint-locations.ts';
import { NotLeaderError } from '../etcd/etcd-errors.ts';
import { JobMaster, type JobMasterDeps } from '../job-master/job-master.ts';
import type { Term } from '../leader-term.ts';
import type { WorkerRegistry } from '../resource-manager/worker-registry.ts';
import type { ArtifactStore } from '../store/artifact-store.ts';
import type { StoredJob } from '../store/metadata-store.ts';
import { isJobId } from './job-id.ts';

/** What the Dispatcher is given by the coordinator. */
export interface DispatcherOptions {
  logger: Logger;
  slotRequestTimeoutMs: number;
  cancelTimeoutMs: number;
  /** The restart strategy of jobs that set none. */
  restartStrategy: RestartStrategy;
  storage: CheckpointStorage;
  artifacts: ArtifactStore;
  /** Where savepoints may go and restores come from. */
  savepointLocations: SavepointLocations;
  /** The worker registry of the current term: a job created now places its subtasks through it. */
  registry: () => WorkerRegistry;
  /** The current term (null while standing by): a recovery stops when the term it runs for ends. */
  currentTerm: () => Term | null;
  /** Runs a write of `term` (etcd: guarded by its fence); a refusal ends the term. */
  guarded: <T>(term: Term, write: () => Promise<T>) => Promise<T>;
}

/** The jobs this coordinator runs while it leads, one JobMaster each. */
export class Dispatcher {
  private readonly options: DispatcherOptions;
  private readonly logger: Logger;
  private readonly jobs = new Map<string, JobMaster>();
  private readonly artifactPaths = new Map<string, string | null>();
  /** Job record writes, one at a time per job, in order. */
  private readonly persisting = new Map<string, Promise<void>>();

  constructor(options: DispatcherOptions) {
    this.options = options;
    this.logger = options.logger;
  }

  /** Where savepoints may go and restores come from. */
  get savepointLocations(): SavepointLocations {
    return this.options.savepointLocations;
  }

  get size(): number {
    return this.jobs.size;
  }

  all(): IterableIterator<JobMaster> {
    return this.jobs.values();
  }

  get(jobId: string): JobMaster | undefined {
    return this.jobs.get(jobId);
  }

  /** The job's JobMaster; throws NOT_FOUND for an unknown id. */
  job(jobId: string): JobMaster {
    const job = this.jobs.get(jobId);
    if (!job) throw Object.assign(new Error(`no job with id ${jobId.length > 100 ? `${jobId.slice(0, 100)}…` : jobId}; 'weir list' shows the jobs this coordinator knows`), { code: grpc.status.NOT_FOUND });
    return job;
  }

  /** Validates and stores a submitted job, then starts it; a retried submission finds its job. */
  async submit(term: Term, request: SubmitJobRequest__Output): Promise<{ jobId: string }> {
    const graph = parseJobGraph(request.jobGraphJson);
    if (!request.artifact || request.artifact.length === 0) throw new Error('the job was submitted without its code artifact; submit it with weir run');
    let restoreFrom = null;
    if (request.fromSavepoint) {
      const directory = this.options.savepointLocations.resolve('from_savepoint', request.fromSavepoint);
      let metadata;
      try {
        metadata = await this.options.storage.readMetadata(directory);
      } catch (error) {
        throw new Error(`cannot restore from ${directory}: ${(error as Error).message}; restore from an older retained checkpoint or savepoint instead`);
      }
      // Whether its states fit the job is checked by the JobMaster before anything is deployed: a misfit fails the job at once.
      restoreFrom = { metadata, directory };
    }
    // The client's submission id becomes the job id: a submit retried after a lost answer (or a failover) finds its job.
    const jobId = isJobId(request.submissionId ?? '') ? request.submissionId! : randomBytes(16).toString('hex');
    if (this.jobs.has(jobId)) return { jobId };
    const artifactPath = await this.options.artifacts.put(jobId, request.artifact);
    const job = this.createJobMaster(term, {
      jobId,
      name: request.name || graph.name,
      graph,
      args: request.args,
      submittedAtMs: Date.now(),
      restoreFrom,
      allowNonRestoredState: request.allowNonRestoredState,
    }, 0, artifactPath);
    try {
      await this.options.guarded(term, () => term.store.putJob(this.storedJob(job)));
    } catch (error) {
      this.jobs.delete(jobId);
      job.halt('the job could not be stored');
      throw error;
    }
    this.logger.info({ jobId, name: job.record.name, vertices: graph.vertices.length }, 'job submitted');
    job.start();
    return { jobId };
  }

  /** Takes over the jobs an earlier coordinator left: ended ones are listed, running ones resume from their latest checkpoint. */
  async recover(term: Term): Promise<void> {
    for (const stored of await term.store.listJobs()) {
      if (this.options.currentTerm() !== term) return;
      let restoreFrom = null;
      if (stored.restoreFromDirectory) {
        try {
          restoreFrom = { metadata: await this.options.storage.readMetadata(stored.restoreFromDirectory), directory: stored.restoreFromDirectory };
        } catch (error) {
          this.logger.warn({ jobId: stored.jobId, err: (error as Error).message }, 'the savepoint the job started from is gone');
        }
      }
      // Attempt numbers continue from the last one any leader deployed, so no update of an old attempt passes for the new one.
      const lastAttempt = term.etcd && !isTerminalJobStatus(stored.status) ? ((await term.etcd.getAssignment(stored.jobId))?.attempt ?? -1) : -1;
      if (this.options.currentTerm() !== term) return;
      const job = this.createJobMaster(
        term,
        {
          jobId: stored.jobId,
          name: stored.name,
          graph: stored.graph,
          args: stored.args,
          submittedAtMs: stored.submittedAtMs,
          restoreFrom,
          allowNonRestoredState: stored.allowNonRestoredState ?? false,
        },
        lastAttempt + 1,
        stored.artifactPath ?? null,
      );
      try {
        job.checkpoints.restoreHistory(await term.store.getCheckpointHistory(stored.jobId));
      } catch (error) {
        this.logger.warn({ jobId: stored.jobId, err: (error as Error).message }, 'the checkpoint history of the job cannot be read; it starts empty');
      }
      if (this.options.currentTerm() !== term) return;
      if (isTerminalJobStatus(stored.status)) {
        job.markEnded(stored.status, stored.endTimeMs);
        continue;
      }
      this.logger.info({ jobId: stored.jobId, name: stored.name, attempt: lastAttempt + 1 }, 'resuming a job of an earlier coordinator');
      job.start();
    }
  }

  /** This coordinator stopped leading: halts every job (workers keep running them for the next leader) and forgets them. */
  haltAll(reason: string): void {
    for (const job of this.jobs.values()) job.halt(reason);
    this.jobs.clear();
    this.artifactPaths.clear();
  }

  /** Cancels every job (a coordinator without etcd stopping). */
  cancelAll(): void {
    for (const job of this.jobs.values()) job.cancel();
  }

  private createJobMaster(term: Term, record: JobMaster['record'], initialAttempt: number, artifactPath: string | null): JobMaster {
    const store = term.etcd;
    const { guarded } = this.options;
    const deps: JobMasterDeps = {
      registry: this.options.registry(),
      logger: this.logger,
      slotRequestTimeoutMs: this.options.slotRequestTimeoutMs,
      cancelTimeoutMs: this.options.cancelTimeoutMs,
      restartStrategy: this.options.restartStrategy,
      storage: this.options.storage,
      epoch: term.epoch,
      initialAttempt,
      onStatus: (j) => this.persist(term, j),
      saveCheckpointHistory: (views) => guarded(term, () => term.store.putCheckpointHistory(record.jobId, views)),
    };
    if (store) {
      deps.beforeDeploy = (assignment) => guarded(term, () => store.putAssignment(assignment));
      deps.checkpointRecords = {
        reserveId: (jobId, atLeast) => guarded(term, () => store.nextCheckpointId(jobId, atLeast)),
        recordCompleted: (jobId, pointer) => guarded(term, () => store.putLatestCheckpoint(jobId, pointer)),
        latest: (jobId) => store.getLatestCheckpoint(jobId),
      };
    }
    const job = new JobMaster(record, deps);
    this.artifactPaths.set(record.jobId, artifactPath);
    this.jobs.set(record.jobId, job);
    return job;
  }

  /** Writes the job's record, after any write of it still in flight. */
  private persist(term: Term, job: JobMaster): void {
    const jobId = job.record.jobId;
    const stored = this.storedJob(job);
    const previous = this.persisting.get(jobId) ?? Promise.resolve();
    const next = previous.then(() => this.options.guarded(term, () => term.store.putJob(stored))).catch((error: Error) => {
      if (error instanceof NotLeaderError) this.logger.warn({ jobId, err: error.message }, 'job status not stored: no longer the leader');
      else this.logger.error({ jobId, err: error.message }, 'could not persist the job status');
    });
    this.persisting.set(jobId, next);
    void next.then(() => {
      if (this.persisting.get(jobId) === next) this.persisting.delete(jobId);
    });
  }

  private storedJob(job: JobMaster): StoredJob {
    const r = job.record;
    return {
      jobId: r.jobId,
      name: r.name,
      graph: r.graph,
      args: r.args,
      submittedAtMs: r.submittedAtMs,
      status: job.jobStatus,
      endTimeMs: job.endTime,
      restoreFromDirectory: r.restoreFrom?.directory ?? null,
      ...(r.allowNonRestoredState ? { allowNonRestoredState: true } : {}),
      artifactPath: this.artifactPaths.get(r.jobId) ?? null,
    };
  }
}
