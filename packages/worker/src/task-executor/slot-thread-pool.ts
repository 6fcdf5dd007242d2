import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Logger } from '@weir/protocol';

/** How long a thread started ahead for a job waits for a subtask of it before it is ended (longer than usual restart delays). */
export const PREPARED_THREAD_TTL_MS = 20_000;

/** A thread prepared for a job, waiting for a subtask of it. */

interface Prepared {
  readonly worker: Worker;
  readonly timer: NodeJS.Timeout | undefined;
  readonly gone: () => void;
}

/**
 * Starts the slot threads of a worker, and threads ahead of a job's restart.
 *
 * A new slot thread spends some 250 ms of CPU (more on a busy machine)
 * before its subtask can start: loading the runtime bundle and importing the
 * job's code. When a subtask of a job fails or is cancelled here, the job is
 * usually about to be restarted (failover) and to land on this worker again:
 * `prepare` starts threads for it at once, with the job's code already
 * imported, so that this work overlaps the failure detection and the restart
 * delay instead of following the deployment. A prepared thread serves only
 * subtasks of its job (a thread never runs code of two jobs); unused, it ends
 * after `PREPARED_THREAD_TTL_MS`, or sooner when the owner drops the job's
 * threads (the restarted job was deployed, or it ended).
 */
export class SlotThreadPool {
  private readonly entry: URL;
  private readonly resourceLimits: ResourceLimits;
  private readonly logger: Logger;
  /** The connector runtimes' file URLs, for threads started from source (slot-thread-from-source.ts). */
  private readonly connectors: readonly string[];
  private readonly prepared = new Map<string, Prepared[]>();
  private closed = false;

  /** `entry`: the slot-thread module (see slot-thread-entry.ts); `connectors`: the connector modules it loads. */
  constructor(entry: URL, resourceLimits: ResourceLimits, logger: Logger, connectors: readonly string[] = []) {
    this.entry = entry;
    this.connectors = connectors;
    this.resourceLimits = resourceLimits;
    this.logger = logger;
  }

  /** Threads started ahead and not yet taken, over all jobs. */
  get size(): number {
    let n = 0;
    for (const list of this.prepared.values()) n += list.length;
    return n;
  }

  /** The jobs that have threads waiting for a subtask of theirs. */
  preparedJobs(): string[] {
    return [...this.prepared.keys()];
  }

  /** Threads waiting for a subtask of `jobId`. */
  preparedFor(jobId: string): number {
    return this.prepared.get(jobId)?.length ?? 0;
  }

  /**
   * A thread for a subtask of `jobId`: one prepared for the job if there is
   * one (it may still be loading: messages wait for it), else a new thread.
   */
  take(jobId: string, name: string): Worker {
    const list = this.prepared.get(jobId);
    const entry = list?.shift();
    if (list && list.length === 0) this.prepared.delete(jobId);
    if (entry) {
      clearTimeout(entry.timer);
      entry.gone();
      return entry.worker;
    }
    return new Worker(this.entry, { name, resourceLimits: this.resourceLimits, workerData: { connectors: this.connectors } });
  }

  /**
   * Starts threads for `jobId` until `count` wait for it, each importing the
   * job's code from `artifactPath` once the runtime has loaded, and ending
   * unused after `ttlMs` (Infinity: kept until dropped). A failed import is
   * left for the deployment to report (it imports the same module).
   */
  prepare(jobId: string, artifactPath: string, count: number, ttlMs = PREPARED_THREAD_TTL_MS): void {
    if (this.closed || count <= 0) return;
    const list = this.prepared.get(jobId) ?? [];
    if (list.length >= count) return;
    this.prepared.set(jobId, list);
    const workerData = { entry: this.entry.href, artifact: pathToFileURL(artifactPath).href, connectors: this.connectors };
    for (let i = list.length; i < count; i++) {
      // Evaluated as a script: loads the runtime (which starts listening for its deployment), then the job's code.
      const worker = new Worker(PRELOAD_SCRIPT, { eval: true, workerData, name: `slot (prepared for job ${jobId})`, resourceLimits: this.resourceLimits });
      const drop = (reason: string): void => {
        const current = this.prepared.get(jobId);
        const index = current?.findIndex((p) => p.worker === worker) ?? -1;
        if (!current || index < 0) return;
        clearTimeout(current[index]!.timer);
        current.splice(index, 1);
        if (current.length === 0) this.prepared.delete(jobId);
        this.logger.debug({ jobId, reason }, 'a slot thread prepared for a job ended unused');
      };
      const onError = (error: Error): void => drop(`it failed: ${error.message}`);
      const onExit = (code: number): void => drop(`it exited with code ${code}`);
      worker.on('error', onError);
      worker.on('exit', onExit);
      const timer = Number.isFinite(ttlMs)
        ? setTimeout(() => {
            drop('no subtask of the job came in time');
            void worker.terminate();
          }, ttlMs).unref()
        : undefined;
      list.push({
        worker,
        timer,
        gone: () => {
          worker.off('error', onError);
          worker.off('exit', onExit);
        },
      });
    }
    this.logger.debug({ jobId, count }, 'slot threads prepared for a restart of the job');
  }

  /** Ends the threads prepared for `jobId` (its new attempt is deployed, or it ended). */
  drop(jobId: string): void {
    const list = this.prepared.get(jobId);
    if (!list) return;
    this.prepared.delete(jobId);
    for (const p of list) this.end(p);
  }

  /** Ends prepared threads (the newest first) until at most `max` are left: the slots they wait in are taken. */
  shrinkTo(max: number): void {
    for (const [jobId, list] of this.prepared) {
      while (this.size > Math.max(0, max) && list.length > 0) this.end(list.pop()!);
      if (list.length === 0) this.prepared.delete(jobId);
    }
  }

  private end(p: Prepared): void {
    clearTimeout(p.timer);
    p.gone();
    void p.worker.terminate();
  }

  /** Ends every prepared thread; nothing is prepared afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.prepared.values()].flat();
    this.prepared.clear();
    await Promise.all(
      all.map(async (p) => {
        clearTimeout(p.timer);
        p.gone();
        await p.worker.terminate();
      }),
    );
  }
}

/**
 * The script of a prepared thread (see `SlotThreadPool.prepare`). A runtime
 * that fails to load fails the thread (as for any slot thread); an error of
 * the job's code is left to the deployment, which imports it again.
 */
const PRELOAD_SCRIPT = `
const { workerData } = require('node:worker_threads');
import(workerData.entry).then(() => import(workerData.artifact).catch(() => {}));
`;
