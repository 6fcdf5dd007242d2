// `--connector <module>` of `weir worker` and `weir local`: which connector runtimes workers load.
import { Option } from 'commander';
import { WEIR_ENV } from '@weir/protocol';

/** The connector runtimes a worker loads unless `--connector` or `WEIR_CONNECTORS` name others: the Kafka connector. */
export const DEFAULT_CONNECTOR_MODULES: readonly string[] = [import.meta.resolve('@weir/connector-kafka/runtime')];

/** The repeatable `--connector <module>` option. */
export function connectorOption(): Option {
  return new Option(
    '--connector <module>',
    `a connector runtime module to load into every slot thread (package name, path or file URL; repeat for more; default: @weir/connector-kafka/runtime, or the comma-separated ${WEIR_ENV.connectors})`,
  ).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
}

/**
 * The connector modules a worker is started with: the flags, else none here
 * when `WEIR_CONNECTORS` is set (the worker reads it), else the default.
 */
export function connectorModules(flags: readonly string[] | undefined, env: NodeJS.ProcessEnv = process.env): readonly string[] | undefined {
  if (flags !== undefined) return flags;
  return env[WEIR_ENV.connectors] !== undefined ? undefined : DEFAULT_CONNECTOR_MODULES;
}
