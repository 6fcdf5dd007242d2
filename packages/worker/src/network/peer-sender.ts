import type { grpc } from '@weir/protocol';
import { taskExecutorClient, type ExchangeMessage, type Logger, type TaskExecutorClient } from '@weir/protocol';

/**
 * The outbound data stream to one peer worker. Honours grpc-js backpressure:
 * when `write()` returns false, messages wait for 'drain'. The wait is
 * bounded because senders only send frames against credit.
 */
export class PeerSender {
  readonly address: string;
  private readonly client: TaskExecutorClient;
  private readonly call: grpc.ClientWritableStream<ExchangeMessage>;
  private readonly queue: ExchangeMessage[] = [];
  private draining = false;
  private broken = false;

  constructor(address: string, logger: Logger, onBroken: (address: string, reason: string) => void) {
    this.address = address;
    this.client = taskExecutorClient(address);
    this.call = this.client.exchange((error) => {
      if (error && !this.broken) {
        this.broken = true;
        logger.warn({ peer: address, err: error.message }, 'data stream to peer worker broke');
        onBroken(address, `lost the data connection to worker ${address}: ${error.message}`);
      }
    });
    this.call.on('drain', () => this.drain());
  }

  get isBroken(): boolean {
    return this.broken;
  }

  send(message: ExchangeMessage): void {
    if (this.broken) return;
    if (this.draining) {
      this.queue.push(message);
      return;
    }
    if (!this.call.write(message)) this.draining = true;
  }

  close(): void {
    this.broken = true;
    this.call.end();
    this.client.close();
  }

  private drain(): void {
    this.draining = false;
    while (this.queue.length > 0 && !this.draining) {
      if (!this.call.write(this.queue.shift()!)) this.draining = true;
    }
  }
}
