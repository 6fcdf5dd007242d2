// The etcd key layout of a Weir cluster: every key and prefix coordinators,
// workers and the CLI read or write, built in one place.
import { Election } from 'etcd3';
import { ValidationError } from '@weir/common';

/** Root of every key Weir writes to etcd. */
export const ETCD_ROOT = '/weir/';

/** Name of the coordinator election inside the leader namespace. */
export const LEADER_ELECTION_NAME = 'coordinator';

/**
 * The one place that builds Weir's etcd keys. Everything of a cluster lives
 * under `/weir/<clusterId>/`:
 *
 * ```
 * leader/                        election namespace (etcd3's recipe adds
 *   election/coordinator/<lease>   one key per candidate, on its lease;
 *                                  the lowest create revision leads)
 * workers/<workerId>             worker registrations (on leases)
 * jobs/<jobId>                   job records (StoredJob as JSON)
 * assignments/<jobId>            subtask and split assignment of a job
 * checkpoints/<jobId>/counter    last checkpoint id handed out (decimal)
 * checkpoints/<jobId>/latest     pointer to the latest completed checkpoint
 * checkpoints/<jobId>/history    the newest finished checkpoints (CheckpointView[] as JSON)
 * ```
 *
 * Ids must be non-empty and free of `/` so that prefix listings stay exact.
 */
export class EtcdKeys {
  /** The cluster this keyspace belongs to. */
  readonly clusterId: string;
  /** `/weir/<clusterId>/`: the prefix of everything below. */
  readonly root: string;
  /** Namespace handed to etcd3 for the leader election (`client.namespace(leaderNamespace).election(...)`). */
  readonly leaderNamespace: string;
  /** Prefix of the candidates' keys; the leader key is one of them. */
  readonly leaderCandidatesPrefix: string;
  /** Prefix of all worker registrations. */
  readonly workersPrefix: string;
  /** Prefix of all job records. */
  readonly jobsPrefix: string;
  /** Prefix of all assignments. */
  readonly assignmentsPrefix: string;
  /** Prefix of all checkpoint counters and pointers. */
  readonly checkpointsPrefix: string;

  constructor(clusterId: string) {
    this.clusterId = segment('cluster id', clusterId);
    this.root = `${ETCD_ROOT}${this.clusterId}/`;
    this.leaderNamespace = `${this.root}leader/`;
    this.leaderCandidatesPrefix = `${this.leaderNamespace}${Election.prefix}/${LEADER_ELECTION_NAME}/`;
    this.workersPrefix = `${this.root}workers/`;
    this.jobsPrefix = `${this.root}jobs/`;
    this.assignmentsPrefix = `${this.root}assignments/`;
    this.checkpointsPrefix = `${this.root}checkpoints/`;
  }

  /** A worker's registration. */
  worker(workerId: string): string {
    return this.workersPrefix + segment('worker id', workerId);
  }

  /** A job's record. */
  job(jobId: string): string {
    return this.jobsPrefix + segment('job id', jobId);
  }

  /** A job's subtask and split assignment. */
  assignment(jobId: string): string {
    return this.assignmentsPrefix + segment('job id', jobId);
  }

  /** A job's checkpoint id counter. */
  checkpointCounter(jobId: string): string {
    return `${this.checkpointsPrefix}${segment('job id', jobId)}/counter`;
  }

  /** A job's pointer to its latest completed checkpoint. */
  latestCheckpoint(jobId: string): string {
    return `${this.checkpointsPrefix}${segment('job id', jobId)}/latest`;
  }

  /** A job's bounded checkpoint history (what `weir checkpoints` lists). */
  checkpointHistory(jobId: string): string {
    return `${this.checkpointsPrefix}${segment('job id', jobId)}/history`;
  }
}

/**
 * The lease id a leader candidate's key ends with (etcd3's election recipe
 * names each candidate's key after its lease, in hex).
 */
export function campaignLeaseId(candidateKey: string): string {
  return candidateKey.slice(candidateKey.lastIndexOf('/') + 1);
}

function segment(what: string, value: string): string {
  if (value.length === 0 || value.includes('/')) {
    throw new ValidationError(`invalid ${what} ${JSON.stringify(value)} for an etcd key: it must be non-empty and must not contain "/"`);
  }
  return value;
}
