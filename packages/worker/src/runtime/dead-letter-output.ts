import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** A record that could not be processed, and why. */
export interface DeadLetter {
  reason: string;
  /** Where it came from: a file and line, a topic and offset. */
  origin: Record<string, unknown>;
  /** The raw input, as text when it is text. */
  raw: string;
}

/**
 * Where malformed records go: JSON lines with the reason, in
 * `<dir>/<operator>-<subtask>.jsonl`. Nothing malformed is dropped silently.
 */
export class DeadLetterOutput {
  readonly directory: string;
  private readonly file: string;
  private readonly operatorId: string;
  private pending: string[] = [];
  count = 0;

  constructor(directory: string, operatorId: string, subtaskIndex: number) {
    this.directory = directory;
    this.operatorId = operatorId;
    this.file = join(directory, `${operatorId.replaceAll('/', '_')}-${subtaskIndex}.jsonl`);
  }

  write(letter: DeadLetter): void {
    this.count++;
    this.pending.push(JSON.stringify({ time: new Date().toISOString(), operator: this.operatorId, ...letter }));
  }

  /** Writes what was collected during a batch (synchronously: they are rare and must not be lost). */
  flush(): void {
    if (this.pending.length === 0) return;
    mkdirSync(this.directory, { recursive: true });
    appendFileSync(this.file, this.pending.join('\n') + '\n');
    this.pending = [];
  }
}
