import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '@weir/protocol';
import { WeirClient } from '@weir/client';

const WEIR_BIN = fileURLToPath(new URL('../bin/weir.mjs', import.meta.url));

/**
 * A small young generation for a worker's main thread: it only routes frames,
 * and the default semi-space makes its RSS ~60 MiB larger for no throughput
 * (bench/RESULTS.md). Run `weir worker` with NODE_OPTIONS=--max-semi-space-size=4
 * for the same effect elsewhere.
 */
export const WORKER_NODE_FLAGS = '--max-semi-space-size=4';

export interface LocalClusterOptions {
  workers: number;
  slots: number;
  port: number;
  dataDir: string;
  /** Slot threads each worker keeps ready per running job (`weir worker --spare-threads`). */
  spareThreads?: number;
  /** Connector runtime modules each worker loads (`weir worker --connector`); default: the worker's default. */
  connectors?: readonly string[];
  /** Called with one line for the person running `weir local`. */
  say: (line: string) => void;
}

interface Member {
  name: string;
  /** Flags for Node itself, before the weir script. */
  nodeArgs: string[];
  args: string[];
  child: ChildProcess | undefined;
}

/**
 * `weir local`: a coordinator and N workers as real processes on loopback,
 * the same code paths as a distributed deployment. A member that dies is
 * started again (as a process supervisor would), on the same address.
 */
export class LocalCluster {
  private readonly options: LocalClusterOptions;
  private readonly members: Member[] = [];
  private stopping = false;
  address = '';

  constructor(options: LocalClusterOptions) {
    this.options = options;
  }

  async start(): Promise<void> {
    const o = this.options;
    const dataDir = resolve(o.dataDir);
    const coordinatorArgs = (port: string): string[] => ['coordinator', '--port', port, '--data-dir', join(dataDir, 'coordinator'), '--checkpoint-dir', join(dataDir, 'checkpoints')];
    const coordinator: Member = { name: 'coordinator', nodeArgs: [], args: coordinatorArgs(String(o.port)), child: undefined };
    this.members.push(coordinator);
    this.address = await this.launch(coordinator);
    // Restarts of the coordinator keep its port, so workers find it again.
    coordinator.args = coordinatorArgs(this.address.split(':').pop()!);
    for (let i = 0; i < o.workers; i++) {
      const worker: Member = {
        name: `worker ${i}`,
        nodeArgs: [WORKER_NODE_FLAGS],
        args: [
          'worker',
          '--coordinator',
          this.address,
          '--slots',
          String(o.slots),
          '--data-dir',
          join(dataDir, `worker-${i}`),
          '--worker-id',
          `local-worker-${i}`,
          ...(o.spareThreads ? ['--spare-threads', String(o.spareThreads)] : []),
          ...(o.connectors ?? []).flatMap((module) => ['--connector', module]),
        ],
        child: undefined,
      };
      this.members.push(worker);
      await this.launch(worker);
    }
    await this.waitForWorkers(o.workers);
  }

  /** Stops every member: SIGTERM, then SIGKILL after a grace period. */
  async stop(): Promise<void> {
    this.stopping = true;
    const children = this.members.map((m) => m.child).filter((c): c is ChildProcess => c !== undefined && c.exitCode === null && c.signalCode === null);
    const exited = children.map((c) => new Promise<void>((r) => c.once('exit', () => r())));
    for (const child of children) child.kill('SIGTERM');
    const timeout = sleep(5000).then(() => {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    await Promise.race([Promise.all(exited), timeout]);
    await Promise.all(exited);
  }

  private launch(member: Member): Promise<string> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn(process.execPath, [...member.nodeArgs, WEIR_BIN, ...member.args], { stdio: ['ignore', 'pipe', 'inherit'] });
      member.child = child;
      let ready = false;
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        const match = /listening on (\S+)/.exec(line);
        if (!ready && match) {
          ready = true;
          this.options.say(`weir local: ${member.name} (pid ${child.pid}) listening on ${match[1]}`);
          resolvePromise(match[1]!);
        } else {
          process.stdout.write(line + '\n');
        }
      });
      child.once('exit', (code, signal) => {
        if (!ready) {
          reject(new Error(`${member.name} exited before it was ready (${signal ?? `code ${code}`}); see its log above`));
          return;
        }
        if (this.stopping) return;
        this.options.say(`weir local: ${member.name} (pid ${child.pid}) exited (${signal ?? `code ${code}`}); starting it again`);
        void this.relaunch(member);
      });
    });
  }

  /** Starts a member that died again, retrying with backoff (its port may still be held for a moment). */
  private async relaunch(member: Member): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      await sleep(Math.min(5000, 500 * 2 ** attempt));
      if (this.stopping) return;
      try {
        await this.launch(member);
        return;
      } catch (error) {
        this.options.say(`weir local: ${(error as Error).message}; retrying`);
      }
    }
  }

  private async waitForWorkers(count: number): Promise<void> {
    const client = new WeirClient(this.address);
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const view = await client.cluster().catch(() => undefined);
        if (view && view.workers.length >= count) return;
        if (Date.now() > deadline) throw new Error(`only ${view?.workers.length ?? 0} of ${count} workers registered within 30 s; see their logs above`);
        await sleep(100);
      }
    } finally {
      client.close();
    }
  }
}
