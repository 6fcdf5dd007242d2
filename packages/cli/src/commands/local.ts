import { resolve } from 'node:path';
import { Command } from 'commander';
import { LocalCluster } from '../local-cluster.ts';
import { DEFAULT_COORDINATOR_ADDRESS } from '@weir/client';
import { WEIR_ENV } from '@weir/protocol';
import { weirCommandName, wholeNumber } from '../cli-support.ts';
import { connectorOption } from '../connector-flags.ts';
import { applyLogFormat, logFormatOption } from '../log-format-flag.ts';
import { configOption } from '../config/config-option.ts';
import { LOCAL_CA_FILE } from '../client-connection.ts';
import { COMMAND_FLAG_KEYS, layerCommand, localOptionsOf } from '../config/resolve-config.ts';

export function localCommand(): Command {
  return new Command('local')
    .description('start a coordinator and N workers as processes on loopback; stays in the foreground until Ctrl-C or SIGTERM')
    .option('--workers <n>', 'how many worker processes', wholeNumber('--workers', 1), 2)
    .option('--slots <n>', 'slots per worker (each runs one subtask of each operator of a slot sharing group)', wholeNumber('--slots', 1), 4)
    .option('--port <port>', 'coordinator port (0 picks a free one)', wholeNumber('--port'), 6123)
    .option('--rest-port <port>', "port of the coordinator's REST API and web dashboard (0 picks a free one)", wholeNumber('--rest-port'), 8081)
    .option('--data-dir <dir>', 'where the cluster keeps artifacts and dead letters', '.weir/local')
    .option('--spare-threads <n>', "slot threads each worker keeps ready per running job, so a failover deploys into them", wholeNumber('--spare-threads'), 0)
    .addOption(connectorOption())
    .addOption(logFormatOption())
    .addOption(configOption())
    .action(async (_flags: unknown, command: Command) => {
      // The members' stderr is this process's: they log in the format decided here, from this terminal.
      const logFormat = applyLogFormat(command);
      const { connectors, ...flags } = localOptionsOf(await layerCommand(command, COMMAND_FLAG_KEYS.local));
      const say = (line: string): void => void process.stdout.write(line + '\n');
      // Each worker applies the default connectors itself unless --connector (or the file) names others.
      const workerArgs = (connectors ?? []).flatMap((module) => ['--connector', module]);
      const cluster = new LocalCluster({ ...flags, workerArgs, say, env: { [WEIR_ENV.logFormat]: logFormat } }, resolve(flags.dataDir), false);
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        process.stdout.write('weir local: stopping\n');
        cluster.stop().finally(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        await cluster.start();
      } catch (error) {
        await cluster.stop();
        throw error;
      }
      process.stdout.write(readyText(cluster.address, cluster.coordinator.restUrl, cluster.tls!.caFile, flags.workers, flags.slots));
    });
}

/** What `weir local` prints once every worker has registered: where it is, how to submit a job, how to stop it. */
function readyText(address: string, restUrl: string, caFile: string, workers: number, slots: number): string {
  const weir = weirCommandName();
  const coordinator = address === DEFAULT_COORDINATOR_ADDRESS ? '' : ` --coordinator ${address}`;
  return [
    `weir local: ready: coordinator at ${address}, ${workers} worker${workers === 1 ? '' : 's'} x ${slots} slots (pid ${process.pid}); TLS with a CA made for this run`,
    `  clients:    ${caFile === resolve(LOCAL_CA_FILE) ? 'weir commands run in this directory find its CA themselves; elsewhere ' : ''}export ${WEIR_ENV.caFile}=${caFile} (or pass --ca-file)`,
    `  dashboard:  ${restUrl} (REST API: ${restUrl}/overview, ${restUrl}/jobs)`,
    `  run a job:  ${weir} run examples/wordcount.ts${coordinator} -- --input README.md --output /tmp/wordcount`,
    `  see jobs:   ${weir} list${coordinator}`,
    `  stop:       Ctrl-C here (or kill ${process.pid}); the coordinator and the workers stop with it`,
    '',
  ].join('\n');
}
