/**
 * The canary (issue 5): a person, a note, an appointment's checklist item, an unsent change and a
 * half-typed form, all carrying `ZZCANARY`, are stored on the device, synced to the real endpoint
 * and then locked. Afterwards every storage of the origin — every IndexedDB database (every store,
 * every row, bytes included), Cache Storage (every cache, every response body), localStorage and
 * sessionStorage — is dumped and searched for the canary in every encoding we could think of.
 * None may be found. And the wipe: signing out, or ten wrong passphrases, leave nothing of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import {
  addNote,
  collectPageErrors,
  createAppointment,
  createMentee,
  isoDate,
  launchBrowser,
  newPhoneContext,
  openSignedIn,
  plural,
  POLL,
  startServer,
  text,
  waitForServiceWorkerActivated,
  type RunningServer,
} from './helpers'

const CANARY = 'ZZCANARY'

let server: RunningServer
let browser: Browser
const contexts: BrowserContext[] = []

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
})

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined)
  await browser?.close()
  await server?.close()
})

async function newDevice(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  // Service workers allowed: the precache is part of the origin's storage that gets searched.
  const context = await newPhoneContext(browser)
  contexts.push(context)
  const page = await context.newPage()
  return { context, page, errors: collectPageErrors(page) }
}

// ---------------------------------------------------------------------------------------------
// The dump: everything the origin stores, read in the page with the raw APIs (no Dexie).

/** A piece of stored data: text as stored, or bytes (base64 for the trip out of the page). */
interface Chunk {
  where: string
  text?: string
  base64?: string
}

interface StoreDump {
  database: string
  store: string
  /** The rows, JSON with every byte array replaced by `{ $bytes: length }`. */
  rows: unknown[]
  keys: unknown[]
}

interface OriginDump {
  databases: { name: string; version: number }[]
  stores: StoreDump[]
  caches: { name: string; urls: string[] }[]
  localStorageKeys: string[]
  sessionStorageKeys: string[]
  chunks: Chunk[]
}

