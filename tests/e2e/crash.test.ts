/**
 * Crashes in the middle of sync, in real Chromium against the real endpoint (in-memory PGlite):
 * - the page closes while a push is in flight, after the endpoint committed it, so its answer is
 *   lost: the next start sends the same batch again and the endpoint applies it once;
 * - the page dies while it applies a pulled page, and right after a pulled page arrived: a page
 *   and its cursor are stored together or not at all, and the next start catches up exactly.
 * A new page in the same browser context is the restarted app (same IndexedDB).
 * Service workers are blocked: route interception then sees every request, and nothing here is
 * about the offline shell.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page, Route } from 'playwright-core'
import { takeChangeLock } from '../../server/db/database'
import { HybridLogicalClock } from '../../src/shared/hlc'
import type { PushResponse } from '../../src/shared/protocol'
import { emptyMentee } from '../../src/shared/records'
import { PULL_PAGE_SIZE } from '../../src/sync/engine'
import { validateFields } from '../../src/shared/validation'
import {
  addNote,
  collectPageErrors,
  createMentee,
  isoDate,
  launchBrowser,
  newPhoneContext,
  openSignedIn,
  E2E_PASSPHRASE,
  expectSealed,
  POLL,
  READABLE_FIELDS,
  readStores,
  startServer,
  TEST_COACH,
  text,
  unlockOnEveryLoad,
  type RunningServer,
  type StoredRow,
} from './helpers'

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

async function newDevice(): Promise<BrowserContext> {
  const context = await newPhoneContext(browser, { serviceWorkers: 'block' })
  contexts.push(context)
  return context
}

type Row = StoredRow

/**
 * A page of the app's origin that does not run the app (the API is never the app shell), so the
 * IndexedDB the crash left behind can be read before a restarted app touches it.
 */
async function inspectionPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`${server.baseUrl}/api/v1/health`)
  return page
}

function setting(settings: Row[], key: string): unknown {
  return settings.find((row) => row.key === key)?.value
}

/** The change number a cursor stands for (the cursor is base64url JSON `{v, seq, purged}`). */
function cursorSeq(cursor: unknown): number {
  if (typeof cursor !== 'string') throw new Error(`no cursor stored (${String(cursor)})`)
  const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { seq: number; key?: string }
  expect(parsed.key).toBeUndefined()
  return parsed.seq
}

async function coach(): Promise<{ id: string; teamId: string }> {
  const { rows } = await server.db.query<{ id: string; team_id: string }>('SELECT id, team_id FROM users WHERE username = $1', [TEST_COACH.username])
  return { id: rows[0]!.id, teamId: rows[0]!.team_id }
}

interface ServerRecord {
  tbl: string
  id: string
  fields: Row
  deleted: boolean
  change_seq: number
}

async function serverRecords(where = 'TRUE', params: unknown[] = []): Promise<ServerRecord[]> {
  const { rows } = await server.db.query<ServerRecord>(
    `SELECT tbl, id, fields, deleted, change_seq FROM records WHERE ${where} ORDER BY change_seq`,
    params,
  )
  return rows
}

/**
 * A local record is the endpoint's: stored sealed, and each field that stays readable on the
 * device (ids, index fields) has the endpoint's value. The sealed fields cannot be read here
 * without the passphrase; the tests check those through the app's screens.
 */
function expectSameFields(local: Row | undefined, remote: ServerRecord): void {
  expect(local, `${remote.tbl} ${remote.id} is missing on the device`).toBeDefined()
  expectSealed(remote.tbl, local)
  for (const [field, value] of Object.entries(remote.fields)) {
    if (READABLE_FIELDS[remote.tbl]!.includes(field)) expect(local![field], `${remote.tbl} ${remote.id}.${field}`).toEqual(value)
  }
}

/** Holds a route until the test lets it go (never answered: the page closes first). */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void
  const wait = new Promise<void>((resolve) => (open = resolve))
  return { wait, open }
}

