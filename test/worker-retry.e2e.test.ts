// A worker started before its coordinator exists retries with backoff and logs
// why, registers once the coordinator comes up, and registers again with a new
// coordinator on the same address after the first one is SIGKILLed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEIR_ENV, type ClusterView, type WorkerView } from '@weir/protocol';
import { eventually } from './helpers/local-cluster.ts';
import { REPO_ROOT, WEIR_BIN, weirJson } from './helpers/weir-cli.ts';
import { TEST_TLS_ENV } from './helpers/test-tls.ts';

/** A weir process of this test, with everything it wrote so far. */
interface WeirProcess {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<void>;
}

/** One pino JSON line of a process's stderr. */
interface LogLine {
  level: number;
  time: number;
  msg: string;
  [field: string]: unknown;
}

const processes: WeirProcess[] = [];
const tempDirs: string[] = [];

function startWeir(args: string[]): WeirProcess {
  const child = spawn(process.execPath, [WEIR_BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...TEST_TLS_ENV, [WEIR_ENV.logLevel]: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const proc: WeirProcess = { child, stdout: '', stderr: '', exited };
  child.stdout!.on('data', (d: Buffer) => (proc.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (proc.stderr += d.toString()));
  processes.push(proc);
  return proc;
}

function isRunning(proc: WeirProcess): boolean {
  return proc.child.exitCode === null && proc.child.signalCode === null;
}

/** The complete JSON log lines a process has written to stderr. */
function logs(proc: WeirProcess): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of proc.stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(line) as LogLine;
      lines.push({ ...parsed, msg: typeof parsed.msg === 'string' ? parsed.msg : '' });
    } catch {
      // The last line may still be incomplete.
    }
  }
  return lines;
}

function describeProcess(proc: WeirProcess): string {
  return `exit ${proc.child.exitCode ?? proc.child.signalCode ?? 'running'}\nstdout:\n${proc.stdout}\nstderr:\n${proc.stderr}`;
}

/** A loopback port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error(`unexpected server address ${String(address)}`));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Waits for a line on stdout matching `pattern`, failing early if the process exits. */
function stdoutMatch(proc: WeirProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return eventually(
    async () => {
      const match = pattern.exec(proc.stdout);
      if (match) return match;
      if (!isRunning(proc)) throw new Error(`${what}: the process exited\n${describeProcess(proc)}`);
      return undefined;
    },
    15_000,
    what,
  );
}

let port = 0;
let address = '';
let worker: WeirProcess;
let workerId = '';
let coordinatorDir = '';

/** `weir cluster --json` while it answers and lists our worker, else undefined. */
async function clusterWithWorker(): Promise<{ view: ClusterView; worker: WorkerView } | undefined> {
  let view: ClusterView;
  try {
    view = await weirJson<ClusterView>(['cluster', '--coordinator', address]);
  } catch {
    return undefined;
  }
  const listed = view.workers.find((w) => w.workerId === workerId);
  return listed ? { view, worker: listed } : undefined;
}

async function startCoordinator(): Promise<{ proc: WeirProcess; coordinatorId: string }> {
  const proc = startWeir(['coordinator', '--port', String(port), '--rest-port', '0', '--data-dir', coordinatorDir]);
  const match = await stdoutMatch(proc, /weir coordinator (\S+) listening on (\S+)/, 'the coordinator to listen');
  expect(match[2]).toBe(address);
  return { proc, coordinatorId: match[1]! };
}

beforeAll(async () => {
  port = await freePort();
  address = `127.0.0.1:${port}`;
  coordinatorDir = await tempDir('weir-retry-coordinator-');
});

