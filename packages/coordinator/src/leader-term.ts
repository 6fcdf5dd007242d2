// A leader term: one period during which this coordinator leads, with the
// stores it writes through and the epoch it stamps on every order to workers.
import type { LeaderFence } from './etcd/etcd-errors.ts';
import type { EtcdMetadataStore } from './etcd/etcd-metadata-store.ts';
import type { MetadataStore } from './store/metadata-store.ts';

/** One period of leading. Without etcd there is one term, for the coordinator's whole life, with epoch 0. */
export interface Term {
  /** etcd: the leader key's create revision (grows from one leader to the next); sent with every order to workers. */
  epoch: number;
  store: MetadataStore;
  /** etcd mode: the same store, with the assignment and checkpoint records. */
  etcd: EtcdMetadataStore | null;
  fence: LeaderFence | null;
  /** Jobs loaded: clients are served. */
  ready: boolean;
}
