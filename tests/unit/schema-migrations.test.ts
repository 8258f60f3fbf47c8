/**
 * Every released Dexie schema, opened by the current code: the stored databases of v1 (first
 * release, outbox entries without `hlc`), v2 (sync) and v3 (encryption at rest: rows sealed under
 * a data key wrapped by the fixture's passphrase) from tests/fixtures (made by
 * tests/fixtures/make-schema-fixtures.ts) are loaded into fake-indexeddb with their own store
 * definitions, then opened with `openDatabase` as a phone that installs the new version would.
 * Nothing may be lost, sealed rows stay sealed and open with the passphrase, and the upgraded
 * database must still sync with the real endpoint (in process, through `app.inject`).
 */
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Dexie } from 'dexie'
import type { FastifyInstance } from 'fastify'
import { createTeam, createUser } from '../../server/accounts/accounts'
import { buildServer } from '../../server/app'
import { openDatabase as openServerDatabase, type Database } from '../../server/db/database'
import { openDatabase, useDatabase, type LotseDatabase } from '@/db/db'
import { isUnlocked, MAX_FAILED_ATTEMPTS, PBKDF2_ITERATIONS, unlock } from '@/db/keyring'
import { listMentees, updateMentee } from '@/db/repositories/mentees'
import { isSealedRow, newDataKey, useKeyForEveryDatabase } from '@/db/sealing'
import { outboxSummary, readCursor, readSession } from '@/db/sync-store'
import { HybridLogicalClock, isStamp } from '@/shared/hlc'
import { PROTOCOL_SCHEMA_VERSION, type Mutation, type MutationResult, type PushResponse, type SessionResponse } from '@/shared/protocol'
import { emptyMentee, type MenteeFields } from '@/shared/records'
import { SyncClient, type FetchFunction } from '@/sync/client'
import { syncOnce } from '@/sync/engine'

interface StoreDefinition {
  keyPath: string | string[] | null
  autoIncrement: boolean
  indexes: { name: string; keyPath: string | string[]; unique: boolean; multiEntry: boolean }[]
}

interface SchemaFixture {
  dexieVersion: number
  idbVersion: number
  stores: Record<string, StoreDefinition>
  nextKeys: Record<string, number>
  rows: Record<string, Row[]>
  serverHistory?: { device: 'this' | 'colleague'; mutation: Mutation }[]
  cursorSeq?: number
  /** v3: the passphrase the data key is wrapped under. */
  passphrase?: string
  /** v3: the sealed stores as the unlocked app reads them (`rows` holds them sealed). */
  plaintext?: Record<string, Row[]>
}

type Row = Record<string, unknown>

const SYNCED_TABLES = ['mentees', 'notes', 'appointments', 'checklistItems'] as const
const SLOW = 60_000

/** The generator writes bytes as `{"$binary": "Uint8Array" | "ArrayBuffer", "base64": …}`. */
function decodeBinary(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && '$binary' in value) {
    const { $binary, base64 } = value as { $binary: string; base64: string }
    const bytes = Uint8Array.from(Buffer.from(base64, 'base64'))
    if ($binary === 'Uint8Array') return bytes
    if ($binary === 'ArrayBuffer') return bytes.buffer
    throw new Error(`unknown binary type ${$binary}`)
  }
  return value
}

function readFixture(file: string): SchemaFixture {
  return JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8'), decodeBinary) as SchemaFixture
}

const FIXTURES = { 1: readFixture('schema-v1.json'), 2: readFixture('schema-v2.json'), 3: readFixture('schema-v3.json') }

function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error ?? new Error('request failed'))
  })
}

/**
 * Creates the stored database: a raw IndexedDB at the fixture's version with the fixture's stores
 * and indexes (the historical schema, not the current code's), its rows, and key generators
 * where the release left them.
 */
