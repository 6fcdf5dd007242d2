// Launches a kustomize build as a cluster of real processes, without a
// Kubernetes API server or a container engine: each pod of each Deployment
// and StatefulSet (as many as `replicas` says) runs its containers
// (pod-process.ts) in a network namespace of its own (netns-network.ts),
// probed as its readinessProbe says; Services resolve to their ready pods
// (service-endpoints.ts), a ClusterIP Service through the node agent's proxy
// at a Service IP, a headless one by name. A container that exits is
// restarted in its pod (restartPolicy Always); a deleted pod is replaced as
// its controller would: a StatefulSet's under the same name, a Deployment's
// under a new one, each with a new address and fresh emptyDirs. A Job runs
// its pod once. Servers outside the pods (object storage) are exposed at a
// host name on the bridge.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { K8sObject } from './k8s-manifests.ts';
import { containerEnv, expand, plannedPod, podsOf, readinessProbe, serviceLinkEnv, servicePlans, type PlannedPod, type Probe, type ServicePlan } from './manifest-pods.ts';
import type { RestTls } from './netns-agent.ts';
import { NetnsNetwork } from './netns-network.ts';
import { ContainerProcess, mapPaths, prepareMounts, type CommandMap, type MountMap } from './pod-process.ts';
import { hostsEntries, serviceEndpoints, type PodState, type ServicePortEndpoints } from './service-endpoints.ts';

/** How to launch a build. */
export interface LaunchOptions {
  objects: K8sObject[];
  /** Maps each container's command line onto this machine (see pod-process.ts). */
  commandMap: CommandMap;
  /** The environment an image sets (its ENV lines), by image name. */
  imageEnv?: (image: string) => Record<string, string>;
  /** Contents of Secrets the build references but does not hold, by name (plain values). */
  secrets?: Record<string, Record<string, string>>;
  /** Servers outside the pods: connections to `names` at `port` go to the Unix socket `socketPath`. */
  external?: { names: string[]; port: number; socketPath: string }[];
  /** Probe every this often instead of each probe's periodSeconds (to see readiness sooner). */
  probePeriodMs?: number;
}

/** A pod of the launch and its containers. */
export interface LaunchedPod extends PodState {
  containers: ContainerProcess[];
  restarts: number;
  /** The last readiness probe's result, per container with a probe. */
  lastProbe: string;
  deleted: boolean;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet']);

function unresolvedPort(e: ServicePortEndpoints): string {
  const target = e.service.ports.find((p) => p.port === e.port)?.targetPort;
  const pods = e.unresolved.map((u) => `${u.pod} (ports: ${u.ports.join(', ') || 'none'})`);
  return `Service ${e.service.name} port ${e.port}: targetPort '${target}' names no container port of ${pods.join(', ')}; the Service would have no endpoints`;
}

/** Throws, naming the field, if a pod spec cannot be resolved before anything runs (a probe or Service port naming no container port). */
export function checkLaunchable(objects: K8sObject[]): void {
  const planned = objects.filter((o) => WORKLOADS.has(o.kind)).flatMap((o) => podsOf(o));
  for (const pod of planned) for (const c of pod.spec.containers) readinessProbe(pod, c);
  const unresolved = serviceEndpoints(servicePlans(objects), planned.map((plan) => ({ plan, ip: '', running: false, ready: false }))).filter((e) => e.unresolved.length > 0);
  if (unresolved.length > 0) throw new Error(unresolved.map(unresolvedPort).join('\n'));
}

export class ManifestLaunch {
  readonly network = new NetnsNetwork();
  readonly pods = new Map<string, LaunchedPod>();
  readonly namespace: string;
  private readonly options: LaunchOptions;
  private readonly services: ServicePlan[];
  private readonly clusterIps = new Map<string, string>();
  private readonly configMaps = new Map<string, Record<string, string>>();
  private readonly secrets = new Map<string, Record<string, string>>();
  private readonly external: [string, string[]][] = [];
  private dir = '';
  private podSeq = 0;
  private stopping = false;
  private reconciling: Promise<void> = Promise.resolve();

