/**
 * Vitest globalSetup of the `server` project: a PostgreSQL server for the tests' PostgreSQL half.
 * `TEST_DATABASE_URL` when set (a database the tests may create and drop databases on); otherwise
 * a throwaway cluster from `scripts/ensure-postgres.mjs`, stopped and deleted after the run. When
 * neither works the PostgreSQL tests are skipped, and this says so loudly.
 */
import { execFile as execFileCallback } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Empty when no PostgreSQL is available: the PostgreSQL half of the tests is skipped. */
    testDatabaseUrl: string
  }
}

const execFile = promisify(execFileCallback)
const ensurePostgresScript = fileURLToPath(new URL('../../scripts/ensure-postgres.mjs', import.meta.url))
// apt-get install may run on a fresh machine.
const START_TIMEOUT_MS = 10 * 60 * 1000

function warnLoudly(reason: string): void {
  const line = '!'.repeat(78)
  console.warn(
    [
      '',
      line,
      '!!  PostgreSQL is NOT available: the PostgreSQL half of the server tests is SKIPPED.',
      '!!  Only PGlite was tested. Why:',
      ...reason.split('\n').map((text) => `!!    ${text}`),
      '!!  Fix: install PostgreSQL (apt-get install postgresql) or set TEST_DATABASE_URL.',
      line,
      '',
    ].join('\n'),
  )
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const givenUrl = process.env.TEST_DATABASE_URL?.trim()
  if (givenUrl) {
    project.provide('testDatabaseUrl', givenUrl)
    return undefined
  }

  let cluster: { url: string; dataDir: string }
  try {
    // Owned by this vitest process: should it die without teardown, the next run removes the cluster.
    const { stdout } = await execFile(process.execPath, [ensurePostgresScript, 'start', '--owner', String(process.pid)], {
      timeout: START_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    })
    cluster = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { url: string; dataDir: string }
  } catch (error) {
    const failure = error as Error & { stderr?: string }
    warnLoudly((failure.stderr?.trim() || failure.message).slice(-2000))
    project.provide('testDatabaseUrl', '')
    return undefined
  }

  project.provide('testDatabaseUrl', cluster.url)
  // Also for child processes the tests start (the admin CLI, a server).
  process.env.TEST_DATABASE_URL = cluster.url
  return async () => {
    await execFile(process.execPath, [ensurePostgresScript, 'stop', cluster.dataDir]).catch((error: unknown) => {
      console.warn(`Could not stop the test PostgreSQL in ${cluster.dataDir}:`, (error as Error).message)
    })
  }
}
