/**
 * What a device receives (SYNC.md, "Pull"). The change sequence numbers two kinds of items:
 * record writes (one change each) and the user's access events (assign, unassign, share, unshare),
 * each of which becomes the changes that bring the device in line with the user's scope *now*.
 * Items come in number order; a page ends after `limit` changes, if need be inside an access event.
 */
import type { Change } from '../../src/shared/protocol'
import type { SyncedTable } from '../../src/shared/records'
import type { Database, Queryable } from '../db/database'
import type { Cursor } from './cursor'
import { readPurgedThrough } from './purge'
import { RECORD_COLUMNS, type RecordRow } from './records'
import { inScope, loadScope, pullScopeCondition, seesSensitive, visiblePart, type Actor, type Scope } from './scope'

export interface PullInput {
  actor: Actor
  /** Undefined: from the beginning (everything in scope). */
  cursor: Cursor | undefined
  limit: number
}

/**
 * A change as JSON text, ready to go into the answer. A page of record writes is mostly the
 * records' `fields` and `stamps` as the database stores them, so they are read as text and put
 * into the answer as they are: parsing them into objects only to serialise them again cost more
 * than the query itself (measured: a page of 500 changes, about half of the endpoint's time).
 */
export type SerializedChange = string

export type PullOutcome =
  | { ok: true; changes: SerializedChange[]; cursor: Cursor; hasMore: boolean }
  | { ok: false; error: 'reset_required' }

type AccessKind = 'assign' | 'unassign' | 'share' | 'unshare'

interface ItemRow {
  seq: number
  kind: 'record' | AccessKind
  tbl: SyncedTable | null
  id: string | null
  mentee_id: string
  team_id: string | null
  /** JSON text of the jsonb columns (see `SerializedChange`). */
  fields: string | null
  stamps: string | null
  deleted: boolean | null
}

/** A change with its place inside an access event's expansion (for cutting it at a page end). */
interface KeyedChange {
  key: string
  change: Change | SerializedChange
}

// Parents before children when records arrive, children before parents when they leave, so a
// device never holds a child whose parent it has not got.
const ARRIVAL_RANK: Record<SyncedTable, number> = { mentees: 0, events: 0, appointments: 1, leads: 1, notes: 2, checklistItems: 3 }
const DEPARTURE_RANK: Record<SyncedTable, number> = { checklistItems: 0, notes: 1, leads: 1, appointments: 2, mentees: 3, events: 3 }

export async function pullChanges(db: Database, input: PullInput): Promise<PullOutcome> {
  return db.transaction(async (tx) => {
    // One snapshot for the whole page: items, scope and expansions agree with each other.
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY')
    await steerPlanner(tx)
    const purged = await readPurgedThrough(tx)
    if (input.cursor && (await mustReset(tx, input.cursor, purged))) return { ok: false, error: 'reset_required' }

    const scope = await loadScope(tx, input.actor)
    const page = new Page(input.limit, input.cursor?.seq ?? 0)

    // An access event cut at the previous page's end: deliver the rest of it first.
    if (input.cursor?.key !== undefined) {
      const { rows } = await tx.query<ItemRow>(
        'SELECT seq, kind, mentee_id::text AS mentee_id FROM access_events WHERE seq = $1 AND user_id = $2',
        [input.cursor.seq, input.actor.id],
      )
      const event = rows[0]
      const after = input.cursor.key
      const rest = event ? (await expandAccessEvent(tx, scope, event)).filter((item) => item.key > after) : []
      if (!page.take(input.cursor.seq, rest)) return page.result(purged)
    }

    const batchSize = input.limit + 1
    for (;;) {
      const items = await readItems(tx, input.actor, page.position.seq, batchSize)
      for (const item of items) {
        const changes = item.kind === 'record' ? [recordChange(scope, item)] : await expandAccessEvent(tx, scope, item)
        if (!page.take(item.seq, changes)) return page.result(purged)
      }
      if (items.length < batchSize) {
        page.passOver(await highestVisibleSeq(tx))
        return page.result(purged)
      }
    }
  })
}

