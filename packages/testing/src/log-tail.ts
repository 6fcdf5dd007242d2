// The last lines a cluster's processes wrote, kept for a failing test to print.
/** A bounded buffer of output lines: it keeps the most recent `limit` or so. */
export class LogTail {
  private readonly lines: string[] = [];
  private readonly limit: number;

  constructor(limit = 2000) {
    this.limit = limit;
  }

  /** Keeps one line, dropping the oldest half when the buffer is full. */
  add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.limit) this.lines.splice(0, this.limit >> 1);
  }

  /** The kept lines, oldest first, one per line. */
  text(): string {
    return this.lines.join('\n');
  }
}
