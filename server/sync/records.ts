/**
 * Rows of the `records` table as push and pull read them. Every synced record of every table is
 * one row: the current value and HLC stamp of each field, and who wrote each field when.
 */
import type { SyncedTable } from '../../src/shared/records'
import type { Queryable } from '../db/database'
import type { ScopedRow } from './scope'

/** Who wrote a field and when the write reached this server (epoch ms, the server's clock). */
export interface Writer {
  userId: string
  deviceId: string
  receivedAt: number
  /** The change number that wrote it (absent on values written before this was kept). */
  seq?: number
}

export interface RecordRow extends ScopedRow {
  id: string
  parent_id: string | null
  fields: Record<string, unknown>
  stamps: Record<string, string>
  writers: Record<string, Writer>
  deleted: boolean
}

/** uuid columns as text, so rows compare with the ids in requests as plain strings. */
export const RECORD_COLUMNS = `tbl, id::text AS id, team_id::text AS team_id, mentee_id::text AS mentee_id,
  parent_id::text AS parent_id, created_by::text AS created_by, fields, stamps, writers, deleted`

export async function loadRecord(q: Queryable, table: SyncedTable, id: string): Promise<RecordRow | undefined> {
  const { rows } = await q.query<RecordRow>(`SELECT ${RECORD_COLUMNS} FROM records WHERE tbl = $1 AND id = $2`, [table, id])
  return rows[0]
}

/** The table a child's parent field points into. */
export const PARENT_TABLE: Partial<Record<SyncedTable, SyncedTable>> = {
  notes: 'mentees',
  appointments: 'mentees',
  checklistItems: 'appointments',
  leads: 'events',
}
