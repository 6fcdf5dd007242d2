// The bounded history of a job's finished checkpoints and savepoints (what
// `weir checkpoints` lists besides those in flight), and its writes to the
// metadata store so that it survives a coordinator restart or a leader change.
import type { CheckpointView, Logger } from '@weir/protocol';

/** How many finished checkpoints and savepoints of a job are kept (and stored). */
export const CHECKPOINT_HISTORY_LIMIT = 50;

/** Writes a job's whole history (the metadata store: a file, or a guarded etcd put). */
export type SaveCheckpointHistory = (views: CheckpointView[]) => Promise<void>;

/**
 * The newest `CHECKPOINT_HISTORY_LIMIT` finished checkpoints of a job, oldest
 * first. Each addition is written through `save`, one write at a time; additions
 * made while a write runs are coalesced into the next one, so the stored history
 * is never older than the one before it. A failed write is logged and retried
 * with the next addition (the history is informational: it never fails a checkpoint).
 */
export class CheckpointHistory {
  private views: CheckpointView[] = [];
  private readonly save: SaveCheckpointHistory | undefined;
  private readonly logger: Logger;
  private flushing: Promise<void> | undefined;
  private dirty = false;

  constructor(save: SaveCheckpointHistory | undefined, logger: Logger) {
    this.save = save;
    this.logger = logger;
  }

  /** What an earlier coordinator stored; entries recorded here since come after it. */
  restore(stored: readonly CheckpointView[]): void {
    const known = new Set(this.views.map((v) => v.checkpointId));
    this.views = [...stored.filter((v) => !known.has(v.checkpointId)), ...this.views].slice(-CHECKPOINT_HISTORY_LIMIT);
  }

  add(view: CheckpointView): void {
    this.views.push(view);
    if (this.views.length > CHECKPOINT_HISTORY_LIMIT) this.views.shift();
    this.persist();
  }

  has(checkpointId: number, status: CheckpointView['status']): boolean {
    return this.views.some((v) => v.checkpointId === checkpointId && v.status === status);
  }

  all(): readonly CheckpointView[] {
    return this.views;
  }

  /** Resolves once every addition so far has been written (or its write failed). */
  flushed(): Promise<void> {
    return this.flushing ?? Promise.resolve();
  }

  private persist(): void {
    const save = this.save;
    if (!save) return;
    this.dirty = true;
    if (this.flushing) return;
    this.flushing = (async () => {
      while (this.dirty) {
        this.dirty = false;
        try {
          await save(this.views.slice());
        } catch (error) {
          this.logger.warn({ err: (error as Error).message }, 'could not store the checkpoint history');
        }
      }
      this.flushing = undefined;
    })();
  }
}
