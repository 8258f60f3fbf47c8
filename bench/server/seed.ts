/**
 * Fills the endpoint's `records` table directly with SQL, as pushes would have left it: fields,
 * one HLC stamp per record on every field (a create stamps all its fields with the mutation's
 * stamp), writers, the team and mentee ids, the parent of each note, and a number from the
 * `change_seq` sequence per row, drawn in the INSERT under the change lock.
 */
import { randomUUID } from 'node:crypto'
import { createTeam, createUser } from '../../server/accounts/accounts'
import { takeChangeLock, type Database } from '../../server/db/database'
import { HybridLogicalClock } from '../../src/shared/hlc'
import { contentOf, type SyncedTable } from '../../src/shared/records'
import { validateFields } from '../../src/shared/validation'
import { generateMentees, generateNotes } from '../shared/data'
import type { SeedResult, SeedSpec } from './protocol'

/** Rows per INSERT: a few MB of JSON per statement, well under any limit. */
const CHUNK_ROWS = 5_000

interface SeedRow {
  tbl: SyncedTable
  id: string
  mentee_id: string
  parent_id: string | null
  fields: Record<string, unknown>
  stamp: string
}

// Stamps and writers are the same for every field of a row (one create), so SQL builds them from
// the field names instead of shipping them 110,000 times.
const INSERT_SQL = `
  INSERT INTO records (tbl, id, team_id, mentee_id, parent_id, fields, stamps, writers, created_by, change_seq, changed_at)
  SELECT x.tbl, x.id, $1::uuid, x.mentee_id, x.parent_id, x.fields,
         (SELECT jsonb_object_agg(k, to_jsonb(x.stamp)) FROM jsonb_object_keys(x.fields) AS k),
         (SELECT jsonb_object_agg(k, $2::jsonb) FROM jsonb_object_keys(x.fields) AS k),
         $3::uuid, nextval('change_seq'), $4::timestamptz
    FROM ROWS FROM (jsonb_to_recordset($5::jsonb) AS (tbl text, id uuid, mentee_id uuid, parent_id uuid, fields jsonb, stamp text))
         WITH ORDINALITY AS x(tbl, id, mentee_id, parent_id, fields, stamp, n)
   ORDER BY x.n`

function checked(table: SyncedTable, fields: Record<string, unknown>): Record<string, unknown> {
  const result = validateFields(table, fields)
  if (!result.ok) throw new Error(`seed ${table}: field ${result.field} is invalid (${result.error.key})`)
  return result.value
}

export async function seedTeam(db: Database, spec: SeedSpec, now = Date.now()): Promise<SeedResult> {
  const team = await createTeam(db, spec.teamName)
  const coaches = []
  for (const coach of spec.coaches) {
    coaches.push(await createUser(db, { username: coach.username, password: coach.password, role: 'coach', teamName: team.name }))
  }
  const owner = coaches[0]
  if (!owner) throw new Error('seed needs at least one coach')

  const mentees = generateMentees({ count: spec.menteeCount, today: spec.today })
  const notes = generateNotes(mentees, spec.notesPerMentee, spec.today)
  // Written an hour ago by the first coach's phone: every later edit has a newer stamp.
  const writtenAt = now - 3_600_000
  const deviceId = randomUUID()
  const clock = new HybridLogicalClock(deviceId, () => writtenAt)
  const writer = JSON.stringify({ userId: owner.id, deviceId, receivedAt: writtenAt })

  // In the order a team would have written them: each mentee, then its notes. Every page of a
  // pull then holds the same mix, as a real history would (not 20 pages of mentees first).
  const v0 = performance.now()
  const rows: SeedRow[] = []
  for (const [i, mentee] of mentees.entries()) {
    rows.push({ tbl: 'mentees', id: mentee.id, mentee_id: mentee.id, parent_id: null, fields: checked('mentees', contentOf(mentee)), stamp: clock.now() })
    for (const note of notes.slice(i * spec.notesPerMentee, (i + 1) * spec.notesPerMentee)) {
      if (note.menteeId !== mentee.id) throw new Error('seed: notes are not grouped by mentee')
      rows.push({ tbl: 'notes', id: note.id, mentee_id: mentee.id, parent_id: mentee.id, fields: checked('notes', contentOf(note)), stamp: clock.now() })
    }
  }
  const validateMs = performance.now() - v0

  const i0 = performance.now()
  // Building the secondary indexes once at the end is much faster than growing them row by row
  // (PGlite runs PostgreSQL in WebAssembly on one core). They are recreated exactly as they were.
  const { rows: indexes } = await db.query<{ name: string; definition: string }>(
    `SELECT indexname AS name, indexdef AS definition FROM pg_indexes
      WHERE schemaname = 'public' AND tablename = 'records' AND indexname <> 'records_pkey'`,
  )
  for (const index of indexes) await db.query(`DROP INDEX "${index.name}"`)
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const chunk = rows.slice(start, start + CHUNK_ROWS)
    await db.transaction(async (tx) => {
      await takeChangeLock(tx)
      await tx.query(INSERT_SQL, [team.id, writer, owner.id, new Date(writtenAt), JSON.stringify(chunk)])
    })
  }
  for (const index of indexes) await db.query(index.definition)
  const insertMs = performance.now() - i0
  const { rows: last } = await db.query<{ seq: number }>('SELECT max(change_seq) AS seq FROM records')
  return {
    teamId: team.id,
    mentees: mentees.length,
    notes: notes.length,
    validateMs,
    insertMs,
    lastChangeSeq: last[0]?.seq ?? 0,
  }
}
