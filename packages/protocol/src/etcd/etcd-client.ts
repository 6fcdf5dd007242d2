// The one etcd client of Weir's processes (coordinators, workers, the CLI):
// connection options for leases of a few seconds, the lease TTLs, and the
// wrapping of etcd failures into errors that name the endpoints.
import { readFileSync } from 'node:fs';
import { Etcd3, GRPCUnavailableError, type IOptions } from 'etcd3';
import { ValidationError } from '@weir/common';
import { sleep } from '../backoff.ts';
import { WEIR_ENV } from '../env-names.ts';
import { callEtcd } from './etcd-errors.ts';

type FaultHandling = Required<NonNullable<IOptions['faultHandling']>>;
type Policy = FaultHandling['global'];
type Backoff = FaultHandling['watchBackoff'];

/** How a process talks to etcd. */
export interface EtcdClientOptions {
  /** Client URLs of the etcd members, e.g. `['http://10.0.0.5:2379']`. */
  endpoints: string[];
  /** Deadline of each unary call (get, put, txn, lease grant/revoke). Default 2,000 ms. Streams (watch, keep-alive) have none. */
  requestTimeoutMs?: number;
  /** TLS towards etcd (`https://` endpoints): its CA, and a client certificate when etcd asks for one. */
  tls?: EtcdTlsFiles | undefined;
}

/** PEM files of the etcd client's TLS (the etcd3 client's `credentials`). */
export interface EtcdTlsFiles {
  /** The CA that issued etcd's server certificate. */
  caFile: string;
  /** A client certificate, when etcd runs with --client-cert-auth. */
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

function readEtcdPem(path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ValidationError(`cannot read ${path} (${setting}): ${(error as Error).message}; check the path and that the file is readable`, { cause: error });
  }
}

/** The etcd3 `credentials` of `tls`: the files read now. */
function etcdCredentials(tls: EtcdTlsFiles): NonNullable<IOptions['credentials']> {
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) throw new ValidationError('etcd.certFile and etcd.keyFile go together: set both for a client certificate, or neither');
  return {
    rootCertificate: readEtcdPem(tls.caFile, 'etcd.caFile'),
    ...(tls.certFile && tls.keyFile ? { certChain: readEtcdPem(tls.certFile, 'etcd.certFile'), privateKey: readEtcdPem(tls.keyFile, 'etcd.keyFile') } : {}),
  };
}

/** Default deadline of each unary etcd call. */
export const DEFAULT_ETCD_REQUEST_TIMEOUT_MS = 2_000;

/** Default lease TTL of the leader key: a dead leader is replaced within about this long. */
export const DEFAULT_LEADER_TTL_SECONDS = 5;

/** Lease TTL of a worker's registration in etcd: a dead worker's entry disappears after about this long. */
export const WORKER_LEASE_TTL_SECONDS = 10;

/**
 * An etcd3 client that knows its endpoints, so that its failures can name
 * them. Create one with `createEtcdClient`.
 */
export class EtcdClient extends Etcd3 {
  /** The client URLs this client was given. */
  readonly endpoints: readonly string[];

  constructor(endpoints: readonly string[], options: IOptions) {
    super(options);
    this.endpoints = endpoints;
  }

  /**
   * Runs one etcd call, turning a transient failure (unavailable, deadline
   * exceeded, broken connection) into an `EtcdUnavailableError` that names
   * the endpoints and `what` was being done.
   */
  call<T>(what: string, call: () => Promise<T>): Promise<T> {
    return callEtcd(this.endpoints, what, call);
  }
}

/**
 * An etcd3 client set up for leases of a few seconds:
 *
 * - every unary call has a deadline (etcd3 has none by default, so a call to
 *   a frozen etcd would hang forever);
 * - no per-host circuit breaker (etcd3's default opens for 5 s after three
 *   failures, which also blocks re-establishing the lease keep-alive and can
 *   let a healthy lease expire once etcd is back);
 * - a call that found its member unavailable (refused, reset) is retried up
 *   to once per endpoint with a short pause, which moves it to another member;
 *   slow failures (deadline exceeded) are not retried, the caller's budget is
 *   spent;
 * - watches reconnect after 100 ms doubling to 2 s (etcd3's default grows to
 *   30 s, which would delay failover by as much after an etcd outage);
 * - gRPC keep-alive pings detect a dead connection within ~15 s, and a
 *   lost connection is retried after 100 ms doubling to 2 s.
 *
 * @throws ValidationError when no endpoint is given.
 */
export function createEtcdClient(options: EtcdClientOptions): EtcdClient {
  if (options.endpoints.length === 0) throw new ValidationError(`no etcd endpoints given: pass at least one client URL such as http://127.0.0.1:2379 (--etcd or ${WEIR_ENV.etcd})`);
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_ETCD_REQUEST_TIMEOUT_MS;
  return new EtcdClient([...options.endpoints], {
    hosts: options.endpoints,
    ...(options.tls ? { credentials: etcdCredentials(options.tls) } : {}),
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeoutMs }),
    faultHandling: {
      host: () => passThrough(),
      global: retryUnavailable(options.endpoints.length + 1),
      watchBackoff: exponentialBackoff(100, 2_000),
    },
    grpcOptions: {
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      // grpc-js waits 1 s growing to 120 s between reconnects: too slow to notice etcd is back.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2_000,
    },
  });
}

/** A cockatiel-shaped policy that just runs the call (etcd3 only calls `execute`, and relies on it rejecting rather than throwing). */
function passThrough(): Policy {
  return policy(async (fn, signal) => fn({ signal }));
}

function retryUnavailable(maxAttempts: number): Policy {
  return policy(async (fn, signal) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn({ signal });
      } catch (error) {
        if (!(error instanceof GRPCUnavailableError) || attempt >= maxAttempts || signal.aborted) throw error;
        await sleep(25 * attempt, signal);
      }
    }
  });
}

function policy(run: <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T, signal: AbortSignal) => Promise<T>): Policy {
  const noEvent = () => ({ dispose: () => undefined });
  return {
    _altReturn: undefined as never,
    onSuccess: noEvent,
    onFailure: noEvent,
    execute: (fn, signal) => run(fn, signal ?? new AbortController().signal),
  };
}

function exponentialBackoff(initialMs: number, maxMs: number): Backoff {
  const step = (ms: number): Backoff => ({ duration: ms, next: () => step(Math.min(maxMs, ms * 2)) });
  return { duration: 0, next: () => step(initialMs) };
}
