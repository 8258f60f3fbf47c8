import { defineConfig, mergeConfig } from 'vitest/config'
import viteConfig from './vite.config'

export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
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
            fileParallelism: false,
            testTimeout: 90_000,
            hookTimeout: 90_000,
          },
        },
      ],
    },
  }),
)
