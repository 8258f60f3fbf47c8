import os from 'node:os'
import { BaseSequencer, type TestSpecification } from 'vitest/node'
import { defineConfig, mergeConfig } from 'vitest/config'
import viteConfig from './vite.config'

/**
 * Files that take minutes, started first: with two workers the long one runs beside all the
 * others instead of alone at the end (a fresh clone has no timings for Vitest to order by).
 */
const LONGEST_FILES = ['tests/properties/sync-simulation.test.ts', 'tests/e2e/fair.test.ts']

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files)
    const isLong = (file: TestSpecification) => LONGEST_FILES.some((long) => file.moduleId.endsWith(long))
    return [...sorted.filter(isLong), ...sorted.filter((file) => !isLong(file))]
  }
}

export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      // Vitest leaves one core to itself by default, which on CI's two cores means one file at a
      // time; most of a test's time is spent in the browser, PostgreSQL or crypto, so use both.
      maxWorkers: Math.max(2, os.availableParallelism() - 1),
      sequence: { sequencer: LongestFirst },
      projects: [
        {
          extends: true,
          test: {
            name: 'unit',
            environment: 'node',
            include: ['tests/unit/**/*.test.ts'],
            setupFiles: ['tests/setup/indexeddb.ts'],
          },
        },
        {
          extends: true,
          test: {
            name: 'component',
            environment: 'happy-dom',
            include: ['tests/component/**/*.test.ts'],
            setupFiles: ['tests/setup/indexeddb.ts'],
            // Sealing and locale chunks make some tests take seconds on a busy 2-core machine;
            // a slow test is not a wrong one.
            testTimeout: 20_000,
          },
        },
        {
          extends: true,
          test: {
            name: 'server',
            environment: 'node',
            include: ['tests/server/**/*.test.ts'],
            // PostgreSQL for the PostgreSQL half of the database tests (skipped loudly when none).
            globalSetup: ['tests/setup/postgres.ts'],
            // scrypt sign-ins and fresh databases are slow on a busy 2-core machine; a timeout is
            // a failure to finish, not a wrong answer, so give them room.
            testTimeout: 60_000,
          },
        },
        {
          extends: true,
          test: {
            // The sync simulation (tests/properties/sync-simulation.test.ts): one long test that
            // sets its own timeout from SIM_RUNS / SIM_TIME_LIMIT_S.
            name: 'properties',
            environment: 'node',
            include: ['tests/properties/**/*.test.ts'],
            setupFiles: ['tests/setup/indexeddb.ts'],
            testTimeout: 30 * 60_000,
            hookTimeout: 180_000,
          },
        },
        {
          extends: true,
          test: {
            name: 'e2e',
            environment: 'node',
            include: ['tests/e2e/**/*.test.ts'],
            // Each file has its own endpoint (in-memory PGlite, own port) and its own Chromium.
            testTimeout: 90_000,
            hookTimeout: 90_000,
          },
        },
      ],
    },
  }),
)
