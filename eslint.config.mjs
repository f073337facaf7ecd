// Lint: the TypeScript recommendations; the rule the Temporal samples keep for
// workflow code (no Node builtins, no I/O, nothing that differs on replay); and
// the one direction imports run in: web/worker → workflows/activities → lib.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeModules = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', 'artifacts/**', '**/bundles/workflows-*.js', 'bench/results*', '**/*.cjs', '**/*.mjs'] },
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
        paths: nodeModules.map((name) => ({ name, message: 'the page runs in the browser' })),
        patterns: [{ group: ['../*', '../../*'], message: 'the page imports only types from the server side', allowTypeImports: true }],
      }],
    },
  },
  {
    // Workflow code runs in the deterministic sandbox: it takes only types from the rest of the project.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...nodeModules, '@temporalio/activity', '@temporalio/client', '@temporalio/worker']
          .map((name) => ({ name, message: 'workflow code runs in the deterministic sandbox: no Node modules, I/O or clients' })),
        patterns: [{ group: ['**/lib', '**/lib/**', '**/activities', '**/activities/**', '**/worker/**', '**/web/**'], message: 'workflows import only types from lib, activities, worker and web', allowTypeImports: true }],
      }],
    },
  },
  {
    // Pure libraries: no Temporal, nothing from the layers above them.
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['@temporalio/*'], message: 'lib is pure: Temporal stays in workflows/, activities/ and worker/' },
          { group: ['**/activities/**', '**/workflows/**', '**/worker/**', '**/web/**', '**/bench/**', '**/tests/**'], message: 'lib imports nothing above it (web/worker → workflows/activities → lib)' },
        ],
      }],
    },
  },
  {
    // A stage is one activity file: stages share pieces through lib/ (or activities/support/), never each other.
    files: ['activities/**/*.ts'],
    ignores: ['activities/index.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['./*', '!./support', '!./support/*'], message: 'activities do not import each other: move what they share to lib/ (or activities/support/)' },
          { group: ['**/worker/**', '**/web/**'], message: 'activities import nothing above them (web/worker → workflows/activities → lib)' },
        ],
      }],
    },
  },
);
