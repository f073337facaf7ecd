import { defineConfig } from 'vitest/config';

/**
 * `npm run test:unit`: the pure tests (lib/ modules, configs, the workflows'
 * validators, activities in a mock activity context), without the Temporal
 * server and the browser that tests/global-setup.ts and the integration,
 * replay and browser tests need.
 */
export default defineConfig({
  test: {
    include: ['tests/lib/**/*.test.ts', 'tests/configs/**/*.test.ts', 'tests/workflows/validators.test.ts', 'tests/activities/**/*.test.ts'],
    globalSetup: ['tests/unit-setup.ts'],
    // The files share each worker's module cache: no test here changes module state (a kNN pool is closed
    // by the file that starts one), and loading sharp, onnxruntime and vega once per worker instead of
    // once per file is a quarter of the run's CPU time.
    isolate: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
