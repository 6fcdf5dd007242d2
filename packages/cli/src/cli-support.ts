import { Option, type Command } from 'commander';
import { WeirError } from '@weir/common';
import { DEFAULT_COORDINATOR_ADDRESS, WeirClient } from '@weir/client';
import { WEIR_ENV } from '@weir/protocol';

/** Exit codes of the weir command. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** How the user invoked weir: `npx weir` when npm ran it (npx, npm exec), else `weir`. */
export function weirCommandName(env: NodeJS.ProcessEnv = process.env): string {
  return env['npm_command'] === 'exec' ? 'npx weir' : 'weir';
}

/** A problem with how a command was called: one line, exit code 2. */
export class UsageError extends WeirError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Options every client command takes. */
export interface ClientFlags {
  coordinator: string;
  etcd?: string;
  clusterId?: string;
  json?: boolean;
}

/** Adds --coordinator, --etcd, --cluster-id and --json to a command. */
export function withClientFlags(command: Command): Command {
  return command
    .addOption(
      new Option('--coordinator <host:port>', 'address of a coordinator (any of them with etcd: standbys name the leader; several: host:port,host:port)')
        .env(WEIR_ENV.coordinator)
        .default(DEFAULT_COORDINATOR_ADDRESS),
    )
    .addOption(new Option('--etcd <urls>', 'etcd client URLs (comma-separated): find the leading coordinator there').env(WEIR_ENV.etcd))
    .addOption(new Option('--cluster-id <name>', 'the cluster in etcd (the coordinators\' --cluster-id)').env(WEIR_ENV.clusterId).default('default'))
    .option('--json', 'print machine-readable JSON');
}

/** The `weir cancel` command line that reaches the same coordinator (or etcd cluster) as `flags`. */
export function cancelCommandLine(jobId: string, flags: ClientFlags): string {
  const words = [weirCommandName(), 'cancel', jobId, '--coordinator', flags.coordinator];
  if (flags.etcd) words.push('--etcd', flags.etcd);
  if (flags.etcd && flags.clusterId && flags.clusterId !== 'default') words.push('--cluster-id', flags.clusterId);
  return words.join(' ');
}

/** Splits a comma-separated list of etcd URLs. */
export function etcdEndpoints(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Runs `fn` with a client (following the leader found in etcd with --etcd) and always closes it. */
export async function withClient<T>(flags: ClientFlags, fn: (client: WeirClient) => Promise<T>): Promise<T> {
  const endpoints = etcdEndpoints(flags.etcd);
  let closeEtcd = (): void => undefined;
  let client: WeirClient;
  if (endpoints.length > 0) {
    // Loaded only with --etcd: etcd3 takes a while to load.
    const { createEtcdClient, EtcdKeys, readLeaderAddress } = await import('@weir/protocol/etcd');
    const etcd = createEtcdClient({ endpoints });
    closeEtcd = () => etcd.close();
    const keys = new EtcdKeys(flags.clusterId ?? 'default');
    client = new WeirClient(flags.coordinator, { resolveLeader: () => readLeaderAddress(etcd, keys) });
    try {
      if (!(await client.findLeader())) process.stderr.write(`weir: no coordinator of cluster '${keys.clusterId}' leads right now; waiting for one\n`);
    } catch (error) {
      client.close();
      closeEtcd();
      if (error instanceof WeirError) throw error;
      throw new WeirError(`cannot read the leader from etcd at ${endpoints.join(',')}: ${(error as Error).message}; check that etcd is running and reachable`, { cause: error });
    }
  } else {
    client = new WeirClient(flags.coordinator);
  }
  try {
    return await fn(client);
  } finally {
    client.close();
    closeEtcd();
  }
}

/** Parses a whole number flag, naming the flag when it is wrong. */
export function wholeNumber(flag: string, min = 0): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} takes a whole number >= ${min}, got '${value}'`);
    return n;
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
