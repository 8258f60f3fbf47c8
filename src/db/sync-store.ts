import type { Table } from 'dexie'
import type { Change, User } from '@/shared/protocol'
import { emptyContent, type RecordsByTable, type SyncedTable, SYNCED_TABLES } from '@/shared/records'
import type { HybridLogicalClock } from '@/shared/hlc'
import { loadLocalClock, rememberStamp } from './clock'
import { getDatabase, syncedTablesOf, type OutboxEntry, type Rejection } from './db'
import { guarded } from './errors'

/**
 * The local half of sync: what sync reads from and writes to IndexedDB. Only this module and the
 * repositories touch Dexie; `src/sync` calls these functions.
 */

export interface StoredSession {
  token: string
  deviceId: string
  user: User
}

const SESSION_KEY = 'session'
const CURSOR_KEY = 'syncCursor'
const LAST_SYNC_KEY = 'lastSyncAt'
/** Set while a pull from the start is under way: until it ends, the cursor it saves is not to be trusted. */
const FROM_START_KEY = 'pullFromStart'

async function readSetting<T>(key: string): Promise<T | undefined> {
  const setting = await guarded(() => getDatabase().settings.get(key))
  return setting?.value as T | undefined
}

async function writeSetting(key: string, value: unknown): Promise<void> {
  await guarded(() => getDatabase().settings.put({ key, value }))
}

export const readSession = () => readSetting<StoredSession>(SESSION_KEY)
export const saveSession = (session: StoredSession) => writeSetting(SESSION_KEY, session)
export const readCursor = () => readSetting<string>(CURSOR_KEY)
export const readLastSyncAt = () => readSetting<number>(LAST_SYNC_KEY)
export const saveLastSyncAt = (at: number) => writeSetting(LAST_SYNC_KEY, at)

/**
 * Starts a pull from the start: forgets the cursor and notes that one is under way. Its end
 * (`removeRecordsNotIn`) drops what the endpoint no longer sends; if the app stops before that
 * (a crash, no network), the note makes the next sync start over, rather than carry on from the
 * cursor of a page as if nothing needed dropping.
 */
export async function beginPullFromStart(): Promise<void> {
  const db = getDatabase()
  await guarded(() =>
    db.transaction('rw', db.settings, async () => {
      await db.settings.delete(CURSOR_KEY)
      await db.settings.put({ key: FROM_START_KEY, value: true })
    }),
  )
}

export async function pullFromStartUnderWay(): Promise<boolean> {
  return (await readSetting<boolean>(FROM_START_KEY)) === true
}

/** The oldest local changes, in the order they were made. */
export async function nextOutboxBatch(limit: number): Promise<OutboxEntry[]> {
  return guarded(() => getDatabase().outbox.orderBy('seq').limit(limit).toArray())
}

export async function outboxSummary(): Promise<{ count: number; oldestAt: number | null }> {
  const db = getDatabase()
  const [count, oldest] = await guarded(() => Promise.all([db.outbox.count(), db.outbox.orderBy('seq').first()]))
  return { count, oldestAt: oldest?.at ?? null }
}

/**
 * Settles pushed changes: acknowledged ones leave the outbox, refused ones move to `rejections`
 * with their reason, in one transaction so none is lost or kept twice.
 *
 * A refused change also leaves this device's copy of its record different from the endpoint's
 * (a value the endpoint did not take, or a record it never accepted), and no pull would ever
 * correct it: nothing changed there. So the copy goes too (what was typed stays in `rejections`);
 * a record the user may still see comes back as the endpoint has it with a pull from the start
 * (see `syncOnce`), which this transaction notes as due (`pullFromStartUnderWay`).
 */
export async function settleOutbox(acknowledged: number[], refused: { entry: OutboxEntry; rejection: Omit<Rejection, 'id' | 'table' | 'recordId' | 'op' | 'fields' | 'at'> }[], now = Date.now()): Promise<void> {
  const db = getDatabase()
  await guarded(() =>
    db.transaction('rw', [db.outbox, db.rejections, db.settings, ...syncedTablesOf(db)], async () => {
      await db.outbox.bulkDelete(acknowledged)
      for (const { entry, rejection } of refused) {
        await db.rejections.add({ ...rejection, table: entry.table, recordId: entry.recordId, op: entry.op, fields: entry.fields, at: now })
        if (entry.seq !== undefined) await db.outbox.delete(entry.seq)
        await table(entry.table).delete(entry.recordId)
      }
      // The dropped copy comes back only with a pull from the start. Noted with the drop, so a
      // sync that fails after this batch (its next push's answer lost) still makes the next one
      // pull from the start; a note kept only in memory was lost with it (found by the soak).
      if (refused.some(({ rejection }) => rejection.reason !== 'deleted')) {
        await db.settings.put({ key: FROM_START_KEY, value: true })
      }
    }),
  )
}

export async function listRejections(): Promise<Rejection[]> {
  return guarded(() => getDatabase().rejections.orderBy('at').reverse().toArray())
}

export async function dismissRejection(id: number): Promise<void> {
  await guarded(() => getDatabase().rejections.delete(id))
}

function table<T extends SyncedTable>(name: T): Table<RecordsByTable[T], string> {
  return getDatabase()[name] as unknown as Table<RecordsByTable[T], string>
}

