// One lint setup for the whole repo: typescript-eslint's recommended rules plus
// the project's boundaries: no console in library code, packages import each
// other only through their public entry points (no deep imports), and no
// import cycles (import-x/no-cycle, resolved the way TypeScript resolves).
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

export default tseslint.config(
  // packages/protocol/src/generated: made by `npm run generate:proto` from proto/weir.proto, never edited.
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/.slot-cache/**',
      '.weir/**',
      '.cache/**',
      'test/fixtures/broken-job.ts',
      'bench/flink/target/**',
      'packages/protocol/src/generated/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['packages/*/tsconfig.json', 'tsconfig.tools.json'], noWarnOnMultipleProjects: true })],
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@weir/*/src/*', '@weir/*/src', '@weir/*/dist/*'], message: 'import Weir packages through their public entry point (see its package.json "exports")' },
            { group: ['../../*/src/*', '../../../packages/*'], message: 'import another package by its name (@weir/...), not by a relative path into it' },
          ],
        },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/cli/src/**'],
    rules: { 'no-console': 'error' },
  },
);
