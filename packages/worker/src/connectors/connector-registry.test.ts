import { describe, expect, it } from 'vitest';
import type { OperatorDescriptor } from '@weir/common';
import { testOperatorContext } from '../testing/operator-context.ts';
import { createOperator, createSource } from '../operators/operator-factory.ts';
import { registerConnector } from './connector-registry.ts';
import type { ConnectorRuntime } from './connector-runtime.ts';

const MODULE = 'file:///connectors/echo.ts';

function descriptor(kind: 'source.connector' | 'sink.connector', name: string): OperatorDescriptor {
  return { id: `${kind}-0`, name: 'Echo', kind, connector: { name, module: `@example/${name}-connector/runtime` }, config: {} };
}

describe('connector operators', () => {
  const written: unknown[] = [];
  const echo: ConnectorRuntime = {
    name: 'echo',
    operators: {
      source: (_ctx, next) => ({ emitBatch: () => (next('hello'), false) }),
      sink: () => ({ process: (record) => void written.push(record) }),
    },
  };
  registerConnector(echo, MODULE);
  registerConnector({ name: 'sink-only', operators: { sink: echo.operators.sink } }, 'file:///connectors/sink-only.ts');

  it('are built by the connector the descriptor names', async () => {
    const out: unknown[] = [];
    const source = createSource(testOperatorContext({ descriptor: descriptor('source.connector', 'echo') }), (r) => out.push(r));
    expect(await source.emitBatch(10)).toBe(false);
    expect(out).toEqual(['hello']);
    createOperator(testOperatorContext({ descriptor: descriptor('sink.connector', 'echo') }), () => {}, () => {
      throw new Error('no state');
    }).process('x');
    expect(written).toEqual(['x']);
  });

  it('fail, naming the module and the flag, when the worker did not load the connector', () => {
    expect(() => createSource(testOperatorContext({ descriptor: descriptor('source.connector', 'nats') }), () => {})).toThrow(
      /needs the 'nats' connector, which this worker did not load \(loaded: echo, sink-only\): start the worker with --connector @example\/nats-connector\/runtime \(or WEIR_CONNECTORS=/,
    );
  });

  it('fail when the connector has no operator of that kind', () => {
    expect(() => createSource(testOperatorContext({ descriptor: descriptor('source.connector', 'sink-only') }), () => {})).toThrow(/the 'sink-only' connector has no source/);
  });

  it('come only from modules whose default export is a ConnectorRuntime, each connector from one module', () => {
    expect(() => registerConnector({ operators: {} }, 'file:///bad.ts')).toThrow(/connector module file:\/\/\/bad.ts has no ConnectorRuntime as its default export/);
    expect(() => registerConnector(undefined, 'file:///bad.ts')).toThrow(/no ConnectorRuntime/);
    expect(() => registerConnector(echo, 'file:///elsewhere/echo.ts')).toThrow(/connector 'echo' is loaded twice/);
    expect(() => registerConnector(echo, MODULE)).not.toThrow();
  });
});