type Pending = Map<string, { fields: Set<string>; deleted: boolean }>

/** Fields with a local write not yet pushed, per `table:id`: pulled values must not overwrite them. */
async function pendingFields(): Promise<Pending> {
  const pending: Pending = new Map()
  for (const entry of await getDatabase().outbox.toArray()) {
    const key = `${entry.table}:${entry.recordId}`
    const known = pending.get(key) ?? { fields: new Set<string>(), deleted: false }
    if (entry.op === 'delete') known.deleted = true
    for (const field of Object.keys(entry.fields)) known.fields.add(field)
    pending.set(key, known)
  }
  return pending
}

/**
 * Works out a page's effect in memory, then writes it with one bulk read and one bulk write per
 * table: a page of 500 changes costs a few IndexedDB requests, not three per change.
 */
async function applyChanges(changes: Change[], now: number): Promise<void> {
  const pending = await pendingFields()
  const byTable = new Map<SyncedTable, Change[]>()
  for (const change of changes) {
    const list = byTable.get(change.table)
    if (list) list.push(change)
    else byTable.set(change.table, [change])
  }
  for (const [name, tableChanges] of byTable) {
    const target = table(name)
    const ids = [...new Set(tableChanges.map((change) => change.id))]
    const stored = await target.bulkGet(ids)
    // The state each record ends the page in: a record to store, or null to remove it.
    const state = new Map<string, RecordsByTable[SyncedTable] | null | undefined>(ids.map((id, i) => [id, stored[i]]))
    for (const change of tableChanges) {
      if (change.op !== 'upsert') {
        // Deleted or out of reach: gone from this device. Local edits still waiting in the
        // outbox stay there; the endpoint will refuse them and the user sees why.
        state.set(change.id, null)
        continue
      }
      const local = pending.get(`${name}:${change.id}`)
      if (local?.deleted) continue
      const existing = state.get(change.id) ?? undefined
      const incoming = local ? Object.fromEntries(Object.entries(change.fields).filter(([field]) => !local.fields.has(field))) : change.fields
      state.set(change.id, {
        ...emptyContent(name),
        ...(existing ?? {}),
        ...incoming,
        id: change.id,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      } as RecordsByTable[SyncedTable])
    }
    const puts = [...state.values()].filter((record): record is RecordsByTable[SyncedTable] => Boolean(record))
    const removals = [...state].filter(([, record]) => record === null).map(([id]) => id)
    if (puts.length > 0) await target.bulkPut(puts)
    if (removals.length > 0) await target.bulkDelete(removals)
  }
}

/**
 * Moves the clock past the page's stamps. Valid stamps sort as text in clock order, so observing
 * the greatest is observing them all (a page holds thousands); only when that one is not a valid
 * stamp (which `observe` ignores) is each looked at.
 */
function observeLatestStamp(clock: HybridLogicalClock, changes: Change[]): void {
  let latest = ''
  for (const change of changes) {
    if (change.op !== 'upsert') continue
    for (const field in change.hlc) {
      const stamp = change.hlc[field]!
      if (stamp > latest) latest = stamp
    }
  }
  if (latest === '') return
  const before = clock.latest()
  clock.observe(latest)
  if (clock.latest() !== before || latest <= before) return
  for (const change of changes) {
    if (change.op === 'upsert') for (const stamp of Object.values(change.hlc)) clock.observe(stamp)
  }
}

/**
 * Applies one pulled page and stores its cursor in one transaction: either the whole page and
 * the new cursor are stored, or neither (and the page is pulled again).
 */
export async function applyPulledPage(changes: Change[], cursor: string): Promise<void> {
  const db = getDatabase()
  const now = Date.now()
  const clock = await loadLocalClock()
  await guarded(() =>
    db.transaction('rw', [...syncedTablesOf(db), db.outbox, db.settings], async () => {
      await applyChanges(changes, now)
      observeLatestStamp(clock, changes)
      await db.settings.put({ key: CURSOR_KEY, value: cursor })
      await rememberStamp(clock.latest())
    }),
  )
}

/** After a full pull from scratch: drop local records the endpoint no longer sends, unless a local change waits for them. */
export async function removeRecordsNotIn(seen: Map<SyncedTable, Set<string>>): Promise<void> {
  const db = getDatabase()
  await guarded(() =>
    db.transaction('rw', [...syncedTablesOf(db), db.outbox, db.settings], async () => {
      await db.settings.delete(FROM_START_KEY)
      const pending = new Set((await db.outbox.toArray()).map((e) => `${e.table}:${e.recordId}`))
      for (const name of SYNCED_TABLES) {
        const keep = seen.get(name) ?? new Set<string>()
        const ids = (await table(name).toCollection().primaryKeys()).filter((id) => !keep.has(id) && !pending.has(`${name}:${id}`))
        await table(name).bulkDelete(ids)
      }
    }),
  )
}

/** Moves the local clock past the server's time, so local stamps never lag behind it. */
export async function observeServerTime(serverTime: string): Promise<void> {
  const millis = Date.parse(serverTime)
  if (Number.isFinite(millis)) (await loadLocalClock()).observeTime(millis)
}
