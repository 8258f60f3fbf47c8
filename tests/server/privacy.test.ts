/**
 * Data protection on the endpoint (issue 5): erasure reaching every device (one of them offline
 * during the erasure), no resurrection by a late push, the access export, retention with a fake
 * clock, and the audit log, whose entries must hold no personal value used in these tests.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assign, createTeam, createUser, revokeDevice, share } from '../../server/accounts/accounts'
import type { Database } from '../../server/db/database'
import { eraseExpiredClosedCases, monthsBefore, retentionMonthsFromEnv } from '../../server/privacy/retention'
import { purgeTombstones } from '../../server/sync/purge'
import type { AuditResponse, ConflictsResponse, ErasureResponse, MenteeExport } from '../../src/shared/protocol'
import { forEachDatabase } from './databases'
import {
  applyChanges,
  appointment,
  call,
  checklistItem,
  createTestUsers,
  PASSWORD,
  SETUP_TIMEOUT_MS,
  startServer,
  TEST_TIMEOUT_MS,
  TestDevice,
  type Answer,
  type RunningServer,
  type TestUsers,
} from './sync-helpers'

// Invented values, each unmistakable, so any of them turning up in the audit log is found.
const PERSONAL = {
  givenName: 'Zzgivenqx',
  familyName: 'Zzfamilyqx',
  phone: '+49 000 111 222',
  note: 'ZZNOTE private conversation',
  noteLost: 'ZZLOST conflicting words',
  place: 'ZZPLACE office',
  label: 'ZZLABEL bring papers',
  typedName: 'zz.typed.person',
  deviceName: 'ZZDEVICE phone of someone',
  address: '203.0.113.77',
}

const DAY_MS = 24 * 60 * 60 * 1000

function personalMentee(extra: Record<string, unknown> = {}) {
  return {
    givenName: PERSONAL.givenName,
    familyName: PERSONAL.familyName,
    phone: PERSONAL.phone,
    stage: 'accompanied',
    residenceStatus: 'asylumPending',
    ...extra,
  }
}

/** A mentee with a note, an appointment and a checklist item, written by `device`. */
async function seedCase(device: TestDevice, extra: Record<string, unknown> = {}) {
  const ids = { mentee: randomUUID(), note: randomUUID(), appointment: randomUUID(), item: randomUUID() }
  const answer = await device.push(
    device.upsert('mentees', ids.mentee, personalMentee(extra)),
    device.upsert('notes', ids.note, { menteeId: ids.mentee, date: '2025-03-01', kind: 'talk', text: PERSONAL.note }),
    device.upsert('appointments', ids.appointment, appointment(ids.mentee, { place: PERSONAL.place })),
    device.upsert('checklistItems', ids.item, checklistItem(ids.appointment, PERSONAL.label)),
  )
  expect(answer.results.map((result) => result.status)).toEqual(['applied', 'applied', 'applied', 'applied'])
  return ids
}

