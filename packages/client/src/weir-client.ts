import { randomBytes } from 'node:crypto';
import { WeirError, type JobGraph } from '@weir/common';
import {
  clientChannel,
  type ChannelSecurity,
  type ClientTransport,
  checkpointFromMessage,
  clusterFromMessage,
  grpc,
  isTerminalJobStatus,
  jobFromMessage,
  jobManagerClient,
  readNotLeader,
  sleep,
  unaryCall,
  type CheckpointView,
  type ClusterView,
  type JobManagerClient,
  type JobStatusView,
  type JobSummary__Output,
  type UnaryMethod,
  type UnaryRequest,
  type UnaryResponse,
  WEIR_ENV,
} from '@weir/protocol';

/** Where `weir local` listens unless told otherwise. */
export const DEFAULT_COORDINATOR_ADDRESS = '127.0.0.1:6123';

/** How a client finds the leading coordinator of a cluster with several (etcd mode). */
export interface WeirClientOptions {
  /** Where the leader is now (read from etcd); undefined while there is none. */
  resolveLeader?: () => Promise<string | undefined>;
  /**
   * How long to keep trying while no coordinator answers as leader (an
   * election in progress). Default 20 s when the client can find the leader
   * again (`resolveLeader`, or several addresses), otherwise 0: fail at once.
   */
  failoverWaitMs?: number;
  /**
   * How to reach the coordinator: TLS trusting `caFile` (its certificate's
   * CA; `weir local` prints it), or `plaintext`. Default: as a member of the
   * cluster, with this process's internal transport (plaintext unless set).
   */
  transport?: ClientTransport;
  /** Bearer token sent with every call (a coordinator with a tokens file needs one). */
  token?: string;
}

/**
 * A client of the coordinator's JobManager service. It follows the leader:
 * a standby's answer names the leader and the call goes there instead; with
 * `resolveLeader` or several addresses (`host:port,host:port`) it also waits
 * out an election, trying the others or asking again where the leader is.
 */
export class WeirClient {
  /** The coordinator this client talks to now. */
  address: string;
  private readonly addresses: string[];
  private readonly options: WeirClientOptions;
  private client: JobManagerClient;

  constructor(address: string, options: WeirClientOptions = {}) {
    this.addresses = address.split(',').map((a) => a.trim()).filter((a) => a.length > 0);
    this.address = this.addresses[0] ?? '';
    this.options = options;
    this.client = jobManagerClient(this.address || DEFAULT_COORDINATOR_ADDRESS, this.security(this.address || DEFAULT_COORDINATOR_ADDRESS));
  }

  /** How a channel to `address` is secured: the options' transport and token, else as a member of the cluster. */
  private security(address: string): ChannelSecurity | undefined {
    const { transport, token } = this.options;
    if (!transport && !token) return undefined;
    const channel = transport ? clientChannel(transport, address) : { credentials: grpc.credentials.createInsecure(), options: {} };
    return { ...channel, ...(token ? { token } : {}) };
  }

  /** Asks etcd where the leader is, if this client can (call before the first request). */
  async findLeader(): Promise<string | undefined> {
    const leader = await this.options.resolveLeader?.();
    if (leader) this.use(leader);
    return leader;
  }

  private use(address: string): void {
    if (address === this.address) return;
    this.client.close();
    this.address = address;
    this.client = jobManagerClient(address, this.security(address));
  }

  /** After a failure: the leader from etcd, or the next address given. */
  private async next(): Promise<void> {
    if (this.options.resolveLeader) {
      const leader = await this.options.resolveLeader().catch(() => undefined);
      if (leader) this.use(leader);
      return;
    }
    if (this.addresses.length > 1) this.use(this.addresses[(this.addresses.indexOf(this.address) + 1) % this.addresses.length]!);
  }

  async submit(
    name: string,
    graph: JobGraph,
    artifact: Uint8Array,
    args: readonly string[],
    options: { fromSavepoint?: string; allowNonRestoredState?: boolean } = {},
  ): Promise<string> {
    const res = await this.call('submitJob', {
      name,
      jobGraphJson: JSON.stringify(graph),
      artifact,
      args: [...args],
      fromSavepoint: options.fromSavepoint ?? '',
      allowNonRestoredState: options.allowNonRestoredState ?? false,
      // The same on every retry of this call: the coordinator makes it the job id, so a retry never submits twice.
      submissionId: randomBytes(16).toString('hex'),
    });
    return res.jobId;
  }

  async checkpoints(jobId: string): Promise<CheckpointView[]> {
    return (await this.call('listCheckpoints', { jobId })).checkpoints.map(checkpointFromMessage);
  }

