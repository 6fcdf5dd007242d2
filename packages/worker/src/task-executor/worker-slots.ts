// The slots of a worker with slot sharing: a slot holds one subtask of each
// vertex of a slot sharing group of one attempt (each subtask in a thread of
// its own), so slots in use are counted by shared slot, not by thread; and
// threads started ahead of a job's restart count as the slots they would fill.
import { attemptSlotKey, isTerminalExecutionState, type TaskDeployment } from '@weir/protocol';
import type { SlotThreadPool } from './slot-thread-pool.ts';
import type { SubtaskThread } from './subtask-thread.ts';

/** The shared slot a subtask runs in (the same key the coordinator occupies). */
export function slotKeyOf(d: TaskDeployment): string {
  return attemptSlotKey(d.jobId, d.attempt, d.slotSharingGroup, d.subtaskIndex);
}

/** Counts a worker's slots: in use by running subtasks, held by prepared threads, free. */
export class WorkerSlots {
  private readonly slots: number;
  private readonly pool: SlotThreadPool;
  private readonly threads: () => Iterable<SubtaskThread>;
  /** Per job: the most subtasks one of its slots held here in its latest deployment (threads a slot of it needs). */
  private readonly threadsPerSlot = new Map<string, number>();

  constructor(slots: number, pool: SlotThreadPool, threads: () => Iterable<SubtaskThread>) {
    this.slots = slots;
    this.pool = pool;
    this.threads = threads;
  }

  /** The shared slots of subtasks still running here. */
  inUse(): Set<string> {
    const keys = new Set<string>();
    for (const t of this.threads()) if (!isTerminalExecutionState(t.state)) keys.add(slotKeyOf(t.deployment));
    return keys;
  }

  /**
   * Checks that `deployments` fit in the slots not in use (a subtask joining
   * a slot already in use takes none), and records how many threads a slot
   * of each of their jobs holds. Throws when they do not fit.
   */
  admit(deployments: readonly TaskDeployment[], workerId: string): void {
    const inUse = this.inUse();
    const perSlot = new Map<string, { jobId: string; subtasks: number }>();
    for (const d of deployments) {
      const key = slotKeyOf(d);
      perSlot.set(key, { jobId: d.jobId, subtasks: (perSlot.get(key)?.subtasks ?? 0) + 1 });
    }
    const added = [...perSlot.keys()].filter((key) => !inUse.has(key)).length;
    if (inUse.size + added > this.slots) {
      throw new Error(`worker ${workerId} has ${this.slots - inUse.size} free slots, asked to run ${deployments.length} subtasks in ${added} more slots`);
    }
    const jobs = new Map<string, number>();
    for (const { jobId, subtasks } of perSlot.values()) jobs.set(jobId, Math.max(jobs.get(jobId) ?? 0, subtasks));
    for (const [jobId, n] of jobs) this.threadsPerSlot.set(jobId, n);
  }

  /** Threads one slot of the job holds here (1 before it was deployed here). */
  threadsPerSlotOf(jobId: string): number {
    return this.threadsPerSlot.get(jobId) ?? 1;
  }

  /** Slots the threads prepared for a job would fill. */
  preparedSlotsOf(jobId: string): number {
    return Math.ceil(this.pool.preparedFor(jobId) / this.threadsPerSlotOf(jobId));
  }

  /** Slots neither running a subtask nor held by threads prepared for one (negative when over-committed). */
  free(): number {
    let prepared = 0;
    for (const jobId of this.pool.preparedJobs()) prepared += this.preparedSlotsOf(jobId);
    return this.slots - this.inUse().size - prepared;
  }

  /** Ends prepared threads until they hold no more slots than are free. */
  shrinkPrepared(): void {
    while (this.free() < 0 && this.pool.size > 0) this.pool.shrinkTo(this.pool.size - 1);
  }

  /** The job was released here. */
  forget(jobId: string): void {
    this.threadsPerSlot.delete(jobId);
  }
}
