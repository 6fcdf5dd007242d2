import { Command, Option } from 'commander';
import { startCoordinator } from '@weir/coordinator';
import { startWorker } from '@weir/worker';
import { DEFAULT_COORDINATOR_ADDRESS } from '@weir/client';
import { WEIR_ENV } from '@weir/protocol';
import { wholeNumber } from '../cli-support.ts';
import { COMMAND_FLAG_KEYS, coordinatorOptionsOf, layerCommand, workerOptionsOf } from '../config/resolve-config.ts';
import { configOption } from '../config/config-option.ts';
import { connectorOption, DEFAULT_CONNECTOR_MODULES } from '../connector-flags.ts';
import { applyLogFormat, logFormatOption } from '../log-format-flag.ts';

/** `--insecure-plaintext`: no TLS between the cluster's processes (security.transport: plaintext), for tests only. */
function insecurePlaintextOption(): Option {
  return new Option('--insecure-plaintext', 'connect without TLS (security.transport: plaintext): any process that reaches the ports can join the cluster; for tests only');
}

/** Stops `stop` on SIGINT/SIGTERM, then exits. */
function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (): void => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(0), 5000);
    force.unref();
    stop().finally(() => process.exit(0));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

export function coordinatorCommand(): Command {
  return new Command('coordinator')
    .description('run a coordinator (JobManager) in the foreground')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', wholeNumber('--port'), 6123)
    .option('--metrics-port <port>', 'port of the Prometheus endpoint, GET /metrics (0 picks a free one)', wholeNumber('--metrics-port'), 0)
    .option('--rest-port <port>', 'port of the REST API and web dashboard (0 picks a free one)', wholeNumber('--rest-port'), 8081)
    .option('--advertised-host <host>', 'host name workers and clients use to reach this coordinator')
    .option('--data-dir <dir>', 'where job artifacts are kept', '.weir/coordinator')
    .option('--checkpoint-dir <dir>', 'where checkpoints go (a directory every worker can write, or s3://bucket/prefix; with --etcd every coordinator must share it, job code goes there too)', '.weir/checkpoints')
    .option('--s3-endpoint <url>', 'endpoint URL of the S3-compatible server for s3:// checkpoints and savepoints (credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_SHARED_CREDENTIALS_FILE)')
    .option('--s3-region <region>', 'region S3 requests are signed for (default: AWS_REGION, else us-east-1)')
    .addOption(new Option('--s3-addressing-style <style>', 'path: bucket in the URL path (most S3-compatible servers); virtual: in the host name').choices(['path', 'virtual']))
    .addOption(new Option('--etcd <urls>', 'etcd client URLs (comma-separated): elect a leader among the coordinators of --cluster-id and keep job metadata in etcd').env(WEIR_ENV.etcd))
    .addOption(new Option('--cluster-id <name>', 'the cluster in etcd (coordinators and workers of one cluster use the same)').env(WEIR_ENV.clusterId).default('default'))
    .option('--lease-ttl <seconds>', 'lease TTL of the leader key: a dead leader is replaced after about this long', wholeNumber('--lease-ttl', 2), 5)
    .option('--tokens-file <file>', "bearer tokens of the client API, one '<role> <name> <token>' per line (or $WEIR_TOKENS_FILE; see docs/security.md)")
    .addOption(insecurePlaintextOption())
    .addOption(logFormatOption())
    .addOption(configOption())
    .action(async (_flags: unknown, command: Command) => {
      applyLogFormat(command);
      const options = coordinatorOptionsOf(await layerCommand(command, COMMAND_FLAG_KEYS.coordinator));
      const running = await startCoordinator(options);
      process.stdout.write(`weir coordinator ${running.coordinatorId} metrics at ${running.metricsUrl}\n`);
      process.stdout.write(`weir coordinator ${running.coordinatorId} REST API and dashboard at ${running.restUrl}\n`);
      process.stdout.write(`weir coordinator ${running.coordinatorId} listening on ${running.address}${options.etcd.length > 0 ? ` (cluster '${options.clusterId}' in etcd: leader or standby)` : ''}\n`);
      stopOnSignals(() => running.stop());
    });
}

export function workerCommand(): Command {
  return new Command('worker')
    .description('run a worker (TaskExecutor) in the foreground')
    .addOption(new Option('--coordinator <host:port>', 'address of the coordinator').env(WEIR_ENV.coordinator).default(DEFAULT_COORDINATOR_ADDRESS))
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port of the data and control service (0 picks a free one)', wholeNumber('--port'), 0)
    .option('--metrics-port <port>', 'port of the Prometheus endpoint, GET /metrics (0 picks a free one)', wholeNumber('--metrics-port'), 0)
    .option('--advertised-host <host>', 'host name other workers use to reach this one')
    .option('--slots <n>', 'how many slots it offers (a slot runs one subtask of each operator of a slot sharing group, a thread each)', wholeNumber('--slots', 1), 4)
    .option('--data-dir <dir>', 'where artifacts and dead letters go', '.weir/worker')
    .option('--worker-id <id>', 'a stable id (default: random)')
    .addOption(new Option('--etcd <urls>', 'etcd client URLs (comma-separated): register there and follow the leading coordinator of --cluster-id (instead of --coordinator)').env(WEIR_ENV.etcd))
    .addOption(new Option('--cluster-id <name>', 'the cluster in etcd').env(WEIR_ENV.clusterId).default('default'))
    .addOption(
      new Option('--spare-threads <n>', 'slot threads kept ready per running job (its code loaded) in free slots, so a failover deploys into them (20-40 MB each)')
        .env(WEIR_ENV.spareThreads)
        .argParser(wholeNumber('--spare-threads')),
    )
    .addOption(connectorOption())
    .addOption(insecurePlaintextOption())
    .addOption(logFormatOption())
    .addOption(configOption())
    .action(async (_flags: unknown, command: Command) => {
      applyLogFormat(command);
      const values = await layerCommand(command, COMMAND_FLAG_KEYS.worker);
      // Unless a flag, WEIR_CONNECTORS or the file names connectors, workers load the Kafka connector.
      if (!values.has('worker.connectorModules')) values.set('worker.connectorModules', DEFAULT_CONNECTOR_MODULES);
      const running = await startWorker(workerOptionsOf(values));
      process.stdout.write(`weir worker ${running.workerId} metrics at ${running.metricsUrl}\n`);
      process.stdout.write(`weir worker ${running.workerId} listening on ${running.address}\n`);
      stopOnSignals(() => running.stop());
    });
}
