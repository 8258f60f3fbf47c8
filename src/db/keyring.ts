import { deleteLocalDatabase, getDatabase, type KeyringEntry } from './db'
import { guarded } from './errors'
import { dropDataKey, holdDataKey, holdsDataKey, newDataKey, SEALED_TABLES } from './sealing'

/**
 * The device's data key and the passphrase that guards it. The data key is random; what is
 * stored is that key wrapped under a key derived from the passphrase (PBKDF2-SHA-256), so a
 * lost phone's database is unreadable without the passphrase, and changing the passphrase
 * rewraps the key without touching a single record.
 */

/** OWASP's 2023 figure for PBKDF2-HMAC-SHA-256; stored per device so it can be raised later. */
export const PBKDF2_ITERATIONS = 600_000
export const SALT_BYTES = 16
/** Wrong passphrases in a row after which the device wipes its data. */
export const MAX_FAILED_ATTEMPTS = 10
export const MIN_PASSPHRASE_LENGTH = 8

const KEY_ID = 'dataKey'
const encoder = new TextEncoder()

export type UnlockOutcome = { ok: true } | { ok: false; reason: 'wrongPassphrase'; attemptsLeft: number } | { ok: false; reason: 'wiped' }

async function wrappingKey(passphrase: string, kdf: KeyringEntry['kdf']): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', encoder.encode(passphrase.normalize('NFC')), 'PBKDF2', false, ['deriveKey'])
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: kdf.hash, salt: kdf.salt, iterations: kdf.iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['wrapKey', 'unwrapKey'],
  )
}

async function wrap(dataKey: CryptoKey, passphrase: string, iterations: number): Promise<Pick<KeyringEntry, 'kdf' | 'wrapIv' | 'wrappedKey'>> {
  const kdf: KeyringEntry['kdf'] = { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: crypto.getRandomValues(new Uint8Array(SALT_BYTES)) }
  const wrapIv = crypto.getRandomValues(new Uint8Array(12))
  const wrappedKey = await crypto.subtle.wrapKey('raw', dataKey, await wrappingKey(passphrase, kdf), { name: 'AES-GCM', iv: wrapIv })
  return { kdf, wrapIv, wrappedKey }
}

/** The data key, or null when the passphrase is wrong (AES-GCM's tag does not match). */
async function unwrap(entry: KeyringEntry, passphrase: string, extractable: boolean): Promise<CryptoKey | null> {
  try {
    return await crypto.subtle.unwrapKey(
      'raw',
      entry.wrappedKey,
      await wrappingKey(passphrase, entry.kdf),
      { name: 'AES-GCM', iv: entry.wrapIv },
      { name: 'AES-GCM' },
      extractable,
      ['encrypt', 'decrypt'],
    )
  } catch (error) {
    if (error instanceof Error && error.name === 'OperationError') return null
    throw error
  }
}

async function readEntry(): Promise<KeyringEntry | undefined> {
  return guarded(() => getDatabase().keyring.get(KEY_ID))
}

export async function hasKeyring(): Promise<boolean> {
  return (await readEntry()) !== undefined
}

/** The held copy of the key cannot be exported, not even by code running in the page. */
async function holdCopy(dataKey: CryptoKey): Promise<void> {
  const raw = await crypto.subtle.exportKey('raw', dataKey)
  const held = await crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt'])
  new Uint8Array(raw).fill(0)
  holdDataKey(getDatabase().name, held)
}

/**
 * First passphrase on this device: a new data key, wrapped and stored, held from now on; rows
 * stored before (by an app version without encryption) are sealed.
 */
export async function createKeyring(passphrase: string, iterations = PBKDF2_ITERATIONS): Promise<void> {
  const dataKey = await newDataKey(true)
  const now = Date.now()
  const entry: KeyringEntry = { id: KEY_ID, ...(await wrap(dataKey, passphrase, iterations)), failedAttempts: 0, createdAt: now, changedAt: now }
  await guarded(() => getDatabase().keyring.put(entry))
  await holdCopy(dataKey)
  await sealEveryRow()
}