  /** Takes a savepoint into `directory` (with `stop`, the job ends after it); resolves with its path. */
  async savepoint(jobId: string, directory: string, stop: boolean): Promise<string> {
    return (await this.call('triggerSavepoint', { jobId, directory, stop }, 600_000)).path;
  }

  async list(): Promise<JobSummary__Output[]> {
    return (await this.call('listJobs', {})).jobs;
  }

  async status(jobId: string): Promise<JobStatusView> {
    return jobFromMessage(await this.message('getJob', { jobId }, 'job'));
  }

  async cancel(jobId: string): Promise<string> {
    return (await this.call('cancelJob', { jobId })).status;
  }

  async cluster(): Promise<ClusterView> {
    return clusterFromMessage(await this.message('getCluster', {}, 'cluster'));
  }

  /** Polls until the job is FINISHED, FAILED or CANCELED. */
  async waitForTerminal(jobId: string, pollMs = 250, onStatus?: (view: JobStatusView) => void): Promise<JobStatusView> {
    for (;;) {
      const view = await this.status(jobId);
      onStatus?.(view);
      if (isTerminalJobStatus(view.status)) return view;
      await sleep(pollMs);
    }
  }

  close(): void {
    this.client.close();
  }

  private async call<M extends UnaryMethod<JobManagerClient>>(
    method: M,
    request: UnaryRequest<JobManagerClient, M>,
    deadlineMs = 30_000,
  ): Promise<UnaryResponse<JobManagerClient, M>> {
    const canFollow = this.options.resolveLeader !== undefined || this.addresses.length > 1;
    const waitUntil = Date.now() + (this.options.failoverWaitMs ?? (canFollow ? 20_000 : 0));
    let redirects = 0;
    for (;;) {
      try {
        return await unaryCall(this.client, method, request, deadlineMs);
      } catch (error) {
        const e = error as grpc.ServiceError;
        const leader = readNotLeader(e)?.leader;
        if (leader !== undefined && redirects++ < 5) {
          // A standby named the leader: go there.
          this.use(leader);
          continue;
        }
        if (e.code === grpc.status.UNAVAILABLE && Date.now() < waitUntil) {
          // Unreachable, or no leader yet: an election may be under way.
          await sleep(250);
          await this.next();
          continue;
        }
        throw this.describe(e);
      }
    }
  }

  /** Calls `method` and returns the message in `field` of its answer; a coordinator that leaves it empty speaks an older protocol. */
  private async message<M extends UnaryMethod<JobManagerClient>, F extends keyof UnaryResponse<JobManagerClient, M>>(
    method: M,
    request: UnaryRequest<JobManagerClient, M>,
    field: F,
  ): Promise<NonNullable<UnaryResponse<JobManagerClient, M>[F]>> {
    const value = (await this.call(method, request))[field];
    if (value === null || value === undefined) {
      throw new WeirError(`the coordinator at ${this.address} answered ${method} without its ${String(field)}: it runs an older Weir; upgrade the coordinator or use a client of its version`);
    }
    return value;
  }

  private describe(e: grpc.ServiceError): WeirError {
    const details = e.details || e.message;
    if (e.code === grpc.status.UNAUTHENTICATED || e.code === grpc.status.PERMISSION_DENIED) {
      return new WeirError(`the coordinator at ${this.address} refused the call (${e.code === grpc.status.UNAUTHENTICATED ? 'unauthenticated' : 'permission denied'}): ${details}`, { cause: e });
    }
    if (e.code === grpc.status.UNAVAILABLE && /certificate|ssl|tls|handshake|self.signed|altnames/i.test(details)) {
      return new WeirError(
        `no TLS connection to the coordinator at ${this.address}: ${details}; pass --ca-file (or ${WEIR_ENV.caFile}) with the CA that issued its certificate, and --server-name if the certificate names another host`,
        { cause: e },
      );
    }
    // Not a coordinator's own "not the leader" answer: the coordinator could not be reached at all.
    if ((e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED) && readNotLeader(e) === undefined) {
      return new WeirError(
        `cannot reach the coordinator at ${this.address} (${e.details || e.message}); start one with 'weir local', or point to it with --coordinator host:port or ${WEIR_ENV.coordinator} (with etcd: --etcd URL --cluster-id NAME); a coordinator with TLS needs --ca-file, one without it --insecure-plaintext`,
        { cause: e, retryable: true },
      );
    }
    return new WeirError(e.details || e.message, { cause: e, retryable: e.code === grpc.status.UNAVAILABLE });
  }
}
