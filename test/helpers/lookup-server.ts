// A small HTTP lookup service for async I/O tests and examples: GET
// /lookup?id=N answers {"id":N,"v":N*2} after a latency, and its behaviour
// per id is configurable (slow ids answer late, failing ids answer 500).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the service treats a lookup of `id`. */
export interface LookupBehaviour {
  /** Milliseconds before it answers (default 5). */
  latencyMs?(id: number): number;
  /** True: answer 500 to the `n`-th request (1-based) for `id`. */
  fails?(id: number, n: number): boolean;
}

/** A running lookup service. */
export interface LookupServer {
  readonly url: string;
  /** Requests seen per id. */
  readonly requests: Map<number, number>;
  /** Requests answered with a result. */
  answered: number;
  stop(): Promise<void>;
}

/** Starts the service on a random loopback port. */
export async function startLookupServer(behaviour: LookupBehaviour = {}): Promise<LookupServer> {
  const requests = new Map<number, number>();
  const state = { answered: 0 };
  const server: Server = createServer((req, res) => {
    const id = Number(new URL(req.url ?? '/', 'http://localhost').searchParams.get('id'));
    if (!Number.isInteger(id)) {
      res.writeHead(400).end('give ?id=<integer>');
      return;
    }
    const n = (requests.get(id) ?? 0) + 1;
    requests.set(id, n);
    const timer = setTimeout(() => {
      if (behaviour.fails?.(id, n)) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`lookup of ${id} failed (request ${n})`);
        return;
      }
      state.answered++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, v: id * 2 }));
    }, behaviour.latencyMs?.(id) ?? 5);
    // A client that gave up (timed out, aborted) needs no answer.
    res.on('close', () => clearTimeout(timer));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get answered() {
      return state.answered;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
