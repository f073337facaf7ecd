import { defineConfig } from 'vitest/config';

// The pure tests (`npm run test:unit`): library modules and configs, no Temporal server, no browser.
export default defineConfig({
  test: {
    include: ['tests/lib/**/*.test.ts', 'tests/configs/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
