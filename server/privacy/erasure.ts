/**
 * Erasure (GDPR Art. 17; SYNC.md, "Erasure"). Erasing a mentee turns it and every record bound to
 * it (notes, appointments, checklist items: every `records` row with its `mentee_id`) into
 * tombstones that keep only table, id and `deleted`; deletes its conflict-log values, its Paten's
 * assignments and shares, and its audit details. Every device removes the records at its next
 * pull: coaches and coordinators receive a `delete` per record (each tombstone gets a change number
 * of its own), Paten an `unassign`, which evicts every record of the mentee. A late push cannot
 * bring anything back: upserts of tombstones are `rejected/deleted`, new children of an erased
 * mentee too, and after the tombstone purge `purged_records` keeps refusing them.
 */
import { formatStamp } from '../../src/shared/hlc'
import type { SyncedTable } from '../../src/shared/records'
import { SYNCED_TABLES } from '../../src/shared/records'
import { scrubAuditOf, audit } from '../audit'
import { nextChangeSeq, takeChangeLock, type Database, type Queryable } from '../db/database'
import type { Actor } from '../sync/scope'

export type ErasureOutcome =
  | { ok: true; erased: Record<SyncedTable, number> }
  | { ok: false; error: 'forbidden' | 'not_found' }

export interface ErasureInput {
  /** Who erases; null for the server's own retention job. */
  actor: Actor | null
  deviceId: string | null
  menteeId: string
  now: number
  reason: 'request' | 'retention'
  /**
   * Retention: erase only if the case is (still) closed since before this moment (epoch ms),
   * checked under the change lock, so a case reopened meanwhile is kept.
   */
  closedBefore?: number
}

/** SQL: the mentee row `r` is a case closed before $n (epoch ms, the server's clock). */
export function closedBeforeCondition(parameter: string): string {
  return `r.fields->>'stage' = 'closed'
      AND COALESCE((r.writers->'stage'->>'receivedAt')::bigint,
                   (extract(epoch FROM r.changed_at) * 1000)::bigint) < ${parameter}`
}

/** Whether the role may erase at all: coordinators, and coaches (of the mentee's team). */
export function mayErase(actor: Actor): boolean {
  return actor.role === 'coordinator' || actor.role === 'coach'
}

export function emptyCounts(): Record<SyncedTable, number> {
  return Object.fromEntries(SYNCED_TABLES.map((table) => [table, 0])) as Record<SyncedTable, number>
}

/**
 * The mentee's records, and the job-fair leads that became this mentee or were merged into it:
 * they are about the same person (a lead anchors itself, so `mentee_id` alone misses them).
 */
const OF_MENTEE = `(mentee_id = $1 OR (tbl = 'leads' AND fields->>'menteeId' = $1::text))`

export async function eraseMentee(db: Database, input: ErasureInput): Promise<ErasureOutcome> {
  const { actor, menteeId, now } = input
  if (actor && !mayErase(actor)) return { ok: false, error: 'forbidden' }
  return db.transaction(async (tx) => {
    // Tombstones take change numbers: the change lock first, as every writer does.
    await takeChangeLock(tx)
    const { rows: found } = await tx.query<{ team_id: string | null }>(
      input.closedBefore === undefined
        ? `SELECT team_id::text AS team_id FROM records r WHERE tbl = 'mentees' AND id = $1`
        : `SELECT team_id::text AS team_id FROM records r
            WHERE tbl = 'mentees' AND id = $1 AND NOT deleted AND ${closedBeforeCondition('$2')}`,
      input.closedBefore === undefined ? [menteeId] : [menteeId, input.closedBefore],
    )
    const mentee = found[0]
    // Out of a coach's reach is as unknown as a mentee that never existed (as in push).
    if (!mentee) return { ok: false, error: 'not_found' }
    if (actor?.role === 'coach' && (actor.teamId === null || mentee.team_id !== actor.teamId)) {
      return { ok: false, error: 'not_found' }
    }
    const erased = await tombstoneAllOf(tx, menteeId, now)
    const { rows: all } = await tx.query<{ id: string }>(`SELECT id::text AS id FROM records WHERE ${OF_MENTEE}`, [menteeId])
    await tx.query('DELETE FROM conflicts WHERE mentee_id = $1 OR record_id = ANY($2::uuid[])', [menteeId, all.map((row) => row.id)])
    await endAssignments(tx, menteeId, now)
    await scrubAuditOf(
      tx,
      menteeId,
      all.map((row) => row.id),
    )
    await audit(tx, {
      action: 'erasure',
      at: now,
      actorId: actor?.id ?? null,
      deviceId: input.deviceId,
      targetId: menteeId,
      details: { reason: input.reason, erased },
    })
    return { ok: true, erased }
  })
}

/** Every live record of the mentee becomes a tombstone with a change number of its own. */
async function tombstoneAllOf(tx: Queryable, menteeId: string, now: number): Promise<Record<SyncedTable, number>> {
  const stamp = formatStamp({ millis: now, counter: 0, node: 'erasure' })
  const { rows } = await tx.query<{ tbl: SyncedTable; count: number }>(
    `WITH erased AS (
       UPDATE records SET deleted = true, fields = '{}', stamps = '{}', writers = '{}', deleted_stamp = $2,
              change_seq = nextval('change_seq'), changed_at = $3
        WHERE ${OF_MENTEE} AND NOT deleted
        RETURNING tbl)
     SELECT tbl, count(*) AS count FROM erased GROUP BY tbl`,
    [menteeId, stamp, new Date(now)],
  )
  const counts = emptyCounts()
  for (const row of rows) counts[row.tbl] = row.count
  return counts
}

/**
 * The mentee's Paten lose it: assignment and share go, and an `unassign` access event makes each
 * Pate's next pull evict every record of it (the tombstones left their scope with the assignment).
 */
async function endAssignments(tx: Queryable, menteeId: string, now: number): Promise<void> {
  await tx.query('DELETE FROM shares WHERE mentee_id = $1', [menteeId])
  const { rows } = await tx.query<{ user_id: string }>(
    'DELETE FROM assignments WHERE mentee_id = $1 RETURNING user_id::text AS user_id',
    [menteeId],
  )
  for (const row of rows) {
    const seq = await nextChangeSeq(tx)
    await tx.query(`INSERT INTO access_events (seq, user_id, mentee_id, kind, at) VALUES ($1, $2, $3, 'unassign', $4)`, [
      seq,
      row.user_id,
      menteeId,
      new Date(now),
    ])
  }
}
