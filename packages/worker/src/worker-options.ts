import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { WEIR_ENV, type InternalTransport } from '@weir/protocol';
import type { EtcdTlsFiles } from '@weir/protocol/etcd';
import { connectorModuleList, resolveConnectorModules } from './connectors/connector-modules.ts';


export interface WorkerOptions {
  /** host:port of the coordinator. */
  coordinator?: string;
  /** Interface the TaskExecutor service listens on. */
  host?: string;
  /** Port of the TaskExecutor service; 0 picks a free one. */
  port?: number;
  /** Port of the Prometheus endpoint (GET /metrics, on `host`); 0 (the default) picks a free one. */
  metricsPort?: number;
  /** Host name other workers and the coordinator use to reach this one. */
  advertisedHost?: string;
  /** How many slots this worker offers: a slot runs one subtask of each vertex of a slot sharing group, each in a thread of its own. */
  slots?: number;
  /** Where artifacts and dead letters go. */
  dataDir?: string;
  workerId?: string;
  heartbeatIntervalMs?: number;
  /** Frames a receiver lets each channel have in flight. */
  initialCredits?: number;
  /** Grace period for a cancelled subtask before its thread is terminated. */
  cancelTimeoutMs?: number;
  /** Heap limit of each slot thread. */
  slotHeapMb?: number;
  /**
   * Young-generation size of each slot thread. Small keeps a worker's memory
   * low (each slot thread is a V8 isolate of its own) at no cost in throughput
   * for short-lived record objects (measured in bench/RESULTS.md).
   */
  slotYoungGenerationMb?: number;
  /**
   * etcd client URLs. When given, the worker registers in etcd (on a lease),
   * finds the leading coordinator there and follows leader changes; `coordinator` is ignored.
   */
  etcd?: string[];
  /** Which cluster in etcd (the coordinators' `--cluster-id`). */
  clusterId?: string;
  /**
   * Slot threads kept ready, with the job's code loaded, in free slots for
   * each job running here, so that a restart of the job (failover) deploys
   * into them instead of starting threads (some 250 ms of CPU each). Each
   * costs memory while it waits (20-40 MB). 0 (the default): threads are
   * started ahead only once a subtask of the job fails or is cancelled here.
   */
  spareThreads?: number;
  /**
   * Connector runtime modules every slot thread loads (package names, paths
   * or file URLs; `weir worker --connector`), e.g.
   * `@weir/connector-kafka/runtime`. Default: the comma-separated list in
   * `WEIR_CONNECTORS`, else none. A job whose connector is not among them
   * fails at deployment.
   */
  connectorModules?: readonly string[];
  /**
   * How this worker connects to the coordinator and the other workers, and
   * who may connect to it: mutual TLS with certificates of the cluster CA, or
   * plaintext. Default here: plaintext; `weir worker` defaults to TLS.
   */
  transport?: InternalTransport;
  /** TLS towards etcd (its CA, and a client certificate if etcd asks for one). */
  etcdTls?: EtcdTlsFiles | undefined;
}

export type ResolvedWorkerOptions = Required<Omit<WorkerOptions, 'connectorModules' | 'etcdTls'>> & Pick<WorkerOptions, 'etcdTls'> & {
  /** The connector modules as file URLs. */
  connectorModules: readonly string[];
};

export function resolveWorkerOptions(options: WorkerOptions, env: NodeJS.ProcessEnv = process.env): ResolvedWorkerOptions {
  const host = options.host ?? '127.0.0.1';
  const spareThreads = options.spareThreads ?? Number(env[WEIR_ENV.spareThreads] ?? 0);
  if (!Number.isInteger(spareThreads) || spareThreads < 0) {
    throw new Error(`spare threads must be a whole number >= 0, not ${String(options.spareThreads ?? env[WEIR_ENV.spareThreads])}: set ${WEIR_ENV.spareThreads} to 0 (the default) or to how many threads to keep ready per job`);
  }
  return {
    coordinator: options.coordinator ?? env[WEIR_ENV.coordinator] ?? '127.0.0.1:6123',
    host,
    port: options.port ?? 0,
    metricsPort: options.metricsPort ?? 0,
    advertisedHost: options.advertisedHost ?? env[WEIR_ENV.advertisedHost] ?? (host === '0.0.0.0' ? hostname() : host),
    slots: options.slots ?? Number(env[WEIR_ENV.slots] ?? 4),
    dataDir: resolve(options.dataDir ?? env[WEIR_ENV.dataDir] ?? '.weir/worker'),
    workerId: options.workerId ?? `worker-${randomBytes(4).toString('hex')}`,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1000,
    initialCredits: options.initialCredits ?? 8,
    cancelTimeoutMs: options.cancelTimeoutMs ?? 5000,
    slotHeapMb: options.slotHeapMb ?? 256,
    slotYoungGenerationMb: options.slotYoungGenerationMb ?? 8,
    etcd: options.etcd ?? (env[WEIR_ENV.etcd] ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0),
    clusterId: options.clusterId ?? env[WEIR_ENV.clusterId] ?? 'default',
    spareThreads,
    transport: options.transport ?? { kind: 'plaintext' },
    etcdTls: options.etcdTls,
    connectorModules: resolveConnectorModules(options.connectorModules ?? connectorModuleList(env[WEIR_ENV.connectors] ?? ''), process.cwd(), `--connector (or ${WEIR_ENV.connectors})`),
  };
}
