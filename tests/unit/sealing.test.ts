import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Dexie } from 'dexie'
import { getDatabase, type LotseDatabase } from '@/db/db'
import { StorageError } from '@/db/errors'
import { changePassphrase, createKeyring, hasKeyring, lockLocalData, MAX_FAILED_ATTEMPTS, PBKDF2_ITERATIONS, SALT_BYTES, unlock, verifyPassphrase } from '@/db/keyring'
import { createMentee, getMentee, listMentees } from '@/db/repositories/mentees'
import { saveNote, listNotesOf } from '@/db/repositories/notes'
import { saveDraft, loadDraft } from '@/db/repositories/drafts'
import { readSession, saveSession } from '@/db/sync-store'
import { holdsDataKey, isSealedRow, LockedError, newDataKey, sealAhead, useKeyForEveryDatabase } from '@/db/sealing'
import { fictionalMentee, freshDatabase } from './helpers'

const CANARY = 'ZZCANARY'
/** Fast key derivation for tests that are not about its cost. */
const FEW_ITERATIONS = 1_000

let db: LotseDatabase
let everyDatabaseKey: CryptoKey

/** The rows exactly as IndexedDB holds them, read without the sealing layer. */
async function rawRows(table: string): Promise<Record<string, unknown>[]> {
  const raw = new Dexie(db.name)
  await raw.open()
  try {
    return (await raw.table(table).toArray()) as Record<string, unknown>[]
  } finally {
    raw.close()
  }
}

function containsCanary(rows: unknown[]): boolean {
  const text = JSON.stringify(rows, (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('latin1') : value))
  return text.includes(CANARY) || text.includes(Buffer.from(CANARY).toString('base64'))
}

beforeEach(async () => {
  everyDatabaseKey = await newDataKey(false)
  useKeyForEveryDatabase(everyDatabaseKey)
  db = freshDatabase()
})

afterEach(() => {
  useKeyForEveryDatabase(everyDatabaseKey)
})

describe('sealing at rest', () => {
  it('keeps personal fields only sealed in IndexedDB, and reads them back as written', async () => {
    const mentee = await createMentee(fictionalMentee({ givenName: `${CANARY}Vorname`, phone: '+49 000 0000', stage: 'accompanied' }))
    await saveNote(undefined, { menteeId: mentee.id, date: '2026-01-05', kind: 'talk', text: `Gespräch ${CANARY}`, topics: [], followUpText: '', followUpDue: '2026-02-01', followUpDone: false })
    await saveDraft('note:new', { text: `${CANARY} halb getippt` })
    await saveSession({ token: `${CANARY}-token`, deviceId: 'device-1', user: { id: 'u1', username: `${CANARY}user`, role: 'coach', teamId: 't1' } } as never)

    for (const table of ['mentees', 'notes', 'outbox', 'drafts', 'settings']) {
      expect(containsCanary(await rawRows(table)), table).toBe(false)
    }
    const [stored] = await rawRows('mentees')
    expect(isSealedRow(stored)).toBe(true)
    // What the indexes need stays readable: ids, dates, stage.
    expect(stored).toMatchObject({ id: mentee.id, stage: 'accompanied' })
    expect(stored).not.toHaveProperty('givenName')
    expect(stored).not.toHaveProperty('phone')
    const [note] = await rawRows('notes')
    expect(note).toMatchObject({ menteeId: mentee.id, followUpDue: '2026-02-01' })
    expect(note).not.toHaveProperty('text')

    expect((await getMentee(mentee.id))?.givenName).toBe(`${CANARY}Vorname`)
    expect((await listNotesOf(mentee.id))[0]?.text).toBe(`Gespräch ${CANARY}`)
    expect(await loadDraft('note:new')).toEqual({ text: `${CANARY} halb getippt` })
    expect((await readSession())?.token).toBe(`${CANARY}-token`)
  })

  it('uses a fresh IV for every write: the same record written twice never looks the same', async () => {
    const mentee = await createMentee(fictionalMentee())
    const [first] = await rawRows('mentees')
    await db.mentees.put({ ...mentee })
    const [second] = await rawRows('mentees')
    expect(Buffer.from(second!.$sealed as Uint8Array).equals(Buffer.from(first!.$sealed as Uint8Array))).toBe(false)
  })

  it('refuses to read or write personal data while locked, and writes nothing half', async () => {
    await createMentee(fictionalMentee())
    useKeyForEveryDatabase(undefined)
    expect(holdsDataKey(db.name)).toBe(false)
    await expect(listMentees()).rejects.toMatchObject({ kind: 'locked' })
    await expect(createMentee(fictionalMentee())).rejects.toBeInstanceOf(StorageError)
    await expect(createMentee(fictionalMentee())).rejects.toMatchObject({ kind: 'locked' })
    expect(await rawRows('mentees')).toHaveLength(1)
    expect(await rawRows('outbox')).toHaveLength(1)
  })

  it('stores rows sealed ahead of their write sealed, each sealed form once, and only under the key that sealed it', async () => {
    const row = { ...fictionalMentee({ givenName: `${CANARY}Vorab` }), id: 'ahead-1', createdAt: 1, updatedAt: 1 }
    const other = { ...fictionalMentee({ givenName: `${CANARY}Anders` }), id: 'ahead-2', createdAt: 1, updatedAt: 1 }
    await sealAhead(db.name, 'mentees', [row, other])
    // What is written is what was sealed: the rows cannot change in between.
    expect(Object.isFrozen(row)).toBe(true)
    expect(() => ((row as { givenName: string }).givenName = 'geändert')).toThrow()

    await db.mentees.bulkAdd([row])
    const [first] = await rawRows('mentees')
    expect(isSealedRow(first)).toBe(true)
    expect(containsCanary([first])).toBe(false)
    expect((await getMentee('ahead-1'))?.givenName).toBe(`${CANARY}Vorab`)
    // Written again: sealed again, with a fresh IV.
    await db.mentees.put(row)
    const [second] = await rawRows('mentees')
    expect(Buffer.from(second!.$sealed as Uint8Array).equals(Buffer.from(first!.$sealed as Uint8Array))).toBe(false)

    // Sealed under a key that is no longer the one held: sealed again under the current one.
    useKeyForEveryDatabase(await newDataKey(false))
    await db.mentees.clear()
    await db.mentees.put(other)
    expect(containsCanary(await rawRows('mentees'))).toBe(false)
    expect((await getMentee('ahead-2'))?.givenName).toBe(`${CANARY}Anders`)

    useKeyForEveryDatabase(undefined)
    await expect(sealAhead(db.name, 'mentees', [{ ...row }])).rejects.toBeInstanceOf(LockedError)
  })

  it('cannot be opened with another key', async () => {
    await createMentee(fictionalMentee())
    useKeyForEveryDatabase(await newDataKey(false))
    await expect(listMentees()).rejects.toBeInstanceOf(StorageError)
  })
})

