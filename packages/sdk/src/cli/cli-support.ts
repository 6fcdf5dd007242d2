import { Option, type Command } from 'commander';
import { WeirError } from '@weir/common';
import { COORDINATOR_ADDRESS_ENV, DEFAULT_COORDINATOR_ADDRESS, WeirClient } from '../client/weir-client.ts';

/** Exit codes of the weir command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

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
  json?: boolean;
}

/** Adds --coordinator and --json to a command. */
export function withClientFlags(command: Command): Command {
  return command
    .addOption(
      new Option('--coordinator <host:port>', 'address of the coordinator')
        .env(COORDINATOR_ADDRESS_ENV)
        .default(DEFAULT_COORDINATOR_ADDRESS),
    )
    .option('--json', 'print machine-readable JSON');
}

/** Runs `fn` with a client and always closes it. */
export async function withClient<T>(flags: ClientFlags, fn: (client: WeirClient) => Promise<T>): Promise<T> {
  const client = new WeirClient(flags.coordinator);
  try {
    return await fn(client);
  } finally {
    client.close();
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
