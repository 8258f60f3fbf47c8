/**
 * Run a test suite on both engines the server supports.
 *
 *   // The first in-memory PGlite of a test worker builds the migrated template (see database.ts),
// which takes several seconds on a busy machine: more than vitest's default hook timeout.
vi.setConfig({ hookTimeout: 60_000 })

export interface TestDatabase {
 *     name: 'PGlite' | 'PostgreSQL'
 *     available: boolean          // false: no PostgreSQL here (globalSetup printed why)
 *     open(): Promise<Database>   // a fresh, migrated, empty database; close() discards it
 *   }
 *   export function forEachDatabase(): TestDatabase[]
 *
 * Usage:
 *   for (const database of forEachDatabase()) {
 *     describe.skipIf(!database.available)(`push on ${database.name}`, () => {
 *       let db: Database
 *       beforeEach(async () => { db = await database.open() })
 *       afterEach(async () => { await db.close() })
 *       ...
 *     })
 *   }
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { inject, vi } from 'vitest'
import { openDatabase, type Database, type Queryable } from '../../server/db/database'

// The first in-memory PGlite of a test worker builds the migrated template (see database.ts),
// which takes several seconds on a busy machine: more than vitest's default hook timeout.
vi.setConfig({ hookTimeout: 60_000 })

export interface TestDatabase {
  name: 'PGlite' | 'PostgreSQL'
  available: boolean
  open(): Promise<Database>
}

/** The PostgreSQL server URL from the globalSetup (tests/setup/postgres.ts), or '' when none. */
export function testDatabaseUrl(): string {
  return inject('testDatabaseUrl') || process.env.TEST_DATABASE_URL?.trim() || ''
}

export function forEachDatabase(): TestDatabase[] {
  const serverUrl = testDatabaseUrl()
  return [
    { name: 'PGlite', available: true, open: () => openDatabase({ inMemory: true }) },
    { name: 'PostgreSQL', available: serverUrl !== '', open: () => openFreshPostgres(serverUrl) },
  ]
}

/**
 * A database of its own per open() (about 60 ms), so test files running in parallel share neither
 * rows nor advisory locks. close() drops it.
 */
export async function openFreshPostgres(serverUrl: string): Promise<Database> {
  const target = await createPostgresDatabase(serverUrl)
  const database = await openDatabase({ databaseUrl: target.url })
  return {
    kind: database.kind,
    query: <T>(sql: string, params?: unknown[]) => database.query<T>(sql, params),
    transaction: <T>(work: (tx: Queryable) => Promise<T>) => database.transaction<T>(work),
    async close() {
      await database.close()
      await target.drop()
    },
  }
}

/** An empty database (no schema yet) on the test server, with its URL, and how to drop it. */
export async function createPostgresDatabase(serverUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!serverUrl) throw new Error('No PostgreSQL for tests: see the warning printed at the start of the run')
  const name = `lotse_t_${randomBytes(6).toString('hex')}`
  await withMaintenanceClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`))
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      await withMaintenanceClient(serverUrl, async (client) => {
        // pg's pool.end() resolves before its sockets are closed; forcing the drop at once would
        // make their last moments log "connection lost".
        for (let attempt = 0; attempt < 40; attempt += 1) {
          const { rows } = await client.query<{ count: string }>(
            'SELECT count(*) AS count FROM pg_stat_activity WHERE datname = $1',
            [name],
          )
          if (rows[0]?.count === '0') break
          await new Promise((resolve) => setTimeout(resolve, 25))
        }
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      })
    },
  }
}

async function withMaintenanceClient<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}