describe('passphrase and data key', () => {
  beforeEach(() => {
    // The key comes from the passphrase here, not from the test set-up.
    useKeyForEveryDatabase(undefined)
  })

  it('derives the wrapping key with PBKDF2-SHA-256, 600,000 iterations and a 16-byte salt, all stored', async () => {
    await createKeyring('richtig-lang-genug')
    const [entry] = await rawRows('keyring')
    expect(entry).toMatchObject({ kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations: PBKDF2_ITERATIONS } })
    expect(PBKDF2_ITERATIONS).toBeGreaterThanOrEqual(600_000)
    expect((entry!.kdf as { salt: Uint8Array }).salt).toHaveLength(SALT_BYTES)
    expect(JSON.stringify(entry)).not.toContain('richtig-lang-genug')
  })

  it('rejects a wrong passphrase and counts it; the right one unlocks and resets the count', async () => {
    await createKeyring('richtig-lang-genug', FEW_ITERATIONS)
    const mentee = await createMentee(fictionalMentee({ givenName: 'Vor dem Sperren' }))
    lockLocalData()
    await expect(getMentee(mentee.id)).rejects.toMatchObject({ kind: 'locked' })

    expect(await unlock('falsch')).toEqual({ ok: false, reason: 'wrongPassphrase', attemptsLeft: MAX_FAILED_ATTEMPTS - 1 })
    expect(await unlock('auch falsch')).toEqual({ ok: false, reason: 'wrongPassphrase', attemptsLeft: MAX_FAILED_ATTEMPTS - 2 })
    expect(holdsDataKey(db.name)).toBe(false)
    expect(await unlock('richtig-lang-genug')).toEqual({ ok: true })
    expect((await getMentee(mentee.id))?.givenName).toBe('Vor dem Sperren')
    expect((await rawRows('keyring'))[0]).toMatchObject({ failedAttempts: 0 })
  })

  it('checks a passphrase without locking or unlocking, counting wrong ones together with unlock', async () => {
    await createKeyring('richtig-lang-genug', FEW_ITERATIONS)
    expect(holdsDataKey(db.name)).toBe(true)
    expect(await verifyPassphrase('falsch')).toEqual({ ok: false, reason: 'wrongPassphrase', attemptsLeft: MAX_FAILED_ATTEMPTS - 1 })
    // Still unlocked: a visitor guessing at the hand-over does not lock the guide out of the data.
    expect(holdsDataKey(db.name)).toBe(true)
    lockLocalData()
    expect(await unlock('auch falsch')).toEqual({ ok: false, reason: 'wrongPassphrase', attemptsLeft: MAX_FAILED_ATTEMPTS - 2 })
    expect(await verifyPassphrase('richtig-lang-genug')).toEqual({ ok: true })
    // Right, but it does not unlock either.
    expect(holdsDataKey(db.name)).toBe(false)
    expect((await rawRows('keyring'))[0]).toMatchObject({ failedAttempts: 0 })
  })

  it(`wipes the device after ${MAX_FAILED_ATTEMPTS} wrong passphrases given at the hand-over`, async () => {
    await createKeyring('richtig-lang-genug', FEW_ITERATIONS)
    await createMentee(fictionalMentee())
    for (let attempt = 1; attempt < MAX_FAILED_ATTEMPTS; attempt++) {
      expect(await verifyPassphrase(`falsch-${attempt}`)).toMatchObject({ ok: false, reason: 'wrongPassphrase' })
    }
    expect(await verifyPassphrase('falsch-zuletzt')).toEqual({ ok: false, reason: 'wiped' })
    expect(await hasKeyring()).toBe(false)
    expect(await getDatabase().mentees.count()).toBe(0)
  })

  it('keeps every record through a passphrase change; only the new passphrase unlocks', async () => {
    await createKeyring('erste-passphrase', FEW_ITERATIONS)
    const mentee = await createMentee(fictionalMentee({ givenName: 'Bleibt' }))
    const sealedBefore = await rawRows('mentees')

    expect(await changePassphrase('nicht-die-aktuelle', 'zweite-passphrase')).toBe(false)
    expect(await changePassphrase('erste-passphrase', 'zweite-passphrase')).toBe(true)
    // Only the key was rewrapped: the records are byte for byte what they were.
    expect(await rawRows('mentees')).toEqual(sealedBefore)

    lockLocalData()
    expect(await unlock('erste-passphrase')).toMatchObject({ ok: false, reason: 'wrongPassphrase' })
    expect(await unlock('zweite-passphrase')).toEqual({ ok: true })
    expect((await getMentee(mentee.id))?.givenName).toBe('Bleibt')
  })

  it(`wipes the device after ${MAX_FAILED_ATTEMPTS} wrong passphrases in a row`, async () => {
    await createKeyring('richtig-lang-genug', FEW_ITERATIONS)
    await createMentee(fictionalMentee())
    lockLocalData()
    for (let attempt = 1; attempt < MAX_FAILED_ATTEMPTS; attempt++) {
      expect(await unlock(`falsch-${attempt}`)).toMatchObject({ ok: false, reason: 'wrongPassphrase' })
    }
    expect(await unlock('falsch-zuletzt')).toEqual({ ok: false, reason: 'wiped' })
    expect(await hasKeyring()).toBe(false)
    expect(await getDatabase().mentees.count()).toBe(0)
    expect(await getDatabase().outbox.count()).toBe(0)
    // The right passphrase is no use any more: the wrapped key is gone with the data.
    expect(await unlock('richtig-lang-genug')).toEqual({ ok: false, reason: 'wiped' })
  })

  it('raises stored key-derivation parameters that are weaker than today’s at the next unlock', async () => {
    await createKeyring('richtig-lang-genug', FEW_ITERATIONS)
    lockLocalData()
    expect(await unlock('richtig-lang-genug')).toEqual({ ok: true })
    expect((await rawRows('keyring'))[0]).toMatchObject({ kdf: { iterations: PBKDF2_ITERATIONS } })
    lockLocalData()
    expect(await unlock('richtig-lang-genug')).toEqual({ ok: true })
  })

  it('seals rows stored before the first passphrase (an update from a version without encryption)', async () => {
    // Written as the previous release did: straight into IndexedDB, readable.
    const raw = new Dexie(db.name)
    await db.open()
    db.close()
    await raw.open()
    await raw.table('mentees').put({ ...fictionalMentee({ givenName: `${CANARY}Alt` }), id: 'legacy-1', createdAt: 1, updatedAt: 1 })
    raw.close()
    await db.open()
    expect(containsCanary(await rawRows('mentees'))).toBe(true)

    await createKeyring('richtig-lang-genug', FEW_ITERATIONS)
    expect(containsCanary(await rawRows('mentees'))).toBe(false)
    expect((await getMentee('legacy-1'))?.givenName).toBe(`${CANARY}Alt`)
  })
})
