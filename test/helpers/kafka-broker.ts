import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './weir-cli.ts';

const run = promisify(execFile);
const SCRIPT = `${REPO_ROOT}/scripts/kafka-local.sh`;

/** A real Apache Kafka broker started by scripts/kafka-local.sh for one test file. */
export interface KafkaBroker {
  readonly bootstrap: string;
  readonly directory: string;
  /** With `secure`: the SSL listener (client certificate required) and the SASL_SSL listener (PLAIN, SCRAM-SHA-256/512). */
  readonly ssl?: string;
  readonly saslSsl?: string;
  /** Freezes the broker processes (SIGSTOP): the broker is there but answers nothing, as when it hangs or is cut off. */
  pause(): Promise<void>;
  /** Wakes paused broker processes (SIGCONT). */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** PIDs of the broker nodes kafka-local.sh recorded in DIR/pids (lines "nodeN <pid>"). */
async function brokerPids(directory: string): Promise<number[]> {
  const text = await readFile(join(directory, 'pids'), 'utf8');
  return text
    .split('\n')
    .map((line) => /^node\d+ (\d+)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
}

/**
 * Starts a single KRaft broker on a free loopback port; it stops itself if
 * this process dies. `secure`: a directory made by `makeKafkaTls`, for SSL and
 * SASL_SSL listeners besides the PLAINTEXT one.
 */
export async function startKafka(options: { secure?: string } = {}): Promise<KafkaBroker> {
  const secure = options.secure ? ['--secure', options.secure] : [];
  const { stdout } = await run(SCRIPT, ['start', '--brokers', '1', '--owner-pid', String(process.pid), ...secure], { timeout: 120_000 });
  const bootstrap = /^bootstrap=(.+)$/m.exec(stdout)?.[1];
  const directory = /^dir=(.+)$/m.exec(stdout)?.[1];
  if (!bootstrap || !directory) throw new Error(`kafka-local.sh printed no bootstrap/dir: ${stdout}`);
  const resume = async (): Promise<void> => {
    for (const pid of await brokerPids(directory)) process.kill(pid, 'SIGCONT');
  };
  const ssl = /^ssl=(.+)$/m.exec(stdout)?.[1];
  const saslSsl = /^sasl_ssl=(.+)$/m.exec(stdout)?.[1];
  return {
    bootstrap,
    directory,
    ...(ssl ? { ssl } : {}),
    ...(saslSsl ? { saslSsl } : {}),
    async pause() {
      for (const pid of await brokerPids(directory)) process.kill(pid, 'SIGSTOP');
    },
    resume,
    async stop() {
      await resume().catch(() => undefined);
      await run(SCRIPT, ['stop', '--dir', directory], { timeout: 60_000 });
    },
  };
}