for (const database of forEachDatabase()) {
  describe.skipIf(!database.available)(`data protection on ${database.name}`, { timeout: TEST_TIMEOUT_MS * 4 }, () => {
    let db: Database
    let server: RunningServer
    let users: TestUsers
    let coach: TestDevice
    let coachOffline: TestDevice
    let coach2: TestDevice
    let coachB: TestDevice
    let coordinator: TestDevice
    let pate: TestDevice
    let guide: TestDevice

    beforeAll(async () => {
      db = await database.open()
      server = await startServer(db)
      users = await createTestUsers(db)
      ;[coach, coachOffline, coach2, coachB, coordinator, pate, guide] = await Promise.all([
        TestDevice.signIn(server, users.coachA),
        TestDevice.signIn(server, users.coachA),
        TestDevice.signIn(server, users.coachA2),
        TestDevice.signIn(server, users.coachB),
        TestDevice.signIn(server, users.coordinator),
        TestDevice.signIn(server, users.pate),
        TestDevice.signIn(server, users.guide),
      ])
    }, SETUP_TIMEOUT_MS)
    afterAll(async () => {
      await server?.app.close()
      await db?.close()
    })

    const erase = (device: TestDevice, id: string) => device.call<ErasureResponse>('POST', `/api/v1/mentees/${id}/erasure`)
    const exportOf = (device: TestDevice, id: string) => device.call<MenteeExport>('GET', `/api/v1/mentees/${id}/export`)

    it('erases a mentee and everything bound to it on every device, one of them offline during the erasure', async () => {
      const ids = await seedCase(coach)
      await assign(db, users.pate, ids.mentee)
      await share(db, users.pate, ids.mentee)
      // A conflict, so the conflict log holds a value of this mentee.
      const stale = coach2.upsert('notes', ids.note, { text: PERSONAL.noteLost }, '000000000000001:00000:stale')
      expect((await coach2.push(stale)).results[0]).toMatchObject({ status: 'superseded' })

      // Both coach devices and the Pate have everything.
      const online = await coach.pullAll()
      const offline = await coachOffline.pullAll()
      const pateBefore = await pate.pullAll()
      for (const pulled of [online, offline, pateBefore]) {
        const state = applyChanges(pulled.changes)
        for (const [table, id] of [['mentees', ids.mentee], ['notes', ids.note], ['appointments', ids.appointment], ['checklistItems', ids.item]]) {
          expect(state.has(`${table}:${id}`), `${table} before`).toBe(true)
        }
      }

      const erased = await erase(coach, ids.mentee)
      expect(erased.status).toBe(200)
      expect(erased.body.erased).toEqual({ mentees: 1, notes: 1, appointments: 1, checklistItems: 1, events: 0, leads: 0 })

      // The server keeps only {table, id, deleted}: no content, no conflict values, no assignment.
      const { rows } = await db.query<{ tbl: string; fields: object; stamps: object; writers: object; deleted: boolean }>(
        'SELECT tbl, fields, stamps, writers, deleted FROM records WHERE mentee_id = $1',
        [ids.mentee],
      )
      expect(rows).toHaveLength(4)
      for (const row of rows) expect(row).toMatchObject({ fields: {}, stamps: {}, writers: {}, deleted: true })
      expect((await db.query('SELECT 1 FROM conflicts WHERE mentee_id = $1', [ids.mentee])).rows).toHaveLength(0)
      expect((await db.query('SELECT 1 FROM assignments WHERE mentee_id = $1', [ids.mentee])).rows).toHaveLength(0)
      expect((await db.query('SELECT 1 FROM shares WHERE mentee_id = $1', [ids.mentee])).rows).toHaveLength(0)
      const dump = JSON.stringify((await db.query('SELECT * FROM records WHERE mentee_id = $1', [ids.mentee])).rows)
      for (const value of [PERSONAL.givenName, PERSONAL.note, PERSONAL.place, PERSONAL.label]) expect(dump).not.toContain(value)

      // The online device pulls at once; the offline one comes back later, from its old cursor.
      const onlineAfter = await coach.pullAll(online.cursor)
      await coach.push(coach.upsert('mentees', randomUUID(), { givenName: 'Later', stage: 'firstContact' }))
      const offlineAfter = await coachOffline.pullAll(offline.cursor)
      const pateAfter = await pate.pullAll(pateBefore.cursor)
      for (const [name, before, after] of [
        ['online', online, onlineAfter],
        ['offline', offline, offlineAfter],
        ['pate', pateBefore, pateAfter],
      ] as const) {
        const state = applyChanges([...before.changes, ...after.changes])
        for (const key of state.keys()) expect(key.endsWith(ids.mentee) || [ids.note, ids.appointment, ids.item].some((id) => key.endsWith(id)), `${name} still holds ${key}`).toBe(false)
        expect(JSON.stringify(after.changes), name).not.toContain(PERSONAL.givenName)
      }
      expect(offlineAfter.changes.filter((change) => change.op === 'delete').map((change) => change.id).sort()).toEqual(
        [ids.mentee, ids.note, ids.appointment, ids.item].sort(),
      )

      // The offline device's late edits bring nothing back, now or after the tombstones are purged.
      const late = await coachOffline.push(
        coachOffline.upsert('mentees', ids.mentee, { givenName: PERSONAL.givenName }),
        coachOffline.upsert('notes', ids.note, { text: PERSONAL.note }),
        coachOffline.upsert('notes', randomUUID(), { menteeId: ids.mentee, date: '2025-03-01', kind: 'talk', text: PERSONAL.note }),
      )
      expect(late.results.map((result) => result.reason)).toEqual(['deleted', 'deleted', 'deleted'])
      const latePate = await pate.push(pate.upsert('notes', ids.note, { text: PERSONAL.note }))
      expect(latePate.results[0]).toMatchObject({ status: 'rejected' })
      await purgeTombstones(db, { olderThan: new Date(Date.now() + DAY_MS) })
      const afterPurge = await coachOffline.push(coachOffline.upsert('mentees', ids.mentee, { givenName: PERSONAL.givenName }))
      expect(afterPurge.results[0]).toMatchObject({ status: 'rejected', reason: 'deleted' })
      expect((await db.query(`SELECT 1 FROM records WHERE id = $1 AND NOT deleted`, [ids.mentee])).rows).toHaveLength(0)

      // Erasing again is harmless; unknown ids are 404.
      const again = await erase(coordinator, randomUUID())
      expect(again.status).toBe(404)
    })

    it('lets coordinators and the team\u2019s coaches erase, nobody else', async () => {
      const ids = await seedCase(coach)
      await assign(db, users.pate, ids.mentee)
      expect((await erase(pate, ids.mentee)).status).toBe(403)
      expect((await erase(guide, ids.mentee)).status).toBe(403)
      expect((await erase(coachB, ids.mentee)).status).toBe(404)
      expect((await erase(coach, 'not-a-uuid')).status).toBe(400)
      expect((await db.query(`SELECT 1 FROM records WHERE mentee_id = $1 AND NOT deleted`, [ids.mentee])).rows).toHaveLength(4)
      const byCoordinator = await erase(coordinator, ids.mentee)
      expect(byCoordinator.status).toBe(200)
      const twice = await erase(coach, ids.mentee)
      expect(twice.status).toBe(200)
      expect(twice.body.erased).toEqual({ mentees: 0, notes: 0, appointments: 0, checklistItems: 0, events: 0, leads: 0 })
    })

    it('exports every table and the conflict log of one mentee, cut to what the user may see', async () => {
      const ids = await seedCase(coach)
      const lost = coach2.upsert('notes', ids.note, { text: PERSONAL.noteLost }, '000000000000001:00000:stale')
      await coach2.push(lost)
      await coach.push(coach.upsert('mentees', ids.mentee, { permitExpiry: '2026-01-31' }))
      await assign(db, users.pate, ids.mentee)

      const full = await exportOf(coach, ids.mentee)
      expect(full.status).toBe(200)
      expect(full.headers.get('content-disposition')).toContain('attachment')
      expect(full.headers.get('cache-control')).toBe('no-store')
      expect(Object.keys(full.body.tables).sort()).toEqual(['appointments', 'checklistItems', 'events', 'leads', 'mentees', 'notes'])
      expect(full.body.tables.mentees[0]!.fields).toMatchObject({ givenName: PERSONAL.givenName, residenceStatus: 'asylumPending' })
      expect(full.body.tables.notes[0]!.fields).toMatchObject({ text: PERSONAL.note })
      expect(full.body.tables.appointments[0]!.id).toBe(ids.appointment)
      expect(full.body.tables.checklistItems[0]!.id).toBe(ids.item)
      expect(full.body.conflicts.map((conflict) => conflict.value)).toContain(PERSONAL.noteLost)
      expect(full.body.assignments).toEqual([expect.objectContaining({ sensitiveShared: false })])

      const byPate = await exportOf(pate, ids.mentee)
      expect(byPate.status).toBe(200)
      expect(byPate.body.tables.mentees[0]!.fields).not.toHaveProperty('residenceStatus')
      expect(byPate.body.tables.mentees[0]!.fields).not.toHaveProperty('permitExpiry')
      expect(byPate.body.tables.mentees[0]!.fields).toMatchObject({ givenName: PERSONAL.givenName })
      expect(byPate.body.assignments).toEqual([])
      // The same cut as the conflict log the Pate reads anyway.
      const conflicts = await pate.call<ConflictsResponse>('GET', `/api/v1/conflicts?id=${ids.note}`)
      expect(byPate.body.conflicts).toEqual(conflicts.body.conflicts)

      expect((await exportOf(guide, ids.mentee)).status).toBe(403)
      expect((await exportOf(coachB, ids.mentee)).status).toBe(404)
      expect((await exportOf(coordinator, ids.mentee)).status).toBe(200)
      expect((await exportOf(coordinator, randomUUID())).status).toBe(404)
      expect((await exportOf(coordinator, 'x')).status).toBe(400)
    })

    it('erases closed cases after the retention period, by the server clock of closing (fake clock)', async () => {
      const clock = server.clock
      const start = Date.parse('2026-01-15T10:00:00Z')
      clock.fixed = start
      try {
        const closed = await seedCase(coach, { stage: 'closed' })
        const open = await seedCase(coach)
        const reopened = await seedCase(coach, { stage: 'closed' })
        // A device whose clock is years behind closes a case: the server's clock counts.
        const closedLate = randomUUID()
        const wrongClock = coach.upsert('mentees', closedLate, { givenName: 'Zzlate', stage: 'closed' }, '000000000000001:00000:wrong')
        clock.fixed = start + 30 * DAY_MS
        await coach.push(wrongClock)
        // Reopened a year later.
        clock.fixed = start + 365 * DAY_MS
        await coach.push(coach.upsert('mentees', reopened.mentee, { stage: 'accompanied' }, `${String(clock.fixed).padStart(15, '0')}:00000:x`))

        // 23 months after closing: nothing yet.
        let result = await eraseExpiredClosedCases(db, { now: monthsBefore(start, -23), months: 24 })
        expect(result.erased).toEqual([])
        // 24 months and a minute: the first case goes; the one closed a month later stays.
        result = await eraseExpiredClosedCases(db, { now: monthsBefore(start, -24) + 60_000, months: 24 })
        expect(result.erased).toEqual([closed.mentee])
        result = await eraseExpiredClosedCases(db, { now: monthsBefore(start + 30 * DAY_MS, -24) + 60_000, months: 24 })
        expect(result.erased).toEqual([closedLate])

        const live = await db.query<{ id: string }>(
          `SELECT id::text AS id FROM records WHERE tbl = 'mentees' AND NOT deleted AND id = ANY($1::uuid[])`,
          [[closed.mentee, open.mentee, reopened.mentee, closedLate]],
        )
        expect(live.rows.map((row) => row.id).sort()).toEqual([open.mentee, reopened.mentee].sort())
        expect((await db.query(`SELECT 1 FROM records WHERE mentee_id = $1 AND NOT deleted`, [closed.mentee])).rows).toHaveLength(0)
        const { rows: audited } = await db.query<{ actor_id: string | null; details: { reason: string } }>(
          `SELECT actor_id, details FROM audit_log WHERE action = 'erasure' AND target_id = $1`,
          [closed.mentee],
        )
        expect(audited).toEqual([{ actor_id: null, details: expect.objectContaining({ reason: 'retention' }) }])
      } finally {
        clock.fixed = undefined
      }
    })

    it('reads the retention period from RETENTION_MONTHS (default 24) and refuses nonsense', () => {
      expect(retentionMonthsFromEnv({})).toBe(24)
      expect(retentionMonthsFromEnv({ RETENTION_MONTHS: '36' })).toBe(36)
      for (const bad of ['0', '-1', '1.5', 'zwei', '99999']) {
        expect(() => retentionMonthsFromEnv({ RETENTION_MONTHS: bad }), bad).toThrow(/RETENTION_MONTHS/)
      }
      expect(new Date(monthsBefore(Date.parse('2026-03-31T12:00:00Z'), 1)).toISOString()).toBe('2026-02-28T12:00:00.000Z')
    })

    it('audits each audited action by ids only, with no personal value anywhere, and only coordinators read it', async () => {
      // Accounts and a device name that look personal, to be sure neither turns up.
      const team = `Audit ${randomUUID().slice(0, 8)}`
      await createTeam(db, team)
      const username = `zz.audit.${randomUUID().slice(0, 8)}`
      await createUser(db, { username, displayName: 'Zzdisplayqx', role: 'coach', teamName: team, password: PASSWORD })
      const failedKnown = await call(server, 'POST', '/api/v1/session', {
        body: { username, password: 'wrong password here', deviceName: PERSONAL.deviceName },
      })
      expect(failedKnown.status).toBe(401)
      const failedUnknown = await call(server, 'POST', '/api/v1/session', {
        body: { username: PERSONAL.typedName, password: 'wrong password here', deviceName: PERSONAL.deviceName },
        headers: { 'x-forwarded-for': PERSONAL.address },
      })
      expect(failedUnknown.status).toBe(401)
      const session = await call<{ token: string; deviceId: string; user: { id: string } }>(server, 'POST', '/api/v1/session', {
        body: { username, password: PASSWORD, deviceName: PERSONAL.deviceName },
      })
      expect(session.status).toBe(201)
      const device = new TestDevice(server, session.body as never)
      const ids = await seedCase(device)
      const pulled = await device.pullAll()
      expect((await device.call('GET', `/api/v1/mentees/${ids.mentee}/export`)).status).toBe(200)
      await revokeDevice(db, session.body.deviceId)
      const erasedBy = coordinator
      expect((await erase(erasedBy, ids.mentee)).status).toBe(200)

      const { rows } = await db.query<{ action: string; actor_id: string | null; device_id: string | null; target_id: string | null; details: Record<string, unknown>; record_ids: string[] | null }>(
        `SELECT action, actor_id::text AS actor_id, device_id::text AS device_id, target_id::text AS target_id, details,
                record_ids::text[] AS record_ids
           FROM audit_log ORDER BY id`,
      )
      const userId = session.body.user.id
      const mine = rows.filter((row) => row.actor_id === userId || row.target_id === ids.mentee || row.target_id === session.body.deviceId)
      expect(mine.find((row) => row.action === 'sign_in_failed' && row.actor_id === userId)).toBeDefined()
      expect(mine.find((row) => row.action === 'sign_in' && row.device_id === session.body.deviceId)).toBeDefined()
      const pullEntries = mine.filter((row) => row.action === 'pull' && row.device_id === session.body.deviceId)
      expect(pullEntries.length).toBe(pulled.pages)
      expect(mine.find((row) => row.action === 'export' && row.target_id === ids.mentee)).toBeDefined()
      expect(mine.find((row) => row.action === 'device_revoked' && row.target_id === session.body.deviceId)).toBeDefined()
      expect(mine.find((row) => row.action === 'erasure' && row.target_id === ids.mentee)).toMatchObject({
        details: { reason: 'request', erased: { mentees: 1, notes: 1, appointments: 1, checklistItems: 1, events: 0, leads: 0 } },
      })
      // The unknown username is a keyed hash, nothing more.
      const unknown = rows.filter((row) => row.action === 'sign_in_failed' && row.actor_id === null)
      expect(unknown.length).toBeGreaterThan(0)
      for (const row of unknown) expect(row.details).toEqual({ reason: 'invalid_credentials', usernameHash: expect.stringMatching(/^[0-9a-f]{16}$/) })
      // The erasure removed its audit details: the export's counts and the pulled ids of its records.
      expect(mine.find((row) => row.action === 'export')!.details).toEqual({})
      for (const row of pullEntries) {
        for (const id of Object.values(ids)) expect(row.record_ids ?? []).not.toContain(id)
      }

      // The sign-in limit's own table keeps no typed name either.
      const failures = JSON.stringify((await db.query('SELECT * FROM login_failures')).rows)
      expect(failures).not.toContain(PERSONAL.typedName)
      expect(failures).not.toContain(username)
      const everything = JSON.stringify(rows)
      for (const value of [...Object.values(PERSONAL), username, 'Zzdisplayqx', PASSWORD, 'wrong password here', team]) {
        expect(everything, value).not.toContain(value)
        expect(everything.toLowerCase(), value).not.toContain(value.toLowerCase())
      }

      // Read through the endpoint, paginated; coordinators only.
      const firstPage = await coordinator.call<AuditResponse>('GET', '/api/v1/audit?limit=2')
      expect(firstPage.status).toBe(200)
      expect(firstPage.body.entries).toHaveLength(2)
      expect(firstPage.body.nextBefore).toBe(firstPage.body.entries[1]!.id)
      const secondPage = await coordinator.call<AuditResponse>('GET', `/api/v1/audit?limit=2&before=${firstPage.body.nextBefore}`)
      expect(secondPage.body.entries[0]!.id).toBeLessThan(firstPage.body.entries[1]!.id)
      const all: number[] = []
      let before: number | null = null
      do {
        const page: Answer<AuditResponse> = await coordinator.call<AuditResponse>(
          'GET',
          `/api/v1/audit?limit=500${before === null ? '' : `&before=${before}`}`,
        )
        all.push(...page.body.entries.map((entry) => entry.id))
        before = page.body.nextBefore
      } while (before !== null)
      expect(all.length).toBeGreaterThanOrEqual(rows.length)
      expect(JSON.stringify(firstPage.body)).not.toContain(PERSONAL.typedName)
      for (const other of [coach, pate, guide]) expect((await other.call('GET', '/api/v1/audit')).status).toBe(403)
      for (const bad of ['limit=0', 'limit=501', 'limit=x', 'before=0', 'before=-1', 'before=abc']) {
        expect((await coordinator.call('GET', `/api/v1/audit?${bad}`)).status, bad).toBe(400)
      }
    })
  })
}
