// One lint setup for the whole repo: typescript-eslint's recommended rules plus
// the project's boundaries (no console in library code, packages import each
// other only through their public entry points).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.weir/**', '.cache/**', '**/.slot-cache/**', 'test/fixtures/broken-job.ts'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@weir/*/src/*', '@weir/*/src'], message: 'import Weir packages through their public entry point' }] },
      ],
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/cli/src/**'],
    rules: { 'no-console': 'error' },
  },
);
