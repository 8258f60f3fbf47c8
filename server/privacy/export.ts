/**
 * The access export (GDPR Art. 15): everything the server stores about one mentee, as far as the
 * user asking may see it (a Pate without a share gets no sensitive field, in records and in the
 * conflict log alike, exactly as in pull). Every synced table is listed, empty ones too, so a
 * table added to the protocol shows up here without a change to this file.
 */
import type { ExportedRecord, MenteeExport } from '../../src/shared/protocol'
import { SYNCED_TABLES, type SyncedTable } from '../../src/shared/records'
import type { Database } from '../db/database'
import { listConflicts } from '../sync/conflicts'
import { RECORD_COLUMNS, type RecordRow } from '../sync/records'
import { inScope, loadScope, visiblePart, type Actor } from '../sync/scope'

/** Far above what one person gathers; a bound so one answer stays finite. */
const MAX_EXPORTED_CONFLICTS = 100_000

export type ExportOutcome = { ok: true; export: MenteeExport } | { ok: false; error: 'forbidden' | 'not_found' }

export async function exportMentee(db: Database, actor: Actor, menteeId: string, now: number): Promise<ExportOutcome> {
  // A guide sees no mentee at all: the role may not ask, whatever the id.
  if (actor.role === 'guide') return { ok: false, error: 'forbidden' }
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY')
    const scope = await loadScope(tx, actor)
    const { rows } = await tx.query<RecordRow & { changed_at: Date }>(
      // Job-fair leads that became this mentee are about the same person: they belong in the copy.
      `SELECT ${RECORD_COLUMNS}, changed_at FROM records
        WHERE mentee_id = $1 OR (tbl = 'leads' AND fields->>'menteeId' = $1::text)
        ORDER BY tbl, changed_at, id`,
      [menteeId],
    )
    const mentee = rows.find((row) => row.tbl === 'mentees')
    if (!mentee || mentee.deleted || !inScope(scope, mentee)) return { ok: false, error: 'not_found' }
    const tables = Object.fromEntries(SYNCED_TABLES.map((table) => [table, [] as ExportedRecord[]])) as Record<
      SyncedTable,
      ExportedRecord[]
    >
    for (const row of rows) {
      if (row.deleted || !inScope(scope, row)) continue
      tables[row.tbl].push({ id: row.id, fields: visiblePart(scope, row, row.fields), updatedAt: row.changed_at.toISOString() })
    }
    const conflicts = await listConflicts(tx, actor, { menteeId, limit: MAX_EXPORTED_CONFLICTS })
    let assignments: MenteeExport['assignments'] = []
    if (actor.role !== 'pate') {
      const { rows: paten } = await tx.query<{ user_id: string; display_name: string; shared: boolean }>(
        `SELECT a.user_id::text AS user_id, u.display_name,
                EXISTS (SELECT 1 FROM shares s WHERE s.user_id = a.user_id AND s.mentee_id = a.mentee_id) AS shared
           FROM assignments a JOIN users u ON u.id = a.user_id
          WHERE a.mentee_id = $1 ORDER BY a.user_id`,
        [menteeId],
      )
      assignments = paten.map((row) => ({ userId: row.user_id, displayName: row.display_name, sensitiveShared: row.shared }))
    }
    return {
      ok: true,
      export: {
        format: 'lotse-export',
        version: 1,
        menteeId,
        exportedAt: new Date(now).toISOString(),
        tables,
        conflicts,
        assignments,
      },
    }
  })
}

/** Counts per table, for the audit entry of an export (no values). */
export function exportCounts(data: MenteeExport): Record<string, number> {
  return {
    ...Object.fromEntries(Object.entries(data.tables).map(([table, records]) => [table, records.length])),
    conflicts: data.conflicts.length,
  }
}
