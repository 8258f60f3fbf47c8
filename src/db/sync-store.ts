import { Dexie, type Table } from 'dexie'
import type { Change, PullResponse, User } from '@/shared/protocol'
import { emptyContent, type RecordsByTable, type SyncedTable, SYNCED_TABLES } from '@/shared/records'
import type { HybridLogicalClock } from '@/shared/hlc'
import { loadLocalClock, rememberStamp } from './clock'
import { getDatabase, syncedTablesOf, type OutboxEntry, type Rejection } from './db'
import { guarded } from './errors'
import { sealAhead } from './sealing'

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
/** `through` of the last pull that reached its end: every change numbered up to it is on this device. */
const SEEN_KEY = 'syncSeenThrough'
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
/** Sent with each write as `seen`, so the endpoint knows which stored values it replaces unseen. */
export const readSeenThrough = () => readSetting<number>(SEEN_KEY)
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
      // Starting over may mean the endpoint was restored and numbers changes anew: until the pull
      // has caught up, writes claim to have seen nothing, which at worst logs a conflict too many.
      await db.settings.put({ key: SEEN_KEY, value: 0 })
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

type StoredRecord = RecordsByTable[SyncedTable]

/**
 * The state each record of the page ends the page in, from the state it starts in (`stored`:
 * undefined when the device does not have it): a record to store, null to remove it, undefined
 * to leave it as it is.
 */
function foldChanges(
  name: SyncedTable,
  changes: Change[],
  stored: ReadonlyMap<string, StoredRecord | undefined>,
  pending: Pending,
  now: number,
): Map<string, StoredRecord | null | undefined> {
  const state = new Map<string, StoredRecord | null | undefined>()
  for (const change of changes) {
    if (!state.has(change.id)) state.set(change.id, stored.get(change.id))
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
    } as StoredRecord)
  }
  return state
}

const NOTHING_STORED: ReadonlyMap<string, StoredRecord | undefined> = new Map()
const NOTHING_PENDING: Pending = new Map()
/** Records of a page looked up first: if none of them is on the device, the page is taken to be new to it. */
const PROBE = 4

function isConstraintError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConstraintError'
}

/**
 * A pulled page worked out and sealed before the transaction that applies it, as if none of its
 * records were stored and no local write waited for any (what is true of nearly every page of a
 * first sync). `applyPulledPage` checks both inside its transaction and works out again, from
 * what is stored, every record for which either is not true.
 */
export interface PreparedPage {
  changes: Change[]
  now: number
  tables: Map<SyncedTable, { changes: Change[]; ids: string[]; state: Map<string, StoredRecord | null | undefined> }>
}

/**
 * Works out a pulled page as new to the device and seals its records (WebCrypto, all at once),
 * without touching IndexedDB: the engine prepares the next page while the one before it is
 * written. Fails with a StorageError ('locked') while the data key is not held.
 */
export async function preparePulledPage(changes: Change[]): Promise<PreparedPage> {
  const now = Date.now()
  const byTable = new Map<SyncedTable, Change[]>()
  for (const change of changes) {
    const list = byTable.get(change.table)
    if (list) list.push(change)
    else byTable.set(change.table, [change])
  }
  const tables: PreparedPage['tables'] = new Map()
  const sealing: Promise<void>[] = []
  for (const [name, tableChanges] of byTable) {
    const state = foldChanges(name, tableChanges, NOTHING_STORED, NOTHING_PENDING, now)
    tables.set(name, { changes: tableChanges, ids: [...state.keys()], state })
    const records = [...state.values()].filter((record): record is StoredRecord => Boolean(record))
    sealing.push(sealAhead(getDatabase().name, name, records as unknown as Record<string, unknown>[]))
  }
  await guarded(() => Promise.all(sealing))
  return { changes, now, tables }
}

