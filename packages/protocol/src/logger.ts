// The process-wide logger: pino to stderr, as JSON lines or (on a terminal)
// pretty lines, so stdout stays free for a command's own output.
import { pino, type Logger } from 'pino';
import PinoPretty from 'pino-pretty';
import { WEIR_ENV } from './env-names.ts';

export type { Logger };

/** How log lines look: `json` (one JSON object a line, for machines) or `pretty` (for a person). */
export type LogFormat = 'json' | 'pretty';

/** The log formats, for flag choices. */
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

let root: Logger | undefined;
let format: LogFormat | undefined;

/**
 * The log format a process uses unless told otherwise: `WEIR_LOG_FORMAT` if
 * set, else `pretty` when stderr is a terminal and `json` when it is not.
 */
export function defaultLogFormat(env: NodeJS.ProcessEnv = process.env, stderrIsTerminal = process.stderr.isTTY === true): LogFormat {
  const named = env[WEIR_ENV.logFormat]?.trim();
  if (named === 'json' || named === 'pretty') return named;
  if (named) throw new Error(`${WEIR_ENV.logFormat} must be json or pretty, got '${named}'`);
  return stderrIsTerminal ? 'pretty' : 'json';
}

/**
 * Sets the format of this process's log lines. Call it before the first log
 * line (a command does, from its --log-format flag); without a call the
 * format is `defaultLogFormat()`.
 */
export function setLogFormat(value: LogFormat): void {
  if (value === format) return;
  format = value;
  root = undefined;
}

/** The format this process logs in. */
export function logFormat(): LogFormat {
  format ??= defaultLogFormat();
  return format;
}

function errorSummary(value: unknown): string {
  const e = value as { type?: string; message?: string } | undefined;
  return typeof e === 'object' && e !== null ? `${e.type ?? 'Error'}: ${e.message ?? ''}` : String(value);
}

function destination(level: string): pino.DestinationStream {
  const debugging = level === 'debug' || level === 'trace';
  if (logFormat() === 'json') return pino.destination({ fd: 2, sync: false });
  return PinoPretty({
    destination: 2,
    sync: false,
    colorize: process.stderr.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'hostname,component',
    messageFormat: '{if component}{component}: {end}{msg}',
    singleLine: true,
    // An error as its type and message, on the same line; its stack only at debug level.
    errorLikeObjectKeys: debugging ? ['err', 'error'] : [],
    customPrettifiers: debugging ? {} : { err: errorSummary, error: errorSummary },
  });
}

/**
 * The process-wide structured logger. Logs go to stderr (JSON lines or
 * pretty lines, see `setLogFormat`) so that stdout stays free for a
 * command's own output.
 */
export function rootLogger(): Logger {
  const level = process.env[WEIR_ENV.logLevel] ?? 'info';
  root ??= pino({ level, base: { pid: process.pid } }, destination(level));
  return root;
}

/** A child logger that tags every line with the component that wrote it. */
export function createLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ component, ...bindings });
}
