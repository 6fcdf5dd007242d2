import type { grpc} from '@weir/common';
import { backoffDelayMs, jobManagerClient, type CoordinatorMessage, type Logger, type TaskStateUpdate, type WorkerMessage } from '@weir/common';

export interface SessionRegistration {
  workerId: string;
  address: string;
  slots: number;
  pid: number;
  host: string;
}

/**
 * The worker's session with the coordinator: registers, then streams
 * heartbeats and task state updates. When the coordinator cannot be reached
 * it retries with exponential backoff and logs why; when a session breaks,
 * the worker's tasks are cancelled (the coordinator has given them up).
 */
export class CoordinatorSession {
  private readonly address: string;
  private readonly registration: SessionRegistration;
  private readonly logger: Logger;
  private readonly heartbeatIntervalMs: number;
  private readonly metrics: () => string;
  private readonly onLost: () => void;
  private client: grpc.Client | undefined;
  private call: grpc.ClientDuplexStream<WorkerMessage, CoordinatorMessage> | undefined;
  private connected = false;
  private stopped = false;
  private failures = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private reconnect: NodeJS.Timeout | undefined;

  constructor(options: {
    coordinator: string;
    registration: SessionRegistration;
    logger: Logger;
    heartbeatIntervalMs: number;
    metrics: () => string;
    onLost: () => void;
  }) {
    this.address = options.coordinator;
    this.registration = options.registration;
    this.logger = options.logger;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs;
    this.metrics = options.metrics;
    this.onLost = options.onLost;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** A client for unary calls to the coordinator (artifact downloads). */
  coordinatorClient(): grpc.Client {
    this.client ??= jobManagerClient(this.address);
    return this.client;
  }

  start(): void {
    this.connect();
  }

  sendTaskState(update: TaskStateUpdate): void {
    if (!this.connected || !this.call) {
      this.logger.warn({ update }, 'not connected to the coordinator: task state update not delivered');
      return;
    }
    this.call.write({ taskState: update });
  }

  /** Sends a message other than a registration (acks, declines); dropped with a warning when disconnected. */
  send(message: WorkerMessage): void {
    if (!this.connected || !this.call) {
      this.logger.warn({ message: Object.keys(message) }, 'not connected to the coordinator: message not delivered');
      return;
    }
    this.call.write(message);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.reconnect);
    this.call?.end();
    this.call?.cancel();
    this.client?.close();
  }

  private connect(): void {
    if (this.stopped) return;
    const client = this.coordinatorClient();
    const open = (client as unknown as { WorkerSession: () => grpc.ClientDuplexStream<WorkerMessage, CoordinatorMessage> }).WorkerSession;
    const call = open.call(client);
    this.call = call;
    let ended = false;
    const lost = (reason: string): void => {
      if (ended) return;
      ended = true;
      clearInterval(this.heartbeat);
      const wasConnected = this.connected;
      this.connected = false;
      if (this.stopped) return;
      const delay = backoffDelayMs(this.failures++, 200, 5000);
      if (wasConnected) {
        this.logger.warn({ coordinator: this.address, reason }, 'lost the session with the coordinator; cancelling local tasks and reconnecting');
        this.onLost();
      } else {
        this.logger.warn({ coordinator: this.address, reason, retryInMs: delay }, `cannot reach the coordinator at ${this.address} (${reason}); retrying`);
      }
      this.reconnect = setTimeout(() => this.connect(), delay);
    };
    call.on('data', (message: CoordinatorMessage) => {
      if (message.registered) {
        this.connected = true;
        this.failures = 0;
        this.logger.info({ coordinator: this.address, coordinatorId: message.registered.coordinatorId }, 'registered with the coordinator');
        this.heartbeat = setInterval(() => call.write({ heartbeat: { metricsJson: this.metrics() } }), this.heartbeatIntervalMs);
      }
    });
    call.on('error', (error: grpc.ServiceError) => lost(error.details || error.message));
    call.on('end', () => lost('the coordinator closed the session'));
    call.write({ register: this.registration });
  }
}
