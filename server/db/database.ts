/**
 * One database interface over two engines: PGlite (embedded PostgreSQL in WebAssembly, data in a
 * directory) and PostgreSQL (a server, through a `pg` pool). The schema is the same SQL on both.
 *
 * What callers can rely on, whichever engine runs:
 * - bigint columns (`change_seq`, `ack_seq`, `seq`, `count(*)`) come back as JS numbers. The
 *   change sequence would need 2^53 changes to leave the safe range.
 * - jsonb columns come back as parsed values (objects, arrays, strings, ...).
 * - jsonb parameters: pass `JSON.stringify(value)` and cast in SQL (`$1::jsonb`). A plain object
 *   works too, but a bare JS array does not: `pg` sends arrays as PostgreSQL array literals.
 * - Array parameters for array types (`= ANY($1::uuid[])`) work as JS arrays on both.
 * - timestamptz columns come back as `Date`.
 * - Inside `transaction(work)` use only the `tx` handed to `work`. PGlite has a single connection,
 *   so a `db.query` waiting behind the open transaction would wait forever; both engines throw
 *   instead, so the mistake shows up in tests on either.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { mkdir, readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite'
import pg from 'pg'

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres'
  /** Runs `work` in one transaction; rolls back if it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>
  close(): Promise<void>
}

export interface DatabaseOptions {
  /** PGlite data directory (created when missing). */
  dataDir?: string
  /** PostgreSQL connection string; wins over `dataDir`. */
  databaseUrl?: string
  /** PGlite in memory: nothing is kept after `close()` (tests, demos). */
  inMemory?: boolean
}

/** Advisory lock key that orders every change: see `nextChangeSeq`. */
export const CHANGE_LOCK = 7321
/** Session advisory lock key held while migrations run, so two starting servers apply them once. */
export const MIGRATION_LOCK = 7320

const POSTGRES_POOL_SIZE = 10
const INT8_TYPE_ID = 20
const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url))

/** `DATABASE_URL` when set (PostgreSQL), else PGlite in `DATA_DIR` (default `<repo>/data`). */
export function databaseOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseOptions {
  const databaseUrl = env.DATABASE_URL?.trim()
  if (databaseUrl) return { databaseUrl }
  return { dataDir: path.resolve(env.DATA_DIR?.trim() || path.join(repoRoot, 'data')) }
}

/** Opens PGlite (dataDir, or in memory) or PostgreSQL (databaseUrl) and applies pending migrations. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  let database: Database & MigrationTarget
  if (options.databaseUrl) {
    database = openPostgres(options.databaseUrl)
  } else if (options.inMemory) {
    database = await openPGlite({ loadDataDir: await migratedInMemoryTemplate() })
  } else if (options.dataDir) {
    database = await openPGlite({ dataDir: options.dataDir })
  } else {
    throw new Error('openDatabase needs a databaseUrl, a dataDir or inMemory: true')
  }
  try {
    await applyMigrations(database)
  } catch (error) {
    await database.close().catch(() => undefined)
    throw error
  }
  return database
}

/**
 * Within a transaction: take the change lock and return the next change number (a JS number).
 * The lock is held until the transaction ends, so numbers become visible in the order they were
 * drawn and a pull cursor never skips a change that commits later with a smaller number.
 */
export async function nextChangeSeq(tx: Queryable): Promise<number> {
  await takeChangeLock(tx)
  const { rows } = await tx.query<{ seq: number }>(`SELECT nextval('change_seq') AS seq`)
  return rows[0]!.seq
}

/** Within a transaction: take the change lock without drawing a number (taking it twice is fine). */
export async function takeChangeLock(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [CHANGE_LOCK])
}

// ---------------------------------------------------------------------------------------------
// Guard against queries on the database object while one of its transactions is open in the
// same async flow (see the file comment).

const openTransactionOf = new AsyncLocalStorage<object>()

function refuseInsideTransaction(owner: object): void {
  if (openTransactionOf.getStore() === owner) {
    throw new Error(
      'db.query or db.transaction was called inside db.transaction(work): use the tx passed to work',
    )
  }
}

