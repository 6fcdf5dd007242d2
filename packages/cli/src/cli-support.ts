import { Option, type Command } from 'commander';
import { WeirError } from '@weir/common';
import { DEFAULT_COORDINATOR_ADDRESS } from '@weir/client';
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
  caFile?: string;
  serverName?: string;
  token?: string;
  insecurePlaintext?: boolean;
  config?: string;
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
    .option('--ca-file <file>', `PEM file of the CA that issued the coordinator's certificate (or $${WEIR_ENV.caFile}, or client.caFile of --config; weir local prints it)`)
    .option('--server-name <name>', `the name the coordinator's certificate carries, when it is not the host dialled (or $${WEIR_ENV.serverName})`)
    .option('--token <token>', `bearer token of the client API (or $${WEIR_ENV.token}, or client.token of --config)`)
    .option('--insecure-plaintext', 'talk to a coordinator without TLS (one started with --insecure-plaintext)')
    .option('--config <file>', `YAML configuration file: its client and etcd sections (or $${WEIR_ENV.config})`)
    .option('--json', 'print machine-readable JSON');
}

/** The `weir cancel` command line that reaches the same coordinator (or etcd cluster) as `flags`. */
export function cancelCommandLine(jobId: string, flags: ClientFlags): string {
  const words = [weirCommandName(), 'cancel', jobId, '--coordinator', flags.coordinator];
  if (flags.etcd) words.push('--etcd', flags.etcd);
  if (flags.etcd && flags.clusterId && flags.clusterId !== 'default') words.push('--cluster-id', flags.clusterId);
  // How it reached the coordinator; a token is never printed (it is taken from $WEIR_TOKEN or the file again).
  if (flags.caFile) words.push('--ca-file', flags.caFile);
  if (flags.serverName) words.push('--server-name', flags.serverName);
  if (flags.insecurePlaintext) words.push('--insecure-plaintext');
  return words.join(' ');
}

export { etcdEndpoints } from './etcd-endpoints.ts';

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