describe('crash while pushing', () => {
  it('sends a batch again whose answer was lost when the page closed, and the endpoint applies it once', async () => {
    const context = await newDevice()
    const page = await context.newPage()
    const errors = collectPageErrors(page)
    await openSignedIn(page, server)

    // While the person works, every push fails as if the network were gone (so the outbox fills).
    let mode: 'offline' | 'hold' = 'offline'
    const release = gate()
    let committed!: (value: { status: number; body: PushResponse }) => void
    const pushCommitted = new Promise<{ status: number; body: PushResponse }>((resolve) => (committed = resolve))
    await page.route('**/api/v1/sync/push', async (route: Route) => {
      if (mode === 'offline') {
        await route.abort('internetdisconnected').catch(() => undefined)
        return
      }
      try {
        // The request reaches the endpoint, which commits it; the answer never reaches the app.
        const response = await route.fetch()
        committed({ status: response.status(), body: (await response.json()) as PushResponse })
      } finally {
        await release.wait
      }
    })

    const names = ['Absturz', 'Zweitfall', 'Drittfall'].map((familyName) => ({ givenName: 'Testperson', familyName }))
    const menteeIds: string[] = []
    for (const [index, name] of names.entries()) {
      menteeIds.push(await createMentee(page, server.baseUrl, name))
      await addNote(page, { text: `Erste Notiz ${index}` })
      await addNote(page, { text: `Zweite Notiz ${index}`, followUpText: 'Nachfassen', followUpDue: isoDate(7) })
    }
    // A later edit of one field of the first person: its own outbox entry, after the create.
    await page.goto(`${server.baseUrl}/mentees/${menteeIds[0]}/edit`)
    await page.getByLabel(text('de', 'mentee.fields.phone'), { exact: true }).fill('+49 5261 000001')
    await page.getByTestId('save-mentee').click()
    await page.getByTestId('mentee-name').waitFor()

    const before = await readStores(page, ['mentees', 'notes', 'outbox'])
    expect(before.mentees).toHaveLength(3)
    expect(before.notes).toHaveLength(6)
    expect(before.outbox).toHaveLength(10)
    const outboxSeqs = before.outbox.map((entry) => entry.seq as number)

    // The network is back; the push goes out and the page closes while its answer is on the way.
    mode = 'hold'
    await page.goto(`${server.baseUrl}/sync`)
    // (A retry of the scheduler may send it first; then the button waits, and the page closes anyway.)
    const clicked = page.getByTestId('sync-now').click().catch(() => undefined)
    const first = await pushCommitted
    expect(first.status).toBe(200)
    expect(first.body.results.map((r) => r.status)).toEqual(outboxSeqs.map(() => 'applied'))
    expect(first.body.ackSeq).toBe(Math.max(...outboxSeqs))
    const { id: coachId } = await coach()
    expect(await serverRecords('created_by = $1', [coachId])).toHaveLength(9)
    await page.close({ runBeforeUnload: false })
    release.open()
    await clicked
    expect(errors).toEqual([])

    // What the closed app left: every change still waits in the outbox (it never saw the answer).
    const inspect = await inspectionPage(context)
    const left = await readStores(inspect, ['mentees', 'notes', 'outbox'])
    expect(left.outbox.map((entry) => entry.seq)).toEqual(outboxSeqs)
    await inspect.close()

    // Restart: the app sends the batch again on start; the endpoint knows it and applies nothing twice.
    const restarted = await context.newPage()
    unlockOnEveryLoad(restarted)
    const restartErrors = collectPageErrors(restarted)
    const answers: PushResponse[] = []
    restarted.on('response', (response) => {
      if (response.url().endsWith('/api/v1/sync/push')) void response.json().then((body: PushResponse) => answers.push(body))
    })
    await restarted.goto(server.baseUrl)
    await restarted.getByTestId('today').waitFor()
    await expect.poll(async () => (await readStores(restarted, ['outbox'])).outbox.length, POLL).toBe(0)
    await expect.poll(() => answers.length, POLL).toBeGreaterThan(0)
    expect(answers[0]!.results.map((r) => r.status)).toEqual(outboxSeqs.map(() => 'duplicate'))

    // The endpoint holds every record exactly once, with the values the device holds.
    const remote = await serverRecords('created_by = $1', [coachId])
    const local = await readStores(restarted, ['mentees', 'notes', 'outbox', 'rejections'])
    expect(local.rejections).toEqual([])
    expect(remote.map((r) => `${r.tbl}:${r.id}`).sort()).toEqual(
      [...local.mentees.map((m) => `mentees:${String(m.id)}`), ...local.notes.map((n) => `notes:${String(n.id)}`)].sort(),
    )
    expect(new Set(remote.map((r) => r.id)).size).toBe(remote.length)
    expect(local.mentees).toHaveLength(3)
    expect(local.notes).toHaveLength(6)
    for (const record of remote) {
      expect(record.deleted).toBe(false)
      const table = record.tbl === 'mentees' ? local.mentees : local.notes
      expectSameFields(table.find((row) => row.id === record.id), record)
    }
    const firstMentee = remote.find((r) => r.id === menteeIds[0])!
    expect(firstMentee.fields.phone).toBe('+49 5261 000001')
    // Sent twice, applied once: the second copy wrote nothing and logged no conflict.
    const { rows: conflicts } = await server.db.query('SELECT id FROM conflicts WHERE lost_by = $1', [coachId])
    expect(conflicts).toEqual([])
    const { rows: devices } = await server.db.query<{ ack_seq: number }>('SELECT ack_seq FROM devices WHERE user_id = $1 AND ack_seq > 0', [coachId])
    expect(devices.map((d) => d.ack_seq)).toEqual([Math.max(...outboxSeqs)])
    // What is sealed on the device, its screens show: each note once, with the endpoint's text,
    // and the later edit of the phone.
    for (const [index, menteeId] of menteeIds.entries()) {
      await restarted.goto(`${server.baseUrl}/mentees/${menteeId}`)
      await expect.poll(() => restarted.getByTestId('mentee-name').innerText(), POLL).toContain(names[index]!.familyName)
      const noteTexts = remote.filter((r) => r.tbl === 'notes' && r.fields.menteeId === menteeId).map((r) => String(r.fields.text))
      expect(noteTexts.sort()).toEqual([`Erste Notiz ${index}`, `Zweite Notiz ${index}`])
      await expect.poll(async () => (await restarted.getByTestId('note-timeline').locator('.timeline__text').allInnerTexts()).sort(), POLL).toEqual(noteTexts)
    }
    await restarted.goto(`${server.baseUrl}/mentees/${menteeIds[0]}`)
    await expect
      .poll(() => restarted.locator('.facts__row').filter({ hasText: text('de', 'mentee.fields.phone') }).innerText(), POLL)
      .toContain('+49 5261 000001')
    expect(restartErrors).toEqual([])
    await restarted.close()
  })
})