/** A transaction handle that refuses to run once its transaction has ended. */
function scopedQueryable(run: Queryable['query']): { tx: Queryable; end: () => void } {
  let ended = false
  const tx: Queryable = {
    query: (sql, params) => {
      if (ended) return Promise.reject(new Error('This transaction has already ended'))
      return run(sql, params)
    },
  }
  return { tx, end: () => (ended = true) }
}

// ---------------------------------------------------------------------------------------------
// PGlite

type PGliteTransaction = Parameters<Parameters<PGlite['transaction']>[0]>[0]

function queryableOf(pgliteTx: PGliteTransaction): Queryable {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      const result = await pgliteTx.query<T>(sql, params)
      return { rows: result.rows }
    },
  }
}

let inMemoryTemplate: Promise<Blob> | undefined

/**
 * A migrated, empty in-memory database as a tarball, made once per process. Starting PGlite from
 * it skips initdb and the migrations: about 0.6 s instead of 2–3 s per in-memory database, which
 * is what tests open by the dozen.
 */
function migratedInMemoryTemplate(): Promise<Blob> {
  inMemoryTemplate ??= (async () => {
    const template = await openPGlite({})
    try {
      await applyMigrations(template)
      return await template.dumpDataDir()
    } finally {
      await template.close()
    }
  })().catch((error: unknown) => {
    inMemoryTemplate = undefined
    throw error
  })
  return inMemoryTemplate
}

async function openPGlite(
  source: { dataDir?: string; loadDataDir?: Blob },
): Promise<Database & MigrationTarget & { dumpDataDir(): Promise<Blob> }> {
  const { dataDir, loadDataDir } = source
  // Personal data: when we create the directory, only the server's user may enter it.
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const pglite = await PGlite.create({
    ...(dataDir !== undefined ? { dataDir } : {}),
    ...(loadDataDir !== undefined ? { loadDataDir } : {}),
    // PGlite's default gives numbers below 2^53 and BigInt above; one type is simpler for callers.
    parsers: { [pgliteTypes.INT8]: (value: string) => Number(value) },
    // Lets JSON text pass as it is (as `pg` does) instead of being encoded a second time.
    serializers: {
      [pgliteTypes.JSONB]: (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value)),
      [pgliteTypes.JSON]: (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value)),
    },
  })
  const owner = {}

  const database: Database & MigrationTarget & { dumpDataDir(): Promise<Blob> } = {
    kind: 'pglite',
    async query<T>(sql: string, params?: unknown[]) {
      refuseInsideTransaction(owner)
      const result = await pglite.query<T>(sql, params)
      return { rows: result.rows }
    },
    async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
      refuseInsideTransaction(owner)
      return pglite.transaction(async (pgliteTx) => {
        const { tx, end } = scopedQueryable(queryableOf(pgliteTx).query)
        try {
          return await openTransactionOf.run(owner, () => work(tx))
        } finally {
          end()
        }
      })
    },
    async close() {
      if (!pglite.closed) await pglite.close()
    },
    async runScriptInTransaction(script: string, after: (tx: Queryable) => Promise<void>) {
      await pglite.transaction(async (pgliteTx) => {
        await pgliteTx.exec(script)
        await after(queryableOf(pgliteTx))
      })
    },
    // Single process, single connection: nothing else can migrate concurrently.
    async withMigrationLock<T>(work: () => Promise<T>) {
      return work()
    },
    dumpDataDir: () => pglite.dumpDataDir('none'),
  }
  return database
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/**
 * A client checked out of the pool has no 'error' listener of the pool's (only idle ones do), so
 * its connection dropping mid-transaction (PostgreSQL restarting, `pg_terminate_backend`) emitted
 * an unhandled 'error' and ended the process (seen in the load test). This listens while the
 * client is out; the returned function stops listening and gives the error, if one came, so the
 * client is released as broken and the pool opens a new connection for the next query.
 */
function watchCheckedOut(client: pg.PoolClient): () => Error | undefined {
  let lost: Error | undefined
  const onError = (error: Error) => {
    lost = error
    // The message only: it may hold the host, never data.
    console.error('PostgreSQL connection lost:', error.message)
  }
  client.on('error', onError)
  return () => {
    client.removeListener('error', onError)
    return lost
  }
}

