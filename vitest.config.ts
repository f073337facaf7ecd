import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start their own Temporal dev server and worker processes;
    // two cores do not gain from running many of those at once.
    maxWorkers: 2,
    // The SDK's warnings for activities that fail on purpose (bad-input tests) would bury the report.
    env: { CIFAR101_LOG_LEVEL: 'ERROR' },
  },
});
