import { Command, Option } from 'commander';
import { startCoordinator } from '@weir/coordinator';
import { startWorker } from '@weir/worker';
import { DEFAULT_COORDINATOR_ADDRESS } from '@weir/client';
import { WEIR_ENV } from '@weir/protocol';
import { etcdEndpoints, UsageError, wholeNumber } from '../cli-support.ts';
import { connectorModules, connectorOption } from '../connector-flags.ts';

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
    .option('--advertised-host <host>', 'host name workers and clients use to reach this coordinator')
    .option('--data-dir <dir>', 'where job artifacts are kept', '.weir/coordinator')
    .option('--checkpoint-dir <dir>', 'where checkpoints go (a directory every worker can write; with --etcd every coordinator must share it, job code goes there too)', '.weir/checkpoints')
    .addOption(new Option('--etcd <urls>', 'etcd client URLs (comma-separated): elect a leader among the coordinators of --cluster-id and keep job metadata in etcd').env(WEIR_ENV.etcd))
    .addOption(new Option('--cluster-id <name>', 'the cluster in etcd (coordinators and workers of one cluster use the same)').env(WEIR_ENV.clusterId).default('default'))
    .option('--lease-ttl <seconds>', 'lease TTL of the leader key: a dead leader is replaced after about this long', wholeNumber('--lease-ttl', 2), 5)
    .action(async (flags: { host: string; port: number; advertisedHost?: string; dataDir: string; checkpointDir: string; etcd?: string; clusterId: string; leaseTtl: number }) => {
      const etcd = etcdEndpoints(flags.etcd);
      if (flags.etcd !== undefined && etcd.length === 0) throw new UsageError('--etcd takes one or more client URLs, e.g. http://127.0.0.1:2379');
      const running = await startCoordinator({
        host: flags.host,
        port: flags.port,
        dataDir: flags.dataDir,
        checkpointDir: flags.checkpointDir,
        etcd,
        clusterId: flags.clusterId,
        leaseTtlSeconds: flags.leaseTtl,
        ...(flags.advertisedHost ? { advertisedHost: flags.advertisedHost } : {}),
      });
      process.stdout.write(`weir coordinator ${running.coordinatorId} listening on ${running.address}${etcd.length > 0 ? ` (cluster '${flags.clusterId}' in etcd: leader or standby)` : ''}\n`);
      stopOnSignals(() => running.stop());
    });
}

export function workerCommand(): Command {
  return new Command('worker')
    .description('run a worker (TaskExecutor) in the foreground')
    .addOption(new Option('--coordinator <host:port>', 'address of the coordinator').env(WEIR_ENV.coordinator).default(DEFAULT_COORDINATOR_ADDRESS))
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port of the data and control service (0 picks a free one)', wholeNumber('--port'), 0)
    .option('--advertised-host <host>', 'host name other workers use to reach this one')
    .option('--slots <n>', 'how many subtasks it runs at once, one thread each', wholeNumber('--slots', 1), 4)
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
    .action(async (flags: { coordinator: string; host: string; port: number; advertisedHost?: string; slots: number; dataDir: string; workerId?: string; etcd?: string; clusterId: string; spareThreads?: number; connector?: string[] }) => {
      const connectors = connectorModules(flags.connector);
      const etcd = etcdEndpoints(flags.etcd);
      if (flags.etcd !== undefined && etcd.length === 0) throw new UsageError('--etcd takes one or more client URLs, e.g. http://127.0.0.1:2379');
      const running = await startWorker({
        coordinator: flags.coordinator,
        etcd,
        clusterId: flags.clusterId,
        host: flags.host,
        port: flags.port,
        slots: flags.slots,
        dataDir: flags.dataDir,
        ...(flags.advertisedHost ? { advertisedHost: flags.advertisedHost } : {}),
        ...(flags.workerId ? { workerId: flags.workerId } : {}),
        ...(flags.spareThreads !== undefined ? { spareThreads: flags.spareThreads } : {}),
        ...(connectors !== undefined ? { connectorModules: connectors } : {}),
      });
      process.stdout.write(`weir worker ${running.workerId} listening on ${running.address}\n`);
      stopOnSignals(() => running.stop());
    });
}