function dumpOrigin(page: Page): Promise<OriginDump> {
  return page.evaluate(async () => {
    const chunks: Chunk[] = []
    const toBase64 = (bytes: Uint8Array): string => {
      let binary = ''
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
      return btoa(binary)
    }
    /** JSON-able copy of a stored value; bytes go to `chunks` on their own, strings stay in the JSON. */
    const plain = (value: unknown, where: string): unknown => {
      if (value instanceof ArrayBuffer) value = new Uint8Array(value)
      if (ArrayBuffer.isView(value)) {
        const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
        chunks.push({ where, base64: toBase64(bytes) })
        return { $bytes: bytes.length }
      }
      if (value instanceof Blob) return { $blob: value.size }
      if (value instanceof Date) return { $date: value.toISOString() }
      if (value instanceof Map) return { $map: [...value].map(([k, v], i) => [plain(k, `${where}<k${i}>`), plain(v, `${where}<v${i}>`)]) }
      if (value instanceof Set) return { $set: [...value].map((v, i) => plain(v, `${where}<${i}>`)) }
      if (Array.isArray(value)) return value.map((v, i) => plain(v, `${where}[${i}]`))
      if (value && typeof value === 'object') {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v, `${where}.${k}`)]))
      }
      return value
    }
    const request = <T>(req: IDBRequest<T>): Promise<T> =>
      new Promise((resolve, reject) => {
        req.onsuccess = () => resolve(req.result)
        req.onerror = () => reject(req.error ?? new Error('request failed'))
      })

    const databases = (await indexedDB.databases()).map((info) => ({ name: info.name ?? '', version: info.version ?? 0 }))
    const stores: StoreDump[] = []
    const blobs: Promise<void>[] = []
    for (const info of databases) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(info.name)
        open.onsuccess = () => resolve(open.result)
        open.onerror = () => reject(open.error ?? new Error(`open ${info.name} failed`))
        open.onupgradeneeded = () => {
          open.transaction?.abort()
          reject(new Error(`database ${info.name} vanished`))
        }
      })
      try {
        for (const storeName of [...db.objectStoreNames]) {
          const store = db.transaction(storeName, 'readonly').objectStore(storeName)
          const [values, keys] = await Promise.all([request(store.getAll()), request(store.getAllKeys())])
          const where = `indexedDB ${info.name}/${storeName}`
          const rows = values.map((row, i) => plain(row, `${where}[${i}]`))
          const keyCopies = keys.map((key, i) => plain(key, `${where} key ${i}`))
          for (const [i, row] of values.entries()) {
            if (row instanceof Blob) blobs.push(row.arrayBuffer().then((buffer) => void chunks.push({ where: `${where}[${i}] blob`, base64: toBase64(new Uint8Array(buffer)) })))
          }
          chunks.push({ where, text: JSON.stringify({ rows, keys: keyCopies }) })
          stores.push({ database: info.name, store: storeName, rows, keys: keyCopies })
        }
      } finally {
        db.close()
      }
    }
    await Promise.all(blobs)

    const cacheDumps: { name: string; urls: string[] }[] = []
    for (const name of await caches.keys()) {
      const cache = await caches.open(name)
      const urls: string[] = []
      for (const req of await cache.keys()) {
        urls.push(req.url)
        const response = await cache.match(req)
        const headers = response ? [...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n') : ''
        chunks.push({ where: `cache ${name} ${req.url} (url, headers)`, text: `${req.url}\n${headers}` })
        if (response) chunks.push({ where: `cache ${name} ${req.url} (body)`, base64: toBase64(new Uint8Array(await response.arrayBuffer())) })
      }
      cacheDumps.push({ name, urls })
    }

    const webStorage = (storage: Storage, label: string): string[] => {
      const keys: string[] = []
      for (let i = 0; i < storage.length; i += 1) {
        const key = storage.key(i)!
        keys.push(key)
        chunks.push({ where: `${label} ${key}`, text: `${key}\n${storage.getItem(key) ?? ''}` })
      }
      return keys
    }
    const localStorageKeys = webStorage(localStorage, 'localStorage')
    const sessionStorageKeys = webStorage(sessionStorage, 'sessionStorage')
    chunks.push({ where: 'document.cookie', text: document.cookie })
    return { databases, stores, caches: cacheDumps, localStorageKeys, sessionStorageKeys, chunks }
  })
}

// ---------------------------------------------------------------------------------------------
// The search: the canary as UTF-8, UTF-16 (both byte orders), hex, and base64 (standard and URL
// alphabet) of the UTF-8 and the UTF-16LE text at each of the three byte alignments; text
// encodings in any letter case.

/** The base64 characters that depend on `bytes` only, when they start at byte `offset` of a longer text. */
function base64Core(bytes: Buffer, offset: number): string {
  const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64')
  const first = Math.ceil((offset * 8) / 6)
  const last = Math.floor(((offset + bytes.length) * 8) / 6) // exclusive
  return encoded.slice(first, last)
}

interface Needle {
  encoding: string
  bytes: Buffer
  /** Compare ignoring ASCII letter case. */
  anyCase: boolean
}

function needles(canary: string): Needle[] {
  const utf8 = Buffer.from(canary, 'utf8')
  const utf16le = Buffer.from(canary, 'utf16le')
  const utf16be = Buffer.from(utf16le).swap16()
  const list: Needle[] = [
    { encoding: 'UTF-8', bytes: utf8, anyCase: true },
    { encoding: 'UTF-16LE', bytes: Buffer.from(canary.toLowerCase(), 'utf16le'), anyCase: true },
    { encoding: 'UTF-16BE', bytes: Buffer.from(Buffer.from(canary.toLowerCase(), 'utf16le')).swap16(), anyCase: true },
    { encoding: 'hex of UTF-8', bytes: Buffer.from(utf8.toString('hex')), anyCase: true },
  ]
  for (const [name, plainBytes] of [['UTF-8', utf8], ['UTF-16LE', utf16le], ['UTF-16BE', utf16be]] as const) {
    for (const offset of [0, 1, 2]) {
      const core = base64Core(plainBytes, offset)
      list.push({ encoding: `base64 of ${name} (+${offset})`, bytes: Buffer.from(core), anyCase: false })
      const url = core.replace(/\+/g, '-').replace(/\//g, '_')
      if (url !== core) list.push({ encoding: `base64url of ${name} (+${offset})`, bytes: Buffer.from(url), anyCase: false })
    }
  }
  return list
}

/** ASCII letters to lower case; every other byte as it is (UTF-16 code units keep their zero bytes). */
function asciiLower(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes)
  for (let i = 0; i < copy.length; i += 1) if (copy[i]! >= 0x41 && copy[i]! <= 0x5a) copy[i]! += 0x20
  return copy
}

