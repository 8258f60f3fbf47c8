/**
 * A full device, in real Chromium: saving a person or a note fails with the storage-full message,
 * nothing is stored half (no record without its outbox entry, nor the other way round), the input
 * stays in the form, and once there is room again the same form saves.
 *
 * How the storage is made full. CDP `Storage.overrideQuotaForOrigin` is not enough in this
 * Chromium (156): with the quota overridden to 1,000 bytes (and `Storage.getUsageAndQuota`
 * confirming `quota: 1000, overrideActive: true`) a 5 MB IndexedDB write still commits; only
 * Cache Storage honours the override. In an incognito context (`browser.newContext()`) IndexedDB
 * lives in memory and even 3 GB went in without a quota error. So this test uses a persistent
 * profile (a temporary user-data directory) whose quota is made small with Chromium's
 * `StorageQuotaSettings` feature (`PoolSizeBytes` 40 MB → 30 MB per origin), fills the origin
 * with incompressible blobs in a database of its own until not even 64 bytes fit, and later frees
 * the room by deleting that database: the "make room and save again" the message asks for.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core'
import { CHROMIUM_PATH } from '../support/chromium'
import { collectPageErrors, createMentee, expectSealed, openSignedIn, POLL, readStores, startServer, text, type RunningServer } from './helpers'

const POOL_BYTES = 40_000_000
const FILLER_DATABASE = 'quota-test-filler'

let server: RunningServer
let profileDir: string
let context: BrowserContext

beforeAll(async () => {
  const starting = startServer()
  profileDir = await mkdtemp(path.join(os.tmpdir(), 'lotse-quota-profile-'))
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--enable-features=StorageQuotaSettings:PoolSizeBytes/${POOL_BYTES}`,
    ],
    headless: true,
    viewport: { width: 360, height: 740 },
    locale: 'de-DE',
    // The precache would only take part of the room; the app's writes are what this is about.
    serviceWorkers: 'block',
  })
  server = await starting
})

afterAll(async () => {
  await context?.close()
  if (profileDir) await rm(profileDir, { recursive: true, force: true })
  await server?.close()
})

/**
 * Fills the origin's storage with random bytes (so compression cannot shrink them) in a database
 * of its own, in ever smaller pieces, until a write of 64 bytes is refused. Returns the names of
 * the errors that refused the writes (all should be QuotaExceededError).
 */
function fillStorage(page: Page): Promise<{ pieces: number; refusals: string[] }> {
  return page.evaluate(async (name) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name, 1)
      request.onupgradeneeded = () => request.result.createObjectStore('filler', { autoIncrement: true })
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error ?? new Error('open failed'))
    })
    const write = (size: number) =>
      new Promise<string | null>((resolve) => {
        const bytes = new Uint8Array(size)
        for (let offset = 0; offset < size; offset += 65_536) crypto.getRandomValues(bytes.subarray(offset, Math.min(size, offset + 65_536)))
        const transaction = db.transaction('filler', 'readwrite')
        transaction.objectStore('filler').add(bytes)
        transaction.oncomplete = () => resolve(null)
        transaction.onabort = () => resolve(transaction.error?.name ?? 'abort')
      })
    let pieces = 0
    const refusals: string[] = []
    for (let size = 4 * 1024 * 1024; size >= 64; size = Math.floor(size / 4)) {
      for (let attempt = 0; attempt < 50; attempt += 1) {
        const refused = await write(size)
        if (refused) {
          refusals.push(refused)
          break
        }
        pieces += 1
      }
    }
    db.close()
    return { pieces, refusals }
  }, FILLER_DATABASE)
}

function freeStorage(page: Page): Promise<void> {
  return page.evaluate(
    (name) =>
      new Promise<void>((resolve, reject) => {
        const request = indexedDB.deleteDatabase(name)
        request.onsuccess = () => resolve()
        request.onerror = () => reject(request.error ?? new Error('delete failed'))
      }),
    FILLER_DATABASE,
  )
}

async function usage(cdp: CDPSession): Promise<{ usage: number; quota: number }> {
  const result = await cdp.send('Storage.getUsageAndQuota', { origin: server.baseUrl })
  return { usage: result.usage, quota: result.quota }
}

/** Sync sends what waits before the storage fills, so the outbox only changes by the saves below. */
async function waitUntilSent(page: Page): Promise<void> {
  await expect.poll(async () => (await readStores(page, ['outbox'])).outbox.length, POLL).toBe(0)
}

async function fillUp(page: Page, cdp: CDPSession): Promise<void> {
  const { quota } = await usage(cdp)
  expect(quota).toBe(POOL_BYTES * 0.75)
  const filled = await fillStorage(page)
  expect(filled.pieces).toBeGreaterThan(0)
  expect(new Set(filled.refusals)).toEqual(new Set(['QuotaExceededError']))
  expect((await usage(cdp)).usage).toBeGreaterThan(quota * 0.9)
}

async function makeRoom(page: Page, cdp: CDPSession): Promise<void> {
  await freeStorage(page)
  expect((await usage(cdp)).usage).toBeLessThan((await usage(cdp)).quota / 2)
}

const STORES = ['mentees', 'notes', 'appointments', 'checklistItems', 'outbox', 'settings', 'rejections'] as const

