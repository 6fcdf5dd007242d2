// The network of a manifest launch, all of it in network namespaces of its
// own: a node namespace holding a bridge (10.244.0.1/16) and the agent
// (netns-agent.ts), and one namespace per pod, joined to the bridge by a veth
// pair, with its own address (pods from 10.244.1.0, Service IPs from
// 10.244.0.10). Nothing is added to the root namespace, so parallel launches
// (each with its own namespace names, made from a random id) cannot clash,
// and no traffic leaves the namespaces. Names resolve through a hosts file:
// `ip netns exec NAME` bind-mounts /etc/netns/NAME/hosts over /etc/hosts for
// what it runs; its resolv.conf names 127.0.0.1, so a name that is not in
// the hosts file fails at once, inside the namespace.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AgentReply, AgentRequest } from './netns-agent.ts';

const run = promisify(execFile);
const AGENT = fileURLToPath(new URL('./netns-agent.ts', import.meta.url));

/** A pod's network namespace and its address on the bridge. */
export interface PodNetns {
  readonly netns: string;
  readonly ip: string;
}

type AgentCall = AgentRequest extends infer R ? (R extends AgentRequest ? Omit<R, 'id'> : never) : never;

async function ip(args: string[]): Promise<void> {
  try {
    await run('ip', args);
  } catch (error) {
    throw new Error(`ip ${args.join(' ')} failed (the launch needs root and iproute2): ${(error as { stderr?: string }).stderr ?? (error as Error).message}`, { cause: error });
  }
}

/** The bridge, the node namespace with its agent, and the pods' namespaces. */
export class NetnsNetwork {
  readonly id = randomBytes(3).toString('hex');
  /** The node's address on the bridge: where probes come from. */
  readonly nodeIp = '10.244.0.1';
  private readonly nodeNetns = `wk${this.id}-node`;
  private readonly pods = new Map<string, PodNetns>();
  private readonly written = new Map<string, string>();
  private nextPod = 0;
  private nextServiceIp = 10;
  private agent: ChildProcess | undefined;
  private nextRequest = 0;
  private readonly pending = new Map<number, (reply: AgentReply) => void>();

  /** Makes the node namespace, its bridge, and starts the agent in it. */
  async start(): Promise<void> {
    await ip(['netns', 'add', this.nodeNetns]);
    // A fixed MAC: a bridge otherwise takes its lowest port's, and a changed MAC (a pod removed) leaves the pods' ARP
    // entries for the Service IPs stale for half a minute.
    const mac = ['link', 'set', 'br0', 'address', '02:00:0a:f4:00:01'];
    for (const args of [['link', 'set', 'lo', 'up'], ['link', 'add', 'br0', 'type', 'bridge'], mac, ['link', 'set', 'br0', 'up'], ['addr', 'add', `${this.nodeIp}/16`, 'dev', 'br0']]) {
      await ip(['-n', this.nodeNetns, ...args]);
    }
    const agent = spawn('ip', ['netns', 'exec', this.nodeNetns, process.execPath, AGENT], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.agent = agent;
    process.once('exit', () => agent.kill('SIGKILL'));
    createInterface({ input: agent.stdout! }).on('line', (line) => {
      const reply = JSON.parse(line) as AgentReply;
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    });
    agent.once('exit', () => {
      for (const resolve of this.pending.values()) resolve({ id: -1, ok: false, message: 'the node agent exited' });
      this.pending.clear();
    });
  }

  /** Sends one request to the agent; resolves with its answer (`ok: false` carries the reason). */
  call(request: AgentCall): Promise<AgentReply> {
    const id = this.nextRequest++;
    return new Promise((resolve) => {
      if (!this.agent?.stdin?.writable) return resolve({ id, ok: false, message: 'the node agent is not running' });
      this.pending.set(id, resolve);
      this.agent.stdin.write(JSON.stringify({ ...request, id }) + '\n');
    });
  }

  /** A new address on the bridge, served by the agent (a Service IP, or where a server outside the pods is exposed). */
  async addServiceIp(): Promise<string> {
    const address = `10.244.0.${this.nextServiceIp++}`;
    await ip(['-n', this.nodeNetns, 'addr', 'add', `${address}/16`, 'dev', 'br0']);
    return address;
  }

  /** A new namespace for pod `name` with a fresh address (a replaced pod gets a new one, as in Kubernetes). */
  async addPod(name: string): Promise<PodNetns> {
    const n = this.nextPod++;
    const netns = `wk${this.id}-${n}`;
    const pod = { netns, ip: `10.244.${1 + Math.floor(n / 250)}.${2 + (n % 250)}` };
    await ip(['netns', 'add', netns]);
    await mkdir(`/etc/netns/${netns}`, { recursive: true });
    await writeFile(`/etc/netns/${netns}/resolv.conf`, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    await writeFile(`/etc/netns/${netns}/hosts`, '127.0.0.1 localhost\n');
    await ip(['link', 'add', 'eth0', 'netns', netns, 'type', 'veth', 'peer', 'name', `v${n}`, 'netns', this.nodeNetns]);
    await ip(['-n', this.nodeNetns, 'link', 'set', `v${n}`, 'master', 'br0', 'up']);
    for (const args of [['link', 'set', 'lo', 'up'], ['link', 'set', 'eth0', 'up'], ['addr', 'add', `${pod.ip}/16`, 'dev', 'eth0']]) await ip(['-n', netns, ...args]);
    this.pods.set(name, pod);
    return pod;
  }

  /** Deletes a pod's namespace (its veth goes with it). */
  async removePod(name: string): Promise<void> {
    const pod = this.pods.get(name);
    if (!pod) return;
    this.pods.delete(name);
    this.written.delete(pod.netns);
    await run('ip', ['netns', 'del', pod.netns]).catch(() => undefined);
    await rm(`/etc/netns/${pod.netns}`, { recursive: true, force: true });
  }

  /** Writes every pod's hosts file: `entries` (address, names) and the pod's own name. In place: `ip netns exec` mounted the file itself. */
  async writeHosts(entries: [string, string[]][]): Promise<void> {
    const common = entries.map(([address, names]) => `${address} ${names.join(' ')}`).join('\n');
    await Promise.all(
      [...this.pods].map(async ([name, pod]) => {
        // Only when it changed: a reader racing the rewrite could see it half written.
        const content = `127.0.0.1 localhost\n${pod.ip} ${name}\n${common}\n`;
        if (this.written.get(pod.netns) === content) return;
        this.written.set(pod.netns, content);
        await writeFile(`/etc/netns/${pod.netns}/hosts`, content);
      }),
    );
  }

  /** The command line that runs `argv` in pod `name`'s namespace. */
  exec(name: string, argv: string[]): string[] {
    const pod = this.pods.get(name);
    if (!pod) throw new Error(`no network namespace for pod ${name}`);
    return ['ip', 'netns', 'exec', pod.netns, ...argv];
  }

  /** Ends the agent and deletes every namespace this network made. Safe to call twice. */
  async stop(): Promise<void> {
    this.agent?.stdin?.end();
    this.agent?.kill('SIGKILL');
    for (const name of [...this.pods.keys()]) await this.removePod(name);
    await run('ip', ['netns', 'del', this.nodeNetns]).catch(() => undefined);
  }
}
