// The --log-format flag of the commands that run Weir's processes (weir
// coordinator, weir worker, weir local): json lines or pretty lines on stderr.
import { Option, type Command } from 'commander';
import { defaultLogFormat, LOG_FORMATS, setLogFormat, WEIR_ENV, type LogFormat } from '@weir/protocol';

/** `--log-format json|pretty` (also WEIR_LOG_FORMAT); default: pretty when stderr is a terminal, else json. */
export function logFormatOption(): Option {
  return new Option('--log-format <format>', 'how log lines on stderr look: json (one object a line) or pretty (default: pretty on a terminal, else json)')
    .choices([...LOG_FORMATS])
    .env(WEIR_ENV.logFormat);
}

/** Sets this process's log format from the command's --log-format (or the default) and returns it. */
export function applyLogFormat(command: Command): LogFormat {
  const format = command.opts<{ logFormat?: LogFormat }>().logFormat ?? defaultLogFormat();
  setLogFormat(format);
  return format;
}
