import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO_ROOT } from './weir-cli.ts';

const run = promisify(execFile);
const SCRIPT = `${REPO_ROOT}/scripts/kafka-local.sh`;

/** A real Apache Kafka broker started by scripts/kafka-local.sh for one test file. */
export interface KafkaBroker {
  readonly bootstrap: string;
  readonly directory: string;
  stop(): Promise<void>;
}

/** Starts a single KRaft broker on a free loopback port; it stops itself if this process dies. */
export async function startKafka(): Promise<KafkaBroker> {
  const { stdout } = await run(SCRIPT, ['start', '--brokers', '1', '--owner-pid', String(process.pid)], { timeout: 120_000 });
  const bootstrap = /^bootstrap=(.+)$/m.exec(stdout)?.[1];
  const directory = /^dir=(.+)$/m.exec(stdout)?.[1];
  if (!bootstrap || !directory) throw new Error(`kafka-local.sh printed no bootstrap/dir: ${stdout}`);
  return {
    bootstrap,
    directory,
    async stop() {
      await run(SCRIPT, ['stop', '--dir', directory], { timeout: 60_000 });
    },
  };
}