afterAll(async () => {
  const running = processes.filter(isRunning);
  for (const proc of running) proc.child.kill('SIGTERM');
  await Promise.all(
    running.map(async (proc) => {
      const timer = setTimeout(() => proc.child.kill('SIGKILL'), 5000);
      await proc.exited;
      clearTimeout(timer);
    }),
  );
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('a worker started before its coordinator', () => {
  let firstCoordinatorId = '';
  let firstCoordinator: WeirProcess;

  it('retries with backoff and logs why it cannot reach the coordinator', async () => {
    worker = startWeir(['worker', '--coordinator', address, '--slots', '2', '--data-dir', await tempDir('weir-retry-worker-')]);
    workerId = (await stdoutMatch(worker, /weir worker (\S+) listening on /, 'the worker to start'))[1]!;
    const warning = `cannot reach the coordinator at ${address}`;
    const retries = (): LogLine[] => logs(worker).filter((l) => l.msg.includes(warning));
    // Backoff starts at 200 ms and doubles (attempts at 0, 0.2, 0.6, 1.4, 3, 6.2 s); the warning is
    // rate-limited (1 s, then 2 s, ... apart), so the attempts at 0, 1.4 and 6.2 s are logged.
    await eventually(async () => (retries().length >= 3 ? true : undefined), 15_000, `three '${warning}' warnings\n${worker.stderr}`);

    const attempts = retries();
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(isRunning(worker), describeProcess(worker)).toBe(true);
    expect(logs(worker).some((l) => l.msg === 'registered with the coordinator')).toBe(false);
    for (const line of attempts) {
      expect(line.level).toBe(40);
      expect(line.coordinator).toBe(address);
      // It says why: the connection error, in the message and as a field.
      expect(typeof line.reason).toBe('string');
      expect(line.reason).toMatch(/ECONNREFUSED/);
      expect(line.msg).toContain(line.reason as string);
      expect(line.msg).toMatch(/retrying( \(\d+ more since\))?$/);
      expect(typeof line.retryInMs).toBe('number');
    }
    // Exponential backoff: each delay doubles (up to the 5 s cap) once per
    // attempt, logged or held back, and the next attempt really waited that long.
    const delays = attempts.map((l) => l.retryInMs as number);
    expect(delays[0]).toBe(200);
    expect(attempts[0]!.suppressed).toBeUndefined();
    for (let i = 1; i < attempts.length; i++) {
      const heldBack = attempts[i]!.suppressed as number;
      expect(heldBack, `line ${i}: ${attempts[i]!.msg}`).toBeGreaterThan(0);
      expect(attempts[i]!.msg).toContain(`(${heldBack} more since)`);
      expect(delays[i], `delays ${delays.join(', ')}`).toBe(Math.min(5000, delays[i - 1]! * 2 ** (heldBack + 1)));
      expect(attempts[i]!.time - attempts[i - 1]!.time, `attempt ${i} came too early`).toBeGreaterThanOrEqual(1000 * 2 ** (i - 1) - 5);
    }
  }, 30_000);

  it('registers once the coordinator comes up', async () => {
    const started = Date.now();
    const coordinator = await startCoordinator();
    firstCoordinator = coordinator.proc;
    firstCoordinatorId = coordinator.coordinatorId;

    const { view, worker: listed } = await eventually(clusterWithWorker, 15_000, `weir cluster to list worker ${workerId}\n${worker.stderr}`);
    expect(view.coordinatorId).toBe(firstCoordinatorId);
    expect(view.address).toBe(address);
    expect(view.workers).toHaveLength(1);
    expect(listed).toMatchObject({ slots: 2, freeSlots: 2, pid: worker.child.pid });
    expect(Date.now() - started).toBeLessThan(15_000);

    const registered = await eventually(
      async () => logs(worker).find((l) => l.msg === 'registered with the coordinator'),
      5000,
      `the worker to log its registration\n${worker.stderr}`,
    );
    expect(registered).toMatchObject({ level: 30, coordinator: address, coordinatorId: firstCoordinatorId });
    expect(logs(coordinator.proc).some((l) => l.msg === 'worker registered' && l.workerId === workerId && l.slots === 2)).toBe(true);
  }, 30_000);

  it('registers with a new coordinator on the same address after the first is SIGKILLed', async () => {
    expect(firstCoordinatorId).not.toBe('');
    const exited = firstCoordinator.exited;
    firstCoordinator.child.kill('SIGKILL');
    await exited;
    await eventually(
      async () => (logs(worker).some((l) => l.msg.startsWith('lost the session with the coordinator')) ? true : undefined),
      10_000,
      `the worker to notice the coordinator is gone\n${worker.stderr}`,
    );

    const second = await startCoordinator();
    expect(second.coordinatorId).not.toBe(firstCoordinatorId);
    const { view, worker: listed } = await eventually(
      async () => {
        const found = await clusterWithWorker();
        return found && found.view.coordinatorId === second.coordinatorId ? found : undefined;
      },
      15_000,
      `the new coordinator to list worker ${workerId}\n${worker.stderr}`,
    );
    expect(view.coordinatorId).not.toBe(firstCoordinatorId);
    expect(listed).toMatchObject({ slots: 2, freeSlots: 2, pid: worker.child.pid });
    expect(isRunning(worker), describeProcess(worker)).toBe(true);

    const registrations = await eventually(
      async () => {
        const lines = logs(worker).filter((l) => l.msg === 'registered with the coordinator');
        return lines.length >= 2 ? lines : undefined;
      },
      5000,
      `the worker to log its second registration\n${worker.stderr}`,
    );
    expect(registrations.map((l) => l.coordinatorId)).toEqual([firstCoordinatorId, second.coordinatorId]);
  }, 30_000);
});
