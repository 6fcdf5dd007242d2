// The coordinator's REST API and web dashboard (Flink's REST endpoint and web
// UI) on fastify: the JSON routes (job-routes.ts, cluster-routes.ts) and the
// dashboard's files at `/` (dashboard-routes.ts).
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import Fastify, { type FastifyInstance } from 'fastify';
import { DEFAULT_CERT_RELOAD_INTERVAL_MS, type ClusterView, type TlsFiles } from '@weir/protocol';
import type { ClientAuthorization } from '../security/client-authorization.ts';
import { addRestAuthorization } from '../security/rest-auth-hook.ts';
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
  /** Decides every API request (tokens and roles). */
  authorization: ClientAuthorization;
  /** HTTPS with this server certificate and key (read again when they change); null: plain HTTP. */
  tls: (Pick<TlsFiles, 'certFile' | 'keyFile'> & { reloadIntervalMs?: number | undefined }) | null;
  /** Throws (not the leader, naming the leader) on a standby. */
  requireLeader: () => void;
  /** The cluster view; throws like `requireLeader` on a standby. */
  cluster: () => Promise<ClusterView>;
}

/** A running REST endpoint. */
export interface RestEndpoint {
  /** The bound port. */
  readonly port: number;
  /** `https://host:port` (`http://` without TLS): the dashboard; the API is under it. */
  readonly url: string;
  close(): Promise<void>;
}

/** Builds the fastify app with every route (not listening yet). */
export function restApp(options: Omit<RestServerOptions, 'host' | 'port' | 'advertisedHost'>): FastifyInstance {
  const tls = options.tls;
  const app = Fastify({
    ...(tls ? { https: { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } } : {}),
    logger: false,
    // A body is taken as sent: no type coercion, and an unknown field is refused rather than dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    schemaErrorFormatter: validationError,
  });
  app.setErrorHandler(replyWithError);
  addRestAuthorization(app, options.authorization);
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
  const stopReloading = options.tls ? reloadCertificate(app.server as HttpsServer, options.tls) : () => undefined;
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    stopReloading();
    await app.close();
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new Error(`the REST port ${options.port} on ${options.host} is already in use (--rest-port, config key coordinator.restPort): choose another port, or 0 for a free one`, { cause: error });
    throw new Error(`could not serve the REST API on ${options.host}:${options.port} (--rest-port): ${e.message}`, { cause: error });
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const scheme = options.tls ? 'https' : 'http';
  return {
    port,
    url: `${scheme}://${options.advertisedHost ?? options.host}:${port}`,
    close: async () => {
      stopReloading();
      await app.close();
    },
  };
}

/**
 * Reads the certificate and key again when either file changes (a rotated
 * Secret): new connections get the new certificate, open ones keep theirs.
 * A half-written pair is ignored until both files agree again.
 */
function reloadCertificate(server: HttpsServer, tls: NonNullable<RestServerOptions['tls']>): () => void {
  const reload = (): void => {
    try {
      server.setSecureContext({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) });
    } catch {
      // Not a matching pair (yet): the next change tries again, and the old certificate stays in use.
    }
  };
  const interval = tls.reloadIntervalMs ?? DEFAULT_CERT_RELOAD_INTERVAL_MS;
  for (const file of [tls.certFile, tls.keyFile]) watchFile(file, { interval, persistent: false }, reload);
  return () => {
    for (const file of [tls.certFile, tls.keyFile]) unwatchFile(file, reload);
  };
}