describe('a full device', () => {
  it('refuses a save as a whole with the storage message, keeps the input, and saves once there is room', async () => {
    const page = await context.newPage()
    const errors = collectPageErrors(page)
    const cdp = await context.newCDPSession(page)
    await openSignedIn(page, server)
    const known = await createMentee(page, server.baseUrl, { givenName: 'Testperson', familyName: 'Vorhanden' })
    const quotaMessage = text('de', 'errors.storage.quota')
    await waitUntilSent(page)

    // A new person while the storage is full: the save fails as a whole, with the German
    // message, and the input stays; after making room the same form saves.
    await page.goto(`${server.baseUrl}/mentees/new`)
    await page.getByTestId('given-name').fill('Speicher')
    await page.getByTestId('family-name').fill('Vollfall')
    await page.getByTestId('permit-expiry').fill('2031-02-03')
    await fillUp(page, cdp)
    let before = await readStores(page, [...STORES])
    await page.getByTestId('save-mentee').click()
    const alert = page.getByRole('alert')
    await alert.waitFor()
    expect(await alert.innerText()).toBe(quotaMessage)
    expect(new URL(page.url()).pathname).toBe('/mentees/new')
    expect(await page.getByTestId('given-name').inputValue()).toBe('Speicher')
    expect(await page.getByTestId('family-name').inputValue()).toBe('Vollfall')
    expect(await page.getByTestId('permit-expiry').inputValue()).toBe('2031-02-03')
    // Nothing was stored half: no record, no outbox entry, not even the clock's last stamp.
    expect(await readStores(page, [...STORES])).toEqual(before)

    await makeRoom(page, cdp)
    await page.getByTestId('save-mentee').click()
    await page.waitForURL(/\/mentees\/(?!new)[^/]+$/)
    const saved = new URL(page.url()).pathname.split('/').at(-1)!
    let after = await readStores(page, [...STORES])
    expect(after.mentees).toHaveLength(before.mentees.length + 1)
    // Stored sealed; of its fields only the permit date (an index) is readable on the device.
    const savedRow = after.mentees.find((m) => m.id === saved)
    expectSealed('mentees', savedRow)
    expect(savedRow).toMatchObject({ permitExpiry: '2031-02-03' })
    const savedChanges = after.outbox.filter((entry) => entry.recordId === saved)
    expect(savedChanges).toMatchObject([{ table: 'mentees', op: 'upsert' }])
    expectSealed('outbox', savedChanges[0])
    // The sealed values, on the profile and, once sent, on the endpoint.
    await expect.poll(() => page.getByTestId('mentee-name').innerText(), POLL).toMatch(/Speicher.*Vollfall|Vollfall.*Speicher/)
    await waitUntilSent(page)
    const { rows: sent } = await server.db.query<{ fields: Record<string, unknown> }>('SELECT fields FROM records WHERE id = $1', [saved])
    expect(sent[0]?.fields).toMatchObject({ givenName: 'Speicher', familyName: 'Vollfall', permitExpiry: '2031-02-03' })

    // A note on a known person: the same.
    await page.goto(`${server.baseUrl}/mentees/${known}`)
    await page.getByTestId('new-note').click()
    await page.getByTestId('note-text').fill('Diese Notiz passt erst später')
    await fillUp(page, cdp)
    before = await readStores(page, [...STORES])
    await page.getByTestId('save-note').click()
    const noteAlert = page.getByTestId('note-form').getByRole('alert')
    await noteAlert.waitFor()
    expect(await noteAlert.innerText()).toBe(quotaMessage)
    expect(await page.getByTestId('note-text').inputValue()).toBe('Diese Notiz passt erst später')
    expect(await readStores(page, [...STORES])).toEqual(before)

    await makeRoom(page, cdp)
    await page.getByTestId('save-note').click()
    await page.getByTestId('note-form').waitFor({ state: 'detached' })
    await expect.poll(() => page.getByTestId('note-timeline').locator('.timeline__text').allInnerTexts(), POLL).toContain('Diese Notiz passt erst später')
    after = await readStores(page, [...STORES])
    // The new note is the one row that was not there before (its text is sealed).
    const beforeNoteIds = new Set(before.notes.map((n) => n.id))
    const newNotes = after.notes.filter((n) => !beforeNoteIds.has(n.id))
    expect(newNotes).toHaveLength(1)
    const note = newNotes[0]!
    expect(note).toMatchObject({ menteeId: known })
    expectSealed('notes', note)
    expect(after.notes).toHaveLength(before.notes.length + 1)
    expect(after.outbox.filter((entry) => entry.recordId === note.id)).toMatchObject([{ table: 'notes', op: 'upsert' }])

    // And both reach the endpoint, with the typed text.
    await waitUntilSent(page)
    const { rows } = await server.db.query<{ id: string; fields: Record<string, unknown> }>('SELECT id, fields FROM records WHERE id = ANY($1::uuid[])', [
      [saved, note.id],
    ])
    expect(rows.map((row) => row.id).sort()).toEqual([saved, String(note.id)].sort())
    expect(rows.find((row) => row.id === note.id)?.fields).toMatchObject({ text: 'Diese Notiz passt erst später', menteeId: known })
    expect(errors).toEqual([])
    await page.close()
  })
})