async function loadFixture(fixture: SchemaFixture, name: string): Promise<void> {
  const open = indexedDB.open(name, fixture.idbVersion)
  open.onupgradeneeded = () => {
    for (const [storeName, definition] of Object.entries(fixture.stores)) {
      const store = open.result.createObjectStore(storeName, { keyPath: definition.keyPath, autoIncrement: definition.autoIncrement })
      for (const index of definition.indexes) store.createIndex(index.name, index.keyPath, { unique: index.unique, multiEntry: index.multiEntry })
    }
  }
  const db = await requestResult(open)
  try {
    const names = Object.keys(fixture.stores)
    const transaction = db.transaction(names, 'readwrite')
    const done = new Promise<void>((resolve, reject) => {
      transaction.oncomplete = () => resolve()
      transaction.onabort = () => reject(transaction.error ?? new Error('load aborted'))
    })
    for (const storeName of names) {
      const store = transaction.objectStore(storeName)
      for (const row of fixture.rows[storeName] ?? []) store.put(row)
      // A key the release had handed out before (for rows deleted since) moves the generator on.
      const next = fixture.nextKeys[storeName]
      const keys = (fixture.rows[storeName] ?? []).map((row) => Number(row[String(store.keyPath)]))
      if (next !== undefined && typeof store.keyPath === 'string' && next - 1 > Math.max(0, ...keys)) {
        store.put({ [store.keyPath]: next - 1 })
        store.delete(next - 1)
      }
    }
    await done
  } finally {
    db.close()
  }
}

function byKey(rows: Row[], key: string): Row[] {
  return [...rows].sort((a, b) => String(a[key]).localeCompare(String(b[key]), 'en', { numeric: true }))
}

/** Opens a stored database with the current code, which upgrades it. */
async function openUpgraded(version: 1 | 2 | 3): Promise<{ db: LotseDatabase; fixture: SchemaFixture }> {
  const fixture = FIXTURES[version]
  const name = `schema-v${version}-${crypto.randomUUID()}`
  await loadFixture(fixture, name)
  const db = openDatabase(name)
  await db.open()
  useDatabase(db)
  return { db, fixture }
}

/** Every record, draft, setting, refusal and change as the app of the release read them. */
async function expectIntact(db: LotseDatabase, fixture: SchemaFixture): Promise<void> {
  const stored = fixture.plaintext ?? fixture.rows
  expect(db.verno).toBe(4)
  expect(db.tables.map((table) => table.name).sort()).toEqual(
    ['appointments', 'checklistItems', 'drafts', 'events', 'keyring', 'leads', 'mentees', 'notes', 'outbox', 'rejections', 'settings'].sort(),
  )
  for (const table of [...SYNCED_TABLES, 'drafts', 'rejections'] as const) {
    const key = table === 'drafts' ? 'key' : 'id'
    expect(byKey(await db.table(table).toArray(), key), table).toEqual(byKey(stored[table] ?? [], key))
  }
  // Every stored setting is kept; an upgrade may add the clock's last stamp (and nothing else).
  const settings = await db.settings.toArray()
  const added = settings.filter((setting) => !(stored.settings ?? []).some((row) => row.key === setting.key))
  expect(byKey(settings.filter((setting) => !added.includes(setting)) as unknown as Row[], 'key')).toEqual(byKey(stored.settings ?? [], 'key'))
  expect(added.map((setting) => setting.key)).toEqual(added.length ? ['clockLast'] : [])
  const outbox = await db.outbox.orderBy('seq').toArray()
  const storedOutbox = byKey(stored.outbox ?? [], 'seq')
  expect(outbox.map(({ hlc: _hlc, ...entry }) => entry)).toEqual(storedOutbox.map(({ hlc: _hlc, ...entry }) => entry))
  for (const [index, entry] of outbox.entries()) {
    expect(isStamp(entry.hlc), `outbox ${entry.seq} has no valid stamp: ${String(entry.hlc)}`).toBe(true)
    // Entries that had a stamp keep it.
    if (storedOutbox[index]!.hlc !== undefined) expect(entry.hlc).toBe(storedOutbox[index]!.hlc)
  }
  // The device's clock goes on after every stamp its outbox holds.
  const clockLast = settings.find((setting) => setting.key === 'clockLast')?.value
  if (outbox.length > 0) expect(typeof clockLast === 'string' && outbox.every((entry) => entry.hlc <= clockLast)).toBe(true)
}

// ---------------------------------------------------------------------------------------------
// The endpoint, in process.

const COACH = { username: 'coach.migration', password: 'migration-passwort-1', displayName: 'Coach Migration' }
const COLLEAGUE = { username: 'coach.kollegin', password: 'migration-passwort-2', displayName: 'Kollegin Migration' }

interface Endpoint {
  db: Database
  app: FastifyInstance
  transport: FetchFunction
}

const endpoints: Endpoint[] = []

afterAll(async () => {
  for (const endpoint of endpoints) {
    await endpoint.app.close()
    await endpoint.db.close()
  }
})

