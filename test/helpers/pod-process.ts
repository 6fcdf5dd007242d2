// A pod's container as a real process: its volumes made under the pod's
// directory (ConfigMap and Secret files written out, emptyDirs fresh, claims
// shared by every pod that names them), its command line mapped onto this
// machine, run in the pod's network namespace. There is no container image:
// every path under a mount point, in the arguments, the environment and the
// mounted files' contents, is rewritten to where the launch put that volume
// (one pass, the longest mount point first), and the image's entrypoint is
// mapped by a CommandMap (e.g. `/usr/bin/tini -- weir` to this checkout's
// CLI). The process leads a process group of its own, so SIGKILL takes its
// children too.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ContainerSpec, PlannedPod } from './manifest-pods.ts';

/** Maps a container's command line (command then args) to the one to run here, e.g. its image's binaries to this machine's. */
export type CommandMap = (argv: string[], image: string) => string[];

/** Where each mount point of a container is on this machine. */
export type MountMap = [mountPath: string, hostPath: string][];

/** Where the launch keeps the volumes of pods and claims. */
export interface VolumeRoots {
  /** This pod's own directory (emptyDirs, ConfigMap and Secret files). */
  podDir: string;
  /** Shared claims: `<claimsDir>/<claim>`; a StatefulSet pod's claim templates: `<claimsDir>/<template>-<pod>`. */
  claimsDir: string;
  configMaps: Map<string, Record<string, string>>;
  secrets: Map<string, Record<string, string>>;
}

/** `text` with every path under a mount point rewritten to the mount's host path. */
export function mapPaths(text: string, mounts: MountMap): string {
  if (mounts.length === 0) return text;
  const sorted = [...mounts].sort((a, b) => b[0].length - a[0].length);
  const host = new Map(sorted);
  const escaped = sorted.map(([m]) => m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`(?<![\\w.\\-/])(${escaped.join('|')})(?=$|[/\\s"',:;=)\\]}])`, 'gm');
  return text.replace(pattern, (m: string) => host.get(m)!);
}

/** Makes the container's volumes and says where each mount point went. A volume the build does not have is an error naming it. */
export async function prepareMounts(pod: PlannedPod, container: ContainerSpec, roots: VolumeRoots): Promise<MountMap> {
  const volumes = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
  const mounts: MountMap = [];
  const files: [string, string][] = [];
  for (const m of container.volumeMounts ?? []) {
    const where = `pod ${pod.name} container ${container.name}: volumeMount ${m.name}`;
    const v = volumes.get(m.name);
    let dir: string;
    if (pod.claimTemplates.includes(m.name)) dir = join(roots.claimsDir, `${m.name}-${pod.name}`);
    else if (!v) throw new Error(`${where} names no volume of the pod`);
    else if (v.persistentVolumeClaim) dir = join(roots.claimsDir, v.persistentVolumeClaim.claimName);
    else if (v.emptyDir) dir = join(roots.podDir, 'volumes', v.name);
    else if (v.configMap || v.secret) {
      dir = join(roots.podDir, 'volumes', v.name);
      const [kind, name, items] = v.configMap ? ['ConfigMap', v.configMap.name, v.configMap.items] : ['Secret', v.secret!.secretName, v.secret!.items];
      const data = (v.configMap ? roots.configMaps : roots.secrets).get(name);
      if (!data) throw new Error(`${where}: no ${kind} ${name} (the pod would stay in ContainerCreating; add it to the build or give the launch its contents)`);
      for (const item of items ?? Object.keys(data).map((key) => ({ key, path: key }))) {
        const content = data[item.key];
        if (content === undefined) throw new Error(`${where}: ${kind} ${name} has no key ${item.key}`);
        files.push([join(dir, item.path), content]);
      }
    } else throw new Error(`${where}: only configMap, secret, emptyDir and persistentVolumeClaim volumes are supported by the launch`);
    await mkdir(dir, { recursive: true });
    mounts.push([m.mountPath, m.subPath ? join(dir, m.subPath) : dir]);
  }
  // Mounted files see the same paths as the arguments (a config file naming /var/lib/weir/... gets the host path).
  for (const [path, content] of files) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, mapPaths(content, mounts));
  }
  return mounts;
}

/** Containers still running, SIGKILLed with their groups should the test process exit first. */
const live = new Set<ContainerProcess>();
process.once('exit', () => {
  for (const c of live) c.killGroup();
});

/** A running container. */
export class ContainerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  private tail = '';
  private out = '';
  private done = false;

  /** Spawns `argv` (already wrapped in `ip netns exec`) with exactly `env`, its output to `logFile` and a kept tail. */
  constructor(argv: string[], env: Record<string, string>, cwd: string, logFile: string) {
    const child = spawn(argv[0]!, argv.slice(1), { env, cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const log = createWriteStream(logFile, { flags: 'a' });
    const keep = (chunk: Buffer): void => {
      log.write(chunk);
      this.tail = (this.tail + chunk.toString()).slice(-8_000);
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      this.out += chunk.toString();
      keep(chunk);
    });
    child.stderr!.on('data', keep);
    live.add(this);
    this.exited = new Promise((resolve) => {
      child.once('error', (error) => {
        this.tail += `\n${error.message}`;
      });
      child.once('close', (code, signal) => {
        this.done = true;
        live.delete(this);
        log.end();
        resolve(code ?? signal ?? 'unknown');
      });
    });
  }

  get running(): boolean {
    return !this.done;
  }

  /** The last 8,000 characters it wrote. */
  output(): string {
    return this.tail;
  }

  /** Everything it wrote to stdout. */
  stdout(): string {
    return this.out;
  }

  /** SIGTERM goes to the main process (as tini forwards it); SIGKILL to the whole process group. */
  signal(signal: NodeJS.Signals): void {
    if (this.done || this.child.pid === undefined) return;
    try {
      process.kill(signal === 'SIGKILL' ? -this.child.pid : this.child.pid, signal);
    } catch {
      // Already gone.
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`, as the kubelet stops a container; resolves when it exited. */
  async stop(graceMs: number): Promise<void> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    this.killGroup();
  }

  /** SIGKILL to what is left of its process group (children it left behind). */
  killGroup(): void {
    try {
      if (this.child.pid !== undefined) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // Nothing left.
    }
  }
}
