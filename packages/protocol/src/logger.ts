import { pino, type Logger } from 'pino';

export type { Logger };

/** Environment variable that sets the log level of every Weir process. */
export const LOG_LEVEL_ENV = 'WEIR_LOG_LEVEL';

let root: Logger | undefined;

/**
 * The process-wide structured logger. Logs go to stderr as JSON lines so that
 * stdout stays free for a command's own output.
 */
export function rootLogger(): Logger {
  root ??= pino(
    { level: process.env[LOG_LEVEL_ENV] ?? 'info', base: { pid: process.pid } },
    pino.destination({ fd: 2, sync: false }),
  );
  return root;
}

/** A child logger that tags every line with the component that wrote it. */
export function createLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ component, ...bindings });
}
