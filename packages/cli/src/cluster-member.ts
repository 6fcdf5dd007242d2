// One process of a local cluster (the coordinator or a worker): spawning it
// with the weir binary, ready detection from its "listening on" line, its
// output lines, signals and waiting for it to exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The weir binary of this package: what a local cluster runs its members with. */
export const WEIR_BIN = fileURLToPath(new URL('../bin/weir.mjs', import.meta.url));

/** Which stream of a member a line of output came from. */
export type OutputStream = 'stdout' | 'stderr';

/**
 * Receives every line a member writes (its JSON log lines are on stderr).
 * Without one, stdout lines go to this process's stdout and stderr is inherited.
 */
export type MemberOutputListener = (line: string, member: ClusterMember, stream: OutputStream) => void;

/** How to start a member: the weir command line and the process environment. */
export interface MemberSpec {
  /** Flags for Node itself, before the weir script. */
  nodeArgs: readonly string[];
  /** The weir command and its flags, e.g. `['worker', '--coordinator', ...]`. */
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  onOutput: MemberOutputListener | undefined;
  readyTimeoutMs: number;
}

/** One process of a local cluster. Its process changes when it is started again; its name and role do not. */
export class ClusterMember {
  /** `coordinator` or `worker <index>`. */
  readonly name: string;
  readonly role: 'coordinator' | 'worker';
  /** The worker's index (0 for the coordinator). */
  readonly index: number;
  /** What the member listens on once ready (`host:port`). */
  address = '';
  /** Where the member serves its Prometheus metrics (`http://host:port/metrics`), from its start-up line. */
  metricsUrl = '';
  /** The coordinator's REST API and dashboard (`http://host:port`), from its start-up line; empty for a worker. */
  restUrl = '';
  spec: MemberSpec;
  private child: ChildProcess | undefined;
  private exit: Promise<void> = Promise.resolve();

  constructor(role: 'coordinator' | 'worker', index: number, spec: MemberSpec) {
    this.role = role;
    this.index = index;
    this.name = role === 'coordinator' ? 'coordinator' : `worker ${index}`;
    this.spec = spec;
  }

  /** The process id of the member's current process (undefined before it is started). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Whether the member's current process is alive. */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Starts a new process for the member and resolves with its address once it
   * says it listens. `onExit` is called when that process exits after being ready.
   */
  start(onExit: (code: number | null, signal: NodeJS.Signals | null) => void): Promise<string> {
    const spec = this.spec;
    const child = spawn(process.execPath, [...spec.nodeArgs, WEIR_BIN, ...spec.args], {
      env: spec.env,
      stdio: ['ignore', 'pipe', spec.onOutput ? 'pipe' : 'inherit'],
    });
    this.child = child;
    this.exit = new Promise((resolve) => child.once('exit', () => resolve()));
    if (spec.onOutput && child.stderr) {
      const listener = spec.onOutput;
      createInterface({ input: child.stderr }).on('line', (line) => listener(line, this, 'stderr'));
    }
    return new Promise((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${this.name} did not say it listens within ${spec.readyTimeoutMs} ms; see its log`));
      }, spec.readyTimeoutMs);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const match = ready ? null : /listening on (\S+)/.exec(line);
        const metrics = ready ? null : /metrics at (\S+)/.exec(line);
        const rest = ready ? null : /REST API and dashboard at (\S+)/.exec(line);
        if (metrics) {
          this.metricsUrl = metrics[1]!;
        } else if (rest) {
          this.restUrl = rest[1]!;
        } else if (match) {
          ready = true;
          clearTimeout(timer);
          this.address = match[1]!;
          resolve(this.address);
        } else if (spec.onOutput) {
          spec.onOutput(line, this, 'stdout');
        } else {
          process.stdout.write(line + '\n');
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (ready) onExit(code, signal);
        else reject(new Error(`${this.name} exited before it was ready (${signal ?? `code ${code}`}); see its log`));
      });
    });
  }

  /** Sends a signal to the member's current process; false if it is not running. */
  signal(signal: NodeJS.Signals): boolean {
    return this.running && this.child!.kill(signal);
  }

  /** Resolves when the member's current process has exited (at once if there is none). */
  exited(): Promise<void> {
    return this.exit;
  }
}
