import type { DBCore, DBCoreMutateRequest, DBCoreTable, DBCoreTransaction, Middleware } from 'dexie'

/**
 * Encryption at rest. Every personal field is sealed with AES-GCM (WebCrypto, a fresh 12-byte IV
 * per write) under the device's data key before it reaches IndexedDB; only what the indexes need
 * (ids, dates, stage) and sync bookkeeping stay readable. The sealing sits at the bottom of
 * Dexie's middleware stack, so repositories and sync read and write plain records and cannot
 * forget it.
 */

/** The fields of each table that stay readable; every other field is sealed. */
const READABLE_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  mentees: new Set(['id', 'createdAt', 'updatedAt', 'deletedAt', 'stage', 'permitExpiry', 'expectedLeavingDate']),
  notes: new Set(['id', 'menteeId', 'followUpDue', 'createdAt', 'updatedAt', 'deletedAt']),
  appointments: new Set(['id', 'menteeId', 'startsAt', 'createdAt', 'updatedAt', 'deletedAt']),
  checklistItems: new Set(['id', 'appointmentId', 'createdAt', 'updatedAt', 'deletedAt']),
  events: new Set(['id', 'date', 'createdAt', 'updatedAt', 'deletedAt']),
  leads: new Set(['id', 'eventId', 'followUpDue', 'createdAt', 'updatedAt', 'deletedAt']),
  outbox: new Set(['seq', 'table', 'recordId', 'op', 'at', 'hlc']),
  rejections: new Set(['id', 'table', 'recordId', 'op', 'reason', 'at']),
  drafts: new Set(['key', 'savedAt']),
  settings: new Set(['key']),
}

/** Settings that hold personal data or secrets (the session token, the user's name). */
const SEALED_SETTINGS: ReadonlySet<string> = new Set(['session'])

/** Where a row keeps its sealed fields: IV (12 bytes) followed by the AES-GCM ciphertext. */
const SEALED = '$sealed'
const IV_BYTES = 12

/** Reading or writing personal data while the data key is not held (before unlock, after lock). */
export class LockedError extends Error {
  constructor() {
    super('the local data is locked')
    this.name = 'LockedError'
  }
}

const heldKeys = new Map<string, CryptoKey>()
let keyForEveryDatabase: CryptoKey | undefined

/** Unlocks the database of this name: its data key, in memory only. */
export function holdDataKey(databaseName: string, key: CryptoKey): void {
  heldKeys.set(databaseName, key)
}

/** Locks the database of this name: the key is dropped, sealed rows can no longer be read. */
export function dropDataKey(databaseName: string): void {
  heldKeys.delete(databaseName)
}

export function holdsDataKey(databaseName: string): boolean {
  return keyFor(databaseName) !== undefined
}

/**
 * Tests and benchmarks only: every database without a key of its own seals with this one, so
 * the whole suite runs on sealed storage without going through a passphrase each time.
 */
export function useKeyForEveryDatabase(key: CryptoKey | undefined): void {
  keyForEveryDatabase = key
}

function keyFor(databaseName: string): CryptoKey | undefined {
  return heldKeys.get(databaseName) ?? keyForEveryDatabase
}

export async function newDataKey(extractable: boolean): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, extractable, ['encrypt', 'decrypt'])
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const additionalData = new Map<string, Uint8Array>()

/** The table's name is authenticated with each row, so a sealed row moved to another table fails to open. */
function aad(table: string): Uint8Array<ArrayBuffer> {
  let data = additionalData.get(table)
  if (!data) additionalData.set(table, (data = encoder.encode(`lotse:${table}`)))
  return data as Uint8Array<ArrayBuffer>
}

function needsSealing(table: string, row: Record<string, unknown>): boolean {
  return table !== 'settings' || SEALED_SETTINGS.has(String(row.key))
}

/** `crypto.getRandomValues` fills at most this many bytes per call. */
const RANDOM_BYTES_PER_CALL = 65_536

/** Fresh random IVs for `count` rows, drawn together (one call per 5,461 rows rather than one per row). */
function freshIvs(count: number): Uint8Array<ArrayBuffer> {
  const ivs = new Uint8Array(count * IV_BYTES)
  for (let start = 0; start < ivs.length; start += RANDOM_BYTES_PER_CALL) {
    crypto.getRandomValues(ivs.subarray(start, start + RANDOM_BYTES_PER_CALL))
  }
  return ivs
}

