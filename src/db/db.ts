import { Dexie, type EntityTable } from 'dexie'
import { formatStamp } from '@/shared/hlc'
import { dropDataKey, sealingMiddleware } from './sealing'
import type { Table } from 'dexie'
import type { Appointment, ChecklistItem, FairEvent, Lead, Mentee, Note, SyncedTable } from '@/shared/records'

/** One local change waiting to be pushed to the municipal endpoint. */
export interface OutboxEntry {
  seq?: number
  table: SyncedTable
  recordId: string
  op: 'upsert' | 'delete'
  /** The changed fields and their new values (empty for a delete). */
  fields: Record<string, unknown>
  /** Epoch milliseconds of the local write. */
  at: number
  /** Hybrid logical clock stamp of the write: decides which write wins a conflict. */
  hlc: string
  /** What the device had pulled when the write was made (`through` of the last pull that ended). */
  seen?: number
}

/** A change the endpoint refused, kept until the user has seen why. */
export interface Rejection {
  id?: number
  table: SyncedTable
  recordId: string
  op: 'upsert' | 'delete'
  fields: Record<string, unknown>
  reason: 'forbidden' | 'invalid' | 'deleted'
  detail?: string
  at: number
}

/** A half-filled form, kept so a phone call or an app switch loses nothing. */
export interface Draft {
  key: string
  value: unknown
  savedAt: number
}

export interface Setting {
  key: string
  value: unknown
}

/**
 * The device's data key, wrapped (AES-GCM) under a key derived from the user's passphrase with
 * PBKDF2. Stored readable: without the passphrase it is useless. One row, id `dataKey`.
 */
export interface KeyringEntry {
  id: 'dataKey'
  kdf: { name: 'PBKDF2'; hash: 'SHA-256'; iterations: number; salt: Uint8Array<ArrayBuffer> }
  wrapIv: Uint8Array<ArrayBuffer>
  wrappedKey: ArrayBuffer
  /** Wrong passphrases in a row; at the limit the device wipes itself. */
  failedAttempts: number
  createdAt: number
  changedAt: number
}

export type LotseDatabase = Dexie & {
  mentees: EntityTable<Mentee, 'id'>
  notes: EntityTable<Note, 'id'>
  appointments: EntityTable<Appointment, 'id'>
  checklistItems: EntityTable<ChecklistItem, 'id'>
  events: EntityTable<FairEvent, 'id'>
  leads: EntityTable<Lead, 'id'>
  outbox: EntityTable<OutboxEntry, 'seq'>
  drafts: EntityTable<Draft, 'key'>
  settings: EntityTable<Setting, 'key'>
  rejections: EntityTable<Rejection, 'id'>
  keyring: EntityTable<KeyringEntry, 'id'>
}

export const DATABASE_NAME = 'lotse'
/** The settings key of the last stamp the device's clock issued (src/db/clock.ts). */
export const CLOCK_LAST_SETTING = 'clockLast'

/**
 * Schema history. Never edit a released version: add a new `db.version(n)` with an upgrade
 * function, so a phone that skipped releases still migrates step by step. Indexes carry no
 * personal values (ids, dates, stage), which keeps later encryption of content possible.
 */
export function defineSchema(db: Dexie): void {
  db.version(1).stores({
    mentees: 'id, updatedAt, stage, permitExpiry, expectedLeavingDate',
    notes: 'id, menteeId, followUpDue, updatedAt',
    appointments: 'id, menteeId, startsAt, updatedAt',
    checklistItems: 'id, appointmentId, updatedAt',
    outbox: '++seq, [table+recordId]',
    drafts: 'key',
    settings: 'key',
  })
  // v2, sync: outbox entries carry the clock stamp of their write; refused changes are kept.
  db.version(2)
    .stores({ rejections: '++id, at' })
    .upgrade(async (tx) => {
      // Stamps follow the order the changes were made (outbox order), even where the phone's
      // clock went back, and the clock starts past the last of them.
      const node = `upgrade-${crypto.randomUUID()}`
      let millis = 0
      let counter = 0
      let last: string | undefined
      await tx
        .table<OutboxEntry, number>('outbox')
        .toCollection()
        .modify((entry) => {
          if (entry.hlc) return
          if (entry.at > millis) {
            millis = entry.at
            counter = 0
          } else if (++counter > 99_999) {
            millis += 1
            counter = 0
          }
          entry.hlc = formatStamp({ millis, counter, node })
          last = entry.hlc
        })
      if (last) {
        const stored = (await tx.table<Setting, string>('settings').get(CLOCK_LAST_SETTING))?.value
        if (typeof stored !== 'string' || stored < last) await tx.table<Setting, string>('settings').put({ key: CLOCK_LAST_SETTING, value: last })
      }
    })
  // v3, encryption at rest (src/db/sealing.ts): the wrapped data key. Rows written before it stay
  // readable until the first passphrase is set; then `sealEveryRow` seals them all.
  db.version(3).stores({ keyring: 'id' })
  // v4, job fairs: events and the people captured at them.
  db.version(4).stores({
    events: 'id, date, updatedAt',
    leads: 'id, eventId, followUpDue, updatedAt',
  })
}

/** Every synced table: what a write transaction that may touch any record must include. */
export function syncedTablesOf(db: LotseDatabase): Table[] {
  return [db.mentees, db.notes, db.appointments, db.checklistItems, db.events, db.leads]
}

export function openDatabase(name = DATABASE_NAME): LotseDatabase {
  const db = new Dexie(name) as LotseDatabase
  db.use(sealingMiddleware(name))
  defineSchema(db)
  return db
}

let current: LotseDatabase | undefined

/** The app's database, opened on first use. */
export function getDatabase(): LotseDatabase {
  current ??= openDatabase()
  return current
}

/** For tests: use a fresh database (e.g. one per test on fake-indexeddb). */
export function useDatabase(db: LotseDatabase): void {
  current = db
}

/** Removes every local record, change and setting of this device, and starts an empty database. */
export async function deleteLocalDatabase(): Promise<void> {
  const db = getDatabase()
  const name = db.name
  dropDataKey(name)
  db.close()
  await Dexie.delete(name)
  current = openDatabase(name)
}
