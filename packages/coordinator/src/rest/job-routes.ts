// The REST API's job routes (Flink's /jobs/...): the job list, one job, one
// vertex, checkpoints and exceptions, savepoint, stop and cancel. Every
// answer comes from the code the gRPC handlers use (server/job-handlers.ts,
// JobMaster.view(), the CheckpointCoordinator's views).
import type { FastifyInstance } from 'fastify';
import type { JobStatusView } from '@weir/protocol';
import type { Dispatcher } from '../dispatcher/dispatcher.ts';
import type { JobMaster } from '../job-master/job-master.ts';
import { cancelJob, jobSummaries, triggerSavepoint } from '../server/job-handlers.ts';
import { notFound } from './rest-errors.ts';
import {
  cancelQuery,
  checkpointDetailsSchema,
  checkpointParams,
  checkpointsSchema,
  errorSchema,
  exceptionsSchema,
  jobListSchema,
  jobParams,
  jobSchema,
  savepointBody,
  savepointResponse,
  statusResponse,
  stopBody,
  vertexParams,
  vertexSchema,
} from './rest-schemas.ts';

/** What the job routes are served from. */
export interface JobRoutesHost {
  dispatcher: Dispatcher;
  /** Throws (not the leader) on a standby. */
  requireLeader: () => void;
}

interface JobParams {
  id: string;
}

const errors = { 400: errorSchema, 404: errorSchema, 409: errorSchema, 500: errorSchema, 503: errorSchema };

/** The job's failure and its subtasks' errors, from its status view. */
export function exceptionsOf(view: JobStatusView): { rootException: string | null; subtasks: { vertexId: string; vertexName: string; index: number; workerId: string | null; error: string }[] } {
  const subtasks = view.vertices.flatMap((v) =>
    v.subtasks.filter((s) => s.error !== undefined).map((s) => ({ vertexId: v.id, vertexName: v.name, index: s.index, workerId: s.workerId, error: s.error! })),
  );
  return { rootException: view.error, subtasks };
}

/** Registers the job routes on `app`. */
export function registerJobRoutes(app: FastifyInstance, host: JobRoutesHost): void {
  const job = (id: string): JobMaster => {
    host.requireLeader();
    return host.dispatcher.job(id);
  };

  app.get('/jobs', { schema: { response: { 200: jobListSchema, ...errors } } }, async () => {
    host.requireLeader();
    return { jobs: jobSummaries(host.dispatcher) };
  });

  app.get<{ Params: JobParams }>('/jobs/:id', { schema: { params: jobParams, response: { 200: jobSchema, ...errors } } }, async (request) => {
    const master = job(request.params.id);
    const edges = master.record.graph.edges.map((e) => ({ source: e.source, target: e.target, partitioning: e.partitioning, ...(e.sideOutput ? { sideOutput: e.sideOutput } : {}) }));
    return { ...master.view(), plan: { edges } };
  });

  app.get<{ Params: JobParams & { vid: string } }>('/jobs/:id/vertices/:vid', { schema: { params: vertexParams, response: { 200: vertexSchema, ...errors } } }, async (request) => {
    const { id, vid } = request.params;
    const view = job(id).view();
    const vertex = view.vertices.find((v) => v.id === vid);
    if (!vertex) throw notFound(`job ${id} has no vertex ${vid}; its vertices are ${view.vertices.map((v) => v.id).join(', ')}`);
    return vertex;
  });

  app.get<{ Params: JobParams }>('/jobs/:id/checkpoints', { schema: { params: jobParams, response: { 200: checkpointsSchema, ...errors } } }, async (request) => {
    const history = job(request.params.id).checkpoints.views();
    const count = (status: string): number => history.filter((c) => c.status === status).length;
    const completed = history.filter((c) => c.status === 'COMPLETED');
    return {
      counts: { total: history.length, inProgress: count('IN_PROGRESS'), completed: completed.length, failed: count('FAILED') },
      latestCompleted: completed.at(-1) ?? null,
      history,
    };
  });

  app.get<{ Params: JobParams & { cid: string } }>('/jobs/:id/checkpoints/details/:cid', { schema: { params: checkpointParams, response: { 200: checkpointDetailsSchema, ...errors } } }, async (request) => {
    const { id } = request.params;
    const cid = Number(request.params.cid);
    const checkpoints = job(id).checkpoints;
    const checkpoint = checkpoints.views().findLast((c) => c.checkpointId === cid);
    if (!checkpoint) throw notFound(`job ${id} has no checkpoint ${cid} in its history; GET /jobs/${id}/checkpoints lists them`);
    return { checkpoint, subtasks: checkpoints.ackTimes.of(cid) ?? [] };
  });

  app.get<{ Params: JobParams }>('/jobs/:id/exceptions', { schema: { params: jobParams, response: { 200: exceptionsSchema, ...errors } } }, async (request) => exceptionsOf(job(request.params.id).view()));

  app.post<{ Params: JobParams; Body: { 'target-directory': string; 'cancel-job'?: boolean } }>(
    '/jobs/:id/savepoints',
    { schema: { params: jobParams, body: savepointBody, response: { 200: savepointResponse, ...errors } } },
    async (request) => ({ location: await triggerSavepoint(host.dispatcher, job(request.params.id), request.body['target-directory'], request.body['cancel-job'] ?? false) }),
  );

  app.post<{ Params: JobParams; Body: { targetDirectory: string } }>(
    '/jobs/:id/stop',
    { schema: { params: jobParams, body: stopBody, response: { 200: savepointResponse, ...errors } } },
    async (request) => ({ location: await triggerSavepoint(host.dispatcher, job(request.params.id), request.body.targetDirectory, true) }),
  );

  app.patch<{ Params: JobParams; Querystring: { mode: 'cancel' } }>(
    '/jobs/:id',
    { schema: { params: jobParams, querystring: cancelQuery, response: { 202: statusResponse, ...errors } } },
    async (request, reply) => {
      const master = job(request.params.id);
      return reply.code(202).send({ jobId: master.record.jobId, status: cancelJob(master) });
    },
  );
}
