// The REST API's cluster routes: GET /overview (Flink's cluster overview, with
// the coordinators in etcd mode) and GET /workers (Flink's /taskmanagers),
// both from the view GetCluster answers with (server/cluster-handlers.ts).
import type { FastifyInstance } from 'fastify';
import type { ClusterView } from '@weir/protocol';
import type { Dispatcher } from '../dispatcher/dispatcher.ts';
import { jobSummaries } from '../server/job-handlers.ts';
import { errorSchema, overviewSchema, workersSchema } from './rest-schemas.ts';

/** What the cluster routes are served from. */
export interface ClusterRoutesHost {
  dispatcher: Dispatcher;
  /** The cluster view; throws (not the leader) on a standby. */
  cluster: () => Promise<ClusterView>;
}

const errors = { 500: errorSchema, 503: errorSchema };

/** Registers the cluster routes on `app`. */
export function registerClusterRoutes(app: FastifyInstance, host: ClusterRoutesHost): void {
  app.get('/overview', { schema: { response: { 200: overviewSchema, ...errors } } }, async () => {
    const view = await host.cluster();
    const jobs = jobSummaries(host.dispatcher);
    const count = (...statuses: string[]): number => jobs.filter((j) => statuses.includes(j.status)).length;
    return {
      coordinatorId: view.coordinatorId,
      address: view.address,
      workers: view.workers.length,
      slotsTotal: view.workers.reduce((n, w) => n + w.slots, 0),
      slotsAvailable: view.workers.reduce((n, w) => n + w.freeSlots, 0),
      jobsRunning: count('CREATED', 'RUNNING', 'RESTARTING', 'FAILING', 'CANCELLING'),
      jobsFinished: count('FINISHED'),
      jobsCancelled: count('CANCELED'),
      jobsFailed: count('FAILED'),
      ...(view.leadership ? { leadership: view.leadership } : {}),
    };
  });

  app.get('/workers', { schema: { response: { 200: workersSchema, ...errors } } }, async () => ({ workers: (await host.cluster()).workers }));
}