function chunkBytes(chunk: Chunk): Buffer[] {
  if (chunk.base64 !== undefined) return [Buffer.from(chunk.base64, 'base64')]
  // Text as the page holds it (UTF-16 code units) and as UTF-8, which a store may well use.
  return [Buffer.from(chunk.text ?? '', 'utf8'), Buffer.from(chunk.text ?? '', 'utf16le')]
}

function findCanary(chunks: Chunk[], canary = CANARY): string[] {
  const found: string[] = []
  const list = needles(canary)
  for (const chunk of chunks) {
    for (const haystack of chunkBytes(chunk)) {
      const lowered = asciiLower(haystack)
      for (const needle of list) {
        const hit = needle.anyCase ? lowered.includes(asciiLower(needle.bytes)) : haystack.includes(needle.bytes)
        if (hit) found.push(`${needle.encoding} in ${chunk.where}`)
      }
    }
  }
  return [...new Set(found)]
}

// ---------------------------------------------------------------------------------------------

async function syncNow(page: Page): Promise<void> {
  await page.goto(`${server.baseUrl}/sync`)
  await page.getByTestId('sync-now').click()
  await page.getByText(text('de', 'sync.result.ok')).waitFor({ timeout: 20_000 })
  await expect.poll(() => page.getByTestId('unsent-count').innerText(), POLL).toMatch(/^0\b/)
}

/** Records of the endpoint whose fields contain the canary, as `table:id`. */
async function canaryOnServer(): Promise<string[]> {
  const { rows } = await server.db.query<{ tbl: string; id: string }>(
    `SELECT tbl, id FROM records WHERE fields::text LIKE $1 ORDER BY tbl, id`,
    [`%${CANARY}%`],
  )
  return rows.map((row) => `${row.tbl}:${row.id}`)
}

function storeOf(dump: OriginDump, store: string, database = 'lotse'): StoreDump {
  const found = dump.stores.find((s) => s.database === database && s.store === store)
  if (!found) throw new Error(`no store ${database}/${store} in the dump (${dump.stores.map((s) => `${s.database}/${s.store}`).join(', ')})`)
  return found
}

type Row = Record<string, unknown>