/** A fresh endpoint on in-memory PGlite, with two coaches of one team. */
async function startEndpoint(): Promise<Endpoint> {
  const db = await openServerDatabase({ inMemory: true })
  await createTeam(db, 'Team Migration')
  await createUser(db, { ...COACH, role: 'coach', teamName: 'Team Migration' })
  await createUser(db, { ...COLLEAGUE, role: 'coach', teamName: 'Team Migration' })
  const app = await buildServer({ distDir: path.join(os.tmpdir(), 'lotse-no-build'), db })
  /** `fetch` on top of `app.inject`: the app's SyncClient talks to the endpoint without a socket. */
  const transport: FetchFunction = async (input, init) => {
    const url = new URL(input, 'http://lotse.test')
    const response = await app.inject({
      method: (init.method ?? 'GET') as 'GET' | 'POST' | 'DELETE',
      url: `${url.pathname}${url.search}`,
      headers: init.headers as Record<string, string>,
      ...(typeof init.body === 'string' ? { payload: init.body } : {}),
    })
    const headers = new Headers()
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : String(value))
    }
    return new Response(response.statusCode === 204 ? null : response.body, { status: response.statusCode, headers })
  }
  const endpoint = { db, app, transport }
  endpoints.push(endpoint)
  return endpoint
}

interface SignedIn {
  client: SyncClient
  deviceId: string
  answers: PushResponse[]
}

/** Signs in (a new device) and returns a client that records every push answer. */
async function signIn(endpoint: Endpoint, user: { username: string; password: string }): Promise<SignedIn> {
  const response = await endpoint.transport('/api/v1/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user.username, password: user.password, deviceName: 'Fixture-Telefon' }),
  })
  expect(response.status).toBe(201)
  const session = (await response.json()) as SessionResponse
  const answers: PushResponse[] = []
  const recording: FetchFunction = async (input, init) => {
    const answer = await endpoint.transport(input, init)
    if (input.startsWith('/api/v1/sync/push') && answer.ok) answers.push((await answer.clone().json()) as PushResponse)
    return answer
  }
  return { client: new SyncClient(session.token, '', recording), deviceId: session.deviceId, answers }
}

interface ServerRow {
  tbl: string
  id: string
  fields: Row
  deleted: boolean
}

async function serverRows(endpoint: Endpoint): Promise<Map<string, ServerRow>> {
  const { rows } = await endpoint.db.query<ServerRow>('SELECT tbl, id, fields, deleted FROM records')
  return new Map(rows.map((row) => [`${row.tbl}:${row.id}`, row]))
}

/** Content fields of a local record (what sync carries). */
function contentOf(row: Row): Row {
  const { id: _id, createdAt: _c, updatedAt: _u, deletedAt: _d, ...content } = row
  return content
}

/**
 * After a sync: the endpoint holds every change of the outbox as the device had it (each record's
 * last local value, tombstones as deleted), every push was applied, and the device holds exactly
 * the endpoint's live records (except `localOnly`).
 */
async function expectSynced(
  endpoint: Endpoint,
  db: LotseDatabase,
  before: Record<string, Row[]>,
  outbox: Row[],
  answers: PushResponse[],
  localOnly: Set<string> = new Set(),
): Promise<void> {
  const results: MutationResult[] = answers.flatMap((answer) => answer.results)
  expect(results.map((r) => r.seq)).toEqual(outbox.map((entry) => entry.seq))
  const notApplied = results.filter((r) => r.status !== 'applied')
  expect.soft(notApplied, 'every stored change is applied as it was made').toEqual([])
  expect((await outboxSummary()).count).toBe(0)

  const remote = await serverRows(endpoint)
  const problems: string[] = []
  const changed = new Map(outbox.map((entry) => [`${String(entry.table)}:${String(entry.recordId)}`, entry]))
  for (const [key, entry] of changed) {
    const server = remote.get(key)
    const local = before[String(entry.table)]!.find((row) => row.id === entry.recordId)!
    if (!server) {
      // Only a record that never reached the endpoint alive may be missing: created and deleted here.
      if (!local.deletedAt) problems.push(`${key} is not on the endpoint`)
      continue
    }
    if (local.deletedAt) {
      if (!server.deleted) problems.push(`${key} was deleted on the device but lives on the endpoint`)
      continue
    }
    for (const [field, value] of Object.entries(contentOf(local))) {
      // jsonb keeps object keys in its own order: compare values, not their JSON text.
      if (!isDeepStrictEqual(server.fields[field], value)) {
        problems.push(`${key}.${field}: endpoint ${JSON.stringify(server.fields[field])}, device ${JSON.stringify(value)}`)
      }
    }
  }
  expect.soft(problems, 'the endpoint holds what the device wrote').toEqual([])

  // The device holds exactly the endpoint's live records, with the endpoint's values.
  for (const table of SYNCED_TABLES) {
    const local = await db.table(table).toArray()
    const live = [...remote.values()].filter((row) => row.tbl === table && !row.deleted)
    expect(local.map((row) => row.id).filter((id) => !localOnly.has(`${table}:${String(id)}`)).sort(), table).toEqual(live.map((row) => row.id).sort())
    for (const row of live) expect(local.find((l) => l.id === row.id), `${table} ${row.id}`).toMatchObject(row.fields)
  }
}

