import { defineConfig } from 'vitest/config'

// Three groups run one after the other: everything else first (two files at a time, the machine
// has two cores), then the real-browser tests on their own, so their "usable within 2 s"
// timings measure the page and not a neighbour's fuzz run, then the scan of every log line the
// run wrote. No group is 0: vitest runs a groupOrder-0 project that ends up with one worker
// (`--maxWorkers=1`) after all the others, which would put the suite after the scan.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    setupFiles: ['test/helpers/setup.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: ['test/browser/**', 'test/log-scan/**'], maxWorkers: 2, sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        test: { name: 'browser', include: ['test/browser/**/*.test.ts'], maxWorkers: 1, fileParallelism: false, sequence: { groupOrder: 2 } },
      },
      {
        // Last: scans the logs every file above wrote (test/helpers/log-capture.ts).
        extends: true,
        test: { name: 'log-scan', include: ['test/log-scan/**/*.test.ts'], maxWorkers: 1, sequence: { groupOrder: 3 } },
      },
    ],
  },
})
