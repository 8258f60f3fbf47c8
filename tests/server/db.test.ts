import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import pg from 'pg'
import {
  databaseOptionsFromEnv,
  nextChangeSeq,
  openDatabase,
  readMigrations,
  type Database,
  type Queryable,
} from '../../server/db/database'
import { createPostgresDatabase, forEachDatabase, testDatabaseUrl } from './databases'

/** A promise with its resolve function outside, to hold a transaction open at a chosen point. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}

async function insertRecord(db: Queryable, fields: unknown, changeSeq: number): Promise<string> {
  const id = randomUUID()
  await db.query(
    `INSERT INTO records (tbl, id, mentee_id, fields, created_by, change_seq)
     VALUES ('mentees', $1, $1, $2::jsonb, $3, $4)`,
    [id, JSON.stringify(fields), randomUUID(), changeSeq],
  )
  return id
}

for (const database of forEachDatabase()) {
  describe.skipIf(!database.available)(`database on ${database.name}`, () => {
    let db: Database
    beforeEach(async () => {
      db = await database.open()
    })
    afterEach(async () => {
      await db.close()
    })

    it('applies every migration once and records it', async () => {
      const { rows } = await db.query<{ version: string; name: string }>(
        'SELECT version, name FROM schema_migrations ORDER BY version',
      )
      const expected = await readMigrations()
      expect(rows.map((row) => row.name)).toEqual(expected.map((migration) => migration.name))
      const { rows: tables } = await db.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`,
      )
      expect(tables.map((table) => table.name)).toEqual(
        expect.arrayContaining(['users', 'devices', 'records', 'access_events', 'server_state', 'schema_migrations']),
      )
    })

    it('returns bigint columns as numbers and jsonb as parsed values', async () => {
      const fields = { givenName: 'Testperson', languages: ['ar', 'uk'], nested: { ok: true, n: 1.5 }, none: null }
      const big = 2 ** 40 + 7
      const id = await insertRecord(db, fields, big)
      await db.query(`INSERT INTO server_state (key, value) VALUES ('list', $1::jsonb), ('text', $2::jsonb)`, [
        JSON.stringify([1, 'zwei', { drei: 3 }]),
        JSON.stringify('nur Text'),
      ])

      const { rows } = await db.query<{ fields: unknown; change_seq: unknown; total: unknown }>(
        `SELECT fields, change_seq, count(*) OVER () AS total FROM records WHERE id = $1`,
        [id],
      )
      expect(rows[0]).toEqual({ fields, change_seq: big, total: 1 })
      const { rows: state } = await db.query<{ key: string; value: unknown }>(
        'SELECT key, value FROM server_state ORDER BY key',
      )
      expect(state).toEqual([
        { key: 'list', value: [1, 'zwei', { drei: 3 }] },
        { key: 'text', value: 'nur Text' },
      ])
      const { rows: ackRows } = await db.query<{ ack_seq: unknown }>('SELECT 0::bigint AS ack_seq')
      expect(ackRows[0]?.ack_seq).toBe(0)
    })

    it('accepts array parameters for array types', async () => {
      const ids = [await insertRecord(db, {}, 1), await insertRecord(db, {}, 2)]
      const { rows } = await db.query<{ change_seq: number }>(
        'SELECT change_seq FROM records WHERE id = ANY($1::uuid[]) ORDER BY change_seq',
        [ids],
      )
      expect(rows.map((row) => row.change_seq)).toEqual([1, 2])
    })

    it('rolls a transaction back when its work throws, and commits otherwise', async () => {
      await expect(
        db.transaction(async (tx) => {
          await tx.query(`INSERT INTO server_state (key, value) VALUES ('gone', '1')`)
          throw new Error('changed my mind')
        }),
      ).rejects.toThrow('changed my mind')
      const kept = await db.transaction(async (tx) => {
        await tx.query(`INSERT INTO server_state (key, value) VALUES ('kept', '2')`)
        return 'done'
      })
      expect(kept).toBe('done')
      const { rows } = await db.query<{ key: string }>('SELECT key FROM server_state')
      expect(rows).toEqual([{ key: 'kept' }])
    })

    it('refuses db.query inside a transaction instead of waiting forever', async () => {
      await expect(db.transaction(async () => db.query('SELECT 1'))).rejects.toThrow(/use the tx/)
      // And a handle used after its transaction ended fails clearly.
      let leaked: Queryable | undefined
      await db.transaction(async (tx) => {
        leaked = tx
      })
      await expect(leaked!.query('SELECT 1')).rejects.toThrow(/already ended/)
    })

    it('hands out increasing change numbers, each exactly once', async () => {
      const seqs = await Promise.all(
        Array.from({ length: 20 }, () => db.transaction((tx) => nextChangeSeq(tx))),
      )
      expect(new Set(seqs).size).toBe(20)
      expect(seqs.every((seq) => typeof seq === 'number')).toBe(true)
      const after = await db.transaction((tx) => nextChangeSeq(tx))
      expect(after).toBeGreaterThan(Math.max(...seqs))
    })

    it('makes a second transaction wait for the change lock until the first one ends', async () => {
      const events: string[] = []
      const firstHoldsLock = gate()
      const releaseFirst = gate()
      const first = db.transaction(async (tx) => {
        const seq = await nextChangeSeq(tx)
        events.push(`first drew ${seq}`)
        firstHoldsLock.open()
        await releaseFirst.promise
        await insertRecord(tx, {}, seq)
        events.push('first commits')
        return seq
      })
      await firstHoldsLock.promise
      const second = db.transaction(async (tx) => {
        const seq = await nextChangeSeq(tx)
        events.push(`second drew ${seq}`)
        return seq
      })
      // Give the second transaction ample time to (wrongly) get past the lock.
      await new Promise((resolve) => setTimeout(resolve, 150))
      expect(events).toHaveLength(1)
      releaseFirst.open()
      const [firstSeq, secondSeq] = await Promise.all([first, second])
      expect(secondSeq).toBeGreaterThan(firstSeq)
      expect(events).toEqual([`first drew ${firstSeq}`, 'first commits', `second drew ${secondSeq}`])
    })
  })
}

describe.skipIf(testDatabaseUrl() === '')('a PostgreSQL connection dropped mid-transaction', () => {
  it('fails that transaction only; the server process survives and the next query reconnects', async () => {
    const db = await forEachDatabase()[1]!.open()
    const admin = new pg.Client({ connectionString: testDatabaseUrl() })
    await admin.connect()
    try {
      const dropped = db.transaction(async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid])
        // The connection is gone while the transaction holds it.
        await new Promise((resolve) => setTimeout(resolve, 200))
        await tx.query('SELECT 1')
      })
      await expect(dropped).rejects.toThrow()
      const { rows } = await db.query<{ one: number }>('SELECT 1 AS one')
      expect(rows).toEqual([{ one: 1 }])
      expect(await db.transaction(async (tx) => (await tx.query<{ two: number }>('SELECT 2 AS two')).rows)).toEqual([{ two: 2 }])
    } finally {
      await admin.end()
      await db.close()
    }
  })
})

describe('migrations', () => {
  const tempDirs: string[] = []
  afterAll(async () => {
    await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })))
  })

  it('are applied once on a PGlite data directory that is opened again', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lotse-db-test-'))
    tempDirs.push(dataDir)
    const first = await openDatabase({ dataDir })
    await first.query(`INSERT INTO server_state (key, value) VALUES ('kept', 'true')`)
    await first.close()

    const second = await openDatabase({ dataDir })
    try {
      const { rows } = await second.query<{ count: number }>('SELECT count(*) AS count FROM schema_migrations')
      expect(rows[0]?.count).toBe((await readMigrations()).length)
      const { rows: state } = await second.query('SELECT key, value FROM server_state')
      expect(state).toEqual([{ key: 'kept', value: true }])
    } finally {
      await second.close()
    }
  }, 60_000)

  it.skipIf(!testDatabaseUrl())('are applied once when two processes open one PostgreSQL database at once', async () => {
    const target = await createPostgresDatabase(testDatabaseUrl())
    try {
      const opened = await Promise.all(
        Array.from({ length: 4 }, () => openDatabase({ databaseUrl: target.url })),
      )
      const { rows } = await opened[0]!.query<{ version: string }>('SELECT version FROM schema_migrations')
      expect(rows.map((row) => row.version)).toEqual((await readMigrations()).map((migration) => migration.version))
      await Promise.all(opened.map((db) => db.close()))
    } finally {
      await target.drop()
    }
  }, 60_000)
})

describe('databaseOptionsFromEnv', () => {
  it('prefers DATABASE_URL, else DATA_DIR, else <repo>/data', () => {
    expect(databaseOptionsFromEnv({ DATABASE_URL: 'postgres://x@127.0.0.1/db', DATA_DIR: '/tmp/x' })).toEqual({
      databaseUrl: 'postgres://x@127.0.0.1/db',
    })
    expect(databaseOptionsFromEnv({ DATA_DIR: '/tmp/lotse-data' })).toEqual({ dataDir: '/tmp/lotse-data' })
    const repoData = path.resolve(import.meta.dirname, '../../data')
    expect(databaseOptionsFromEnv({})).toEqual({ dataDir: repoData })
    expect(databaseOptionsFromEnv({ DATABASE_URL: '  ', DATA_DIR: '' })).toEqual({ dataDir: repoData })
  })
})