async function snapshot(db: LotseDatabase): Promise<Record<string, Row[]>> {
  return Object.fromEntries(await Promise.all(SYNCED_TABLES.map(async (table) => [table, await db.table(table).toArray()] as const)))
}

/**
 * An endpoint holding the history the fixture's stored cursor refers to (`serverHistory`, pushed
 * by this device's user and a colleague), with both signed in.
 */
async function endpointWithHistory(fixture: SchemaFixture): Promise<{ endpoint: Endpoint; device: SignedIn; colleague: SignedIn }> {
  const endpoint = await startEndpoint()
  const device = await signIn(endpoint, COACH)
  const colleague = await signIn(endpoint, COLLEAGUE)
  for (const { device: who, mutation } of fixture.serverHistory!) {
    const sender = who === 'this' ? device : colleague
    const answer = await sender.client.push({ deviceId: sender.deviceId, schemaVersion: PROTOCOL_SCHEMA_VERSION, mutations: [mutation] })
    expect(answer.results).toEqual([{ seq: mutation.seq, status: 'applied' }])
  }
  const { rows } = await endpoint.db.query<{ max: number }>('SELECT max(change_seq) AS max FROM records')
  expect(rows[0]!.max).toBe(fixture.cursorSeq)
  device.answers.length = 0
  return { endpoint, device, colleague }
}

/** Every store as IndexedDB holds it, read past the sealing layer. */
async function storedRows(name: string): Promise<Record<string, Row[]>> {
  const raw = new Dexie(name)
  await raw.open()
  try {
    return Object.fromEntries(await Promise.all(raw.tables.map(async (table) => [table.name, (await table.toArray()) as Row[]] as const)))
  } finally {
    raw.close()
  }
}

/** `toEqual` does not look into ArrayBuffers (the wrapped key is one): compare their bytes. */
function viewingBuffers(value: unknown): unknown {
  if (Object.prototype.toString.call(value) === '[object ArrayBuffer]') return new Uint8Array(value as ArrayBuffer)
  if (ArrayBuffer.isView(value)) return value
  if (Array.isArray(value)) return value.map(viewingBuffers)
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, viewingBuffers(item)]))
  return value
}

function stringsIn(value: unknown, into: Set<string>): Set<string> {
  if (typeof value === 'string') into.add(value)
  else if (Array.isArray(value)) for (const item of value) stringsIn(item, into)
  else if (value && typeof value === 'object') for (const item of Object.values(value)) stringsIn(item, into)
  return into
}

/**
 * The texts only sealed fields of the v3 fixture hold: each row's fields that its plaintext has
 * and its stored form has not. Short words and texts that also stand in readable fields (ids,
 * dates) are left out, so a match means a sealed value lies readable.
 */
function sealedTexts(fixture: SchemaFixture): string[] {
  const sealed = new Set<string>()
  const readable = new Set<string>()
  for (const [table, plainRows] of Object.entries(fixture.plaintext!)) {
    const keyPath = String(fixture.stores[table]!.keyPath)
    for (const plain of plainRows) {
      const stored = fixture.rows[table]!.find((row) => row[keyPath] === plain[keyPath])!
      for (const [field, value] of Object.entries(plain)) stringsIn(value, field in stored ? readable : sealed)
    }
  }
  return [...sealed].filter((text) => text.length >= 6 && ![...readable].some((other) => other.includes(text)))
}

/** Stored rows as text, sealed bytes included (read both as Latin-1 and as UTF-8). */
function storedText(rows: Record<string, Row[]>): string {
  return JSON.stringify(rows, (_key, value: unknown) =>
    value instanceof Uint8Array ? `${Buffer.from(value).toString('latin1')}|${Buffer.from(value).toString('utf8')}` : value,
  )
}