function openPostgres(databaseUrl: string): Database & MigrationTarget {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: POSTGRES_POOL_SIZE,
    // Per pool rather than pg.types.setTypeParser, which would change every pg user in the process.
    types: {
      getTypeParser: ((typeId: number, format?: 'text' | 'binary') =>
        typeId === INT8_TYPE_ID && format !== 'binary'
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(typeId, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  })
  // An idle client losing its connection (a server restart) must not crash the process; the next
  // query opens a new connection. The message only: it may hold the host, never data.
  pool.on('error', (error) => {
    console.error('PostgreSQL connection lost:', error.message)
  })
  const owner = {}

  const database: Database & MigrationTarget = {
    kind: 'postgres',
    async query<T>(sql: string, params?: unknown[]) {
      refuseInsideTransaction(owner)
      const result = await pool.query(sql, params)
      return { rows: result.rows as T[] }
    },
    async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
      refuseInsideTransaction(owner)
      const client = await pool.connect()
      const unwatch = watchCheckedOut(client)
      const { tx, end } = scopedQueryable(async <R>(sql: string, params?: unknown[]) => {
        const result = await client.query(sql, params)
        return { rows: result.rows as R[] }
      })
      let clientBroken: Error | undefined
      try {
        await client.query('BEGIN')
        const result = await openTransactionOf.run(owner, () => work(tx))
        end()
        await client.query('COMMIT')
        return result
      } catch (error) {
        end()
        try {
          await client.query('ROLLBACK')
        } catch (rollbackError) {
          // The connection is unusable; release it as broken so the pool does not hand it out.
          clientBroken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError))
        }
        throw error
      } finally {
        client.release(clientBroken ?? unwatch())
      }
    },
    async close() {
      if (!pool.ended) await pool.end()
    },
    async runScriptInTransaction(script: string, after: (tx: Queryable) => Promise<void>) {
      await database.transaction(async (tx) => {
        // Without parameters `pg` uses the simple query protocol, which runs several statements.
        await tx.query(script)
        await after(tx)
      })
    },
    async withMigrationLock<T>(work: () => Promise<T>) {
      // A session lock on one connection of its own: two servers starting at once both wait here,
      // and the second finds the migrations applied.
      const client = await pool.connect()
      const unwatch = watchCheckedOut(client)
      try {
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
        try {
          return await work()
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK])
        }
      } finally {
        client.release(unwatch())
      }
    },
  }
  return database
}

// ---------------------------------------------------------------------------------------------
// Migrations

interface MigrationTarget {
  /** Runs a multi-statement SQL script and then `after` in one transaction. */
  runScriptInTransaction(script: string, after: (tx: Queryable) => Promise<void>): Promise<void>
  withMigrationLock<T>(work: () => Promise<T>): Promise<T>
}

export interface Migration {
  /** The `NNN` prefix of the file name, e.g. `001`. */
  version: string
  name: string
  sql: string
}

const MIGRATION_FILE = /^(\d{3})_[a-z0-9_]+\.sql$/

export async function readMigrations(directory: string = migrationsDir): Promise<Migration[]> {
  const files = (await readdir(directory)).filter((file) => MIGRATION_FILE.test(file)).sort()
  const migrations: Migration[] = []
  for (const file of files) {
    const version = MIGRATION_FILE.exec(file)![1]!
    if (migrations.some((migration) => migration.version === version)) {
      throw new Error(`Two migrations share the number ${version} in ${directory}`)
    }
    migrations.push({ version, name: file, sql: await readFile(path.join(directory, file), 'utf8') })
  }
  return migrations
}

/** Applies every migration not yet in `schema_migrations`, each in its own transaction, in order. */
async function applyMigrations(database: Database & MigrationTarget): Promise<void> {
  const migrations = await readMigrations()
  await database.withMigrationLock(async () => {
    await database.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version text PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`)
    const { rows } = await database.query<{ version: string }>('SELECT version FROM schema_migrations')
    const applied = new Set(rows.map((row) => row.version))
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue
      try {
        await database.runScriptInTransaction(migration.sql, async (tx) => {
          await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
            migration.version,
            migration.name,
          ])
        })
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error)
        throw new Error(`Migration ${migration.name} failed and was rolled back: ${reason}`, { cause: error })
      }
    }
  })
}
