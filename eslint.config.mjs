// Lint: the TypeScript recommendations, and the rule the Temporal samples keep for
// workflow code: no Node builtins, no I/O, nothing that differs on replay.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', 'artifacts/**', 'web/page/**', 'bench/results*', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts', 'activities/pixel-stages.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...builtinModules, ...builtinModules.map((m) => `node:${m}`), '@temporalio/activity', '@temporalio/client', '@temporalio/worker']
          .map((name) => ({ name, message: 'workflow code runs in the deterministic sandbox: no Node modules, I/O or clients' })),
        patterns: [{ group: ['../lib/*', '../worker/*', '../web/*'], message: 'workflows import only types from elsewhere', allowTypeImports: true }],
      }],
    },
  },
);