/**
 * Writes a prepared page with a few bulk requests per table: a page of 1,000 changes costs one
 * write request per record, not a read and a write.
 *
 * When none of a few of a table's records in the page is stored, the records worked out as new
 * are written with `bulkAdd`, sealed as prepared; IndexedDB refuses (record by record, in the
 * same transaction) any that is stored after all. Those, and records with a local write still in
 * the outbox (whose fields the page must not overwrite), are then read, worked out again from
 * what is stored, and put. When some are stored, every record of the page is read first. Either
 * way each record ends as if read first.
 */
async function applyPrepared(page: PreparedPage): Promise<void> {
  const pending = await pendingFields()
  await Promise.all(
    [...page.tables].map(async ([name, { changes, ids, state }]) => {
      const target = table(name)
      const probed = await target.bulkGet(ids.slice(0, PROBE))
      if (probed.some((record) => record !== undefined)) {
        const stored = await target.bulkGet(ids)
        await writeState(name, foldChanges(name, changes, new Map(ids.map((id, i) => [id, stored[i]])), pending, page.now), 'put')
        return
      }
      const waiting = pending.size === 0 ? [] : ids.filter((id) => pending.has(`${name}:${id}`))
      const asNew = waiting.length === 0 ? state : new Map([...state].filter(([id]) => !pending.has(`${name}:${id}`)))
      const again = [...waiting, ...(await writeState(name, asNew, 'add'))]
      if (again.length === 0) return
      const redo = new Set(again)
      const stored = await target.bulkGet(again)
      const state2 = foldChanges(
        name,
        changes.filter((change) => redo.has(change.id)),
        new Map(again.map((id, i) => [id, stored[i]])),
        pending,
        page.now,
      )
      await writeState(name, state2, 'put')
    }),
  )
}

/**
 * Stores and removes what `foldChanges` worked out. With 'add', a record already stored is left
 * as it is; their ids are returned. Any other failure ends the transaction.
 */
async function writeState(name: SyncedTable, state: Map<string, StoredRecord | null | undefined>, mode: 'add' | 'put'): Promise<string[]> {
  const target = table(name)
  const puts: StoredRecord[] = []
  const removals: string[] = []
  for (const [id, record] of state) {
    if (record) puts.push(record)
    else if (record === null) removals.push(id)
  }
  const storedAlready: string[] = []
  if (puts.length > 0 && mode === 'put') await target.bulkPut(puts)
  if (puts.length > 0 && mode === 'add') {
    try {
      await target.bulkAdd(puts)
    } catch (error) {
      if (!(error instanceof Dexie.BulkError)) throw error
      for (const [position, failure] of Object.entries(error.failuresByPos)) {
        if (!isConstraintError(failure)) throw error
        storedAlready.push(puts[Number(position)]!.id)
      }
    }
  }
  if (removals.length > 0) await target.bulkDelete(removals)
  return storedAlready
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
 * the new cursor are stored, or neither (and the page is pulled again). The page may come
 * prepared (`preparePulledPage`, started earlier); what it assumed is checked here.
 */
export async function applyPulledPage(
  pulled: Pick<PullResponse, 'changes' | 'cursor' | 'through' | 'hasMore'>,
  prepared?: Promise<PreparedPage>,
): Promise<void> {
  const { changes, cursor, through, hasMore } = pulled
  const db = getDatabase()
  const page = await (prepared ?? preparePulledPage(changes))
  const clock = await loadLocalClock()
  await guarded(() =>
    db.transaction('rw', [...syncedTablesOf(db), db.outbox, db.settings], async () => {
      await applyPrepared(page)
      observeLatestStamp(clock, page.changes)
      await db.settings.put({ key: CURSOR_KEY, value: cursor })
      // Only the last page vouches for its `through`: a record comes at the number of its latest
      // change, so a value numbered below a middle page's `through` may still be on its way, in a
      // record whose later change lies ahead. Until the end, writes keep the last pull's figure.
      // (An endpoint of an older version does not say; writes then go without `seen`.)
      if (!Number.isSafeInteger(through)) await db.settings.delete(SEEN_KEY)
      else if (!hasMore) await db.settings.put({ key: SEEN_KEY, value: through })
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