/** Every record, change, draft, refusal and the session are sealed at rest; no sealed text lies readable. */
function expectSealedAtRest(rows: Record<string, Row[]>, texts: string[]): void {
  for (const table of [...SYNCED_TABLES, 'outbox', 'drafts', 'rejections'] as const) {
    const unsealed = rows[table]!.filter((row) => !isSealedRow(row))
    expect(unsealed, `${table} rows stored readable`).toEqual([])
  }
  expect(rows.settings!.filter((row) => row.key === 'session').every(isSealedRow)).toBe(true)
  const text = storedText(rows)
  expect(texts.filter((secret) => text.includes(secret))).toEqual([])
}

// ---------------------------------------------------------------------------------------------

describe('schema v1 (first release, no sync)', () => {
  it('opens with the current code with every record, draft and change kept, each change stamped', async () => {
    const { db, fixture } = await openUpgraded(1)
    expect(fixture.rows.outbox!.every((entry) => !('hlc' in entry))).toBe(true)
    await expectIntact(db, fixture)
    db.close()
  })

  it('stamps the stored changes in the order they were made, also where the phone’s clock went back', async () => {
    const { db } = await openUpgraded(1)
    const outbox = await db.outbox.orderBy('seq').toArray()
    const outOfOrder = outbox.slice(1).filter((entry, index) => !(entry.hlc > outbox[index]!.hlc))
    expect(outOfOrder.map((entry) => ({ seq: entry.seq, at: entry.at, hlc: entry.hlc }))).toEqual([])
    db.close()
  })

  it('lets an edit made after the upgrade win over the stored changes, also when the phone’s clock was fast before', async () => {
    // The same database, written while the phone's clock ran fast (its first change seems to have
    // been made a minute from now); the clock has been corrected since.
    const fast = structuredClone(FIXTURES[1])
    const offset = Date.now() + 60_000 - Math.min(...fast.rows.outbox!.map((entry) => Number(entry.at)))
    for (const entry of fast.rows.outbox!) entry.at = Number(entry.at) + offset
    const name = `schema-v1-fast-${crypto.randomUUID()}`
    await loadFixture(fast, name)
    const db = openDatabase(name)
    await db.open()
    useDatabase(db)
    const person = (await db.mentees.toArray()).find((m) => m.familyName === 'Altbestand')!
    await updateMentee(person.id, { ...contentOf(person as unknown as Row), phone: '+49 5261 000999' } as unknown as MenteeFields)
    const edits = (await db.outbox.orderBy('seq').toArray()).filter((entry) => entry.recordId === person.id && 'phone' in entry.fields)
    const last = edits.at(-1)!
    expect(last.fields.phone).toBe('+49 5261 000999')
    const earlier = edits.slice(0, -1).filter((entry) => entry.hlc > last.hlc)
    expect(earlier.map((entry) => ({ seq: entry.seq, hlc: entry.hlc, newEdit: last.hlc }))).toEqual([])
    db.close()
  })

  it('syncs: the endpoint receives every stored change, applied as made', async () => {
    const { db } = await openUpgraded(1)
    const before = await snapshot(db)
    const outbox = await db.outbox.orderBy('seq').toArray()
    const endpoint = await startEndpoint()
    const { client, deviceId, answers } = await signIn(endpoint, COACH)
    const report = await syncOnce(client, deviceId)
    expect(report.refused).toBe(0)
    expect(report.pushed).toBe(outbox.length)
    await expectSynced(endpoint, db, before, outbox as unknown as Row[], answers)
    db.close()
  }, SLOW)
})

describe('schema v2 (sync release)', () => {
  it('opens with the current code with every record, draft, setting, refusal and change kept', async () => {
    const { db, fixture } = await openUpgraded(2)
    await expectIntact(db, fixture)
    db.close()
  })

  it('syncs from its stored cursor: the endpoint receives every stored change and the device catches up', async () => {
    const fixture = FIXTURES[2]
    // The endpoint's side of the history the stored cursor refers to.
    const { endpoint, device } = await endpointWithHistory(fixture)

    const { db } = await openUpgraded(2)
    const storedCursor = await readCursor()
    const before = await snapshot(db)
    const outbox = await db.outbox.orderBy('seq').toArray()
    const report = await syncOnce(device.client, device.deviceId)
    expect(report.refused).toBe(0)
    expect(report.pushed).toBe(outbox.length)
    expect(await readCursor()).not.toBe(storedCursor)
    // The note the endpoint once refused stays on the device (and in `rejections`) only.
    const refused = fixture.rows.rejections!.map((r) => `${String(r.table)}:${String(r.recordId)}`)
    expect(await db.rejections.count()).toBe(1)
    await expectSynced(endpoint, db, before, outbox as unknown as Row[], device.answers, new Set(refused))
    db.close()
  }, SLOW)
})