// ---------------------------------------------------------------------------------------------

const SEEDED_MENTEES = 1_100
const SEEDED_NOTES = 300

/**
 * Writes mentees and notes of the test team straight into `records`, as pushes from another
 * device would have left them (fields, stamps, writers, team, parent, one change number each).
 */
async function seedTeamRecords(): Promise<void> {
  const { id: coachId, teamId } = await coach()
  const writtenAt = Date.now() - 3_600_000
  const otherDevice = randomUUID()
  const clock = new HybridLogicalClock(otherDevice, () => writtenAt)
  const writer = JSON.stringify({ userId: coachId, deviceId: otherDevice, receivedAt: writtenAt })
  const mentees = Array.from({ length: SEEDED_MENTEES }, (_, index) => ({
    id: randomUUID(),
    fields: { ...emptyMentee(), givenName: 'Testperson', familyName: `Seed ${index + 1}`, phone: `+49 000 ${String(index).padStart(6, '0')}`, stage: 'accompanied' },
  }))
  const notes = Array.from({ length: SEEDED_NOTES }, (_, index) => {
    const mentee = mentees[index % mentees.length]!
    return {
      id: randomUUID(),
      mentee_id: mentee.id,
      fields: { menteeId: mentee.id, date: isoDate(-index % 300), kind: 'talk', text: `Erfundene Notiz ${index + 1}`, topics: [], followUpText: '', followUpDue: '', followUpDone: false },
    }
  })
  // Numbers are drawn in array order, so parents come before their children.
  const insert = `
    INSERT INTO records (tbl, id, team_id, mentee_id, parent_id, fields, stamps, writers, created_by, change_seq, changed_at)
    SELECT $1, (e.value->>'id')::uuid, $2::uuid, (e.value->>'mentee_id')::uuid, (e.value->>'parent_id')::uuid, e.value->'fields',
           (SELECT jsonb_object_agg(k, e.value->'stamp') FROM jsonb_object_keys(e.value->'fields') AS k),
           (SELECT jsonb_object_agg(k, $3::jsonb) FROM jsonb_object_keys(e.value->'fields') AS k),
           $4::uuid, nextval('change_seq'), now()
      FROM jsonb_array_elements($5::jsonb) WITH ORDINALITY AS e(value, n)
     ORDER BY e.n`
  for (const record of [...mentees.map((m) => ['mentees', m.fields] as const), ...notes.map((n) => ['notes', n.fields] as const)]) {
    expect(validateFields(record[0], record[1])).toMatchObject({ ok: true })
  }
  await server.db.transaction(async (tx) => {
    await takeChangeLock(tx)
    const menteeRows = mentees.map((m) => ({ id: m.id, mentee_id: m.id, parent_id: null, fields: m.fields, stamp: clock.now() }))
    await tx.query(insert, ['mentees', teamId, writer, coachId, JSON.stringify(menteeRows)])
    const noteRows = notes.map((n) => ({ id: n.id, mentee_id: n.mentee_id, parent_id: n.mentee_id, fields: n.fields, stamp: clock.now() }))
    await tx.query(insert, ['notes', teamId, writer, coachId, JSON.stringify(noteRows)])
  })
}

