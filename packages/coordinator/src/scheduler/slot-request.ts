// Waiting for slots (Flink's slot request): asks the worker registry for a
// placement of every subtask of a job until one fits, the attempt is no
// longer wanted, or the cluster has had fewer slots than the job needs for
// longer than the slot request timeout. While it waits, `view()` says what
// the job needs and what the cluster has (`weir status`).
import { describeSlotRequirements, NoResourceAvailableError, slotRequirements, type JobGraph, type SlotRequirements } from '@weir/common';
import type { Logger, SlotRequestView } from '@weir/protocol';
import type { RegisteredWorker, WorkerRegistry } from '../resource-manager/worker-registry.ts';
import { assignSlots, totalFreeSlots } from './slot-assignment.ts';

/** The outcome of a slot request: a placement, or why there is none. */
export type SlotRequestResult = { placement: Map<string, RegisteredWorker> } | { abandoned: true } | { error: NoResourceAvailableError };

/** How often a waiting request looks at the cluster again. */
const RETRY_MS = 200;

/**
 * One attempt's request for the slots of its job. While the cluster has
 * enough slots in total the request waits for them to be free (other jobs
 * or the attempt before hold them) without a deadline; once the cluster has
 * had fewer slots than needed for `timeoutMs` in a row, it fails with a
 * NoResourceAvailableError naming what is needed, what there is, and the
 * ways out.
 */
export class SlotRequest {
  readonly requirements: SlotRequirements;
  readonly timeoutMs: number;
  readonly sinceMs = Date.now();
  private readonly graph: JobGraph;
  private readonly registry: WorkerRegistry;
  private readonly logger: Logger;
  /** Since when the cluster has had fewer slots in total than needed (null: it has enough). */
  private shortSinceMs: number | null = null;

  constructor(graph: JobGraph, registry: WorkerRegistry, timeoutMs: number, logger: Logger) {
    this.graph = graph;
    this.registry = registry;
    this.logger = logger;
    this.timeoutMs = timeoutMs;
    this.requirements = slotRequirements(graph);
  }

  /** Places the job's subtasks, checking every 200 ms; abandoned as soon as `wanted()` turns false. */
  async place(wanted: () => boolean): Promise<SlotRequestResult> {
    for (let tries = 0; ; tries++) {
      const placement = assignSlots(this.graph, this.registry.all(), (w) => this.registry.freeSlots(w));
      if (placement) return { placement };
      if (!wanted()) return { abandoned: true };
      const { totalSlots, freeSlots, workers } = this.capacity();
      if (tries === 0) this.logger.info({ slotsNeeded: this.requirements.total, groups: this.requirements.groups, freeSlots, totalSlots, workers, timeoutMs: this.timeoutMs }, 'waiting for slots');
      if (totalSlots >= this.requirements.total) {
        this.shortSinceMs = null;
      } else {
        this.shortSinceMs ??= Date.now();
        if (Date.now() - this.shortSinceMs >= this.timeoutMs) return { error: new NoResourceAvailableError(this.shortage()) };
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  /** What the job needs and what the cluster has, now. */
  view(): SlotRequestView {
    const capacity = this.capacity();
    const short = capacity.totalSlots < this.requirements.total;
    return {
      groups: this.requirements.groups.map((g) => ({ ...g })),
      slotsNeeded: this.requirements.total,
      ...capacity,
      waitingSinceMs: this.sinceMs,
      timeoutMs: this.timeoutMs,
      failsAtMs: short ? (this.shortSinceMs ?? Date.now()) + this.timeoutMs : null,
    };
  }

  private capacity(): { freeSlots: number; totalSlots: number; workers: number } {
    const workers = this.registry.all();
    return {
      freeSlots: totalFreeSlots(workers, (w) => this.registry.freeSlots(w)),
      totalSlots: workers.reduce((n, w) => n + w.slots, 0),
      workers: workers.length,
    };
  }

  private shortage(): string {
    const { freeSlots, totalSlots, workers } = this.capacity();
    return (
      `not enough slots: the job needs ${describeSlotRequirements(this.requirements)}, the cluster has ${totalSlots} (${freeSlots} free) on ${workers} worker${workers === 1 ? '' : 's'}, ` +
      `and had fewer than needed for the slot request timeout of ${this.timeoutMs} ms; ` +
      'add workers (weir worker) or give them more --slots, lower the parallelism (weir run -p, setParallelism), or let operators share slots (fewer slotSharingGroup names)'
    );
  }
}