describe('schema v3 (encryption at rest)', () => {
  const fixture = FIXTURES[3]
  const texts = sealedTexts(fixture)

  // Only the fixture's passphrase opens these rows, not the key the set-up gives every database.
  beforeAll(() => useKeyForEveryDatabase(undefined))
  afterAll(async () => useKeyForEveryDatabase(await newDataKey(false)))

  it('opens with the current code, locked; the fixture’s passphrase unlocks every record, draft, setting, refusal and change as stored, still sealed at rest', async () => {
    // The check below is only worth something if the fixture has sealed texts to look for.
    expect(texts).toEqual(expect.arrayContaining(['Versiegelt', 'fixture-token-v3-not-valid-anywhere', 'Erfundene Meldebescheinigung mitnehmen']))
    const { db } = await openUpgraded(3)
    expect(db.verno).toBe(4)
    expect([await db.events.count(), await db.leads.count()]).toEqual([0, 0])
    expect(isUnlocked()).toBe(false)
    await expect(listMentees()).rejects.toMatchObject({ kind: 'locked' })
    await expect(readSession()).rejects.toMatchObject({ kind: 'locked' })

    expect(await unlock('nicht die Passphrase')).toEqual({ ok: false, reason: 'wrongPassphrase', attemptsLeft: MAX_FAILED_ATTEMPTS - 1 })
    expect(isUnlocked()).toBe(false)
    expect(await unlock(fixture.passphrase!)).toEqual({ ok: true })
    expect(isUnlocked()).toBe(true)
    await expectIntact(db, fixture)

    // Nothing was rewritten: the stored rows are byte for byte the release's (the key is not
    // rewrapped, its iterations are still today's), and the new stores are empty.
    expect(fixture.rows.keyring![0]).toMatchObject({ kdf: { iterations: PBKDF2_ITERATIONS } })
    const stored = await storedRows(db.name)
    expect(viewingBuffers(stored)).toEqual(viewingBuffers({ ...fixture.rows, events: [], leads: [] }))
    expectSealedAtRest(stored, texts)
    db.close()
  }, SLOW)

  it('syncs from its stored cursor once unlocked: the endpoint receives every stored change, the device pulls what is new, and stores it sealed', async () => {
    const { endpoint, device, colleague } = await endpointWithHistory(fixture)
    // After the snapshot, the colleague added a person: the device has to pull it.
    const newcomer = crypto.randomUUID()
    const newcomerFields = { ...emptyMentee(), givenName: 'Nachzüglerin', familyName: 'Vom-Server-Neu', languages: ['ar'] }
    const colleagueClock = new HybridLogicalClock('colleague-later')
    const pushed = await colleague.client.push({
      deviceId: colleague.deviceId,
      schemaVersion: PROTOCOL_SCHEMA_VERSION,
      mutations: [{ seq: 2, table: 'mentees', id: newcomer, op: 'upsert', fields: newcomerFields, hlc: colleagueClock.now() }],
    })
    expect(pushed.results).toEqual([{ seq: 2, status: 'applied' }])

    const { db } = await openUpgraded(3)
    expect(await unlock(fixture.passphrase!)).toEqual({ ok: true })
    const storedCursor = await readCursor()
    expect(storedCursor).toBe(fixture.plaintext!.settings!.find((row) => row.key === 'syncCursor')!.value)
    const before = await snapshot(db)
    const outbox = await db.outbox.orderBy('seq').toArray()
    const report = await syncOnce(device.client, device.deviceId)
    expect(report.refused).toBe(0)
    expect(report.pushed).toBe(outbox.length)
    expect(await readCursor()).not.toBe(storedCursor)
    expect(await db.mentees.get(newcomer)).toMatchObject(newcomerFields)
    const refused = fixture.plaintext!.rejections!.map((r) => `${String(r.table)}:${String(r.recordId)}`)
    expect(await db.rejections.count()).toBe(1)
    await expectSynced(endpoint, db, before, outbox as unknown as Row[], device.answers, new Set(refused))
    // What sync wrote is sealed like the rest.
    expectSealedAtRest(await storedRows(db.name), [...texts, 'Nachzüglerin', 'Vom-Server-Neu'])
    db.close()
  }, SLOW)
})