/**
 * A page is "the next `limit` items after the cursor, in number order", which an ordered index
 * walk (`records_team` or `records_change_seq`, `access_events_user`) answers by reading exactly
 * those rows. Without fresh statistics (PGlite has no autovacuum, so its tables are never
 * analysed; a bulk load outruns PostgreSQL's) the planner guesses that few rows match and instead
 * fetches *every* row after the cursor with a bitmap scan and sorts them: measured on 110,000
 * records, 200-500 ms per page of 500 instead of 50, dearest at the start of an initial sync.
 * Steering away from bitmap scans and sorts for this read-only transaction keeps the walk
 * whatever the statistics say; the settings end with the transaction.
 */
async function steerPlanner(tx: Queryable): Promise<void> {
  await tx.query('SET LOCAL enable_bitmapscan = off')
  await tx.query('SET LOCAL enable_sort = off')
}

/**
 * A cursor must start over when tombstones after it were purged since it was issued (the device
 * could miss those deletions), or when it is ahead of this server (a database restored from a
 * backup has not seen the changes the device has).
 */
async function mustReset(tx: Queryable, cursor: Cursor, purgedThrough: number): Promise<boolean> {
  if (cursor.seq < purgedThrough && cursor.purged < purgedThrough) return true
  const { rows } = await tx.query<{ last_value: number; is_called: boolean }>('SELECT last_value, is_called FROM change_seq')
  const issued = rows[0]?.is_called ? rows[0].last_value : 0
  return cursor.seq > issued
}

class Page {
  readonly changes: SerializedChange[] = []
  position: { seq: number; key?: string }
  hasMore = false

  constructor(
    private readonly limit: number,
    startSeq: number,
  ) {
    this.position = { seq: startSeq }
  }

  /** Adds an item's changes; false when the page is full (the item may be cut). */
  take(seq: number, items: readonly KeyedChange[]): boolean {
    // An item without changes is passed over, so the cursor does not stop in front of it.
    if (items.length === 0) {
      this.position = { seq }
      return true
    }
    const room = this.limit - this.changes.length
    if (room === 0) {
      this.hasMore = true
      return false
    }
    const taken = items.slice(0, room)
    for (const item of taken) this.changes.push(typeof item.change === 'string' ? item.change : JSON.stringify(item.change))
    if (taken.length < items.length) {
      this.position = { seq, key: taken[taken.length - 1]!.key }
      this.hasMore = true
      return false
    }
    this.position = { seq }
    return true
  }

  /**
   * Moves the cursor past items that were out of scope, up to `seq`, once every item up to there
   * has been looked at: later pulls need not scan them again.
   */
  passOver(seq: number): void {
    if (this.position.key === undefined && seq > this.position.seq) this.position = { seq }
  }

  result(purged: number): PullOutcome {
    return { ok: true, changes: this.changes, cursor: { ...this.position, purged }, hasMore: this.hasMore }
  }
}

/**
 * The highest change number this snapshot sees. Changes commit in number order (SYNC.md, "Order"),
 * so no change at or below it can still appear: a cursor may safely move up to it.
 */
async function highestVisibleSeq(tx: Queryable): Promise<number> {
  const { rows } = await tx.query<{ seq: number | null }>(
    'SELECT GREATEST((SELECT max(change_seq) FROM records), (SELECT max(seq) FROM access_events)) AS seq',
  )
  return rows[0]?.seq ?? 0
}

/** Record writes in scope and the user's access events after `afterSeq`, in number order. */
async function readItems(tx: Queryable, actor: Actor, afterSeq: number, limit: number): Promise<ItemRow[]> {
  const params: unknown[] = [afterSeq, actor.id, limit]
  const inScopeSql = pullScopeCondition(actor, 'r', params)
  // Each branch is ordered and limited on its own, so it walks its index from the cursor and stops
  // after `limit` rows; limiting only the union would sort every later row on every page.
  const { rows } = await tx.query<ItemRow>(
    `SELECT * FROM (
       (SELECT r.change_seq AS seq, 'record' AS kind, r.tbl, r.id::text AS id, r.mentee_id::text AS mentee_id,
               r.team_id::text AS team_id, r.fields::text AS fields, r.stamps::text AS stamps, r.deleted
          FROM records r
         WHERE r.change_seq > $1 AND ${inScopeSql}
         ORDER BY r.change_seq
         LIMIT $3)
       UNION ALL
       (SELECT e.seq, e.kind, NULL, NULL, e.mentee_id::text, NULL, NULL, NULL, NULL
          FROM access_events e
         WHERE e.seq > $1 AND e.user_id = $2
         ORDER BY e.seq
         LIMIT $3)
     ) items
     ORDER BY seq
     LIMIT $3`,
    params,
  )
  return rows
}

