import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveWorkerOptions } from '../worker-options.ts';
import { connectorModuleList, resolveConnectorModules } from './connector-modules.ts';

describe('connector modules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'weir-connectors-'));
  const pkg = join(dir, 'node_modules', 'my-connector');
  mkdirSync(join(pkg, 'src'), { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'my-connector', type: 'module', exports: { './runtime': './src/runtime.js' } }));
  writeFileSync(join(pkg, 'src', 'runtime.js'), 'export default { name: "mine", operators: {} };\n');
  const runtimeUrl = pathToFileURL(join(pkg, 'src', 'runtime.js')).href;

  it('resolve package names from the directory given, paths against it, and keep file URLs', () => {
    expect(resolveConnectorModules(['my-connector/runtime'], dir, '--connector')).toEqual([runtimeUrl]);
    expect(resolveConnectorModules(['./node_modules/my-connector/src/runtime.js'], dir, '--connector')).toEqual([runtimeUrl]);
    expect(resolveConnectorModules([runtimeUrl, 'my-connector/runtime'], dir, '--connector')).toEqual([runtimeUrl]);
  });

  it('say which module is missing and where it was looked for', () => {
    expect(() => resolveConnectorModules(['no-such-connector/runtime'], dir, '--connector')).toThrow(
      new RegExp(`cannot find connector module 'no-such-connector/runtime' from ${dir}.*install it there, or pass its path or file URL to --connector`),
    );
  });

  it('come from the option, else WEIR_CONNECTORS (comma-separated), else none', () => {
    expect(connectorModuleList(' a , ,b,')).toEqual(['a', 'b']);
    expect(resolveWorkerOptions({ connectorModules: [runtimeUrl] }, {}).connectorModules).toEqual([runtimeUrl]);
    expect(resolveWorkerOptions({}, { WEIR_CONNECTORS: `${runtimeUrl},` }).connectorModules).toEqual([runtimeUrl]);
    expect(resolveWorkerOptions({}, {}).connectorModules).toEqual([]);
  });
});
