// The plaintext HTTP endpoint a coordinator or worker serves its Prometheus
// metrics on, GET /metrics, and the probes of Kubernetes (which cannot speak
// TLS to a gRPC port): GET /healthz (the process answers) and GET /readyz (its
// grpc.health.v1 status is SERVING). Nothing else: no job data, no control.
// node:http (a web framework would add a dependency for three fixed routes).
import { createServer, type Server } from 'node:http';

/** A running metrics endpoint. */
export interface MetricsEndpoint {
  /** The bound port (the chosen one when 0 was asked for). */
  readonly port: number;
  /** `http://host:port/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/** What to serve and where. */
export interface MetricsEndpointOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The flag that sets the port, named in the error when it is taken (e.g. `--metrics-port`). */
  flag: string;
  /** The host name to show in `url` (default: `host`). */
  advertisedHost?: string;
  /** Renders the exposition text; called on every scrape. */
  render(): Promise<string>;
  /** The Content-Type of the text (prom-client's registry.contentType). */
  contentType: string;
  /** Whether the process is ready (GET /readyz: 200 or 503); default: always. */
  ready?: () => boolean;
}

/**
 * Serves GET /metrics, /healthz and /readyz (and 404 for anything else).
 * Rejects with an error naming the port and the flag when the port is taken.
 */
export function serveMetrics(options: MetricsEndpointOptions): Promise<MetricsEndpoint> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && (path === '/healthz' || path === '/readyz')) {
      const ok = path === '/healthz' || (options.ready?.() ?? true);
      response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
      return;
    }
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: metrics are at GET /metrics, probes at GET /healthz and /readyz\n');
      return;
    }
    options.render().then(
      (text) => response.writeHead(200, { 'content-type': options.contentType }).end(text),
      (error: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`could not collect the metrics: ${error.message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new Error(`the metrics port ${options.port} on ${options.host} is already in use (${options.flag}): choose another port, or 0 for a free one`));
      else reject(new Error(`could not serve metrics on ${options.host}:${options.port} (${options.flag}): ${error.message}`));
    });
    server.listen(options.port, options.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      resolve({
        port,
        url: `http://${options.advertisedHost ?? options.host}:${port}/metrics`,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}
