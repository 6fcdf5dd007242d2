// The JobManager service's cluster call (leader only): GetCluster, the view
// of this coordinator, its workers and (etcd mode) the leadership.
import { clusterToMessage, type ClusterView, type JobManagerHandlers } from '@weir/protocol';
import type { EtcdLeadership } from '../etcd/etcd-leadership.ts';
import type { Term } from '../leader-term.ts';
import type { WorkerRegistry } from '../resource-manager/worker-registry.ts';
import type { UnaryFactory } from './unary-handler.ts';

/** What the cluster view is built from. */
export interface ClusterHandlerHost {
  unary: UnaryFactory;
  coordinatorId: string;
  /** The address this coordinator serves on (known once the server is bound). */
  address: () => string;
  /** The current term; throws on a standby. */
  leadingTerm: () => Term;
  registry: () => WorkerRegistry;
  leadership: EtcdLeadership | null;
}

/** The handler of GetCluster. */
export function clusterHandlers(host: ClusterHandlerHost): Pick<JobManagerHandlers, 'GetCluster'> {
  return {
    GetCluster: host.unary(async () => ({ cluster: clusterToMessage(await clusterView(host)) })),
  };
}

/** The cluster view (GetCluster, and the REST API's overview and workers). Throws on a standby. */
export async function clusterView(host: Omit<ClusterHandlerHost, 'unary'>): Promise<ClusterView> {
  const term = host.leadingTerm();
  const view: ClusterView = { coordinatorId: host.coordinatorId, address: host.address(), workers: host.registry().views() };
  if (host.leadership) {
    view.workers = await host.leadership.clusterWorkers(view.workers);
    const leadership = await host.leadership.leadershipView(term.epoch).catch(() => undefined);
    if (leadership) view.leadership = leadership;
  }
  return view;
}