describe('the canary', () => {
  it('the search finds the canary in every encoding it looks for (so zero hits below mean something)', () => {
    const utf8 = Buffer.from(`xx${CANARY}yy`, 'utf8')
    const utf16 = Buffer.from(`x${CANARY}`, 'utf16le')
    const samples: Chunk[] = [
      { where: 'text', text: `Frau ${CANARY.toLowerCase()} Beispiel` },
      { where: 'utf16 bytes', base64: utf16.toString('base64') },
      { where: 'utf16be bytes', base64: Buffer.from(utf16).swap16().toString('base64') },
      { where: 'hex', text: utf8.toString('hex') },
      ...[0, 1, 2].map((offset) => ({ where: `base64 +${offset}`, text: Buffer.concat([Buffer.alloc(offset, 0x41), utf8]).toString('base64') })),
      ...[0, 1, 2].map((offset) => ({ where: `base64 utf16 +${offset}`, text: Buffer.concat([Buffer.alloc(offset, 0x41), utf16]).toString('base64') })),
      { where: 'base64url', text: Buffer.from(`??${CANARY}>>`).toString('base64url') },
    ]
    for (const sample of samples) expect(findCanary([sample]), sample.where).not.toEqual([])
    expect(findCanary([{ where: 'clean', text: 'ZZCANARZ Beispiel' }])).toEqual([])
  })

  it('is nowhere in the origin’s storage once the app is locked: not in IndexedDB, Cache Storage, localStorage or sessionStorage', async () => {
    const { page, errors } = await newDevice()
    await openSignedIn(page, server)
    await waitForServiceWorkerActivated(page)

    // What a coach records about a person, with the canary in names, a note and a checklist item.
    const menteeId = await createMentee(page, server.baseUrl, { givenName: `Zora${CANARY}`, familyName: `${CANARY} Beispiel`, permitExpiry: isoDate(90) })
    await page.goto(`${server.baseUrl}/mentees/${menteeId}/edit`)
    await page.getByLabel(text('de', 'mentee.fields.phone'), { exact: true }).fill('+49 5261 424242')
    await page.getByTestId('save-mentee').click()
    await page.getByTestId('mentee-name').waitFor()
    await addNote(page, { text: `Gespräch über die Ausbildung ${CANARY} im Frühjahr`, followUpText: `Rückruf ${CANARY}`, followUpDue: isoDate(3) })
    const appointmentId = await createAppointment(page, 'immigrationOffice', `${isoDate(5)}T10:30`)
    await page.getByTestId('new-checklist-item').fill(`Mappe ${CANARY} mitbringen`)
    await page.getByTestId('new-checklist-item').press('Enter')
    await expect.poll(() => page.getByTestId('checklist').innerText(), POLL).toContain(`Mappe ${CANARY} mitbringen`)

    // Synced: the endpoint has every one of them.
    await syncNow(page)
    const synced = await canaryOnServer()
    expect(synced).toEqual(expect.arrayContaining([`mentees:${menteeId}`, expect.stringMatching(/^notes:/), expect.stringMatching(/^checklistItems:/)]))

    // Then an edit that stays unsent (the endpoint is out of reach for pushes), and a half-typed
    // new person: a change in the outbox and a draft, both with the canary.
    await page.route('**/api/v1/sync/**', (route) => route.abort('internetdisconnected'))
    await page.goto(`${server.baseUrl}/mentees/${menteeId}`)
    await addNote(page, { text: `Noch nicht gesendet ${CANARY}` })
    await page.goto(`${server.baseUrl}/sync`)
    await expect.poll(() => page.getByTestId('unsent-count').innerText(), POLL).toMatch(/^[1-9]/)
    await page.goto(`${server.baseUrl}/mentees/new`)
    await page.getByTestId('given-name').fill(`Entwurf${CANARY}`)
    await expect.poll(async () => storeOf(await dumpOrigin(page), 'drafts').rows.length, POLL).toBe(1)

    // Not vacuous: the canary really was typed and saved, and is on screen while unlocked.
    await page.goto(`${server.baseUrl}/mentees/${menteeId}`)
    await expect.poll(() => page.getByTestId('mentee-name').innerText(), POLL).toContain(CANARY)
    await expect.poll(() => page.getByTestId('note-timeline').innerText(), POLL).toContain(`Noch nicht gesendet ${CANARY}`)
    expect(await page.getByTestId('note-timeline').innerText()).toContain(`Gespräch über die Ausbildung ${CANARY}`)
    await page.goto(`${server.baseUrl}/appointments/${appointmentId}`)
    await expect.poll(() => page.getByTestId('checklist').innerText(), POLL).toContain(CANARY)
    await page.goto(`${server.baseUrl}/mentees/new`)
    await expect.poll(() => page.getByTestId('given-name').inputValue(), POLL).toBe(`Entwurf${CANARY}`)

    // Lock, from the header.
    await page.getByTestId('lock-header').click()
    await page.getByTestId('unlock').waitFor()
    expect(await page.content(), 'the locked screen shows nothing of the person').not.toContain(CANARY)

    const dump = await dumpOrigin(page)
    const hits = findCanary(dump.chunks)
    expect(hits, `the canary was found: ${hits.join('; ')}`).toEqual([])

    // The dump really holds the data: the app's database with the person, the notes, the
    // appointment and its checklist, the unsent change and the draft, each row sealed.
    expect(dump.databases.map((d) => d.name)).toContain('lotse')
    const mentees = storeOf(dump, 'mentees').rows as Row[]
    expect(mentees.map((m) => m.id)).toEqual([menteeId])
    const notes = storeOf(dump, 'notes').rows as Row[]
    expect(notes.map((n) => n.menteeId)).toEqual([menteeId, menteeId])
    expect((storeOf(dump, 'appointments').rows as Row[]).map((a) => a.id)).toEqual([appointmentId])
    const checklist = storeOf(dump, 'checklistItems').rows as Row[]
    expect(checklist.length).toBeGreaterThan(0)
    expect(checklist.every((item) => item.appointmentId === appointmentId)).toBe(true)
    const outbox = storeOf(dump, 'outbox').rows as Row[]
    expect(outbox.length).toBeGreaterThan(0)
    expect(outbox.map((entry) => entry.table)).toContain('notes')
    expect(storeOf(dump, 'drafts').rows).toHaveLength(1)
    const session = (storeOf(dump, 'settings').rows as Row[]).find((row) => row.key === 'session')
    expect(session, 'the session is stored').toBeDefined()
    for (const [store, rows] of [['mentees', mentees], ['notes', notes], ['checklistItems', checklist], ['outbox', outbox], ['drafts', storeOf(dump, 'drafts').rows as Row[]], ['session', [session!]]] as const) {
      for (const row of rows) {
        expect(row.$sealed, `${store} row sealed`).toEqual({ $bytes: expect.any(Number) as number })
        expect(Object.keys(row), `${store}: no personal field in the clear`).not.toEqual(
          expect.arrayContaining([expect.stringMatching(/^(givenName|familyName|phone|text|followUpText|label|fields|value|token|user)$/)]),
        )
      }
    }
    expect(dump.chunks.filter((chunk) => chunk.base64 !== undefined).length, 'sealed bytes were searched too').toBeGreaterThan(mentees.length + notes.length)
    // The app shell's precache was searched as well, response bodies included.
    expect(dump.caches.length).toBeGreaterThan(0)
    expect(dump.caches.flatMap((cache) => cache.urls).map((url) => new URL(url).pathname)).toContain('/index.html')
    expect(errors).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------

/** Databases of the origin and the number of rows in each of their stores. */
function databaseContents(dump: OriginDump): Record<string, Record<string, number>> {
  const contents: Record<string, Record<string, number>> = {}
  for (const { name } of dump.databases) contents[name] = {}
  for (const store of dump.stores) contents[store.database]![store.store] = store.rows.length
  return contents
}

/**
 * The app keeps no personal responses in Cache Storage today (src/sw.ts precaches its code only);
 * a cache of its origin that could hold some stands in for one, so the wipe has one to remove.
 */
async function addPersonalCache(page: Page): Promise<void> {
  await page.evaluate(async (canary) => {
    const cache = await caches.open('lotse-personal-responses')
    await cache.put('/api/v1/sync/pull?stand-in', new Response(JSON.stringify({ givenName: canary }), { headers: { 'content-type': 'application/json' } }))
  }, CANARY)
  const dump = await dumpOrigin(page)
  expect(dump.caches.map((cache) => cache.name)).toContain('lotse-personal-responses')
  expect(findCanary(dump.chunks), 'the stand-in is found where it is').toEqual(['UTF-8 in cache lotse-personal-responses http://' + new URL(page.url()).host + '/api/v1/sync/pull?stand-in (body)'])
}

describe('the wipe', () => {
  it('signing out after sync leaves no data, no key and no personal cache on the device', async () => {
    const { page, errors } = await newDevice()
    await openSignedIn(page, server)
    await waitForServiceWorkerActivated(page)
    const menteeId = await createMentee(page, server.baseUrl, { givenName: `Abmelde${CANARY}`, familyName: 'Testperson' })
    await addNote(page, { text: `Notiz ${CANARY} vor dem Abmelden` })
    await syncNow(page)
    expect(await canaryOnServer()).toContain(`mentees:${menteeId}`)
    const beforeDump = await dumpOrigin(page)
    expect((storeOf(beforeDump, 'mentees').rows as Row[]).map((row) => row.id)).toContain(menteeId)
    expect(storeOf(beforeDump, 'keyring').rows).toHaveLength(1)
    expect(findCanary(beforeDump.chunks), 'sealed before as well').toEqual([])

    await addPersonalCache(page)
    await page.getByTestId('sign-out').click()
    await page.getByTestId('login').waitFor()

    // The sign-out deletes the database, then reads the (now empty) lists again, which opens a
    // fresh, empty database (src/stores/sync.ts wipeDevice): once that happened, it is the only
    // database of the origin, and every one of its stores is empty, the wrapped key included.
    await expect.poll(async () => Object.keys(databaseContents(await dumpOrigin(page))), POLL).toEqual(['lotse'])
    const dump = await dumpOrigin(page)
    expect(findCanary(dump.chunks)).toEqual([])
    const after = databaseContents(dump)
    expect(Object.keys(after)).toEqual(['lotse'])
    expect(Object.values(after.lotse!).every((count) => count === 0), JSON.stringify(after)).toBe(true)
    expect(Object.keys(after.lotse!)).toContain('keyring')
    // Only the app's own code stays cached.
    expect(dump.caches.map((cache) => cache.name).filter((name) => !name.startsWith('workbox-precache'))).toEqual([])
    expect(dump.caches.length, 'the app shell stays, for the next sign-in offline').toBe(1)
    expect(errors).toEqual([])
  })

  it('ten wrong passphrases wipe the device and land on the sign-in screen, which says so', async () => {
    const { page, errors } = await newDevice()
    await openSignedIn(page, server)
    const menteeId = await createMentee(page, server.baseUrl, { givenName: `Falsch${CANARY}`, familyName: 'Testperson' })
    await addNote(page, { text: `Notiz ${CANARY} vor dem Sperren` })
    const stored = (storeOf(await dumpOrigin(page), 'mentees').rows as Row[]).map((row) => row.id)
    expect(stored).toContain(menteeId)

    await waitForServiceWorkerActivated(page)
    await addPersonalCache(page)
    // Locked without a reload, so the tests' automatic unlock does not step in.
    await page.getByTestId('lock-header').click()
    await page.getByTestId('unlock').waitFor()
    for (let attempt = 1; attempt < 10; attempt += 1) {
      await page.getByTestId('unlock-passphrase').fill(`falsche Passphrase ${attempt}`)
      await page.getByTestId('unlock-submit').click()
      await expect.poll(() => page.getByTestId('unlock-problem').innerText(), POLL).toBe(plural('de', 'lock.unlock.wrong', 10 - attempt, { count: 10 - attempt }))
      expect((storeOf(await dumpOrigin(page), 'mentees').rows as Row[]).map((row) => row.id), 'the data stays until the tenth').toEqual(stored)
    }
    await page.getByTestId('unlock-passphrase').fill('falsche Passphrase 10')
    await page.getByTestId('unlock-submit').click()
    await page.getByTestId('login-wiped').waitFor()
    expect(await page.getByTestId('login-wiped').innerText()).toBe(text('de', 'login.wiped'))
    expect(new URL(page.url()).pathname).toBe('/login')

    const dump = await dumpOrigin(page)
    expect(findCanary(dump.chunks)).toEqual([])
    // Here the database is deleted and nothing opens a new one: the origin has no database at all.
    expect(databaseContents(dump)).toEqual({})
    expect(dump.caches.map((cache) => cache.name).filter((name) => !name.startsWith('workbox-precache'))).toEqual([])
    expect(dump.caches.length, 'the app shell stays, for the next sign-in offline').toBe(1)
    expect(errors).toEqual([])
  })
})
