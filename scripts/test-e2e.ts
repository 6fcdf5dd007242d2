// Runs the cross-process tests (test/*.e2e.test.ts) two files at a time, each
// file in a vitest run of its own. Files that start an external service of
// their own (a Kafka broker, SeaweedFS, etcd clusters, network namespaces)
// never run beside each other; any other file may run beside one of them.
// The waits of one file (process starts, checkpoints, restarts) then overlap
// the other's work, which is most of the suite's time on two cores.
//
// Each file's output is printed in one piece when it ends; the exit code is
// non-zero when any file fails.
//
//   node scripts/test-e2e.ts              every file (WEIR_E2E_CONCURRENCY, default 2)
//   node scripts/test-e2e.ts FILTER...    one vitest run of the matching files
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const VITEST = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
const CONFIG = 'test/vitest.config.ts';
/** Files that start an external service of their own: at most one of them runs at a time. */
const SERVICE_FILE = /^test\/(kafka-|s3-|etcd|k8s-|rest-api-ha|grpc-clients|sigterm|tls)/;

interface Outcome {
  file: string;
  code: number;
  seconds: number;
}

/** One vitest run; its output is collected, or passed through when `inherit`. */
function vitest(files: string[], inherit: boolean): Promise<{ code: number; output: string }> {
  const child = spawn(process.execPath, [VITEST, 'run', '--config', CONFIG, ...files], {
    cwd: REPO_ROOT,
    stdio: inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? 1, output: Buffer.concat(chunks).toString() })));
}

async function runAll(concurrency: number): Promise<Outcome[]> {
  const pending = readdirSync(new URL('../test', import.meta.url))
    .filter((f) => f.endsWith('.e2e.test.ts'))
    .sort()
    .map((f) => `test/${f}`);
  const outcomes: Outcome[] = [];
  let serviceRunning = false;
  const next = (): string | undefined => {
    // A service file whenever none runs (they are the long ones), else any other file.
    const index = serviceRunning ? pending.findIndex((f) => !SERVICE_FILE.test(f)) : Math.max(0, pending.findIndex((f) => SERVICE_FILE.test(f)));
    return index < 0 || index >= pending.length ? undefined : pending.splice(index, 1)[0];
  };
  const runner = async (): Promise<void> => {
    for (let file = next(); file !== undefined; file = next()) {
      const service = SERVICE_FILE.test(file);
      if (service) serviceRunning = true;
      const started = Date.now();
      process.stdout.write(`e2e: started ${file}\n`);
      const { code, output } = await vitest([file], false);
      if (service) serviceRunning = false;
      const seconds = Math.round((Date.now() - started) / 1000);
      outcomes.push({ file, code, seconds });
      process.stdout.write(`${output}\ne2e: ${code === 0 ? 'passed' : 'FAILED'} ${file} in ${seconds} s\n`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, runner));
  return outcomes;
}

const filters = process.argv.slice(2);
if (filters.length > 0) {
  process.exitCode = (await vitest(filters, true)).code;
} else {
  const started = Date.now();
  const outcomes = await runAll(Math.max(1, Number(process.env.WEIR_E2E_CONCURRENCY ?? 2)));
  const failed = outcomes.filter((o) => o.code !== 0);
  process.stdout.write(
    [
      '',
      'e2e files (slowest first):',
      ...outcomes.sort((a, b) => b.seconds - a.seconds).map((o) => `  ${o.code === 0 ? 'passed' : 'FAILED'} ${String(o.seconds).padStart(4)} s  ${o.file}`),
      `e2e: ${outcomes.length - failed.length} of ${outcomes.length} files passed in ${Math.round((Date.now() - started) / 1000)} s`,
      ...failed.map((o) => `e2e: FAILED ${o.file}`),
      '',
    ].join('\n'),
  );
  process.exitCode = failed.length > 0 ? 1 : 0;
}
