// etcd mode: the record of where each attempt of a job runs (its subtasks'
// workers and the source splits they read), so the next leader resumes the
// job with attempt numbers and splits that follow on from this one's.
import { subtaskId, type Logger } from '@weir/protocol';
import type { ExecutionGraph } from '../scheduler/execution-graph.ts';
import type { JobAssignment } from '../store/metadata-store.ts';

/** Writes a job's attempt assignments through a guarded write. */
export class AssignmentRecorder {
  private readonly write: (assignment: JobAssignment) => Promise<void>;
  private readonly logger: Logger;
  /** The current attempt's assignment as recorded, and the splits last added to it. */
  private assignment: JobAssignment | undefined;
  private recordedSplits: string | undefined;

  /** `write` records an assignment (a guarded write); it throws when this coordinator no longer leads. */
  constructor(write: (assignment: JobAssignment) => Promise<void>, logger: Logger) {
    this.write = write;
    this.logger = logger;
  }

  /** Records an attempt's placement before it is deployed; rejects when the write fails. */
  async recordPlacement(assignment: JobAssignment): Promise<void> {
    this.assignment = assignment;
    this.recordedSplits = undefined;
    await this.write(assignment);
  }

  /**
   * When the source splits the subtasks of `graph` report (Kafka partitions
   * found by discovery, splits moved by a restore) differ from those last
   * recorded, rewrites the attempt's assignment with them.
   */
  recordSplits(graph: ExecutionGraph): void {
    const placed = this.assignment;
    if (!placed || placed.attempt !== graph.attempt) return;
    const splits: Record<string, string[]> = {};
    for (const e of graph.all()) {
      const ids = e.metrics?.splits?.map((s) => s.id);
      if (ids && ids.length > 0) splits[subtaskId(e.vertexId, e.subtaskIndex)] = [...ids].sort();
    }
    const text = JSON.stringify(splits);
    if (Object.keys(splits).length === 0 || text === this.recordedSplits) return;
    this.recordedSplits = text;
    const assignment = { ...placed, splits };
    this.write(assignment).catch((error: Error) => {
      this.recordedSplits = undefined;
      this.logger.warn({ err: error.message }, 'cannot record the source splits in etcd');
    });
  }
}
