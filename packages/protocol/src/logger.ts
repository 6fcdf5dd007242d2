import { pino, type Logger } from 'pino';
import { WEIR_ENV } from './env-names.ts';

export type { Logger };

let root: Logger | undefined;

/**
 * The process-wide structured logger. Logs go to stderr as JSON lines so that
 * stdout stays free for a command's own output.
 */
export function rootLogger(): Logger {
  root ??= pino(
    { level: process.env[WEIR_ENV.logLevel] ?? 'info', base: { pid: process.pid } },
    pino.destination({ fd: 2, sync: false }),
  );
  return root;
}

/** A child logger that tags every line with the component that wrote it. */
export function createLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ component, ...bindings });
}
