// A server process a test starts (etcd, SeaweedFS): the tail of its output
// for error messages, whether it exited, and a SIGKILL should the test
// process exit first.
import { spawn, type ChildProcess } from 'node:child_process';

/** A spawned server process. */
export interface ServerProcess {
  readonly child: ChildProcess;
  /** Resolves when it exited. */
  readonly exited: Promise<void>;
  hasExited(): boolean;
  /** The last `keepChars` characters it wrote (stdout and stderr). */
  output(): string;
}

/** Spawns `bin args`, keeping the tail of its output; `onExit` runs when it exits. */
export function spawnServerProcess(bin: string, args: readonly string[], keepChars: number, onExit: () => void): ServerProcess {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-keepChars);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      process.removeListener('exit', killOnExit);
      onExit();
      resolve();
    });
  });
  return { child, exited: exit, hasExited: () => exited, output: () => output };
}
