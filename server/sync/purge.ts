/**
 * Tombstones are kept so that devices learn of deletions; after 180 days (TOMBSTONE_RETENTION_MS)
 * every device still in use has synced, and they may go. A cursor from before the purge could miss
 * a deletion, so the highest purged change number is kept and pull answers such cursors with
 * `reset_required`.
 */
import type { Database, Queryable } from '../db/database'

export const TOMBSTONE_RETENTION_MS = 180 * 24 * 60 * 60 * 1000
export const PURGED_THROUGH_KEY = 'tombstones_purged_through'

export async function readPurgedThrough(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ seq: number }>(
    `SELECT (value #>> '{}')::bigint AS seq FROM server_state WHERE key = $1`,
    [PURGED_THROUGH_KEY],
  )
  return rows[0]?.seq ?? 0
}

export interface PurgeResult {
  /** Tombstones deleted by this call. */
  purged: number
  /** The highest change number of any tombstone ever purged (0: none yet). */
  purgedThrough: number
}

/**
 * Deletes tombstones last changed before `olderThan` and records how far the purge reached. The
 * ids stay in `purged_records`, so an edit of one of them, from a device that was offline for
 * longer than that, is refused as deleted instead of creating the record anew.
 */
export async function purgeTombstones(db: Database, { olderThan }: { olderThan: Date }): Promise<PurgeResult> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ purged: number; highest: number | null }>(
      `WITH gone AS (DELETE FROM records WHERE deleted AND changed_at < $1 RETURNING tbl, id, change_seq),
            kept AS (INSERT INTO purged_records (tbl, id) SELECT tbl, id FROM gone ON CONFLICT DO NOTHING)
       SELECT count(*) AS purged, max(change_seq) AS highest FROM gone`,
      [olderThan],
    )
    const { purged, highest } = rows[0] ?? { purged: 0, highest: null }
    if (highest !== null) {
      // GREATEST: a later purge with an earlier date must not move the mark back.
      await tx.query(
        `INSERT INTO server_state (key, value) VALUES ($1, to_jsonb($2::bigint))
         ON CONFLICT (key) DO UPDATE SET value = to_jsonb(GREATEST((server_state.value #>> '{}')::bigint, $2::bigint))`,
        [PURGED_THROUGH_KEY, highest],
      )
    }
    return { purged, purgedThrough: await readPurgedThrough(tx) }
  })
}
