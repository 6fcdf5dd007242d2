// The Flink side of the comparison: builds the Maven project in bench/flink
// when its jar is missing or older than its sources (offline first, online
// when the local Maven repository lacks something), and runs its Main (one
// query on a MiniCluster with 2 TaskManagers) in a child JVM. Throughput is
// measured as for Weir (bench/support/measure-window.ts): the source's events
// (asked over stdin) and the JVM's CPU time (/proc/<pid>/stat).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cpuSeconds, REPO_ROOT, rssMiB } from '../support/cluster.ts';
import { measureWindow, type Measurement } from '../support/measure-window.ts';

export const FLINK_DIR = join(REPO_ROOT, 'bench/flink');
const JAR = join(FLINK_DIR, 'target/weir-flink-bench.jar');

/** What Flink's own scripts give a JVM on Java 17 (env.java.opts.all in its default config). */
const JVM_OPTS = [
  '--add-exports=java.base/sun.net.util=ALL-UNNAMED',
  '--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.net=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens=java.base/java.text=ALL-UNNAMED',
  '--add-opens=java.base/java.time=ALL-UNNAMED',
  '--add-opens=java.base/java.util=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED',
];

async function newestMtime(path: string): Promise<number> {
  const s = await stat(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const entry of await readdir(path)) newest = Math.max(newest, await newestMtime(join(path, entry)));
  return newest;
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.on('error', (error) => reject(new Error(`${cmd} could not be started (${error.message}); install it (Maven 3 and Java 17 are needed)`)));
    child.on('exit', (code) => resolve({ code: code ?? -1, output }));
  });
}

/** Builds bench/flink unless its jar is newer than pom.xml and src/. */
export async function buildFlink(): Promise<void> {
  const jarTime = await stat(JAR).then((s) => s.mtimeMs, () => 0);
  const sourceTime = Math.max(await newestMtime(join(FLINK_DIR, 'pom.xml')), await newestMtime(join(FLINK_DIR, 'src')));
  if (jarTime > sourceTime) return;
  process.stderr.write('building bench/flink (mvn -q package)...\n');
  const offline = await run('mvn', ['-q', '-B', '-o', 'package'], FLINK_DIR);
  if (offline.code === 0) return;
  const online = await run('mvn', ['-q', '-B', 'package'], FLINK_DIR);
  if (online.code !== 0) throw new Error(`mvn package in bench/flink failed:\n${online.output}`);
}

/** A running Flink job: the child JVM and the line protocol of Main.java. */
export class FlinkJob {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when the job is RUNNING. */
  readonly running: Promise<void>;
  /** Resolves with the job's final status when the JVM exits. */
  readonly finished: Promise<string>;
  private progress: ((n: number) => void)[] = [];
  private status = 'UNKNOWN';
  private stderr = '';

  private constructor(args: string[], label: string) {
    this.child = spawn('java', [...JVM_OPTS, '-cp', `${JAR}:${join(FLINK_DIR, 'target/lib/*')}`, 'dev.weir.bench.flink.Main', ...args], {
      cwd: FLINK_DIR,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid!;
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-20_000);
    });
    let onRunning: () => void = () => {};
    this.running = new Promise((resolve) => (onRunning = resolve));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (line === 'running') onRunning();
      else if (line.startsWith('progress ')) this.progress.shift()?.(Number(line.slice(9)));
      else if (line.startsWith('finished ')) this.status = line.slice(9);
    });
    this.finished = new Promise((resolve, reject) => {
      this.child.on('exit', (code) => {
        for (const waiter of this.progress.splice(0)) waiter(Number.NaN);
        if (code === 0) resolve(this.status);
        else reject(new Error(`${label}: the Flink JVM exited with ${code} (job ${this.status}):\n${this.stderr}`));
      });
    });
    this.running.catch(() => {});
    this.finished.catch(() => {});
  }

  static start(args: string[], label: string): FlinkJob {
    return new FlinkJob(args, label);
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Events the source subtasks have emitted so far (NaN once the JVM is gone). */
  sample(): Promise<number> {
    if (this.exited) return Promise.resolve(Number.NaN);
    return new Promise((resolve) => {
      this.progress.push(resolve);
      this.child.stdin!.write('sample\n');
    });
  }

  /** Cancels the job and waits for the JVM (killing it after 30 s). */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin!.write('stop\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Runs Main with a fresh data directory (checkpoints, RocksDB) that is deleted afterwards. */
async function withFlinkJob<T>(args: string[], label: string, body: (job: FlinkJob) => Promise<T>): Promise<T> {
  await buildFlink();
  const dataDir = await mkdtemp(join(tmpdir(), 'weir-flink-'));
  const job = FlinkJob.start([...args, '--data-dir', dataDir], label);
  try {
    await Promise.race([job.running, job.finished]);
    return await body(job);
  } finally {
    await job.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Throughput of a Flink job over a window after a warm-up (ends early when `events` are reached or the job ends). */
export function measureFlinkJob(args: string[], label: string, window: { warmup: number; seconds: number; events: number }): Promise<Measurement & { maxRss: number }> {
  return withFlinkJob(args, label, async (job) => {
    let maxRss = 0;
    let last = { n: 0, cpu: 0 };
    const result = await measureWindow(
      async () => {
        const n = await job.sample();
        const cpu = await cpuSeconds(job.pid).catch(() => Number.NaN);
        if (Number.isNaN(n) || Number.isNaN(cpu)) {
          await job.finished; // throws if the job failed
          return { ...last, t: performance.now(), done: true };
        }
        last = { n, cpu };
        return { n, cpu, t: performance.now(), done: n >= window.events };
      },
      window.warmup,
      window.seconds,
      async () => {
        maxRss = Math.max(maxRss, await rssMiB(job.pid).catch(() => 0));
      },
    );
    return { ...result, maxRss };
  });
}

/** Runs a bounded Flink job until it finishes (at most `timeoutMs`). */
export function runFlinkJobToEnd(args: string[], label: string, timeoutMs: number): Promise<void> {
  return withFlinkJob(args, label, async (job) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${label}: not finished after ${timeoutMs} ms`)), timeoutMs)));
    try {
      const status = await Promise.race([job.finished, timeout]);
      if (status !== 'FINISHED') throw new Error(`${label}: the Flink job ended ${status}`);
    } finally {
      clearTimeout(timer);
    }
  });
}
