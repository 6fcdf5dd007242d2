// A job submitted to a MiniCluster: its status, waiting for it to run, to
// checkpoint and to end, cancelling it, and reading its collected output.
import { isTerminalJobStatus, type CheckpointView, type JobStatusView } from '@weir/protocol';
import type { WeirClient } from '@weir/client';
import { WeirError } from '@weir/common';
import { eventually, JobEndedError } from './poll.ts';
import { readJsonLines } from './read-output.ts';

/** How long the waits of a JobHandle take at most unless told otherwise. */
export const DEFAULT_WAIT_MS = 120_000;

/** A job running (or ended) on a MiniCluster. Get one from `MiniCluster.submit`. */
export class JobHandle {
  /** The coordinator's id of the job. */
  readonly jobId: string;
  /** The job's name (`env.setJobName`, or the module's file name). */
  readonly name: string;
  /** Where the job writes its output when submitted with `outputFlag`; undefined otherwise. */
  readonly outputDir: string | undefined;
  private readonly client: WeirClient;

  /** Made by `MiniCluster.submit`. */
  constructor(client: WeirClient, jobId: string, name: string, outputDir: string | undefined) {
    this.client = client;
    this.jobId = jobId;
    this.name = name;
    this.outputDir = outputDir;
  }

  /** The job's status now: state, attempt, restarts, per-subtask workers and counts, the error if any. */
  status(): Promise<JobStatusView> {
    return this.client.status(this.jobId);
  }

  /** The job's checkpoints (completed, failed and in progress), oldest first. */
  checkpoints(): Promise<CheckpointView[]> {
    return this.client.checkpoints(this.jobId);
  }

  /**
   * Resolves once the job and every one of its subtasks run (in the current
   * attempt). Throws a JobEndedError if the job ends first.
   */
  waitForRunning(timeoutMs = DEFAULT_WAIT_MS): Promise<JobStatusView> {
    return eventually(async () => {
      const view = await this.endedOrStatus('run');
      return view.status === 'RUNNING' && view.vertices.every((v) => v.subtasks.every((s) => s.state === 'RUNNING')) ? view : undefined;
    }, { timeoutMs, what: `job ${this.name} (${this.jobId}) to run` });
  }

  /**
   * Resolves with the job's latest completed checkpoint once it has at least
   * `count` completed checkpoints (default 1). Throws a JobEndedError if the
   * job ends before that.
   */
  waitForCheckpoint(options: { count?: number; timeoutMs?: number } = {}): Promise<CheckpointView> {
    const count = options.count ?? 1;
    return eventually(async () => {
      const completed = (await this.checkpoints()).filter((c) => c.status === 'COMPLETED');
      if (completed.length >= count) return completed.at(-1);
      await this.endedOrStatus(`complete ${count} checkpoint(s) (it has ${completed.length}; does it enable checkpointing?)`);
      return undefined;
    }, { timeoutMs: options.timeoutMs ?? DEFAULT_WAIT_MS, what: `${count} completed checkpoint(s) of job ${this.name} (${this.jobId})` });
  }

  /** Resolves with the job's final status once it is FINISHED, FAILED or CANCELED (whichever). */
  waitForEnd(timeoutMs = DEFAULT_WAIT_MS): Promise<JobStatusView> {
    return eventually(async () => {
      const view = await this.status();
      return isTerminalJobStatus(view.status) ? view : undefined;
    }, { timeoutMs, what: `job ${this.name} (${this.jobId}) to end` });
  }

  /**
   * Resolves with the job's final status once it is FINISHED; throws a
   * JobEndedError with the job's error if it FAILED or was CANCELED.
   */
  async waitForFinish(timeoutMs = DEFAULT_WAIT_MS): Promise<JobStatusView> {
    const view = await this.waitForEnd(timeoutMs);
    if (view.status !== 'FINISHED') throw ended(view, 'finish');
    return view;
  }

  /** Cancels the job and waits until it has ended. */
  async cancel(timeoutMs = DEFAULT_WAIT_MS): Promise<JobStatusView> {
    await this.client.cancel(this.jobId);
    return this.waitForEnd(timeoutMs);
  }

  /**
   * The records the job's file sink has committed so far in `outputDir`,
   * parsed as JSON lines (`writeToFile(dir)`). With checkpointing (an
   * exactly-once sink) these are the records of completed checkpoints and of
   * the end of the job. Throws if the job was submitted without `outputFlag`.
   */
  async output<T>(): Promise<T[]> {
    if (this.outputDir === undefined) {
      throw new WeirError(`job ${this.name} has no collected output: submit it with { outputFlag: '--output' } and have it writeToFile(<that argument>)`);
    }
    return readJsonLines<T>(this.outputDir);
  }

  /** The status, or a JobEndedError if the job has ended (it cannot `what` any more). */
  private async endedOrStatus(what: string): Promise<JobStatusView> {
    const view = await this.status();
    if (isTerminalJobStatus(view.status)) throw ended(view, what);
    return view;
  }
}

function ended(view: JobStatusView, what: string): JobEndedError {
  return new JobEndedError(`job ${view.name} (${view.jobId}) ended ${view.status} before it could ${what}${view.error ? `: ${view.error}` : ''}`, view);
}
