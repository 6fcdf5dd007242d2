// The coordinator's options: flags, environment variables and defaults.
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DEFAULT_RESTART_STRATEGY, parseRestartStrategy, type RestartStrategy } from '@weir/common';
import { resolveLocation, WEIR_ENV, type InternalTransport } from '@weir/protocol';
import type { S3Settings } from '@weir/protocol/storage';
import { DEFAULT_LEADER_TTL_SECONDS, type EtcdTlsFiles } from '@weir/protocol/etcd';


/** The cluster id used with etcd when none is given. */
export const DEFAULT_CLUSTER_ID = 'default';

/** The coordinator's default port (Flink's JobManager RPC port). */
export const DEFAULT_COORDINATOR_PORT = 6123;

/** The REST API's and dashboard's default port (Flink's rest.port). */
export const DEFAULT_REST_PORT = 8081;

export interface CoordinatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Port of the Prometheus endpoint (GET /metrics, on `host`); 0 (the default) picks a free one. */
  metricsPort?: number;
  /** Port of the REST API and web dashboard (HTTP, on `host`); 0 picks a free one. */
  restPort?: number;
  /** Host name clients and workers use to reach this coordinator. */
  advertisedHost?: string;
  /** Where job artifacts are kept. */
  dataDir?: string;
  /** Where checkpoints go: a directory every worker can write (local disk for weir local, a shared volume otherwise). */
  checkpointDir?: string;
  /** Endpoint URL of the S3-compatible server for `s3://` checkpoint storage and savepoints (unset: AWS S3). */
  s3Endpoint?: string | undefined;
  /** Region S3 requests are signed for (unset: AWS_REGION, else us-east-1). */
  s3Region?: string | undefined;
  /** `path` (bucket in the URL path, what most S3-compatible servers need) or `virtual` (bucket in the host name); unset: path with an endpoint, virtual without. */
  s3AddressingStyle?: 'path' | 'virtual' | undefined;
  coordinatorId?: string;
  /** A worker silent for this long is considered lost. */
  heartbeatTimeoutMs?: number;
  /**
   * How long a job may wait while the cluster has fewer slots than it needs
   * before it fails (Flink's slot.request.timeout); a job may set its own
   * (`weir run --slot-request-timeout`). Slots that exist but are held by
   * others are waited for without a limit.
   */
  slotRequestTimeoutMs?: number;
  /** How long cancelled subtasks get to confirm before a job counts as cancelled. */
  cancelTimeoutMs?: number;
  /** The restart strategy of jobs that set none (neither in their code nor at `weir run`). */
  restartStrategy?: RestartStrategy;
  /**
   * etcd client URLs. When given, coordinators of the same `clusterId` elect
   * a leader (the others stand by) and job metadata lives in etcd; large data
   * (artifacts, checkpoints) goes to `checkpointDir`, which every coordinator
   * must share. Empty: the embedded file store, one coordinator.
   */
  etcd?: string[];
  /** Which cluster in etcd (keys under `/weir/<clusterId>/`). */
  clusterId?: string;
  /** Lease TTL of the leader key in whole seconds (>= 2): a dead leader is replaced after about this long. */
  leaseTtlSeconds?: number;
  /**
   * Where else savepoints may be written and jobs restored from, besides
   * `checkpointDir` (for `s3://` storage, its bucket) and the working
   * directory; a request naming any other place is refused.
   */
  savepointRoots?: string[];
  /** TLS towards etcd (its CA, and a client certificate if etcd asks for one). */
  etcdTls?: EtcdTlsFiles | undefined;
  /**
   * How workers and clients connect to the gRPC port: TLS with certificates
   * of the cluster CA (workers' methods need a client certificate of it), or
   * plaintext. Default here: plaintext, with a warning; `weir coordinator`
   * defaults to TLS and refuses to start without certificates.
   */
  transport?: InternalTransport;
  /** Serve the REST API and dashboard over HTTPS with the transport's server certificate (default: when the transport is TLS). */
  restTls?: boolean;
  /** The tokens file of the client API (`<role> <name> <token>` lines); unset: no tokens asked for, with a warning. */
  tokensFile?: string | undefined;
}

type S3OptionKeys = 's3Endpoint' | 's3Region' | 's3AddressingStyle' | 'etcdTls' | 'tokensFile';
/** Every option with its default; the S3 ones stay unset unless given. */
export type ResolvedCoordinatorOptions = Required<Omit<CoordinatorOptions, S3OptionKeys>> & Pick<CoordinatorOptions, S3OptionKeys>;

/** Splits a comma-separated list (etcd URLs, savepoint roots). */
export function parseEtcdEndpoints(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

export function resolveCoordinatorOptions(options: CoordinatorOptions, env: NodeJS.ProcessEnv = process.env): ResolvedCoordinatorOptions {
  const host = options.host ?? '127.0.0.1';
  const restartStrategyEnv = env[WEIR_ENV.restartStrategy]?.trim();
  const transport = options.transport ?? { kind: 'plaintext' };
  return {
    host,
    transport,
    restTls: options.restTls ?? transport.kind === 'mtls',
    etcdTls: options.etcdTls,
    tokensFile: options.tokensFile,
    port: options.port ?? Number(env[WEIR_ENV.coordinatorPort] ?? DEFAULT_COORDINATOR_PORT),
    metricsPort: options.metricsPort ?? 0,
    restPort: options.restPort ?? DEFAULT_REST_PORT,
    advertisedHost: options.advertisedHost ?? host,
    dataDir: resolve(options.dataDir ?? env[WEIR_ENV.dataDir] ?? '.weir/coordinator'),
    checkpointDir: resolveLocation(options.checkpointDir ?? env[WEIR_ENV.checkpointDir] ?? '.weir/checkpoints'),
    s3Endpoint: options.s3Endpoint ?? env[WEIR_ENV.s3Endpoint],
    s3Region: options.s3Region ?? env[WEIR_ENV.s3Region],
    s3AddressingStyle: options.s3AddressingStyle ?? (env[WEIR_ENV.s3AddressingStyle] as 'path' | 'virtual' | undefined),
    coordinatorId: options.coordinatorId ?? `coordinator-${randomBytes(4).toString('hex')}`,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 10_000,
    slotRequestTimeoutMs: options.slotRequestTimeoutMs ?? 300_000,
    cancelTimeoutMs: options.cancelTimeoutMs ?? 10_000,
    restartStrategy: options.restartStrategy ?? (restartStrategyEnv ? parseRestartStrategy(restartStrategyEnv) : DEFAULT_RESTART_STRATEGY),
    etcd: options.etcd ?? parseEtcdEndpoints(env[WEIR_ENV.etcd]),
    clusterId: options.clusterId ?? env[WEIR_ENV.clusterId] ?? DEFAULT_CLUSTER_ID,
    leaseTtlSeconds: options.leaseTtlSeconds ?? Number(env[WEIR_ENV.leaseTtl] ?? DEFAULT_LEADER_TTL_SECONDS),
    savepointRoots: options.savepointRoots ?? parseEtcdEndpoints(env[WEIR_ENV.savepointRoots]),
  };
}

/** The S3 settings of resolved options (no credentials: those come from the AWS environment of each process). */
export function s3SettingsOf(options: ResolvedCoordinatorOptions): S3Settings {
  const settings: S3Settings = { forcePathStyle: (options.s3AddressingStyle ?? (options.s3Endpoint ? 'path' : 'virtual')) === 'path' };
  if (options.s3Endpoint) settings.endpoint = options.s3Endpoint;
  if (options.s3Region) settings.region = options.s3Region;
  return settings;
}