/** Seals one row with the IV given (12 fresh random bytes, copied into the stored value). */
async function sealRow(key: CryptoKey, table: string, row: Record<string, unknown>, iv: Uint8Array<ArrayBuffer>): Promise<Record<string, unknown>> {
  const readable = READABLE_FIELDS[table]!
  const kept: Record<string, unknown> = {}
  const secret: Record<string, unknown> = {}
  for (const field in row) {
    if (field === SEALED || !Object.hasOwn(row, field)) continue
    if (readable.has(field)) kept[field] = row[field]
    else secret[field] = row[field]
  }
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(table) }, key, encoder.encode(JSON.stringify(secret)))
  const sealed = new Uint8Array(IV_BYTES + ciphertext.byteLength)
  sealed.set(iv)
  sealed.set(new Uint8Array(ciphertext), IV_BYTES)
  kept[SEALED] = sealed
  return kept
}

/** Seals the rows that need it, all at once (WebCrypto works on them off the main thread). */
function sealRows(key: CryptoKey, table: string, rows: readonly Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
  const ivs = freshIvs(rows.length)
  return Promise.all(rows.map((row, i) => (needsSealing(table, row) ? sealRow(key, table, row, ivs.subarray(i * IV_BYTES, (i + 1) * IV_BYTES)) : row)))
}

/** Rows sealed by `sealAhead`, each with its sealed form and the key that sealed it; used for one write. */
const sealedAhead = new WeakMap<object, { key: CryptoKey; sealed: Record<string, unknown> }>()

function deepFreeze(value: unknown): void {
  if (!value || typeof value !== 'object' || Object.isFrozen(value)) return
  Object.freeze(value)
  for (const field of Object.values(value)) deepFreeze(field)
}

/**
 * Seals rows ahead of the transaction that writes them, so WebCrypto's work needs no transaction
 * kept alive and can run while other work does (the next pulled page is sealed while the one
 * before it is written). The rows are frozen: what is written is what was sealed. When one of
 * them is written (`add` or `put`) while the same key is held, its sealed form is stored as it
 * is, once; otherwise it is sealed again like any other row (or refused while locked).
 */
export async function sealAhead(databaseName: string, table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  if (!(table in READABLE_FIELDS) || rows.length === 0) return
  const key = keyFor(databaseName)
  if (!key) throw new LockedError()
  for (const row of rows) deepFreeze(row)
  const sealed = await sealRows(key, table, rows)
  rows.forEach((row, i) => sealedAhead.set(row, { key, sealed: sealed[i]! }))
}

async function openRow(key: CryptoKey | undefined, table: string, row: unknown): Promise<unknown> {
  if (!row || typeof row !== 'object' || !(SEALED in row)) return row
  if (!key) throw new LockedError()
  const { [SEALED]: sealed, ...kept } = row as Record<string, unknown>
  const bytes = sealed as Uint8Array<ArrayBuffer>
  const plaintext = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES), additionalData: aad(table) },
    key,
    bytes.subarray(IV_BYTES),
  )
  return { ...kept, ...(JSON.parse(decoder.decode(plaintext)) as Record<string, unknown>) }
}

/** Whether a stored row is sealed (for checks that no personal data is left readable). */
export function isSealedRow(row: unknown): boolean {
  return Boolean(row && typeof row === 'object' && SEALED in row)
}

/**
 * Waits for non-IndexedDB work (WebCrypto) inside a transaction. IndexedDB commits a transaction
 * that has no request pending, so cheap reads keep it alive; the result is handed on from inside
 * a request's success callback, where the transaction still accepts requests.
 *
 * The read looks up a key no row has (no table of Lotse has number keys below 1): one seek in
 * the index, whatever the size of the table. (`count()`, used before, walks every row in
 * Chromium: ~20 ms a call on a table of 100,000 notes, many calls per bulk write.)
 */
const NO_SUCH_KEY = -Infinity

