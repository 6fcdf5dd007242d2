// The roles of the client API and what each may do: viewer < operator <
// submitter, each holding the rights of the ones before it. Methods only the
// cluster's own processes call need a certificate of the cluster CA.

/** A role a token grants. */
export type Role = 'viewer' | 'operator' | 'submitter';

/** Every role, weakest first: a role may do what the ones before it may. */
export const ROLES: readonly Role[] = ['viewer', 'operator', 'submitter'];

/** What a call needs: a role, membership of the cluster (a cluster-CA certificate), or nothing. */
export type Requirement = Role | 'member' | 'open';

/** Whether `role` may do what `needed` needs. */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** What each JobManager method needs, by its gRPC path. */
const JOB_MANAGER_METHODS: Record<string, Requirement> = {
  ListJobs: 'viewer',
  GetJob: 'viewer',
  GetCluster: 'viewer',
  ListCheckpoints: 'viewer',
  CancelJob: 'operator',
  TriggerSavepoint: 'operator',
  // Runs code on the cluster.
  SubmitJob: 'submitter',
  // Only workers: job code and the session that deploys tasks.
  FetchArtifact: 'member',
  WorkerSession: 'member',
};

/**
 * What a gRPC call needs, by its path (`/weir.v1.JobManager/CancelJob`).
 * Health checks and reflection are open (they tell only whether the process
 * serves, and the public schema); an unknown method needs membership.
 */
export function grpcRequirement(path: string): Requirement {
  const [, service, method] = path.split('/');
  if (service === 'weir.v1.JobManager') return JOB_MANAGER_METHODS[method ?? ''] ?? 'member';
  if (service === 'grpc.health.v1.Health' || service?.startsWith('grpc.reflection.')) return 'open';
  return 'member';
}

/** What a REST request needs: reading is for viewers, anything else (cancel, savepoint, stop) for operators. */
export function restRequirement(method: string): Role {
  return method === 'GET' || method === 'HEAD' ? 'viewer' : 'operator';
}
