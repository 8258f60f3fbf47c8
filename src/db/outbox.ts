import type { Table } from 'dexie'
import type { RecordMeta, RecordsByTable, SyncedTable } from '@/shared/records'
import { loadLocalClock, rememberStamp } from './clock'
import { getDatabase, syncedTablesOf, type OutboxEntry } from './db'
import { guarded, StorageError } from './errors'
import { readSeenThrough } from './sync-store'

type Content<T extends SyncedTable> = Omit<RecordsByTable[T], keyof RecordMeta>

export function newId(): string {
  return crypto.randomUUID()
}

/** The fields of `content` whose value differs from the stored record. */
function changedFields(before: object, content: object): Record<string, unknown> {
  const stored = before as Record<string, unknown>
  const changes: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(content)) {
    if (JSON.stringify(stored[key]) !== JSON.stringify(value)) changes[key] = value
  }
  return changes
}

function syncedTable<T extends SyncedTable>(table: T): Table<RecordsByTable[T], string> {
  return getDatabase()[table] as unknown as Table<RecordsByTable[T], string>
}

/**
 * Writes one record and its outbox entry. Callers run this inside `inWriteTransaction`, so
 * the record and the entry are committed together or not at all.
 */
async function putWithOutbox<T extends SyncedTable>(
  table: T,
  id: string,
  content: Content<T>,
  now: number,
  stamp: () => string,
  seen: number | undefined,
): Promise<RecordsByTable[T]> {
  const existing = await syncedTable(table).get(id)
  if (existing?.deletedAt) throw new StorageError('notFound')
  const fields = existing ? changedFields(existing, content) : { ...content }
  const record = {
    ...(existing ?? {}),
    ...content,
    id,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  } as RecordsByTable[T]
  if (Object.keys(fields).length === 0) return record
  await syncedTable(table).put(record)
  const entry: OutboxEntry = { table, recordId: id, op: 'upsert', fields, at: now, hlc: stamp() }
  if (seen !== undefined) entry.seen = seen
  await getDatabase().outbox.add(entry)
  return record
}

/** Marks a record deleted (a tombstone stays for sync) and records the deletion. */
async function tombstoneWithOutbox(table: SyncedTable, id: string, now: number, stamp: () => string): Promise<void> {
  const existing = await syncedTable(table).get(id)
  if (!existing || existing.deletedAt) return
  await syncedTable(table).update(id, { deletedAt: now, updatedAt: now })
  await getDatabase().outbox.add({ table, recordId: id, op: 'delete', fields: {}, at: now, hlc: stamp() })
}

type LocalWriteListener = () => void
const localWriteListeners = new Set<LocalWriteListener>()

/** Called after every committed local write (sync uses it to push soon after). */
export function onLocalWrite(listener: LocalWriteListener): () => void {
  localWriteListeners.add(listener)
  return () => localWriteListeners.delete(listener)
}

/** A read-write transaction over every synced table and the outbox. */
export async function inWriteTransaction<R>(work: (ops: WriteOps) => Promise<R>): Promise<R> {
  const db = getDatabase()
  const now = Date.now()
  // Read before the transaction: a page applied meanwhile only makes this an underestimate, which
  // at worst logs a conflict that was none; never the other way round.
  const [clock, seen] = await guarded(() => Promise.all([loadLocalClock(), readSeenThrough()]))
  // Few awaits per write inside the transaction: IndexedDB commits a transaction that has no
  // request pending, and test doubles check that on every microtask.
  const result = await guarded(() =>
    db.transaction('rw', [...syncedTablesOf(db), db.outbox, db.settings], async () => {
      let lastStamp: string | undefined
      const stamp = () => (lastStamp = clock.now())
      const outcome = await work({
        put: (table, id, content) => putWithOutbox(table, id, content, now, stamp, seen),
        remove: (table, id) => tombstoneWithOutbox(table, id, now, stamp),
      })
      if (lastStamp) await rememberStamp(lastStamp)
      return outcome
    }),
  )
  for (const listener of localWriteListeners) listener()
  return result
}

export interface WriteOps {
  put<T extends SyncedTable>(table: T, id: string, content: Content<T>): Promise<RecordsByTable[T]>
  remove(table: SyncedTable, id: string): Promise<void>
}

export async function pendingChangeCount(): Promise<number> {
  return guarded(() => getDatabase().outbox.count())
}

export async function pendingEntries(limit?: number): Promise<OutboxEntry[]> {
  const ordered = getDatabase().outbox.orderBy('seq')
  return guarded(() => (limit === undefined ? ordered : ordered.limit(limit)).toArray())
}