  constructor(options: LaunchOptions) {
    this.options = options;
    this.namespace = options.objects.find((o) => o.metadata.namespace)?.metadata.namespace ?? 'default';
    this.services = servicePlans(options.objects);
    for (const o of options.objects) {
      if (o.kind === 'ConfigMap') this.configMaps.set(o.metadata.name, (o.data as Record<string, string> | undefined) ?? {});
      if (o.kind === 'Secret') {
        const decoded = Object.fromEntries(Object.entries((o.data as Record<string, string> | undefined) ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
        this.secrets.set(o.metadata.name, { ...decoded, ...((o.stringData as Record<string, string> | undefined) ?? {}) });
      }
    }
    for (const [name, data] of Object.entries(options.secrets ?? {})) this.secrets.set(name, data);
  }

  /** The directory of the launch's pods and claims (claims: `<dir>/claims/<claim>`). */
  get workDir(): string {
    return this.dir;
  }

  /** Makes the network and starts every pod of every workload; does not wait for readiness (see waitReady). */
  async start(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'weir-launch-'));
    await this.network.start();
    for (const s of this.services.filter((x) => !x.headless)) this.clusterIps.set(s.name, await this.network.addServiceIp());
    for (const e of this.options.external ?? []) {
      const ip = await this.network.addServiceIp();
      const reply = await this.network.call({ op: 'expose', ip, port: e.port, socketPath: e.socketPath });
      if (!reply.ok) throw new Error(`could not expose ${e.names.join(', ')} at ${ip}:${e.port}: ${reply.message}`);
      this.external.push([ip, e.names]);
    }
    const planned = this.options.objects.filter((o) => WORKLOADS.has(o.kind)).flatMap((o) => podsOf(o));
    checkLaunchable(this.options.objects);
    // Every pod's namespace exists before a failure is reported, so stop() finds them all.
    const created = await Promise.allSettled(planned.map((p) => this.createPod(p)));
    const failed = created.find((c) => c.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async createPod(plan: PlannedPod, restartPolicy: 'Always' | 'Never' = 'Always'): Promise<LaunchedPod> {
    const net = await this.network.addPod(plan.name);
    const pod: LaunchedPod = { plan, ip: net.ip, running: true, ready: false, containers: [], restarts: 0, lastProbe: 'not probed yet', deleted: false };
    this.pods.set(plan.name, pod);
    await this.reconcile();
    const podDir = join(this.dir, 'pods', `${plan.name}-${this.podSeq++}`);
    const ctx = { namespace: this.namespace, podIp: net.ip, configMaps: this.configMaps, secrets: this.secrets, serviceLinks: serviceLinkEnv(this.services, this.clusterIps) };
    const probes: (Probe | undefined)[] = [];
    for (const [i, c] of plan.spec.containers.entries()) {
      const mounts = await prepareMounts(plan, c, { podDir, claimsDir: join(this.dir, 'claims'), configMaps: this.configMaps, secrets: this.secrets });
      // Paths under a shared claim mean the same in every pod that mounts it: a job argument naming one (an output
      // directory the submit Job passes on) is read by workers, so it maps in every pod's arguments.
      const own = new Set(mounts.map(([m]) => m));
      const paths: MountMap = [...mounts, ...this.sharedClaimMounts().filter(([m]) => !own.has(m))];
      const env = Object.fromEntries(Object.entries(containerEnv(plan, c, ctx)).map(([k, v]) => [k, mapPaths(v, paths)]));
      const tmp = mounts.find(([m]) => m === '/tmp')?.[1] ?? join(podDir, 'tmp');
      await mkdir(tmp, { recursive: true });
      const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp, TMPDIR: tmp, HOSTNAME: plan.name, ...this.options.imageEnv?.(c.image ?? '') };
      const argv = this.options.commandMap([...(c.command ?? []), ...(c.args ?? [])].map((a) => mapPaths(expand(a, env), paths)), c.image ?? '');
      const start = (): ContainerProcess => {
        const p = new ContainerProcess(this.network.exec(plan.name, argv), { ...base, ...env }, podDir, join(podDir, `${c.name}.log`));
        pod.containers[i] = p;
        void p.exited.then(() => this.containerExited(pod, restartPolicy, start));
        return p;
      };
      start();
      probes.push(readinessProbe(plan, c));
    }
    if (restartPolicy === 'Always') void this.probeLoop(pod, probes);
    return pod;
  }

  /** Each shared claim's mount point, where every workload that mounts the claim mounts it at the same path. */
  private sharedClaimMounts(): MountMap {
    const byPath = new Map<string, Set<string>>();
    for (const o of this.options.objects.filter((x) => WORKLOADS.has(x.kind))) {
      const spec = plannedPod(o, o.metadata.name).spec;
      const claims = new Map((spec.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim ? [[v.name, v.persistentVolumeClaim.claimName] as const] : [])));
      for (const m of spec.containers.flatMap((c) => c.volumeMounts ?? [])) {
        const claim = claims.get(m.name);
        if (claim && !m.subPath) byPath.set(m.mountPath, (byPath.get(m.mountPath) ?? new Set()).add(claim));
      }
    }
    return [...byPath].flatMap(([path, claims]) => (claims.size === 1 ? [[path, join(this.dir, 'claims', [...claims][0]!)] as [string, string]] : []));
  }

