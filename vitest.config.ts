import { defineConfig } from 'vitest/config';

// Two tiers, each with the timeout its tests need: unit (pure tables and
// fake-engine fixture processes, seconds) and e2e (real engines building real
// kernels, minutes per test).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 15_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 60 * 60_000,
          hookTimeout: 60 * 60_000,
        },
      },
    ],
  },
});
