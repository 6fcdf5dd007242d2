// Who leads the coordinators of a cluster, as any process sees it: the
// candidate of the election with the lowest create revision, read once
// (`readLeaderAddress`) or followed (`observeLeader`).
import { ClientClosedError, type Watcher } from 'etcd3';
import { sleep } from '../backoff.ts';
import type { Logger } from '../logger.ts';
import { RepeatedWarning } from '../repeated-warning.ts';
import type { EtcdClient } from './etcd-client.ts';
import type { CoordinatorCandidateView } from '../views.ts';
import type { EtcdKeys } from './etcd-keys.ts';

/** The leader's published address and the revision of the read (`undefined` address: no candidate). */
async function readLeader(client: EtcdClient, keys: EtcdKeys): Promise<{ address: string | undefined; revision: string }> {
  const result = await client.getAll().prefix(keys.leaderCandidatesPrefix).sort('Create', 'Ascend').limit(1).exec();
  return { address: result.kvs[0]?.value.toString(), revision: result.header.revision };
}

/**
 * The address the current leader published, read once (for processes that do
 * not campaign, such as a CLI).
 * @throws EtcdUnavailableError when etcd does not answer.
 */
export async function readLeaderAddress(client: EtcdClient, keys: EtcdKeys): Promise<string | undefined> {
  return (await client.call('reading the leading coordinator', () => readLeader(client, keys))).address;
}

/**
 * Every coordinator in the election (its key's value is the address it
 * published), in campaign order: the first leads, the
 * others stand by.
 * @throws EtcdUnavailableError when etcd does not answer.
 */
export async function listLeaderCandidates(client: EtcdClient, keys: EtcdKeys): Promise<CoordinatorCandidateView[]> {
  const result = await client.call('listing the coordinators', () => client.getAll().prefix(keys.leaderCandidatesPrefix).sort('Create', 'Ascend').exec());
  return result.kvs.map((kv) => ({ address: kv.value.toString(), createRevision: kv.create_revision }));
}

/** What `observeLeader` needs. */
export interface ObserveLeaderOptions {
  client: EtcdClient;
  keys: EtcdKeys;
  /** Called with every read (also unchanged ones; the caller drops repeats). */
  onLeader: (address: string | undefined) => void;
  /** Stops observing. */
  signal: AbortSignal;
  /** Pause before observing again after a failure. */
  retryDelayMs: number;
  logger: Logger;
}

/**
 * Follows the leader until `signal` aborts: reads the candidate with the
 * lowest create revision, then re-reads whenever a watch (from just after
 * that read, so no change slips between) sees any candidate key change; after
 * a failure it starts over. (etcd3's ElectionObserver is not used: when
 * several candidates appear in one watch response it reports the last of them
 * as the leader, not the first.) Resolves when stopped or when the client was
 * closed.
 */
export async function observeLeader(options: ObserveLeaderOptions): Promise<void> {
  const { client, keys, signal, logger } = options;
  const failing = new RepeatedWarning(logger, 'observing the leader failed; observing again');
  const read = async (): Promise<string> => {
    const { address, revision } = await readLeader(client, keys);
    failing.reset();
    options.onLeader(address);
    return revision;
  };
  while (!signal.aborted) {
    let watcher: Watcher | undefined;
    try {
      const revision = await read();
      await new Promise<void>((resolve, reject) => {
        let reading = false;
        let again = false;
        const refresh = async (): Promise<void> => {
          if (reading) {
            again = true;
            return;
          }
          reading = true;
          try {
            do {
              again = false;
              await read();
            } while (again && !signal.aborted);
          } catch (error) {
            reject(error as Error);
          } finally {
            reading = false;
          }
        };
        watcher = client.watch().prefix(keys.leaderCandidatesPrefix).startRevision(String(BigInt(revision) + 1n)).watcher();
        watcher.on('data', () => void refresh());
        watcher.on('error', reject);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } catch (error) {
      if (error instanceof ClientClosedError) {
        logger.warn({ err: error.message }, 'the etcd client was closed: no longer observing the leader');
        return;
      }
      if (!signal.aborted) failing.warn({ err: (error as Error).message });
    } finally {
      const done: Watcher | undefined = watcher;
      if (done) {
        done.on('error', () => undefined);
        await done.cancel().catch(() => undefined);
      }
    }
    await sleep(options.retryDelayMs, signal);
  }
}
