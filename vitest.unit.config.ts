import { defineConfig } from 'vitest/config';

/**
 * `npm run test:unit`: the pure tests (lib/ modules and configs), without the
 * Temporal server and the browser that tests/global-setup.ts and the
 * integration, workflow and browser tests need.
 */
export default defineConfig({
  test: {
    include: ['tests/lib/**/*.test.ts', 'tests/configs/**/*.test.ts'],
    globalSetup: ['tests/unit-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
