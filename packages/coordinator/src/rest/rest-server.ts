// The coordinator's REST API and web dashboard (Flink's REST endpoint and web
// UI) on fastify: the JSON routes (job-routes.ts, cluster-routes.ts) and the
// dashboard's files at `/` (dashboard-routes.ts).
import Fastify, { type FastifyInstance } from 'fastify';
import type { ClusterView } from '@weir/protocol';
import type { Dispatcher } from '../dispatcher/dispatcher.ts';
import { registerClusterRoutes } from './cluster-routes.ts';
import { registerDashboardRoutes } from './dashboard-routes.ts';
import { registerJobRoutes } from './job-routes.ts';
import { replyWithError, validationError } from './rest-errors.ts';

/** What the REST API serves, and where. */
export interface RestServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The host name to show in `url` (default: `host`). */
  advertisedHost?: string;
  dispatcher: Dispatcher;
  /** Throws (not the leader, naming the leader) on a standby. */
  requireLeader: () => void;
  /** The cluster view; throws like `requireLeader` on a standby. */
  cluster: () => Promise<ClusterView>;
}

/** A running REST endpoint. */
export interface RestEndpoint {
  /** The bound port. */
  readonly port: number;
  /** `http://host:port`: the dashboard; the API is under it. */
  readonly url: string;
  close(): Promise<void>;
}

/** Builds the fastify app with every route (not listening yet). */
export function restApp(options: Omit<RestServerOptions, 'host' | 'port' | 'advertisedHost'>): FastifyInstance {
  const app = Fastify({
    logger: false,
    // A body is taken as sent: no type coercion, and an unknown field is refused rather than dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    schemaErrorFormatter: validationError,
  });
  app.setErrorHandler(replyWithError);
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ errors: [`no route ${request.method} ${request.url.split('?')[0]}; the REST API is described in docs/rest-api.md`] });
  });
  registerJobRoutes(app, options);
  registerClusterRoutes(app, options);
  registerDashboardRoutes(app);
  return app;
}

/**
 * Serves the REST API and the dashboard. Rejects with an error naming the
 * port and `--rest-port` when the port is taken.
 */
export async function serveRest(options: RestServerOptions): Promise<RestEndpoint> {
  const app = restApp(options);
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await app.close();
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new Error(`the REST port ${options.port} on ${options.host} is already in use (--rest-port, config key coordinator.restPort): choose another port, or 0 for a free one`, { cause: error });
    throw new Error(`could not serve the REST API on ${options.host}:${options.port} (--rest-port): ${e.message}`, { cause: error });
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { port, url: `http://${options.advertisedHost ?? options.host}:${port}`, close: () => app.close() };
}
