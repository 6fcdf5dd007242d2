import type { grpc } from '@weir/protocol';
import {
  backoffDelayMs,
  jobManagerClient,
  RepeatedWarning,
  type CoordinatorMessage__Output,
  type JobManagerClient,
  type Logger,
  type TaskStateUpdate,
  type WorkerMessage,
} from '@weir/protocol';

export interface SessionRegistration {
  workerId: string;
  address: string;
  slots: number;
  pid: number;
  host: string;
}

/** Where the leader is (etcd mode): the session follows it. */
export interface LeaderSource {
  /** The leader's address as last seen, or undefined while there is none. */
  leader(): string | undefined;
  on(event: 'leader', listener: (address: string | undefined) => void): unknown;
}

/**
 * The worker's session with the coordinator: registers, then streams
 * heartbeats and task state updates. When the coordinator cannot be reached
 * it retries with exponential backoff and logs why.
 *
 * Without etcd, when a session breaks the worker's tasks are cancelled (the
 * coordinator has given them up). With etcd (`leader` given) the session
 * follows the leader: it connects to whoever leads, switches at once when
 * the leader changes, and keeps the tasks running while there is no leader;
 * the leader it registers with next decides what happens to them
 * (`onRegistered`).
 */
export class CoordinatorSession {
  private readonly fixedAddress: string;
  private readonly leaderSource: LeaderSource | undefined;
  private readonly registration: SessionRegistration;
  private readonly logger: Logger;
  private readonly heartbeatIntervalMs: number;
  private readonly metrics: () => string;
  private readonly onLost: () => void;
  private readonly onRegistered: (epoch: number) => void;
  private readonly onDisconnected: () => void;
  private client: JobManagerClient | undefined;
  private clientAddress = '';
  private call: grpc.ClientDuplexStream<WorkerMessage, CoordinatorMessage__Output> | undefined;
  private callAddress = '';
  private connected = false;
  private stopped = false;
  private failures = 0;
  private stopHeartbeat: () => void = () => undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private epoch = 0;
  /** While the coordinator stays unreachable, its warning is logged less and less often. */
  private readonly unreachable: RepeatedWarning;

  constructor(options: {
    coordinator: string;
    leader?: LeaderSource;
    registration: SessionRegistration;
    logger: Logger;
    heartbeatIntervalMs: number;
    metrics: () => string;
    onLost: () => void;
    onRegistered?: (epoch: number) => void;
    /** The session with the coordinator broke or was dropped to follow a new leader (in either mode). */
    onDisconnected?: () => void;
  }) {
    this.fixedAddress = options.coordinator;
    this.leaderSource = options.leader;
    this.registration = options.registration;
    this.logger = options.logger;
    this.unreachable = new RepeatedWarning(options.logger, 'cannot reach the coordinator; retrying');
    this.heartbeatIntervalMs = options.heartbeatIntervalMs;
    this.metrics = options.metrics;
    this.onLost = options.onLost;
    this.onRegistered = options.onRegistered ?? (() => undefined);
    this.onDisconnected = options.onDisconnected ?? (() => undefined);
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** The epoch of the leader this session last registered with (0 without etcd). */
  get leaderEpoch(): number {
    return this.epoch;
  }

  /** A client for unary calls to the coordinator (artifact downloads): the current leader's. */
  coordinatorClient(): JobManagerClient {
    const address = this.target() || this.callAddress || this.fixedAddress;
    if (!this.client || this.clientAddress !== address) {
      this.client?.close();
      this.client = jobManagerClient(address);
      this.clientAddress = address;
    }
    return this.client;
  }

  start(): void {
    this.leaderSource?.on('leader', (address) => {
      if (this.stopped || address === undefined || address === this.callAddress) return;
      this.logger.info({ leader: address, previous: this.callAddress || null }, 'the leader changed: following it');
      clearTimeout(this.reconnect);
      this.failures = 0;
      const call = this.call;
      this.call = undefined;
      this.connected = false;
      this.onDisconnected();
      call?.cancel();
      this.connect();
    });
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
    this.stopHeartbeat();
    clearTimeout(this.reconnect);
    this.call?.end();
    this.call?.cancel();
    this.client?.close();
  }

  private target(): string | undefined {
    return this.leaderSource ? this.leaderSource.leader() : this.fixedAddress;
  }

  private connect(): void {
    if (this.stopped) return;
    clearTimeout(this.reconnect);
    const address = this.target();
    if (address === undefined) {
      // etcd mode, no leader known yet: the 'leader' event connects; look again now and then in case it was missed.
      this.callAddress = '';
      this.reconnect = setTimeout(() => this.connect(), 1000);
      return;
    }
    const client = this.coordinatorClient();
    const call = client.workerSession();
    this.call = call;
    this.callAddress = address;
    let ended = false;
    let heartbeat: NodeJS.Timeout | undefined;
    const lost = (reason: string): void => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      const wasConnected = this.connected && this.call === call;
      if (this.call === call) {
        this.connected = false;
        this.call = undefined;
      }
      if (wasConnected) this.onDisconnected();
      if (this.stopped) return;
      const delay = this.leaderSource ? backoffDelayMs(this.failures++, 100, 1000) : backoffDelayMs(this.failures++, 200, 5000);
      if (wasConnected && !this.leaderSource) {
        this.logger.warn({ coordinator: address, reason }, 'lost the session with the coordinator; cancelling local tasks and reconnecting');
        this.onLost();
      } else if (wasConnected) {
        this.logger.warn({ coordinator: address, reason }, 'lost the session with the leader; tasks keep running until a leader takes them over');
      } else {
        this.unreachable.warn({ coordinator: address, reason, retryInMs: delay }, `cannot reach the coordinator at ${address} (${reason}); retrying`);
      }
      if (this.call === undefined) this.reconnect = setTimeout(() => this.connect(), delay);
    };
    call.on('data', (message: CoordinatorMessage__Output) => {
      if (message.registered && this.call === call) {
        this.connected = true;
        this.failures = 0;
        this.unreachable.reset();
        this.epoch = Number(message.registered.leaderEpoch ?? 0);
        this.logger.info({ coordinator: address, coordinatorId: message.registered.coordinatorId, leaderEpoch: this.epoch }, 'registered with the coordinator');
        this.onRegistered(this.epoch);
        heartbeat = setInterval(() => call.write({ heartbeat: { metricsJson: this.metrics() } }), this.heartbeatIntervalMs);
        this.stopHeartbeat = () => clearInterval(heartbeat);
      }
    });
    call.on('error', (error: grpc.ServiceError) => lost(error.details || error.message));
    call.on('end', () => lost('the coordinator closed the session'));
    call.write({ register: this.registration });
  }
}
