import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Database and UDP tests start servers of their own; two cores are shared.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    setupFiles: ['test/helpers/setup.ts'],
  },
})