  private async containerExited(pod: LaunchedPod, restartPolicy: string, start: () => ContainerProcess): Promise<void> {
    if (pod.deleted || this.stopping) return;
    if (restartPolicy === 'Never') {
      pod.running = pod.containers.some((c) => c.running);
      return;
    }
    pod.ready = false;
    pod.lastProbe = `container exited (restart ${pod.restarts + 1})`;
    await this.reconcile();
    // The kubelet's crash-loop back-off, shortened: 0.5 s doubling up to 8 s.
    await new Promise((r) => setTimeout(r, Math.min(8_000, 500 * 2 ** pod.restarts)));
    if (pod.deleted || this.stopping) return;
    pod.restarts++;
    start();
  }

  private async probeLoop(pod: LaunchedPod, probes: (Probe | undefined)[]): Promise<void> {
    const streaks = probes.map(() => ({ ok: 0, failed: 0, ready: false }));
    const first = Math.max(0, ...probes.map((p) => p?.initialDelayMs ?? 0));
    await new Promise((r) => setTimeout(r, first));
    while (!pod.deleted && !this.stopping) {
      const results = await Promise.all(
        probes.map(async (probe, i) => {
          const streak = streaks[i]!;
          if (!pod.containers[i]?.running) return (streak.ready = false);
          if (!probe) return (streak.ready = true);
          const reply = await this.network.call({ op: 'probe', kind: probe.kind, host: pod.ip, port: probe.port, path: probe.path, service: probe.service, timeoutMs: probe.timeoutMs });
          pod.lastProbe = `${probe.kind} probe of port ${probe.port}: ${reply.message}`;
          if (reply.ok) [streak.ok, streak.failed] = [streak.ok + 1, 0];
          else [streak.ok, streak.failed] = [0, streak.failed + 1];
          if (streak.ok >= probe.successThreshold) streak.ready = true;
          if (streak.failed >= probe.failureThreshold || (!streak.ready && !reply.ok)) streak.ready = false;
          return streak.ready;
        }),
      );
      const ready = results.every(Boolean);
      if (ready !== pod.ready && !pod.deleted) {
        pod.ready = ready;
        await this.reconcile();
      }
      const period = Math.min(...probes.map((p) => this.options.probePeriodMs ?? p?.periodMs ?? 1_000));
      await new Promise((r) => setTimeout(r, period));
    }
  }

  /** Brings the Services' endpoints and every pod's hosts file up to date (one update at a time). */
  reconcile(): Promise<void> {
    this.reconciling = this.reconciling.then(async () => {
      const pods = [...this.pods.values()];
      for (const e of serviceEndpoints(this.services, pods)) {
        const ip = this.clusterIps.get(e.service.name);
        if (ip) await this.network.call({ op: 'service', ip, port: e.port, targets: e.targets });
      }
      await this.network.writeHosts(hostsEntries(this.namespace, this.services, this.clusterIps, pods, this.external));
    });
    return this.reconciling;
  }

  /** The ClusterIP of a Service (the address its name resolves to in the pods). */
  serviceIp(name: string): string {
    const ip = this.clusterIps.get(name);
    if (!ip) throw new Error(`no ClusterIP Service ${name} (Services: ${[...this.clusterIps.keys()].join(', ')})`);
    return ip;
  }

  /** GET `http(s)://host:port/path` from the node's namespace (HTTPS with `tls`); resolves with the status and body. */
  async httpGet(host: string, port: number, path: string, tls?: RestTls): Promise<{ status: number; body: string }> {
    const reply = await this.network.call({ op: 'get', host, port, path, timeoutMs: 10_000, ...(tls ? { tls } : {}) });
    if (!reply.ok) throw new Error(`GET ${tls ? 'https' : 'http'}://${host}:${port}${path} failed: ${reply.message}`);
    return JSON.parse(reply.message) as { status: number; body: string };
  }

  /** The pods of a workload now (not deleted), by workload name. */
  podsOf(workload: string): LaunchedPod[] {
    return [...this.pods.values()].filter((p) => !p.deleted && p.plan.workload.metadata.name === workload);
  }