function upsertOf(scope: Scope, row: Pick<RecordRow, 'tbl' | 'id' | 'team_id' | 'mentee_id' | 'fields' | 'stamps'>): Change {
  return {
    table: row.tbl,
    id: row.id,
    op: 'upsert',
    fields: visiblePart(scope, row, row.fields),
    hlc: visiblePart(scope, row, row.stamps),
  }
}

function recordChange(scope: Scope, item: ItemRow): KeyedChange {
  const row = { tbl: item.tbl!, id: item.id!, team_id: item.team_id, mentee_id: item.mentee_id }
  if (item.deleted) return { key: '', change: { table: row.tbl, id: row.id, op: 'delete' } }
  const fields = item.fields ?? '{}'
  const stamps = item.stamps ?? '{}'
  if (!seesSensitive(scope, row.mentee_id)) {
    // Cut to what the user may see: only here are the values needed as objects.
    return { key: '', change: upsertOf(scope, { ...row, fields: JSON.parse(fields) as Record<string, unknown>, stamps: JSON.parse(stamps) as Record<string, string> }) }
  }
  // The same keys in the same order as JSON.stringify(upsertOf(...)) would give; the table name
  // and the uuid need no escaping, the jsonb text is JSON already.
  return { key: '', change: `{"table":"${row.tbl}","id":"${row.id}","op":"upsert","fields":${fields},"hlc":${stamps}}` }
}

/**
 * An access event, judged by the scope now rather than then: if the user regained a mentee since
 * losing it, its `unassign` evicts nothing (the later `assign` brings it back anyway), and so on.
 */
async function expandAccessEvent(tx: Queryable, scope: Scope, event: Pick<ItemRow, 'kind' | 'mentee_id'>): Promise<KeyedChange[]> {
  const { rows } = await tx.query<RecordRow>(`SELECT ${RECORD_COLUMNS} FROM records WHERE mentee_id = $1`, [event.mentee_id])
  const mentee = rows.find((row) => row.tbl === 'mentees')
  const visible = mentee !== undefined && inScope(scope, mentee)
  const liveMentee = visible && !mentee.deleted ? mentee : undefined
  const keyed = (rank: Record<SyncedTable, number>, row: RecordRow) => `${rank[row.tbl]}:${row.id}`
  const byKey = (a: KeyedChange, b: KeyedChange) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)

  switch (event.kind) {
    case 'assign':
      // Tombstones are left out: the device never had these records.
      if (!visible) return []
      return rows
        .filter((row) => !row.deleted)
        .map((row) => ({ key: keyed(ARRIVAL_RANK, row), change: upsertOf(scope, row) }))
        .sort(byKey)
    case 'unassign':
      // Assigned again since: the later assign sends everything again. But the unassign ended the
      // share, and that assign sends the mentee without its sensitive fields, which an upsert does
      // not remove: so unless it was shared again, the device drops the mentee first.
      if (visible) {
        return liveMentee && !seesSensitive(scope, liveMentee.mentee_id)
          ? [{ key: keyed(DEPARTURE_RANK, liveMentee), change: { table: 'mentees', id: liveMentee.id, op: 'evict' } }]
          : []
      }
      // Tombstones too: the device may hold a record whose deletion it has not pulled yet.
      return rows
        .map((row): KeyedChange => ({ key: keyed(DEPARTURE_RANK, row), change: { table: row.tbl, id: row.id, op: 'evict' } }))
        .sort(byKey)
    case 'share':
      return liveMentee ? [{ key: 'a', change: upsertOf(scope, liveMentee) }] : []
    case 'unshare':
      // Applying an upsert never removes fields on the device, so the mentee is evicted and sent
      // again without the sensitive fields.
      if (!liveMentee || seesSensitive(scope, liveMentee.mentee_id)) return []
      return [
        { key: 'a', change: { table: 'mentees', id: liveMentee.id, op: 'evict' } },
        { key: 'b', change: upsertOf(scope, liveMentee) },
      ]
    case 'record':
      return []
  }
}