/** Local ids of the synced tables, as `table:id`. */
function localIds(stores: { mentees: Row[]; notes: Row[] }): string[] {
  return (['mentees', 'notes'] as const).flatMap((table) => stores[table].map((row) => `${table}:${String(row.id)}`)).sort()
}

describe('crash while applying a pulled page', () => {
  it('keeps a page and its cursor together, and catches up exactly after a restart', async () => {
    // A fresh device of a coach whose team already has many records: the first sync pulls pages
    // of PULL_PAGE_SIZE changes, each applied in one transaction.
    const seqBefore = (await serverRecords()).length
    await seedTeamRecords()
    const { teamId } = await coach()
    const remoteAll = await serverRecords('team_id = $1 AND NOT deleted', [teamId])
    expect(remoteAll.length).toBe(SEEDED_MENTEES + SEEDED_NOTES + seqBefore)
    const context = await newDevice()

    // 1. The app dies half-way through applying the first page: after the 250th record written in
    //    the page's transaction, the page's script stops (as a killed tab does) and the tab closes.
    const page = await context.newPage()
    let crashPointReached!: () => void
    const crashPoint = new Promise<void>((resolve) => (crashPointReached = resolve))
    await page.exposeFunction('lotseCrashPoint', () => crashPointReached())
    await page.addInitScript(() => {
      const writes = new WeakMap<IDBTransaction, number>()
      let crashed = false
      // Records new to the device are written with add, others with put: count both.
      for (const method of ['put', 'add'] as const) {
        const original = IDBObjectStore.prototype[method]
        IDBObjectStore.prototype[method] = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
          // Only the pulled page's transaction writes mentees alongside the outbox and settings stores.
          if (!crashed && this.name === 'mentees' && this.transaction.objectStoreNames.contains('settings')) {
            const count = (writes.get(this.transaction) ?? 0) + 1
            writes.set(this.transaction, count)
            if (count === 250) {
              crashed = true
              void (window as unknown as { lotseCrashPoint: () => Promise<void> }).lotseCrashPoint()
              const until = Date.now() + 20_000
              while (Date.now() < until) {
                // The tab hangs here, mid-transaction, until the test closes it.
              }
            }
          }
          return original.apply(this, args)
        }
      }
    })
    await page.goto(server.baseUrl)
    await page.getByTestId('login').waitFor()
    await page.getByTestId('login-username').fill(TEST_COACH.username)
    await page.getByTestId('login-password').fill(TEST_COACH.password)
    await page.getByTestId('login-submit').click()
    // The first sign-in on this device asks for the passphrase; sync starts once it is set.
    await page.getByTestId('setup-passphrase').fill(E2E_PASSPHRASE)
    await page.getByTestId('setup-repeat').fill(E2E_PASSPHRASE)
    await page.getByTestId('setup-submit').click()
    await crashPoint
    await page.close({ runBeforeUnload: false })

    let inspect = await inspectionPage(context)
    let state = await readStores(inspect, ['mentees', 'notes', 'settings', 'outbox'])
    // Nothing of the half-applied page, and no cursor: the page comes again. The session stays.
    expect(localIds(state)).toEqual([])
    expect(setting(state.settings, 'syncCursor')).toBeUndefined()
    const session = state.settings.find((row) => row.key === 'session')
    expectSealed('settings', session)
    expect(JSON.stringify(session)).not.toContain(TEST_COACH.username)
    expect(state.outbox).toEqual([])
    await inspect.close()

    // 2. Restarted, it pulls again; the tab closes the moment the second page's answer arrived.
    const second = await context.newPage()
    unlockOnEveryLoad(second)
    let pulls = 0
    let secondPageDelivered!: () => void
    const delivered = new Promise<void>((resolve) => (secondPageDelivered = resolve))
    await second.route('**/api/v1/sync/pull**', async (route) => {
      pulls += 1
      if (pulls !== 2) {
        await route.continue().catch(() => undefined)
        return
      }
      const response = await route.fetch()
      await route.fulfill({ response }).catch(() => undefined)
      secondPageDelivered()
    })
    await second.goto(server.baseUrl)
    await delivered
    await second.close({ runBeforeUnload: false })

    inspect = await inspectionPage(context)
    state = await readStores(inspect, ['mentees', 'notes', 'settings', 'outbox'])
    // Whatever was stored is exactly the changes up to the stored cursor: whole pages only.
    // The second page is asked for while the first is applied: its answer may come first.
    const storedCursor = setting(state.settings, 'syncCursor')
    const storedSeq = storedCursor === undefined ? 0 : cursorSeq(storedCursor)
    const upToCursor = remoteAll.filter((r) => r.change_seq <= storedSeq).map((r) => `${r.tbl}:${r.id}`).sort()
    expect(localIds(state)).toEqual(upToCursor)
    // The next page is asked for while one is applied, so none, one or both pages may be stored.
    expect(upToCursor.length === remoteAll.length || upToCursor.length % PULL_PAGE_SIZE === 0).toBe(true)
    console.log(`crash after the second pulled page arrived: ${upToCursor.length} records and their cursor were stored`)
    await inspect.close()

    // 3. Restarted again: it goes on from the stored cursor and ends with exactly the endpoint's records.
    const last = await context.newPage()
    unlockOnEveryLoad(last)
    const lastErrors = collectPageErrors(last)
    const pullCursors: (string | null)[] = []
    last.on('request', (request) => {
      if (request.url().includes('/api/v1/sync/pull')) pullCursors.push(new URL(request.url()).searchParams.get('cursor'))
    })
    await last.goto(server.baseUrl)
    await last.getByTestId('today').waitFor()
    const maxSeq = Math.max(...remoteAll.map((r) => r.change_seq))
    await expect
      .poll(async () => cursorSeq(setting((await readStores(last, ['settings'])).settings, 'syncCursor')), { timeout: 30_000 })
      .toBe(maxSeq)
    // From the stored cursor; with none stored (see above), from the start (no cursor parameter).
    expect(pullCursors[0]).toBe(storedCursor ?? null)
    const final = await readStores(last, ['mentees', 'notes', 'outbox', 'rejections'])
    expect(localIds(final)).toEqual(remoteAll.map((r) => `${r.tbl}:${r.id}`).sort())
    const byId = new Map([...final.mentees, ...final.notes].map((row) => [String(row.id), row]))
    for (const record of remoteAll) expectSameFields(byId.get(record.id), record)
    // The sealed fields, through the screens: people from the first, a middle and the last page
    // show the endpoint's name and phone, and their notes the endpoint's text.
    const remoteMentees = remoteAll.filter((r) => r.tbl === 'mentees' && String(r.fields.familyName).startsWith('Seed '))
    for (const mentee of [remoteMentees[0]!, remoteMentees[Math.floor(remoteMentees.length / 2)]!, remoteMentees.at(-1)!]) {
      await last.goto(`${server.baseUrl}/mentees/${mentee.id}`)
      await expect.poll(() => last.getByTestId('mentee-name').innerText(), POLL).toContain(String(mentee.fields.familyName))
      await expect
        .poll(() => last.locator('.facts__row').filter({ hasText: text('de', 'mentee.fields.phone') }).innerText(), POLL)
        .toContain(String(mentee.fields.phone))
      const noteTexts = remoteAll.filter((r) => r.tbl === 'notes' && r.fields.menteeId === mentee.id).map((r) => String(r.fields.text))
      if (noteTexts.length > 0) {
        await expect.poll(async () => (await last.getByTestId('note-timeline').locator('.timeline__text').allInnerTexts()).sort(), POLL).toEqual(noteTexts.sort())
      }
    }
    expect(final.outbox).toEqual([])
    expect(final.rejections).toEqual([])
    expect(lastErrors).toEqual([])
    await last.close()
  })
})
