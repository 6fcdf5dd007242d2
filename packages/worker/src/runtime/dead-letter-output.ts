// The dead-letter output of one operator's subtask: records that could not be
// processed, with why. With checkpoints its files are committed with them
// (exactly once); without, they are appended at once.
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TwoPhaseCommitFiles, type PendingFile } from './two-phase-commit-files.ts';

/** A record that could not be processed, and why. */
export interface DeadLetter {
  reason: string;
  /** Where it came from: a file and line, a topic and offset, an operator. */
  origin: Record<string, unknown>;
  /** The raw input, as text when it is text. */
  raw: string;
  /** For a user function that threw: its error. */
  error?: { name: string; message: string; stack?: string };
}

/** How the dead letters of a job that checkpoints are committed. */
export interface DeadLetterTransaction {
  /** The attempt's token (names this attempt's files). */
  token: string;
  /** The pending dead-letter files of the checkpoint the task starts from. */
  restored: PendingFile[];
  restoredCheckpointId: number | undefined;
}

/** The key that marks a pending dead-letter file among an operator's list state in a checkpoint. */
const STATE_KEY = 'weirDeadLetterFile';

/**
 * Where malformed records go: JSON lines with the reason, in
 * `<dir>/<operator>-<subtask>.jsonl` without checkpoints (appended at once,
 * so a restart from scratch writes them again), or with checkpoints in
 * `<dir>/<operator>-<subtask>-<attempt>-<n>-cp<checkpoint>.jsonl` files that are
 * pre-committed with each checkpoint and committed when it completes, like
 * the exactly-once file sink: each record appears once however often the job
 * restarts. Nothing malformed is dropped silently.
 */
export class DeadLetterOutput {
  readonly directory: string;
  private readonly file: string;
  private readonly operatorId: string;
  private readonly files: TwoPhaseCommitFiles | undefined;
  private opened: Promise<void> | undefined;
  /** Writes of the transactional files, in order; the first error fails the next checkpoint. */
  private writing: Promise<void> = Promise.resolve();
  private pending: string[] = [];
  count = 0;

  constructor(directory: string, operatorId: string, subtaskIndex: number, transaction?: DeadLetterTransaction) {
    this.directory = directory;
    this.operatorId = operatorId;
    const prefix = operatorId.replaceAll('/', '_');
    this.file = join(directory, `${prefix}-${subtaskIndex}.jsonl`);
    if (transaction) {
      const parts = { directory, partPrefix: prefix, partSuffix: '.jsonl', maxPartSizeBytes: Number.POSITIVE_INFINITY, rolloverIntervalMs: null };
      this.files = new TwoPhaseCommitFiles({ parts, subtaskIndex, ...transaction });
      // Pending files to commit, or leftovers of other attempts to remove: open now; else at the first letter.
      if (transaction.restored.length > 0 || existsSync(directory)) this.opened = quiet(this.files.open());
    }
  }

  write(letter: DeadLetter): void {
    this.count++;
    this.pending.push(JSON.stringify({ time: new Date().toISOString(), operator: this.operatorId, ...letter }));
  }

  /** Writes what was collected during a batch (without checkpoints synchronously: they are rare and must not be lost). */
  flush(): void {
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('\n') + '\n';
    this.pending = [];
    const files = this.files;
    if (!files) {
      mkdirSync(this.directory, { recursive: true });
      appendFileSync(this.file, chunk);
      return;
    }
    this.opened ??= quiet(files.open());
    const opened = this.opened;
    this.writing = quiet(
      this.writing.then(async () => {
        await opened;
        await files.write(chunk);
      }),
    );
  }

  /** Opens the transactional files where there is something to commit or clean up; fails the task if that fails. */
  async open(): Promise<void> {
    await this.opened;
  }

  /** With checkpoints: pre-commits for `checkpointId`; the entries to add to the operator's list state. */
  async snapshotState(checkpointId: number): Promise<unknown[]> {
    if (!this.files) return [];
    this.flush();
    await this.writing;
    if (!this.opened) return [];
    await this.opened;
    return (await this.files.preCommit(checkpointId)).map((file) => ({ [STATE_KEY]: file }));
  }

  /** With checkpoints: commits the dead letters of checkpoints up to `checkpointId`. */
  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    if (!this.files || !this.opened) return;
    await this.opened;
    await this.files.commit(checkpointId);
  }

  async close(): Promise<void> {
    if (!this.files) return;
    await this.writing.catch(() => {});
    await this.files.close();
  }
}

/** Marks `promise` as handled (its error is seen where it is awaited: the next checkpoint or close), and returns it. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** Splits an operator's restored list state into its own entries and its pending dead-letter files. */
export function splitRestoredState(state: unknown[] | undefined): { operatorState: unknown[] | undefined; deadLetters: PendingFile[] } {
  if (!state) return { operatorState: undefined, deadLetters: [] };
  const deadLetters: PendingFile[] = [];
  const operatorState: unknown[] = [];
  for (const entry of state) {
    const file = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>)[STATE_KEY] : undefined;
    if (file) deadLetters.push(file as PendingFile);
    else operatorState.push(entry);
  }
  return { operatorState, deadLetters };
}
