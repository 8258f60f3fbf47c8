import { randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { assign, share } from '../../server/accounts/accounts'
import type { Database } from '../../server/db/database'
import { formatStamp, parseStamp } from '../../src/shared/hlc'
import { PROTOCOL_SCHEMA_VERSION, type ConflictsResponse, type MutationResult } from '../../src/shared/protocol'
import { forEachDatabase } from './databases'
import {
  applyChanges,
  appointment,
  checklistItem,
  createTestUsers,
  mentee,
  note,
  type RunningServer,
  SETUP_TIMEOUT_MS,
  startServer,
  TEST_TIMEOUT_MS,
  TestDevice,
  type TestUsers,
  upsertsOf,
} from './sync-helpers'

const DAY = 24 * 60 * 60 * 1000
const stampAt = (millis: number, node = 'test-node') => formatStamp({ millis, counter: 0, node })

for (const database of forEachDatabase()) {
  describe.skipIf(!database.available)(`push on ${database.name}`, { timeout: TEST_TIMEOUT_MS }, () => {
    let db: Database
    let server: RunningServer
    let users: TestUsers

    beforeAll(async () => {
      db = await database.open()
      server = await startServer(db)
      users = await createTestUsers(db)
    }, SETUP_TIMEOUT_MS)
    afterAll(async () => {
      await server?.app.close()
      await db?.close()
    })
    afterEach(() => {
      server.clock.fixed = undefined
    })

    async function countRows(sql: string, params: unknown[]): Promise<number> {
      const { rows } = await db.query<{ count: number }>(`SELECT count(*) AS count FROM ${sql}`, params)
      return rows[0]!.count
    }

    async function storedFields(table: string, id: string): Promise<Record<string, unknown>> {
      const { rows } = await db.query<{ fields: Record<string, unknown> }>('SELECT fields FROM records WHERE tbl = $1 AND id = $2', [table, id])
      return rows[0]!.fields
    }

    /** Two coaches of one team on devices of their own, a new mentee's id, the server's clock fixed at `now`. */
    async function coachAndClockAhead() {
      const coach = await TestDevice.signIn(server, users.coachA)
      const ahead = await TestDevice.signIn(server, users.coachA2)
      const now = Date.now()
      server.clock.fixed = now
      return { coach, ahead, menteeId: randomUUID(), now }
    }

    async function conflictsOf(device: TestDevice, query = ''): Promise<ConflictsResponse['conflicts']> {
      const answer = await device.call<ConflictsResponse>('GET', `/api/v1/conflicts${query}`)
      expect(answer.status).toBe(200)
      expect(Date.parse(answer.body.serverTime)).not.toBeNaN()
      return answer.body.conflicts
    }

    it('creates records that a pull brings back, with the stamps they were written with', async () => {
      const coach = await TestDevice.signIn(server, users.coachA)
      const menteeId = randomUUID()
      const noteId = randomUUID()
      const create = coach.upsert('mentees', menteeId, mentee('Amira', { languages: ['ar', 'de'] }))
      const response = await coach.push(create, coach.upsert('notes', noteId, note(menteeId)))
      expect(response.results).toEqual([
        { seq: 1, status: 'applied' },
        { seq: 2, status: 'applied' },
      ])
      expect(response.ackSeq).toBe(2)
      expect(Date.parse(response.serverTime)).not.toBeNaN()

      const { changes } = await coach.pullAll()
      const pulled = upsertsOf(changes).find((change) => change.id === menteeId)!
      expect(pulled.fields).toEqual(mentee('Amira', { languages: ['ar', 'de'] }))
      expect(pulled.hlc).toEqual(Object.fromEntries(Object.keys(pulled.fields).map((field) => [field, create.hlc])))
      expect(applyChanges(changes).get(`notes:${noteId}`)).toEqual(note(menteeId))
    })

    it('applies the same batch sent three times once', async () => {
      const coach = await TestDevice.signIn(server, users.coachA)
      const menteeId = randomUUID()
      const body = {
        deviceId: coach.session.deviceId,
        schemaVersion: 1,
        mutations: [coach.upsert('mentees', menteeId, mentee('Bilal')), coach.upsert('notes', randomUUID(), note(menteeId))],
      }
      const first = await coach.pushRaw(body)
      expect(first.status).toBe(200)
      expect(first.body.ackSeq).toBe(2)
      expect(first.body.results.map((result) => result.status)).toEqual(['applied', 'applied'])
      const { rows } = await db.query<{ change_seq: number }>('SELECT change_seq FROM records WHERE id = $1', [menteeId])

      for (let attempt = 0; attempt < 2; attempt += 1) {
        const again = await coach.pushRaw(body)
        expect(again.status).toBe(200)
        expect(again.body.ackSeq).toBe(2)
        expect(again.body.results).toEqual([
          { seq: 1, status: 'duplicate' },
          { seq: 2, status: 'duplicate' },
        ])
      }
      expect(await countRows('records WHERE id = $1', [menteeId])).toBe(1)
      expect(await countRows('records WHERE mentee_id = $1', [menteeId])).toBe(2)
      expect(await countRows('conflicts WHERE mentee_id = $1', [menteeId])).toBe(0)
      const after = await db.query<{ change_seq: number }>('SELECT change_seq FROM records WHERE id = $1', [menteeId])
      expect(after.rows).toEqual(rows)
    })

    it('applies a batch sent twice at the same moment once', async () => {
      const coach = await TestDevice.signIn(server, users.coachA)
      const menteeId = randomUUID()
      const body = { deviceId: coach.session.deviceId, schemaVersion: 1, mutations: [coach.upsert('mentees', menteeId, mentee('Chen'))] }
      const answers = await Promise.all([coach.pushRaw(body), coach.pushRaw(body), coach.pushRaw(body)])
      const statuses = answers.map((answer) => answer.body.results[0]!.status).sort()
      expect(statuses).toEqual(['applied', 'duplicate', 'duplicate'])
      expect(await countRows('conflicts WHERE record_id = $1', [menteeId])).toBe(0)
    })

    // Found by the sync simulation: a Pate's note for a mentee unassigned meanwhile was refused,
    // the answer got lost, the batch was sent again and answered `duplicate`; the app took that
    // for "applied", so the refusal never reached the user and the note stayed on the device.
    it('refuses a refused mutation again when it is sent again, and answers duplicate for the applied ones', async () => {
      const coach = await TestDevice.signIn(server, users.coachA)
      const menteeId = randomUUID()
      await coach.push(coach.upsert('mentees', menteeId, mentee('Dana')))
      const pate = await TestDevice.signIn(server, users.pate)
      const body = {
        deviceId: pate.session.deviceId,
        schemaVersion: 1,
        mutations: [pate.upsert('notes', randomUUID(), note(menteeId)), pate.upsert('mentees', randomUUID(), mentee('Emil'))],
      }
      const first = await pate.pushRaw(body)
      expect(first.body.results).toEqual([
        { seq: 1, status: 'rejected', reason: 'forbidden' },
        { seq: 2, status: 'rejected', reason: 'forbidden' },
      ])
      await assign(db, users.pate, menteeId)
      const again = await pate.pushRaw({ ...body, mutations: [...body.mutations, pate.upsert('notes', randomUUID(), note(menteeId))] })
      expect(again.body.results).toEqual([...first.body.results, { seq: 3, status: 'applied' }])
      expect(again.body.ackSeq).toBe(3)
      expect(await countRows('records WHERE mentee_id = $1', [menteeId])).toBe(2)

      const invalid = pate.upsert('notes', randomUUID(), { ...note(menteeId), kind: 'gossip' })
      const refused = await pate.push(invalid)
      expect(refused.results).toEqual([{ seq: 4, status: 'rejected', reason: 'invalid', detail: 'kind' }])
      expect((await pate.push(invalid)).results).toEqual(refused.results)
    })

    it('keeps the edits of two devices to different fields of one record', async () => {
      const a = await TestDevice.signIn(server, users.coachA)
      const b = await TestDevice.signIn(server, users.coachA2)
      const menteeId = randomUUID()
      await a.push(a.upsert('mentees', menteeId, mentee('Dana')))
      // Both edit offline, then sync one after the other.
      const editA = a.upsert('mentees', menteeId, { phone: '+49 170 1' })
      const editB = b.upsert('mentees', menteeId, { school: 'BK Mitte' })
      expect((await b.push(editB)).results).toEqual([{ seq: 1, status: 'applied' }])
      expect((await a.push(editA)).results).toEqual([{ seq: 2, status: 'applied' }])
      expect(await storedFields('mentees', menteeId)).toMatchObject({ givenName: 'Dana', phone: '+49 170 1', school: 'BK Mitte' })
      expect(await countRows('conflicts WHERE record_id = $1', [menteeId])).toBe(0)
    })

    it('lets the newer stamp win a field whichever write arrives first', async () => {
      const a = await TestDevice.signIn(server, users.coachA)
      const b = await TestDevice.signIn(server, users.coachA2)
      const base = Date.now()
      for (const order of ['older first', 'newer first'] as const) {
        const menteeId = randomUUID()
        await a.push(a.upsert('mentees', menteeId, mentee('Emre'), stampAt(base - 10_000, 'a')))
        const older = b.upsert('mentees', menteeId, { phone: '111' }, stampAt(base - 5_000, 'b'))
        const newer = a.upsert('mentees', menteeId, { phone: '222' }, stampAt(base - 4_000, 'a'))
        let results: MutationResult[]
        if (order === 'older first') {
          expect((await b.push(older)).results[0]!.status).toBe('applied')
          results = (await a.push(newer)).results
          expect(results[0]!.status, order).toBe('applied')
        } else {
          expect((await a.push(newer)).results[0]!.status).toBe('applied')
          results = (await b.push(older)).results
          expect(results[0], order).toEqual({ seq: older.seq, status: 'superseded', fields: ['phone'] })
        }
        expect((await storedFields('mentees', menteeId)).phone, order).toBe('222')
      }
    })

    it('logs the losing value in both directions and lists conflicts newest first', async () => {
      const a = await TestDevice.signIn(server, users.coachA)
      const b = await TestDevice.signIn(server, users.coachA2)
      const t0 = Date.now()
      const menteeId = randomUUID()
      server.clock.fixed = t0
      await a.push(a.upsert('mentees', menteeId, mentee('Farid', { phone: '0' }), stampAt(t0 - 1000, 'a')))

      // B's edit (made at t0+1000) reaches the server at t0+2000.
      server.clock.fixed = t0 + 2000
      await b.push(b.upsert('mentees', menteeId, { phone: '111' }, stampAt(t0 + 1000, 'b')))
      // A's edit was made at t0+1500, before B's value arrived: A could not have seen it. A wins by
      // stamp, and B's value goes to the log.
      server.clock.fixed = t0 + 3000
      expect((await a.push(a.upsert('mentees', menteeId, { phone: '222' }, stampAt(t0 + 1500, 'a')))).results[0]!.status).toBe('applied')
      // B's next edit was made at t0+1200 and arrives late: it loses, and is logged.
      server.clock.fixed = t0 + 4000
      const late = b.upsert('mentees', menteeId, { phone: '333', school: 'BK Ost' }, stampAt(t0 + 1200, 'b'))
      expect((await b.push(late)).results).toEqual([{ seq: late.seq, status: 'superseded', fields: ['phone'] }])
      // An edit made after the stored value arrived is no conflict: its author saw what it replaced.
      server.clock.fixed = t0 + 6000
      expect((await b.push(b.upsert('mentees', menteeId, { phone: '444' }, stampAt(t0 + 6000, 'b')))).results[0]!.status).toBe('applied')

      const stored = await storedFields('mentees', menteeId)
      expect(stored).toMatchObject({ phone: '444', school: 'BK Ost' })
      const userA = { userId: a.session.user.id, displayName: a.session.user.displayName }
      const userB = { userId: b.session.user.id, displayName: b.session.user.displayName }
      const conflicts = await conflictsOf(a, `?table=mentees&id=${menteeId}`)
      expect(conflicts).toEqual([
        {
          id: expect.any(String),
          table: 'mentees',
          recordId: menteeId,
          field: 'phone',
          value: '333',
          hlc: stampAt(t0 + 1200, 'b'),
          lostBy: userB,
          wonBy: userA,
          at: new Date(t0 + 4000).toISOString(),
        },
        {
          id: expect.any(String),
          table: 'mentees',
          recordId: menteeId,
          field: 'phone',
          value: '111',
          hlc: stampAt(t0 + 1000, 'b'),
          lostBy: userB,
          wonBy: userA,
          at: new Date(t0 + 3000).toISOString(),
        },
      ])
      // Filters: the table alone, and all conflicts in scope.
      expect((await conflictsOf(a, '?table=mentees')).filter((entry) => entry.recordId === menteeId)).toHaveLength(2)
      expect((await conflictsOf(a)).filter((entry) => entry.recordId === menteeId)).toHaveLength(2)
      expect(await conflictsOf(a, `?table=notes&id=${menteeId}`)).toEqual([])
      for (const query of ['?table=people', '?id=123', `?id=${menteeId.toUpperCase()}`]) {
        expect((await a.call('GET', `/api/v1/conflicts${query}`)).status, query).toBe(400)
      }
    })

    it('shows conflicts only to those who see the record, and sensitive ones only with a share', async () => {
      const coach = await TestDevice.signIn(server, users.coachA)
      const menteeId = randomUUID()
      const t0 = Date.now()
      await coach.push(coach.upsert('mentees', menteeId, mentee('Goran', { phone: '1', residenceStatus: 'other' }), stampAt(t0, 'c')))
      await coach.push(
        coach.upsert('mentees', menteeId, { phone: '2', residenceStatus: 'toleratedStay' }, stampAt(t0 - 1000, 'old')),
      )
      const fieldsOf = async (device: TestDevice) =>
        (await conflictsOf(device, `?table=mentees&id=${menteeId}`)).map((entry) => entry.field).sort()

      expect(await fieldsOf(coach)).toEqual(['phone', 'residenceStatus'])
      expect(await fieldsOf(await TestDevice.signIn(server, users.coordinator))).toEqual(['phone', 'residenceStatus'])
      expect(await fieldsOf(await TestDevice.signIn(server, users.coachB))).toEqual([])
      expect(await fieldsOf(await TestDevice.signIn(server, users.guide))).toEqual([])
      const pate = await TestDevice.signIn(server, users.pate)
      expect(await fieldsOf(pate)).toEqual([])
      await assign(db, users.pate, menteeId)
      expect(await fieldsOf(pate)).toEqual(['phone'])
      await share(db, users.pate, menteeId)
      expect(await fieldsOf(pate)).toEqual(['phone', 'residenceStatus'])
    })

    it('lets a delete win and stay, and deletes the children with their own change numbers', async () => {
      const a = await TestDevice.signIn(server, users.coachA)
      const b = await TestDevice.signIn(server, users.coachA2)
      const observer = await TestDevice.signIn(server, users.coachA)
      const { cursor } = await observer.pullAll()
      const menteeId = randomUUID()
      const noteId = randomUUID()
      const appointmentId = randomUUID()
      const itemId = randomUUID()
      await a.push(
        a.upsert('mentees', menteeId, mentee('Hana')),
        a.upsert('notes', noteId, note(menteeId)),
        a.upsert('appointments', appointmentId, appointment(menteeId)),
        a.upsert('checklistItems', itemId, checklistItem(appointmentId)),
      )
      // A late, losing edit leaves a conflict entry; deleting the mentee must take it along.
      await b.push(b.upsert('notes', noteId, { text: 'lost' }, stampAt(Date.now() - DAY, 'b')))
      expect(await countRows('conflicts WHERE mentee_id = $1', [menteeId])).toBe(1)
      // B edits the note offline before the deletion; the edit arrives after it.
      const concurrentEdit = b.upsert('notes', noteId, { text: 'edited offline' }, stampAt(Date.now() - 1000, 'b'))
      const deletion = a.delete('mentees', menteeId)
      expect((await a.push(deletion)).results).toEqual([{ seq: deletion.seq, status: 'applied' }])

      expect((await b.push(concurrentEdit)).results).toEqual([{ seq: concurrentEdit.seq, status: 'rejected', reason: 'deleted' }])
      const laterEdit = b.upsert('mentees', menteeId, { phone: '123' }, stampAt(Date.now() + 60_000, 'b'))
      expect((await b.push(laterEdit)).results).toEqual([{ seq: laterEdit.seq, status: 'rejected', reason: 'deleted' }])
      const newNote = b.upsert('notes', randomUUID(), note(menteeId))
      expect((await b.push(newNote)).results).toEqual([{ seq: newNote.seq, status: 'rejected', reason: 'deleted' }])
      const again = b.delete('notes', noteId)
      expect((await b.push(again)).results).toEqual([{ seq: again.seq, status: 'applied' }])

      expect(await countRows('conflicts WHERE mentee_id = $1', [menteeId])).toBe(0)
      const { rows } = await db.query<{ tbl: string; deleted: boolean; fields: object; stamps: object; change_seq: number }>(
        'SELECT tbl, deleted, fields, stamps, change_seq FROM records WHERE mentee_id = $1',
        [menteeId],
      )
      expect(rows).toHaveLength(4)
      for (const row of rows) expect(row).toMatchObject({ deleted: true, fields: {}, stamps: {} })
      expect(new Set(rows.map((row) => row.change_seq)).size).toBe(4)

      const { changes } = await observer.pullAll(cursor)
      const removals = changes.filter((change) => [menteeId, noteId, appointmentId, itemId].some((id) => id === change.id))
      expect(removals.map((change) => `${change.op} ${change.table}`).sort()).toEqual([
        'delete appointments',
        'delete checklistItems',
        'delete mentees',
        'delete notes',
      ])
    })

    it('deletes an appointment with its checklist items and nothing else', async () => {
      const coach = await TestDevice.signIn(server, users.coachA)
      const menteeId = randomUUID()
      const [first, second] = [randomUUID(), randomUUID()]
      const [item1, item2] = [randomUUID(), randomUUID()]
      await coach.push(
        coach.upsert('mentees', menteeId, mentee('Ilka')),
        coach.upsert('appointments', first, appointment(menteeId)),
        coach.upsert('appointments', second, appointment(menteeId)),
        coach.upsert('checklistItems', item1, checklistItem(first)),
        coach.upsert('checklistItems', item2, checklistItem(second)),
      )
      await coach.push(coach.delete('appointments', first))
      const { rows } = await db.query<{ id: string; deleted: boolean }>(
        'SELECT id::text AS id, deleted FROM records WHERE mentee_id = $1',
        [menteeId],
      )
      const deletedIds = rows.filter((row) => row.deleted).map((row) => row.id).sort()
      expect(deletedIds).toEqual([first, item1].sort())
    })

    it("keeps a Pate to assigned mentees, and to sensitive fields only when shared", async () => {
      const coach = await TestDevice.signIn(server, users.coachA)
      const pate = await TestDevice.signIn(server, users.pate2)
      const [assigned, other] = [randomUUID(), randomUUID()]
      await coach.push(coach.upsert('mentees', assigned, mentee('Jana', { phone: '1' })), coach.upsert('mentees', other, mentee('Kemal')))
      const statusOf = async (...mutations: Parameters<TestDevice['push']>) =>
        (await pate.push(...mutations)).results.map((result) => result.reason ?? result.status)

      // Not assigned: nothing of it may be touched.
      expect(await statusOf(pate.upsert('mentees', other, { phone: '9' }))).toEqual(['forbidden'])
      expect(await statusOf(pate.upsert('notes', randomUUID(), note(other)))).toEqual(['forbidden'])
      expect(await statusOf(pate.upsert('mentees', assigned, { phone: '9' }))).toEqual(['forbidden'])

      await assign(db, users.pate2, assigned)
      expect(await statusOf(pate.upsert('mentees', assigned, { phone: '2' }))).toEqual(['applied'])
      // A sensitive field refuses the whole mutation: the phone number in it is not written either.
      expect(await statusOf(pate.upsert('mentees', assigned, { phone: '3', residenceStatus: 'other' }))).toEqual(['forbidden'])
      expect((await storedFields('mentees', assigned)).phone).toBe('2')
      expect(await statusOf(pate.upsert('mentees', randomUUID(), mentee('Neu')))).toEqual(['forbidden'])
      expect(await statusOf(pate.delete('mentees', assigned))).toEqual(['forbidden'])
      const noteId = randomUUID()
      expect(await statusOf(pate.upsert('notes', noteId, note(assigned)), pate.delete('notes', noteId))).toEqual(['applied', 'applied'])

      await share(db, users.pate2, assigned)
      expect(await statusOf(pate.upsert('mentees', assigned, { residenceStatus: 'other' }))).toEqual(['applied'])
      expect((await storedFields('mentees', assigned)).residenceStatus).toBe('other')

      const guide = await TestDevice.signIn(server, users.guide)
      const guideResults = await guide.push(guide.upsert('notes', randomUUID(), note(assigned)), guide.delete('notes', noteId))
      expect(guideResults.results.map((result) => result.reason)).toEqual(['forbidden', 'forbidden'])
    })

    it('ties a new child to a parent the user may write, for good', async () => {
      const coach = await TestDevice.signIn(server, users.coachA)
      const menteeId = randomUUID()
      const appointmentId = randomUUID()
      const itemId = randomUUID()
      await coach.push(
        coach.upsert('mentees', menteeId, mentee('Lena')),
        coach.upsert('appointments', appointmentId, appointment(menteeId)),
        coach.upsert('checklistItems', itemId, checklistItem(appointmentId)),
      )
      const { rows } = await db.query<{ team_id: string; mentee_id: string; parent_id: string }>(
        `SELECT team_id::text AS team_id, mentee_id::text AS mentee_id, parent_id::text AS parent_id
           FROM records WHERE tbl = 'checklistItems' AND id = $1`,
        [itemId],
      )
      expect(rows[0]).toEqual({ team_id: coach.session.user.teamId, mentee_id: menteeId, parent_id: appointmentId })

      const noteId = randomUUID()
      const results = await coach.push(
        coach.upsert('notes', randomUUID(), note(randomUUID())),
        coach.upsert('notes', randomUUID(), note('not-a-uuid')),
        coach.upsert('notes', randomUUID(), note(menteeId.toUpperCase())),
        coach.upsert('notes', randomUUID(), { text: 'no parent', date: '2025-01-01', kind: 'talk' }),
        coach.upsert('checklistItems', randomUUID(), checklistItem(menteeId)),
        coach.upsert('notes', noteId, note(menteeId)),
        coach.upsert('notes', noteId, { menteeId: randomUUID() }),
        coach.upsert('notes', noteId, { menteeId, text: 'same parent' }),
      )
      expect(results.results.map(({ status, reason, detail }) => [status, reason, detail].filter(Boolean).join(' '))).toEqual([
        'rejected forbidden',
        'rejected invalid menteeId',
        'rejected invalid menteeId',
        'rejected invalid menteeId',
        'rejected forbidden',
        'applied',
        'rejected invalid menteeId',
        'applied',
      ])

      const otherTeam = await TestDevice.signIn(server, users.coachB)
      const foreign = await otherTeam.push(otherTeam.upsert('notes', randomUUID(), note(menteeId)), otherTeam.upsert('mentees', menteeId, { phone: '1' }))
      expect(foreign.results.map((result) => result.reason)).toEqual(['forbidden', 'forbidden'])
    })

    it('requires a name for a new mentee', async () => {
      const coach = await TestDevice.signIn(server, users.coachA)
      const results = await coach.push(
        coach.upsert('mentees', randomUUID(), { stage: 'firstContact' }),
        coach.upsert('mentees', randomUUID(), { givenName: '   ', familyName: '' }),
        coach.upsert('mentees', randomUUID(), { familyName: 'Nur-Nachname' }),
      )
      expect(results.results.map(({ status, detail }) => `${status}${detail ? ` ${detail}` : ''}`)).toEqual([
        'rejected givenName',
        'rejected givenName',
        'applied',
      ])
    })

    it('rejects an invalid mutation with the field named, and applies the rest of the batch', async () => {
      const coach = await TestDevice.signIn(server, users.coachA)
      const menteeId = randomUUID()
      const mutations = [
        coach.upsert('mentees', menteeId, mentee('Mira')),
        { ...coach.upsert('mentees', randomUUID(), mentee('X')), table: 'people' },
        coach.upsert('mentees', menteeId, { nickname: 'Mimi' }),
        coach.upsert('notes', randomUUID(), note(menteeId, 'x'.repeat(20_001))),
        coach.upsert('mentees', menteeId, { stage: 'dreaming' }),
        coach.upsert('mentees', menteeId, { followOnOffer: 'yes' }),
        coach.upsert('mentees', 'not-a-uuid', mentee('Y')),
        { ...coach.upsert('mentees', menteeId, { phone: '1' }), hlc: 'yesterday' },
        coach.upsert('notes', randomUUID(), note(menteeId, 'null \u0000 byte')),
        coach.upsert('notes', randomUUID(), note(menteeId, 'lone \ud800 surrogate')),
        coach.upsert('mentees', menteeId, { tags: ['a', 'b\u0000'] }),
        coach.upsert('notes', randomUUID(), note(menteeId, 'fine')),
      ]
      const response = await coach.pushRaw({ deviceId: coach.session.deviceId, schemaVersion: 1, mutations })
      expect(response.status).toBe(200)
      expect(response.body.ackSeq).toBe(mutations.at(-1)!.seq)
      expect(response.body.results.map(({ status, reason, detail }) => [status, reason, detail].filter(Boolean).join(' '))).toEqual([
        'applied',
        'rejected invalid table',
        'rejected invalid nickname',
        'rejected invalid text',
        'rejected invalid stage',
        'rejected invalid followOnOffer',
        'rejected invalid id',
        'rejected invalid hlc',
        'rejected invalid text',
        'rejected invalid text',
        'rejected invalid tags',
        'applied',
      ])
      expect(await countRows('records WHERE mentee_id = $1', [menteeId])).toBe(2)
    })

    it('clamps stamps from the future to the server time, keeps their order and counts them', async () => {
      const coach = await TestDevice.signIn(server, users.coachA)
      const menteeId = randomUUID()
      const now = Date.now()
      const first = coach.upsert('mentees', menteeId, mentee('Nora', { phone: '1' }), stampAt(now + DAY, 'ahead'))
      const second = coach.upsert('mentees', menteeId, { phone: '2' }, stampAt(now + DAY + 1, 'ahead'))
      const near = coach.upsert('mentees', menteeId, { school: 'BK' }, stampAt(now + 60_000, 'ahead'))
      const response = await coach.push(first, second, near)
      expect(response.results.map((result) => result.status)).toEqual(['applied', 'applied', 'applied'])

      const { rows } = await db.query<{ stamps: Record<string, string>; fields: Record<string, unknown> }>(
        `SELECT stamps, fields FROM records WHERE tbl = 'mentees' AND id = $1`,
        [menteeId],
      )
      const { stamps, fields } = rows[0]!
      expect(fields.phone).toBe('2')
      const clamped = parseStamp(stamps.givenName!)!
      expect(Math.abs(clamped.millis - Date.parse(response.serverTime))).toBeLessThan(5000)
      expect(clamped.node).toBe('ahead')
      expect(stamps.phone! > stamps.givenName!).toBe(true)
      // Within the allowed skew a stamp is kept as it is.
      expect(stamps.school).toBe(near.hlc)
      const device = await db.query<{ clamped_stamps: number }>('SELECT clamped_stamps FROM devices WHERE id = $1', [coach.session.deviceId])
      expect(device.rows[0]!.clamped_stamps).toBe(2)

      const pulled = upsertsOf((await coach.pullAll()).changes).find((change) => change.id === menteeId)!
      expect(pulled.hlc.givenName).toBe(stamps.givenName)
    })

    // Found by the sync simulation: a device whose clock runs a day ahead edited offline; the
    // clamped stamp (the server's now) looked newer than the other coach's value's arrival, so that
    // value was replaced without a conflict entry.
    it('logs the value a clamped stamp replaces: a clock running ahead tells nothing about when it wrote', async () => {
      const { coach, ahead, menteeId, now } = await coachAndClockAhead()
      await coach.push(coach.upsert('mentees', menteeId, mentee('Ida', { phone: '1' }), stampAt(now - 60_000, 'coach')))
      server.clock.fixed = now + 60_000
      const response = await ahead.push(ahead.upsert('mentees', menteeId, { phone: '2' }, stampAt(now + DAY, 'ahead')))
      expect(response.results).toEqual([{ seq: 1, status: 'applied' }])
      expect((await storedFields('mentees', menteeId)).phone).toBe('2')
      const logged = (await conflictsOf(coach, `?id=${menteeId}`)).filter((entry) => entry.field === 'phone')
      expect(logged.map((entry) => entry.value)).toEqual(['1'])

      // Without a clamp, a write stamped after the value arrived is a later edit, not a conflict.
      server.clock.fixed = now + 120_000
      await coach.push(coach.upsert('mentees', menteeId, { phone: '3' }, stampAt(now + 110_000, 'coach')))
      expect((await conflictsOf(coach, `?id=${menteeId}`)).filter((entry) => entry.field === 'phone')).toHaveLength(1)
    })

    // Found by the 10,000-schedule soak: a write stamped 10 min ahead of when it was made, pushed
    // once the server's clock had passed the stamp (so not clamped), looked made after a value that
    // had reached the server in between, and replaced it without a conflict entry.
    it('logs the value a write replaces unseen, judged by what its device had pulled (`seen`), not by its clock', async () => {
      const { coach, ahead, menteeId, now } = await coachAndClockAhead()
      await coach.push(coach.upsert('mentees', menteeId, mentee('Ida', { phone: '1', email: 'a@example.org' }), stampAt(now, 'coach')))
      const before = await ahead.pullAll()
      expect(applyChanges(before.changes).get(`mentees:${menteeId}`)?.phone).toBe('1')
      // The other coach writes while `ahead` is offline; `ahead` (its clock 10 min fast) edits at
      // now + 2 min, stamped now + 12 min, and pushes at now + 15 min.
      server.clock.fixed = now + 3 * 60_000
      await coach.push(coach.upsert('mentees', menteeId, { phone: '2', email: 'b@example.org' }, stampAt(now + 3 * 60_000, 'coach')))
      server.clock.fixed = now + 15 * 60_000
      const stamp = stampAt(now + 12 * 60_000, 'ahead')
      const edit = { ...ahead.upsert('mentees', menteeId, { phone: '3' }, stamp), seen: before.through }
      expect((await ahead.push(edit)).results).toEqual([{ seq: edit.seq, status: 'applied' }])
      expect((await storedFields('mentees', menteeId)).phone).toBe('3')
      const logged = (await conflictsOf(coach, `?id=${menteeId}`)).filter((entry) => entry.field === 'phone')
      expect(logged.map((entry) => entry.value)).toEqual(['2'])

      // Once pulled, the other coach's email was seen: replacing it is a later edit, not a conflict.
      const after = await ahead.pullAll(before.cursor)
      expect(after.through).toBeGreaterThan(before.through)
      const seenEdit = { ...ahead.upsert('mentees', menteeId, { email: 'c@example.org' }, stampAt(now + 13 * 60_000, 'ahead')), seen: after.through }
      await ahead.push(seenEdit)
      expect((await conflictsOf(coach, `?id=${menteeId}`)).filter((entry) => entry.field === 'email')).toEqual([])

      // Without `seen` (an older app), the stamp's time decides, and this case goes unlogged: why `seen` exists.
      server.clock.fixed = now + 20 * 60_000
      await coach.push(coach.upsert('mentees', menteeId, { germanLevel: 'A2' }, stampAt(now + 20 * 60_000, 'coach')))
      server.clock.fixed = now + 30 * 60_000
      await ahead.push(ahead.upsert('mentees', menteeId, { germanLevel: 'B1' }, stampAt(now + 25 * 60_000, 'ahead')))
      expect((await storedFields('mentees', menteeId)).germanLevel).toBe('B1')
      expect((await conflictsOf(coach, `?id=${menteeId}`)).filter((entry) => entry.field === 'germanLevel')).toEqual([])
    })

    it('refuses a push whose `seen` is not a change number', async () => {
      const coach = await TestDevice.signIn(server, users.coachA)
      for (const seen of [-1, 1.5, '7', null]) {
        const answer = await coach.pushRaw({
          deviceId: coach.session.deviceId,
          schemaVersion: PROTOCOL_SCHEMA_VERSION,
          mutations: [{ ...coach.upsert('mentees', randomUUID(), mentee('Ida')), seen }],
        })
        expect(answer.status, String(seen)).toBe(400)
        expect(answer.body).toMatchObject({ error: 'bad_request', message: 'mutations[0].seen must be a change number (an integer from 0)' })
      }
    })
  })
}
