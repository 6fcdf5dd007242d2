import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WEIR_ENV } from '@weir/protocol';
import { TEST_TLS_ENV } from './test-tls.ts';

/** The weir command of this checkout, run with the Node that runs the tests (24). */
export const WEIR_BIN = fileURLToPath(new URL('../../packages/cli/bin/weir.mjs', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `weir ...args` to completion (with the test CA's environment: a coordinator or worker it starts uses TLS, a client trusts the CA). */
export function weir(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WEIR_BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...TEST_TLS_ENV, [WEIR_ENV.logLevel]: 'warn', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`weir ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 90_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Runs `weir ...args --json` and parses its output. */
export async function weirJson<T>(args: string[]): Promise<T> {
  const result = await weir([...args, '--json']);
  if (result.code !== 0) throw new Error(`weir ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
