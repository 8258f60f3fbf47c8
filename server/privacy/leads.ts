/**
 * Leads without consent for follow-up lose their personal fields `LEAD_RETENTION_DAYS` days
 * (default 14) after their fair, on the server as on every device (src/shared/leads.ts decides
 * alike): what identifies the person goes, the counts of the fair stay. Their conflict-log
 * entries go too, so no copy of a name is left behind.
 */
import { anonymisedLead, DEFAULT_LEAD_RETENTION_DAYS } from '../../src/shared/leads'
import { formatStamp } from '../../src/shared/hlc'
import { toIsoDate, addDays } from '../../src/shared/dates'
import { LEAD_PERSONAL_FIELDS, emptyLead, type LeadFields } from '../../src/shared/records'
import { takeChangeLock, type Database } from '../db/database'

/** `LEAD_RETENTION_DAYS` from the environment: a whole number of days from 1 to 365. */
export function leadRetentionDaysFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.LEAD_RETENTION_DAYS?.trim()
  if (value === undefined || value === '') return DEFAULT_LEAD_RETENTION_DAYS
  const days = Number(value)
  if (!/^[0-9]+$/.test(value) || days < 1 || days > 365) {
    throw new Error(`LEAD_RETENTION_DAYS must be a whole number of days from 1 to 365, got "${value}"`)
  }
  return days
}

/** Anonymises every lead due on the day of `now` (server time, UTC day); returns their ids. */
export async function anonymiseExpiredLeads(db: Database, { now, days = DEFAULT_LEAD_RETENTION_DAYS }: { now: number; days?: number }): Promise<string[]> {
  // The fair's day plus `days` lies before today: the fair day is at most today - days - 1.
  const lastFairDay = addDays(toIsoDate(new Date(now)), -days - 1)
  return db.transaction(async (tx) => {
    await takeChangeLock(tx)
    const { rows } = await tx.query<{ id: string; fields: Partial<LeadFields> }>(
      `SELECT r.id::text AS id, r.fields FROM records r
         JOIN records e ON e.tbl = 'events' AND e.id = r.parent_id
        WHERE r.tbl = 'leads' AND NOT r.deleted
          AND COALESCE(r.fields->>'consentFollowUp', 'false') <> 'true'
          AND COALESCE(r.fields->>'anonymised', 'false') <> 'true'
          AND e.fields->>'date' <= $1
        ORDER BY r.id`,
      [lastFairDay],
    )
    if (rows.length === 0) return []
    // A stamp of the server's own: later than anything a device stamped before now.
    const stamp = formatStamp({ millis: now, counter: 0, node: 'server-retention' })
    const changedFields = [...LEAD_PERSONAL_FIELDS, 'anonymised'] as const
    for (const row of rows) {
      const lead = anonymisedLead({ ...emptyLead(''), ...row.fields })
      const fields = Object.fromEntries(changedFields.map((field) => [field, lead[field]]))
      const stamps = Object.fromEntries(changedFields.map((field) => [field, stamp]))
      await tx.query(
        `UPDATE records SET fields = fields || $2::jsonb, stamps = stamps || $3::jsonb, writers = writers - $4::text[],
                change_seq = nextval('change_seq'), changed_at = $5
          WHERE tbl = 'leads' AND id = $1`,
        [row.id, JSON.stringify(fields), JSON.stringify(stamps), [...changedFields], new Date(now)],
      )
    }
    await tx.query(`DELETE FROM conflicts WHERE tbl = 'leads' AND record_id = ANY($1::uuid[])`, [rows.map((row) => row.id)])
    return rows.map((row) => row.id)
  })
}
