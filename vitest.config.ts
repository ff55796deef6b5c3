import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    retry: 0,
    testTimeout: 20_000,
    hookTimeout: 20_000,
    env: { JUNCTION_DEBUG_INVARIANTS: '1' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/property/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          pool: 'forks',
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
