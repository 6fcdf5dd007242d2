// The coordinator's metadata store in etcd (high availability): job records,
// assignments, checkpoint counters, pointers and histories, every write
// guarded by the leader key.
import { createLogger, parseCheckpointHistory, type CheckpointView, type Logger } from '@weir/protocol';
import {
  encodeEtcdRecord,
  parseCheckpointCounter,
  parseCheckpointPointer,
  parseEtcdRecord,
  type CheckpointPointer,
  type EtcdClient,
  type EtcdKeys,
  type JobAssignment,
  type StoredJob,
} from '@weir/protocol/etcd';
import type { MetadataStore } from '../store/metadata-store.ts';
import { NotLeaderError, type LeaderFence } from './etcd-errors.ts';

/** Anything that knows this coordinator's current leader fence; `LeaderElection` is one. */
export interface FenceSource {
  /** @throws NotLeaderError when this coordinator does not lead. */
  fence(): LeaderFence;
}

/** What an `EtcdMetadataStore` needs. */
export interface EtcdMetadataStoreOptions {
  client: EtcdClient;
  keys: EtcdKeys;
  /** Usually the coordinator's `LeaderElection`. */
  leader: FenceSource;
  logger?: Logger;
}

/** How often `nextCheckpointId` re-reads the counter when something else changed it in between. */
const COUNTER_ATTEMPTS = 10;

/**
 * The metadata store for high availability: job records, checkpoint id
 * counters and latest-checkpoint pointers in etcd (keys from `EtcdKeys`).
 *
 * Every write is one transaction guarded by the leader key:
 * `if createRevision(leaderKey) == fence.createRevision then put else fail`.
 * A coordinator that lost the leadership (even one that has not noticed yet)
 * cannot overwrite what the new leader decided: its write fails with
 * `NotLeaderError`. Reads are not guarded (standbys may read) and are
 * linearizable (etcd's default).
 */
export class EtcdMetadataStore implements MetadataStore {
  private readonly client: EtcdClient;
  private readonly keys: EtcdKeys;
  private readonly leader: FenceSource;
  private readonly logger: Logger;
  private readonly counterQueues = new Map<string, Promise<unknown>>();

  constructor(options: EtcdMetadataStoreOptions) {
    this.client = options.client;
    this.keys = options.keys;
    this.leader = options.leader;
    this.logger = options.logger ?? createLogger('etcd-metadata-store');
  }

  async putJob(job: StoredJob): Promise<void> {
    await this.guardedPut(this.keys.job(job.jobId), encodeEtcdRecord(job), `storing job ${job.jobId}`);
  }

  async listJobs(): Promise<StoredJob[]> {
    const records = await this.client.call('listing jobs', () => this.client.getAll().prefix(this.keys.jobsPrefix).strings());
    const jobs: StoredJob[] = [];
    for (const [key, text] of Object.entries(records)) {
      try {
        jobs.push(parseEtcdRecord<StoredJob>(key, text));
      } catch (error) {
        this.logger.warn({ key, err: (error as Error).message }, 'skipping an unreadable job record');
      }
    }
    return jobs.sort((a, b) => a.submittedAtMs - b.submittedAtMs);
  }

  /**
   * Hands out the job's next checkpoint id: one more than the last one handed
   * out by any leader, and at least `atLeast` (pass one more than the newest
   * checkpoint found in storage or restored from, so ids never repeat).
   * Atomic: a compare-and-set on the counter, guarded by the leader key.
   * @throws NotLeaderError when this coordinator no longer leads.
   */
  async nextCheckpointId(jobId: string, atLeast = 1): Promise<number> {
    // One at a time per job in this process, so concurrent calls do not fight over the compare-and-set.
    const previous = this.counterQueues.get(jobId) ?? Promise.resolve();
    const next = previous.then(() => this.advanceCounter(jobId, atLeast));
    const queued = next.catch(() => undefined);
    this.counterQueues.set(jobId, queued);
    void queued.then(() => {
      if (this.counterQueues.get(jobId) === queued) this.counterQueues.delete(jobId);
    });
    return next;
  }

