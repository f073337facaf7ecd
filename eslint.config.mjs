// Lint: the TypeScript recommendations, and the rule the Temporal samples keep for
// workflow code: no Node builtins, no I/O, nothing that differs on replay.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', 'artifacts/**', 'bench/results*', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // The page runs in the browser, bundled: from the rest of the project it takes types only (web/api.ts),
    // so that no server code (zod, Node modules) ends up in the bundle.
    files: ['web/page/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...builtinModules, ...builtinModules.map((m) => `node:${m}`)].map((name) => ({ name, message: 'the page runs in the browser' })),
        patterns: [{ group: ['../*', '../../*'], message: 'the page imports only types from the server side', allowTypeImports: true }],
      }],
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
