import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One test file at a time: the integration and browser tests run real servers,
    // worker processes and a browser, and on two cores their timing-sensitive steps
    // (a kill mid-shard, a page racing its own auto-advance) go astray under load.
    fileParallelism: false,
    // The SDK's warnings for activities that fail on purpose (bad-input tests) would bury the report.
    env: { CIFAR101_LOG_LEVEL: 'ERROR' },
  },
});