  private async advanceCounter(jobId: string, atLeast: number): Promise<number> {
    const key = this.keys.checkpointCounter(jobId);
    for (let attempt = 0; attempt < COUNTER_ATTEMPTS; attempt++) {
      const fence = this.leader.fence();
      const read = await this.client.call(`reading the checkpoint counter of job ${jobId}`, () => this.client.get(key).exec());
      const kv = read.kvs[0];
      const current = kv === undefined ? 0 : parseCheckpointCounter(key, kv.value.toString());
      const next = Math.max(current + 1, atLeast);
      const result = await this.client.call(`advancing the checkpoint counter of job ${jobId}`, () =>
        this.client
          .if(fence.key, 'Create', '==', fence.createRevision)
          .and(key, 'Mod', '==', kv?.mod_revision ?? '0')
          .then(this.client.put(key).value(String(next)))
          .else(this.client.get(fence.key))
          .commit(),
      );
      if (result.succeeded) return next;
      const leaderKv = result.responses[0]?.response_range.kvs[0];
      if (leaderKv?.create_revision !== fence.createRevision) throw lostLeadership(fence);
      // The counter moved in between without a leader change (another process of this leader, or an operator): read again.
    }
    throw new Error(`the checkpoint counter of job ${jobId} kept changing during ${COUNTER_ATTEMPTS} attempts to advance it`);
  }

  /**
   * Records the job's latest completed checkpoint (overwrites: the caller
   * records checkpoints in completion order).
   * @throws NotLeaderError when this coordinator no longer leads.
   */
  async putLatestCheckpoint(jobId: string, pointer: CheckpointPointer): Promise<void> {
    await this.guardedPut(this.keys.latestCheckpoint(jobId), encodeEtcdRecord(pointer), `recording the latest checkpoint of job ${jobId}`);
  }

  /** The job's latest completed checkpoint, or null if none was recorded. */
  async getLatestCheckpoint(jobId: string): Promise<CheckpointPointer | null> {
    const key = this.keys.latestCheckpoint(jobId);
    const text = await this.client.call(`reading the latest checkpoint of job ${jobId}`, () => this.client.get(key).string());
    return text === null ? null : parseCheckpointPointer(key, text);
  }

  /**
   * Replaces the job's checkpoint history (bounded by the caller).
   * @throws NotLeaderError when this coordinator no longer leads.
   */
  async putCheckpointHistory(jobId: string, views: readonly CheckpointView[]): Promise<void> {
    await this.guardedPut(this.keys.checkpointHistory(jobId), encodeEtcdRecord(views), `storing the checkpoint history of job ${jobId}`);
  }

  /** The job's stored checkpoint history, oldest first; empty when none was stored. */
  async getCheckpointHistory(jobId: string): Promise<CheckpointView[]> {
    const key = this.keys.checkpointHistory(jobId);
    const text = await this.client.call(`reading the checkpoint history of job ${jobId}`, () => this.client.get(key).string());
    return text === null ? [] : parseCheckpointHistory(key, text);
  }

  /**
   * Records which worker runs each subtask of the job's new attempt. Written
   * before the attempt is deployed, so a deposed leader (whose write fails)
   * deploys nothing.
   * @throws NotLeaderError when this coordinator no longer leads.
   */
  async putAssignment(assignment: JobAssignment): Promise<void> {
    await this.guardedPut(this.keys.assignment(assignment.jobId), encodeEtcdRecord(assignment), `recording the assignment of job ${assignment.jobId}`);
  }

  /** The job's latest assignment, or null. */
  async getAssignment(jobId: string): Promise<JobAssignment | null> {
    const key = this.keys.assignment(jobId);
    const text = await this.client.call(`reading the assignment of job ${jobId}`, () => this.client.get(key).string());
    if (text === null) return null;
    try {
      return parseEtcdRecord<JobAssignment>(key, text);
    } catch (error) {
      this.logger.warn({ key, err: (error as Error).message }, 'ignoring an unreadable assignment');
      return null;
    }
  }

  private async guardedPut(key: string, value: string, what: string): Promise<void> {
    const fence = this.leader.fence();
    const result = await this.client.call(what, () =>
      this.client.if(fence.key, 'Create', '==', fence.createRevision).then(this.client.put(key).value(value)).commit(),
    );
    if (!result.succeeded) throw lostLeadership(fence);
  }
}

function lostLeadership(fence: LeaderFence): NotLeaderError {
  return new NotLeaderError(`its leader key ${fence.key} (create revision ${fence.createRevision}) is gone or was replaced, so etcd refused the write`, fence);
}
