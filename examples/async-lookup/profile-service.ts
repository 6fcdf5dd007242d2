// A stand-in user-profile service for the async-lookup example: GET
// /users/<id> answers {"id", "name", "tier"} after a few milliseconds,
// like a remote service would.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A user profile as the service returns it. */
export interface Profile {
  id: number;
  name: string;
  tier: 'gold' | 'silver' | 'bronze';
}

const TIERS = ['gold', 'silver', 'bronze'] as const;

/** Starts the service on a random loopback port; resolves its base URL. */
export async function startProfileService(latencyMs = 5): Promise<string> {
  const server = createServer((req, res) => {
    const match = /^\/users\/(\d+)$/.exec(req.url ?? '');
    if (!match) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('try GET /users/<id>');
      return;
    }
    const id = Number(match[1]);
    const profile: Profile = { id, name: `user-${id}`, tier: TIERS[id % 3]! };
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(profile)), latencyMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // The service must not keep a finished job's thread alive.
  server.unref();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
