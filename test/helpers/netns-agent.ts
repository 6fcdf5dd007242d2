// The node of a manifest launch: a process in the network namespace that
// holds the pods' bridge, doing there what the kubelet and kube-proxy do on a
// Kubernetes node. It probes pods (gRPC health, HTTP GET, TCP connect) at
// their pod IPs, serves each ClusterIP Service at its Service IP by
// forwarding every connection to one ready endpoint (picked at random, like
// kube-proxy's iptables mode), and exposes a Unix socket of the root
// namespace (a server the test runs outside the pods) at an address on the
// bridge; and it GETs from HTTP servers in the pods for the test. It reads JSON requests from stdin, one a line, and answers each on
// stdout as `{"id":..,"ok":..,"message":..}`. Run by netns-network.ts as
// `ip netns exec <node namespace> node netns-agent.ts`.
import { request, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { healthStatus } from './grpc-health.ts';

/** HTTPS towards a REST API: the CA to trust, the name its certificate must carry, and a bearer token. */
export interface RestTls {
  ca: string;
  serverName: string;
  token?: string;
}

/** What netns-network.ts asks the agent. */
export type AgentRequest =
  | { id: number; op: 'probe'; kind: 'grpc' | 'http' | 'tcp'; host: string; port: number; path?: string; service?: string; timeoutMs: number }
  | { id: number; op: 'get'; host: string; port: number; path: string; timeoutMs: number; tls?: RestTls }
  | { id: number; op: 'service'; ip: string; port: number; targets: string[] }
  | { id: number; op: 'expose'; ip: string; port: number; socketPath: string };

/** The agent's answer to one request. */
export interface AgentReply {
  id: number;
  ok: boolean;
  message: string;
}

/** Pipes two sockets together, closing both when either ends or fails. */
export function splice(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const close = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on('error', close).on('close', close);
  b.on('error', close).on('close', close);
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no connection within ${timeoutMs} ms`));
    });
    socket.once('error', reject);
  });
}

function httpProbe(host: string, port: number, path: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, timeout: timeoutMs }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      if (code >= 200 && code < 400) resolve(`HTTP ${code}`);
      else reject(new Error(`HTTP probe failed with statuscode: ${code}`));
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}

/** GET of an HTTP(S) server in the pods' network: `{"status":..,"body":..}`, whatever the status. */
function get(host: string, port: number, path: string, timeoutMs: number, tls?: RestTls): Promise<string> {
  return new Promise((resolve, reject) => {
    const options = { host, port, path, timeout: timeoutMs };
    const onResponse = (res: IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.once('end', () => resolve(JSON.stringify({ status: res.statusCode, body })));
    };
    const req = tls
      ? httpsRequest({ ...options, ca: tls.ca, servername: tls.serverName, headers: tls.token ? { authorization: `Bearer ${tls.token}` } : {} }, onResponse)
      : request(options, onResponse);
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}

async function probe(r: Extract<AgentRequest, { op: 'probe' }>): Promise<string> {
  if (r.kind === 'tcp') return tcpProbe(r.host, r.port, r.timeoutMs);
  if (r.kind === 'http') return httpProbe(r.host, r.port, r.path ?? '/', r.timeoutMs);
  const status = await healthStatus(`${r.host}:${r.port}`, r.service ?? '', r.timeoutMs);
  if (status !== 'SERVING') throw new Error(`service unhealthy (responded with "${status}")`);
  return status;
}

const listeners = new Map<string, Server>();
const targets = new Map<string, string[]>();

function listen(ip: string, port: number, onConnection: (socket: Socket) => void): Promise<void> {
  const key = `${ip}:${port}`;
  if (listeners.has(key)) return Promise.resolve();
  const server = createServer({ noDelay: true }, onConnection);
  listeners.set(key, server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, ip, () => resolve());
  });
}

async function handle(r: AgentRequest): Promise<string> {
  if (r.op === 'probe') return probe(r);
  if (r.op === 'get') return get(r.host, r.port, r.path, r.timeoutMs, r.tls);
  if (r.op === 'service') {
    const key = `${r.ip}:${r.port}`;
    targets.set(key, r.targets);
    await listen(r.ip, r.port, (client) => {
      const current = targets.get(key) ?? [];
      if (current.length === 0) {
        client.destroy();
        return;
      }
      const [host, port] = current[Math.floor(Math.random() * current.length)]!.split(':') as [string, string];
      splice(client, connect({ host, port: Number(port), noDelay: true }));
    });
    return `${key} -> ${r.targets.join(', ') || 'no endpoints'}`;
  }
  await listen(r.ip, r.port, (client) => splice(client, connect(r.socketPath)));
  return `${r.ip}:${r.port} -> ${r.socketPath}`;
}

function main(): void {
  const reply = (message: AgentReply): void => void process.stdout.write(JSON.stringify(message) + '\n');
  createInterface({ input: process.stdin }).on('line', (line) => {
    const r = JSON.parse(line) as AgentRequest;
    handle(r).then(
      (message) => reply({ id: r.id, ok: true, message }),
      (error: unknown) => reply({ id: r.id, ok: false, message: (error as Error).message }),
    );
  });
  // The launch ends the agent by closing its stdin (or by a signal).
  process.stdin.on('end', () => process.exit(0));
}

if (import.meta.filename === process.argv[1]) main();
