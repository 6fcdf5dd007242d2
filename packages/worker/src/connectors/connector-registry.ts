// The connector runtimes of one slot thread: registered as the thread starts, looked up by the operator factory.
import type { OperatorDescriptor } from '@weir/common/runtime';
import type { ConnectorRuntime } from './connector-runtime.ts';

const registered = new Map<string, { runtime: ConnectorRuntime; module: string }>();

/** Registers the default export of connector module `module` (a file URL); throws when it is not a ConnectorRuntime. */
export function registerConnector(runtime: unknown, module: string): void {
  const r = runtime as Partial<ConnectorRuntime> | undefined;
  if (!r || typeof r.name !== 'string' || r.name === '' || typeof r.operators !== 'object' || r.operators === null) {
    throw new Error(`connector module ${module} has no ConnectorRuntime as its default export ({ name, operators: { source?, sink? } }): pass a connector runtime module to --connector`);
  }
  const earlier = registered.get(r.name);
  if (earlier && earlier.module !== module) {
    throw new Error(`connector '${r.name}' is loaded twice, from ${earlier.module} and ${module}: pass each connector once to --connector`);
  }
  registered.set(r.name, { runtime: r as ConnectorRuntime, module });
}

/** The runtime of the connector that runs `descriptor`; throws naming the module to load when this worker has none. */
export function connectorRuntimeFor(descriptor: OperatorDescriptor): ConnectorRuntime {
  const ref = descriptor.connector;
  if (!ref) throw new Error(`operator '${descriptor.name}' (${descriptor.id}) of kind ${descriptor.kind} names no connector: rebuild the job with the connector's builder`);
  const entry = registered.get(ref.name);
  if (!entry) {
    const loaded = registered.size === 0 ? 'none' : [...registered.keys()].join(', ');
    throw new Error(
      `operator '${descriptor.name}' (${descriptor.id}) needs the '${ref.name}' connector, which this worker did not load (loaded: ${loaded}): ` +
        `start the worker with --connector ${ref.module} (or WEIR_CONNECTORS=${ref.module})`,
    );
  }
  return entry.runtime;
}