function keepingAlive<T>(trans: DBCoreTransaction, storeName: string, work: Promise<T>): Promise<T> {
  const idbTransaction = trans as unknown as IDBTransaction
  return new Promise<T>((resolve, reject) => {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined
    work.then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    )
    const spin = (): void => {
      if (outcome) {
        if (outcome.ok) resolve(outcome.value)
        else reject(outcome.error)
        return
      }
      let request: IDBRequest
      try {
        request = idbTransaction.objectStore(storeName).get(NO_SUCH_KEY)
      } catch (error) {
        // The transaction ended (aborted elsewhere): report the work's own outcome if it has one.
        work.then(resolve, reject)
        void error
        return
      }
      request.onsuccess = spin
      request.onerror = () => reject(request.error)
    }
    spin()
  })
}

function isUpgrade(trans: DBCoreTransaction): boolean {
  return (trans as unknown as IDBTransaction).mode === 'versionchange'
}

function sealingTable(databaseName: string, down: DBCoreTable): DBCoreTable {
  const name = down.name
  const open = (rows: readonly unknown[], trans: DBCoreTransaction): Promise<unknown[]> => {
    if (!rows.some(isSealedRow)) return Promise.resolve([...rows])
    const key = keyFor(databaseName)
    return keepingAlive(trans, name, Promise.all(rows.map((row) => openRow(key, name, row))))
  }
  return {
    ...down,
    mutate(req: DBCoreMutateRequest) {
      if (req.type !== 'add' && req.type !== 'put') return down.mutate(req)
      const rows = req.values as Record<string, unknown>[]
      if (!rows.some((row) => needsSealing(name, row))) return down.mutate(req)
      const key = keyFor(databaseName)
      if (!key) {
        // A schema upgrade rewrites rows as it finds them: before the first passphrase they are
        // not sealed yet, and sealing them then is `sealEveryRow`'s work.
        if (isUpgrade(req.trans) && !rows.some(isSealedRow)) return down.mutate(req)
        return Promise.reject(new LockedError())
      }
      // Rows sealed ahead under this key are stored as sealed then; only the others are sealed now.
      const values: Record<string, unknown>[] = new Array<Record<string, unknown>>(rows.length)
      const toSeal: number[] = []
      rows.forEach((row, i) => {
        const ahead = sealedAhead.get(row)
        if (ahead) sealedAhead.delete(row)
        if (ahead?.key === key) values[i] = ahead.sealed
        else toSeal.push(i)
      })
      if (toSeal.length === 0) return down.mutate({ ...req, values } as DBCoreMutateRequest)
      return keepingAlive(req.trans, name, sealRows(key, name, toSeal.map((i) => rows[i]!))).then((sealed) => {
        toSeal.forEach((i, j) => (values[i] = sealed[j]!))
        return down.mutate({ ...req, values } as DBCoreMutateRequest)
      })
    },
    get(req) {
      return down.get(req).then((row: unknown) => open([row], req.trans).then(([opened]) => opened))
    },
    getMany(req) {
      return down.getMany(req).then((rows) => open(rows, req.trans))
    },
    query(req) {
      return down.query(req).then((response) =>
        req.values === false ? response : open(response.result, req.trans).then((result) => ({ ...response, result })),
      )
    },
    openCursor(req) {
      // A cursor hands its values over synchronously; WebCrypto cannot open them that fast.
      if (req.values !== false) return Promise.reject(new Error(`cursor over sealed table ${name}: read with toArray() instead`))
      return down.openCursor(req)
    },
  }
}

/** The Dexie middleware that seals personal fields of the database of this name. */
export function sealingMiddleware(databaseName: string): Middleware<DBCore> {
  return {
    stack: 'dbcore',
    name: 'Sealing',
    // Below every other middleware: they all see plain records, only IndexedDB sees sealed ones.
    level: -10,
    create: (down) => ({
      ...down,
      table: (tableName) => (tableName in READABLE_FIELDS ? sealingTable(databaseName, down.table(tableName)) : down.table(tableName)),
    }),
  }
}

/** Tables whose rows carry sealed fields (what `sealEveryRow` rewrites after the first passphrase). */
export const SEALED_TABLES = Object.keys(READABLE_FIELDS)
