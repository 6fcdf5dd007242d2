// How etcd failures reach Weir code: transient ones become a retryable
// `EtcdUnavailableError` that names the endpoints and what to check.
import { isRecoverableError } from 'etcd3';
import { WeirError } from '@weir/common';
import { WEIR_ENV } from '../env-names.ts';

/** etcd did not answer (unreachable, overloaded, timed out): trying again later may succeed. */
export class EtcdUnavailableError extends WeirError {
  /** The client URLs that did not answer. */
  readonly endpoints: readonly string[];

  constructor(endpoints: readonly string[], what: string, cause: unknown) {
    super(
      `etcd at ${endpoints.join(',')} did not answer while ${what}: ${cause instanceof Error ? cause.message : String(cause)}; check that etcd is running there and reachable from this process (the endpoints come from --etcd or ${WEIR_ENV.etcd})`,
      { cause, retryable: true },
    );
    this.name = 'EtcdUnavailableError';
    this.endpoints = endpoints;
  }
}

/**
 * Runs one etcd call, turning a transient etcd3 failure (unavailable,
 * deadline exceeded, broken connection) into an `EtcdUnavailableError`.
 * Weir errors and non-transient etcd errors pass through unchanged.
 * (`EtcdClient.call` is this with the client's endpoints.)
 */
export async function callEtcd<T>(endpoints: readonly string[], what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof WeirError) throw error;
    if (error instanceof Error && isRecoverableError(error)) throw new EtcdUnavailableError(endpoints, what, error);
    throw error;
  }
}
