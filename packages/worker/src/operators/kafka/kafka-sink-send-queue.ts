/**
 * The sink's batches in flight: sent one after the other (so records keep
 * their order per partition, as kafkajs' idempotent producer serializes
 * requests per broker anyway), while the task goes on with the next frame.
 * The task waits when too many are queued (`waitBelow`), and for all of them
 * on a checkpoint or at the end (`drain`). The first failure is kept and
 * thrown by the next wait: nothing after it is sent.
 */
export class SendQueue {
  private tail: Promise<void> = Promise.resolve();
  private readonly queued: Promise<void>[] = [];
  private failure: { error: unknown } | undefined;

  /** Batches sent or waiting to be. */
  get size(): number {
    return this.queued.length;
  }

  push(send: () => Promise<unknown>): void {
    const entry: Promise<void> = this.tail
      .then(async () => {
        if (!this.failure) await send();
      })
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.queued.splice(this.queued.indexOf(entry), 1);
      });
    this.tail = entry;
    this.queued.push(entry);
  }

  /** Resolves once fewer than `limit` batches are queued; throws the first failure. */
  async waitBelow(limit: number): Promise<void> {
    while (this.queued.length >= limit && !this.failure) await this.queued[0];
    this.throwIfFailed();
  }

  /** Resolves once every batch is sent; throws the first failure. */
  async drain(): Promise<void> {
    await this.waitBelow(1);
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
