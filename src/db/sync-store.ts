import type { Table } from 'dexie'
import type { Change, User } from '@/shared/protocol'
import { emptyContent, type RecordsByTable, type SyncedTable, SYNCED_TABLES } from '@/shared/records'
import { loadLocalClock, rememberStamp } from './clock'
import { getDatabase, type OutboxEntry, type Rejection } from './db'
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

export async function forgetCursor(): Promise<void> {
  await guarded(() => getDatabase().settings.delete(CURSOR_KEY))
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
 */
export async function settleOutbox(acknowledged: number[], refused: { entry: OutboxEntry; rejection: Omit<Rejection, 'id' | 'table' | 'recordId' | 'op' | 'fields' | 'at'> }[], now = Date.now()): Promise<void> {
  const db = getDatabase()
  await guarded(() =>
    db.transaction('rw', [db.outbox, db.rejections], async () => {
      await db.outbox.bulkDelete(acknowledged)
      for (const { entry, rejection } of refused) {
        await db.rejections.add({ ...rejection, table: entry.table, recordId: entry.recordId, op: entry.op, fields: entry.fields, at: now })
        if (entry.seq !== undefined) await db.outbox.delete(entry.seq)
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

/** Fields of a record that have a local write not yet pushed: pulled values must not overwrite them. */
async function pendingFieldsOf(tableName: SyncedTable, id: string): Promise<{ fields: Set<string>; deleted: boolean }> {
  const entries = await getDatabase().outbox.where('[table+recordId]').equals([tableName, id]).toArray()
  const fields = new Set<string>()
  let deleted = false
  for (const entry of entries) {
    if (entry.op === 'delete') deleted = true
    for (const field of Object.keys(entry.fields)) fields.add(field)
  }
  return { fields, deleted }
}

async function applyChange(change: Change, now: number): Promise<void> {
  const target = table(change.table)
  if (change.op !== 'upsert') {
    // Deleted or out of reach: gone from this device. Local edits still waiting in the outbox
    // stay there; the endpoint will refuse them and the user sees why.
    await target.delete(change.id)
    return
  }
  const pending = await pendingFieldsOf(change.table, change.id)
  if (pending.deleted) return
  const existing = await target.get(change.id)
  const incoming = Object.fromEntries(Object.entries(change.fields).filter(([field]) => !pending.fields.has(field)))
  const record = {
    ...emptyContent(change.table),
    ...(existing ?? {}),
    ...incoming,
    id: change.id,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  } as RecordsByTable[typeof change.table]
  await target.put(record)
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
    db.transaction('rw', [db.mentees, db.notes, db.appointments, db.checklistItems, db.outbox, db.settings], async () => {
      for (const change of changes) {
        await applyChange(change, now)
        if (change.op === 'upsert') for (const stamp of Object.values(change.hlc)) clock.observe(stamp)
      }
      await db.settings.put({ key: CURSOR_KEY, value: cursor })
      await rememberStamp(clock.latest())
    }),
  )
}

/** After a full pull from scratch: drop local records the endpoint no longer sends, unless a local change waits for them. */
export async function removeRecordsNotIn(seen: Map<SyncedTable, Set<string>>): Promise<void> {
  const db = getDatabase()
  await guarded(() =>
    db.transaction('rw', [db.mentees, db.notes, db.appointments, db.checklistItems, db.outbox], async () => {
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