/**
 * Unlocks with the passphrase. Wrong ones are counted across restarts; the tenth in a row wipes
 * the device. Stored key-derivation parameters weaker than today's are raised on the way.
 */
export async function unlock(passphrase: string): Promise<UnlockOutcome> {
  const entry = await readEntry()
  if (!entry) return { ok: false, reason: 'wiped' }
  const outdated = entry.kdf.iterations < PBKDF2_ITERATIONS
  const dataKey = await unwrap(entry, passphrase, outdated)
  if (!dataKey) return countFailedAttempt(entry)
  if (outdated) {
    const rewrapped = await wrapFresh(dataKey, passphrase)
    await guarded(() => getDatabase().keyring.put({ ...entry, ...rewrapped, failedAttempts: 0 }))
    await holdCopy(dataKey)
  } else {
    if (entry.failedAttempts > 0) await guarded(() => getDatabase().keyring.update(KEY_ID, { failedAttempts: 0 }))
    holdDataKey(getDatabase().name, dataKey)
  }
  return { ok: true }
}

/** One more wrong passphrase in a row: counted across restarts; the tenth wipes the device. */
async function countFailedAttempt(entry: KeyringEntry): Promise<UnlockOutcome> {
  const failedAttempts = entry.failedAttempts + 1
  if (failedAttempts >= MAX_FAILED_ATTEMPTS) {
    await wipeLocalData()
    return { ok: false, reason: 'wiped' }
  }
  await guarded(() => getDatabase().keyring.update(KEY_ID, { failedAttempts }))
  return { ok: false, reason: 'wrongPassphrase', attemptsLeft: MAX_FAILED_ATTEMPTS - failedAttempts }
}

/**
 * Checks the passphrase while the device stays as it is (unlocked or not): for handing the phone
 * back from a visitor to its user. Wrong ones count toward the wipe exactly as for unlocking, so
 * guessing here is no easier than on the lock screen; the right one resets the count.
 */
export async function verifyPassphrase(passphrase: string): Promise<UnlockOutcome> {
  const entry = await readEntry()
  if (!entry) return { ok: false, reason: 'wiped' }
  if (!(await unwrap(entry, passphrase, false))) return countFailedAttempt(entry)
  if (entry.failedAttempts > 0) await guarded(() => getDatabase().keyring.update(KEY_ID, { failedAttempts: 0 }))
  return { ok: true }
}

async function wrapFresh(dataKey: CryptoKey, passphrase: string) {
  return { ...(await wrap(dataKey, passphrase, PBKDF2_ITERATIONS)), changedAt: Date.now() }
}

/** Rewraps the data key under a new passphrase; no record is touched. False if `current` is wrong. */
export async function changePassphrase(current: string, next: string): Promise<boolean> {
  const entry = await readEntry()
  if (!entry) return false
  const dataKey = await unwrap(entry, current, true)
  if (!dataKey) return false
  const rewrapped = await wrapFresh(dataKey, next)
  await guarded(() => getDatabase().keyring.put({ ...entry, ...rewrapped, failedAttempts: 0 }))
  return true
}

/** Drops the data key from memory: until the next unlock, nothing personal can be read. */
export function lockLocalData(): void {
  dropDataKey(getDatabase().name)
}

/**
 * Removes everything of this user from the device: the database (records, changes, drafts, the
 * wrapped key) and every cache but the app's own code.
 */
export async function wipeLocalData(): Promise<void> {
  await deleteLocalDatabase()
  if (typeof caches !== 'undefined') {
    const names = await caches.keys()
    await Promise.all(names.filter((name) => !name.startsWith('workbox-precache')).map((name) => caches.delete(name)))
  }
}

/** Reads every row and writes it back through the sealing layer, table by table. */
async function sealEveryRow(): Promise<void> {
  const db = getDatabase()
  for (const name of SEALED_TABLES) {
    const table = db.table(name)
    await guarded(() =>
      db.transaction('rw', table, async () => {
        const rows = await table.toArray()
        if (rows.length > 0) await table.bulkPut(rows)
      }),
    )
  }
}

/** Whether the data key is held: personal data can be read and written. */
export function isUnlocked(): boolean {
  return holdsDataKey(getDatabase().name)
}
