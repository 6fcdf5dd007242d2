import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Environment variables read by the coordinator (flags win over them). */
export const COORDINATOR_ENV = {
  port: 'WEIR_COORDINATOR_PORT',
  dataDir: 'WEIR_DATA_DIR',
  checkpointDir: 'WEIR_CHECKPOINT_DIR',
} as const;

/** The coordinator's default port (Flink's JobManager RPC port). */
export const DEFAULT_COORDINATOR_PORT = 6123;

export interface CoordinatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Host name clients and workers use to reach this coordinator. */
  advertisedHost?: string;
  /** Where job artifacts are kept. */
  dataDir?: string;
  /** Where checkpoints go: a directory every worker can write (local disk for weir local, a shared volume otherwise). */
  checkpointDir?: string;
  coordinatorId?: string;
  /** A worker silent for this long is considered lost. */
  heartbeatTimeoutMs?: number;
  /** How long a job waits for enough free slots before the attempt fails. */
  slotWaitTimeoutMs?: number;
  /** How long cancelled subtasks get to confirm before a job counts as cancelled. */
  cancelTimeoutMs?: number;
}

export type ResolvedCoordinatorOptions = Required<CoordinatorOptions>;

export function resolveCoordinatorOptions(options: CoordinatorOptions, env: NodeJS.ProcessEnv = process.env): ResolvedCoordinatorOptions {
  const host = options.host ?? '127.0.0.1';
  return {
    host,
    port: options.port ?? Number(env[COORDINATOR_ENV.port] ?? DEFAULT_COORDINATOR_PORT),
    advertisedHost: options.advertisedHost ?? host,
    dataDir: resolve(options.dataDir ?? env[COORDINATOR_ENV.dataDir] ?? '.weir/coordinator'),
    checkpointDir: resolve(options.checkpointDir ?? env[COORDINATOR_ENV.checkpointDir] ?? '.weir/checkpoints'),
    coordinatorId: options.coordinatorId ?? `coordinator-${randomBytes(4).toString('hex')}`,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 10_000,
    slotWaitTimeoutMs: options.slotWaitTimeoutMs ?? 30_000,
    cancelTimeoutMs: options.cancelTimeoutMs ?? 10_000,
  };
}
