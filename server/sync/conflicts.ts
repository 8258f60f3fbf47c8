/**
 * The conflict log as a user may read it: values that lost a conflict on records the user sees,
 * without the sensitive fields a Pate was not given.
 */
import { SENSITIVE_FIELDS, type ConflictEntry } from '../../src/shared/protocol'
import type { SyncedTable } from '../../src/shared/records'
import type { Queryable } from '../db/database'
import { scopeCondition, type Actor } from './scope'

/** A bound on one answer; a record with more conflicts than this has bigger problems. */
export const MAX_CONFLICTS = 500

export interface ConflictFilter {
  table?: SyncedTable
  id?: string
  /** Every conflict of this mentee's records (the access export). */
  menteeId?: string
  /** Defaults to MAX_CONFLICTS. */
  limit?: number
}

interface ConflictRow {
  id: string
  tbl: SyncedTable
  record_id: string
  field: string
  value: unknown
  stamp: string
  at: Date
  lost_by: string
  lost_by_name: string | null
  won_by: string | null
  won_by_name: string | null
}

/** Newest first; `filter` narrows to a table or to one record. */
export async function listConflicts(q: Queryable, actor: Actor, filter: ConflictFilter = {}): Promise<ConflictEntry[]> {
  const params: unknown[] = []
  const conditions = [scopeCondition(actor, 'r', params), 'NOT r.deleted']
  if (filter.table !== undefined) {
    params.push(filter.table)
    conditions.push(`c.tbl = $${params.length}`)
  }
  if (filter.id !== undefined) {
    params.push(filter.id)
    conditions.push(`c.record_id = $${params.length}`)
  }
  if (filter.menteeId !== undefined) {
    params.push(filter.menteeId)
    conditions.push(`c.mentee_id = $${params.length}`)
  }
  if (actor.role === 'pate') {
    const sensitive = Object.entries(SENSITIVE_FIELDS).map(([table, fields]) => {
      params.push(table, fields)
      return `(c.tbl = $${params.length - 1} AND c.field = ANY($${params.length}::text[]))`
    })
    if (sensitive.length > 0) {
      params.push(actor.id)
      conditions.push(
        `(NOT (${sensitive.join(' OR ')}) OR c.mentee_id IN (SELECT mentee_id FROM shares WHERE user_id = $${params.length}))`,
      )
    }
  }
  params.push(filter.limit ?? MAX_CONFLICTS)
  const { rows } = await q.query<ConflictRow>(
    `SELECT c.id::text AS id, c.tbl, c.record_id::text AS record_id, c.field, c.value, c.stamp, c.at,
            c.lost_by::text AS lost_by, lost.display_name AS lost_by_name,
            c.won_by::text AS won_by, won.display_name AS won_by_name
       FROM conflicts c
       JOIN records r ON r.tbl = c.tbl AND r.id = c.record_id
       LEFT JOIN users lost ON lost.id = c.lost_by
       LEFT JOIN users won ON won.id = c.won_by
      WHERE ${conditions.join(' AND ')}
      ORDER BY c.at DESC, c.stamp DESC, c.id
      LIMIT $${params.length}`,
    params,
  )
  return rows.map((row) => ({
    id: row.id,
    table: row.tbl,
    recordId: row.record_id,
    field: row.field,
    value: row.value,
    hlc: row.stamp,
    lostBy: { userId: row.lost_by, displayName: row.lost_by_name ?? '' },
    wonBy: row.won_by === null ? null : { userId: row.won_by, displayName: row.won_by_name ?? '' },
    at: row.at.toISOString(),
  }))
}