  /** Why the launch is not ready yet: one line per pod that is not ready, and per Service port without endpoints. Empty: ready. */
  problems(): string[] {
    const problems: string[] = [];
    const pods = [...this.pods.values()].filter((p) => !p.deleted && p.plan.workload.kind !== 'Job');
    for (const p of pods.filter((x) => !x.ready)) {
      const tail = p.containers.map((c) => c.output().trim().split('\n').slice(-6).join('\n      ')).join('\n      ');
      problems.push(`pod ${p.plan.name} (${p.ip}) is not ready: ${p.lastProbe}; restarts: ${p.restarts}; last output:\n      ${tail}`);
    }
    for (const e of serviceEndpoints(this.services, pods)) {
      if (e.unresolved.length > 0) problems.push(unresolvedPort(e));
      else if (e.targets.length === 0 && Object.keys(e.service.selector).length > 0) problems.push(`Service ${e.service.name} port ${e.port} has no ready endpoints`);
    }
    return problems;
  }

  /** Waits until every pod is ready and every Service port has endpoints; else throws with problems(). */
  async waitReady(timeoutMs: number, what = 'the launch'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const problems = this.problems();
      if (problems.length === 0) return;
      if (Date.now() > deadline) throw new Error(`${what} is not ready after ${timeoutMs} ms:\n  ${problems.join('\n  ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Deletes a pod as `kubectl delete pod` would (SIGTERM, then SIGKILL after the grace period; or at once with
   * SIGKILL, like a node failure), and creates its replacement: resolves with the replacement's name.
   */
  async deletePod(name: string, signal: 'SIGTERM' | 'SIGKILL'): Promise<string> {
    const pod = this.pods.get(name);
    if (!pod || pod.deleted) throw new Error(`no pod ${name} (pods: ${[...this.pods.keys()].join(', ')})`);
    pod.deleted = true;
    pod.ready = false;
    await this.reconcile();
    const grace = (pod.plan.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    await Promise.all(pod.containers.map((c) => (signal === 'SIGKILL' ? (c.signal('SIGKILL'), c.exited) : c.stop(grace))));
    pod.running = false;
    this.pods.delete(name);
    await this.network.removePod(name);
    const workload = pod.plan.workload;
    const replacement = plannedPod(workload, workload.kind === 'StatefulSet' ? name : podsOf(workload)[0]!.name);
    await this.createPod(replacement);
    return replacement.name;
  }

  /** Runs a Job's pod to its end (restartPolicy Never); resolves with its exit and output. */
  async runJob(job: K8sObject, timeoutMs: number): Promise<{ pod: string; exit: number | string; stdout: string; output: string }> {
    const pod = await this.createPod(podsOf(job)[0]!, 'Never');
    const timer = setTimeout(() => pod.containers.forEach((c) => c.signal('SIGKILL')), timeoutMs);
    const exits = await Promise.all(pod.containers.map((c) => c.exited));
    clearTimeout(timer);
    const output = pod.containers.map((c) => c.output()).join('\n');
    pod.deleted = true;
    this.pods.delete(pod.plan.name);
    await this.network.removePod(pod.plan.name);
    return { pod: pod.plan.name, exit: exits.find((e) => e !== 0) ?? 0, stdout: pod.containers.map((c) => c.stdout()).join(''), output };
  }

  /** Runs `argv` (through the CommandMap) in pod `name`'s network namespace, like `kubectl exec`; resolves with its exit and output. */
  async exec(name: string, argv: string[], timeoutMs: number): Promise<{ exit: number | string; stdout: string; output: string }> {
    const pod = this.pods.get(name);
    if (!pod || pod.deleted) throw new Error(`no pod ${name} to exec in`);
    const image = pod.plan.spec.containers[0]?.image ?? '';
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.dir, ...this.options.imageEnv?.(image) };
    const p = new ContainerProcess(this.network.exec(name, this.options.commandMap(argv, image)), env, this.dir, join(this.dir, `exec-${this.podSeq++}.log`));
    const timer = setTimeout(() => p.signal('SIGKILL'), timeoutMs);
    const exit = await p.exited;
    clearTimeout(timer);
    return { exit, stdout: p.stdout(), output: p.output() };
  }

  /** The tail of every pod's output, for a failing test. */
  logs(): string {
    return [...this.pods.values()].map((p) => `--- ${p.plan.name} (${p.ip}, ready: ${p.ready}, ${p.lastProbe}) ---\n${p.containers.map((c) => c.output()).join('\n')}`).join('\n');
  }

  /** Stops every pod (SIGKILL), deletes every namespace and the launch's directory. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const pod of this.pods.values()) {
      pod.deleted = true;
      for (const c of pod.containers) c.signal('SIGKILL');
    }
    await Promise.all([...this.pods.values()].flatMap((p) => p.containers.map((c) => c.exited.then(() => c.killGroup()))));
    await this.reconciling.catch(() => undefined);
    await this.network.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
