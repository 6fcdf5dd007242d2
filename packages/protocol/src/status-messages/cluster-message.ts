// The cluster view (ClusterView, views.ts) as the typed GetCluster message
// (`weir.v1.Cluster` of proto/weir.proto) and back: its workers and, in etcd
// mode, the leadership. The coordinator maps the view it builds; @weir/client
// maps the message back for `weir cluster`. A field added to the view is
// added to the message, and mapped both ways, here.
import type { ClusterView, CoordinatorCandidateView, LeadershipView, WorkerView } from '../views.ts';
import type { Cluster, Cluster__Output } from '../generated/weir/v1/Cluster.ts';
import type { CoordinatorCandidate__Output } from '../generated/weir/v1/CoordinatorCandidate.ts';
import type { Leadership, Leadership__Output } from '../generated/weir/v1/Leadership.ts';
import type { Worker, Worker__Output } from '../generated/weir/v1/Worker.ts';

/** A cluster view as the `weir.v1.Cluster` message. */
export function clusterToMessage(view: ClusterView): Cluster {
  return {
    coordinatorId: view.coordinatorId,
    address: view.address,
    workers: view.workers.map(workerToMessage),
    ...(view.leadership ? { leadership: leadershipToMessage(view.leadership) } : {}),
  };
}

/** The `weir.v1.Cluster` message as the view it was made from. */
export function clusterFromMessage(message: Cluster__Output): ClusterView {
  const view: ClusterView = { coordinatorId: message.coordinatorId, address: message.address, workers: message.workers.map(workerFromMessage) };
  if (message.leadership) view.leadership = leadershipFromMessage(message.leadership);
  return view;
}

function workerToMessage(view: WorkerView): Worker {
  return {
    workerId: view.workerId,
    address: view.address,
    host: view.host,
    pid: view.pid,
    slots: view.slots,
    freeSlots: view.freeSlots,
    lastHeartbeatMs: view.lastHeartbeatMs,
    ...(view.connected !== undefined ? { connected: view.connected } : {}),
  };
}

function workerFromMessage(message: Worker__Output): WorkerView {
  const view: WorkerView = {
    workerId: message.workerId,
    address: message.address,
    host: message.host,
    pid: message.pid,
    slots: message.slots,
    freeSlots: message.freeSlots,
    lastHeartbeatMs: message.lastHeartbeatMs,
  };
  if (message.connected !== undefined) view.connected = message.connected;
  return view;
}

function leadershipToMessage(view: LeadershipView): Leadership {
  return { clusterId: view.clusterId, leaseTtlSeconds: view.leaseTtlSeconds, epoch: view.epoch, leader: view.leader, standbys: view.standbys };
}

function leadershipFromMessage(message: Leadership__Output): LeadershipView {
  return {
    clusterId: message.clusterId,
    leaseTtlSeconds: message.leaseTtlSeconds,
    epoch: message.epoch,
    leader: candidateFromMessage(message.leader),
    standbys: message.standbys.map(candidateFromMessage),
  };
}

function candidateFromMessage(message: CoordinatorCandidate__Output | null): CoordinatorCandidateView {
  return { address: message?.address ?? '', createRevision: message?.createRevision ?? '' };
}
