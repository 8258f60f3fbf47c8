/**
 * Job fairs on the endpoint: events and leads sync like every table, guides see their team's
 * events and only the leads they captured, Paten never see either, deleting an event takes its
 * leads, and leads without consent lose their personal fields 14 days after the fair.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUser } from '../../server/accounts/accounts'
import type { Database } from '../../server/db/database'
import { anonymiseExpiredLeads, leadRetentionDaysFromEnv } from '../../server/privacy/leads'
import { addDays, toIsoDate } from '../../src/shared/dates'
import { emptyLead, LEAD_PERSONAL_FIELDS } from '../../src/shared/records'
import { forEachDatabase } from './databases'
import { applyChanges, createTestUsers, mentee, PASSWORD, type RunningServer, SETUP_TIMEOUT_MS, startServer, TEST_TIMEOUT_MS, TestDevice, type TestUsers } from './sync-helpers'

const DAY = 24 * 60 * 60 * 1000

const fair = (date: string, extra: Record<string, unknown> = {}) => ({
  name: '#JobsForYou Testmesse',
  date,
  place: 'Kreishaus (Beispiel)',
  employers: [
    { id: 'e1', name: 'Beispiel Bau GmbH', sector: 'Bau', openPositions: '3 Ausbildungsplätze' },
    { id: 'e2', name: 'Muster Pflege gGmbH', sector: 'Pflege', openPositions: '' },
  ],
  ...extra,
})

const lead = (eventId: string, givenName: string, extra: Record<string, unknown> = {}) => ({
  ...emptyLead(eventId),
  givenName,
  familyName: 'Testperson',
  birthYear: 1999,
  phone: '+49 000 1111 222',
  contacts: [{ employerId: 'e1', outcome: 'internship' }],
  ...extra,
})

for (const database of forEachDatabase()) {
  describe.skipIf(!database.available)(`job fairs on ${database.name}`, { timeout: TEST_TIMEOUT_MS }, () => {
    let db: Database
    let server: RunningServer
    let users: TestUsers
    let guideA: string
    let guideA2: string

    beforeAll(async () => {
      db = await database.open()
      server = await startServer(db)
      users = await createTestUsers(db)
      const suffix = users.coachA.replace('coacha', '')
      guideA = `fairguide${suffix}`
      guideA2 = `fairguide2-${suffix}`
      await createUser(db, { username: guideA, role: 'guide', teamName: users.teamA, password: PASSWORD })
      await createUser(db, { username: guideA2, role: 'guide', teamName: users.teamA, password: PASSWORD })
    }, SETUP_TIMEOUT_MS)
    afterAll(async () => {
      await server?.app.close()
      await db?.close()
    })

    const stateOf = async (username: string) => applyChanges((await (await TestDevice.signIn(server, username)).pullAll()).changes)

    it('lets a guide create a fair and capture people; the team sees the fair, only its guide the leads', async () => {
      const guide = await TestDevice.signIn(server, guideA)
      const [eventId, leadId] = [randomUUID(), randomUUID()]
      const answer = await guide.push(guide.upsert('events', eventId, fair('2026-03-10')), guide.upsert('leads', leadId, lead(eventId, 'Olena')))
      expect(answer.results.map((r) => r.status)).toEqual(['applied', 'applied'])

      const colleague = await stateOf(guideA2)
      expect(colleague.has(`events:${eventId}`)).toBe(true)
      expect(colleague.has(`leads:${leadId}`)).toBe(false)
      const own = await stateOf(guideA)
      expect(own.get(`leads:${leadId}`)).toMatchObject({ givenName: 'Olena', eventId })
      const coach = await stateOf(users.coachA2)
      expect(coach.has(`events:${eventId}`) && coach.has(`leads:${leadId}`)).toBe(true)
      const coordinator = await stateOf(users.coordinator)
      expect(coordinator.has(`leads:${leadId}`)).toBe(true)
      for (const outsider of [users.coachB, users.pate]) {
        const seen = await stateOf(outsider)
        expect(seen.has(`events:${eventId}`) || seen.has(`leads:${leadId}`), outsider).toBe(false)
      }
    })

    it('refuses what a role may not do with fairs', async () => {
      const guide = await TestDevice.signIn(server, guideA)
      const pate = await TestDevice.signIn(server, users.pate)
      const teamless = await TestDevice.signIn(server, users.guide)
      const coachB = await TestDevice.signIn(server, users.coachB)
      const eventId = randomUUID()
      await guide.push(guide.upsert('events', eventId, fair('2026-03-11')))

      const statusOf = async (device: TestDevice, ...args: Parameters<TestDevice['upsert']>) =>
        (await device.push(device.upsert(...args))).results[0]
      expect(await statusOf(guide, 'mentees', randomUUID(), mentee('Nadia'))).toMatchObject({ status: 'rejected', reason: 'forbidden' })
      expect(await statusOf(pate, 'events', randomUUID(), fair('2026-03-12'))).toMatchObject({ status: 'rejected', reason: 'forbidden' })
      expect(await statusOf(teamless, 'events', randomUUID(), fair('2026-03-12'))).toMatchObject({ status: 'rejected', reason: 'forbidden' })
      expect(await statusOf(coachB, 'leads', randomUUID(), lead(eventId, 'Ihor'))).toMatchObject({ status: 'rejected', reason: 'forbidden' })
      expect(await statusOf(guide, 'leads', randomUUID(), lead(randomUUID(), 'Ihor'))).toMatchObject({ status: 'rejected', reason: 'forbidden' })
      expect(await statusOf(guide, 'leads', randomUUID(), lead(eventId, 'Ihor', { contacts: [{ employerId: 'e1', outcome: 'hired' }] }))).toMatchObject({
        status: 'rejected',
        reason: 'invalid',
      })
      // Another guide's lead is out of reach, for edits and deletions alike.
      const other = await TestDevice.signIn(server, guideA2)
      const leadId = randomUUID()
      await guide.push(guide.upsert('leads', leadId, lead(eventId, 'Mariia')))
      expect(await statusOf(other, 'leads', leadId, { givenName: 'Marija' })).toMatchObject({ status: 'rejected', reason: 'forbidden' })
      expect((await other.push(other.delete('leads', leadId))).results[0]).toMatchObject({ status: 'rejected', reason: 'forbidden' })
    })

    it('deletes the leads with their event', async () => {
      const guide = await TestDevice.signIn(server, guideA)
      const eventId = randomUUID()
      const leadIds = [randomUUID(), randomUUID()]
      await guide.push(guide.upsert('events', eventId, fair('2026-03-13')), ...leadIds.map((id, i) => guide.upsert('leads', id, lead(eventId, `Person ${i}`))))
      const before = await guide.pullAll()
      await guide.push(guide.delete('events', eventId))
      const { changes } = await guide.pullAll(before.cursor)
      const deleted = new Set(changes.filter((c) => c.op === 'delete').map((c) => c.id))
      expect([eventId, ...leadIds].every((id) => deleted.has(id))).toBe(true)
      const late = await guide.push(guide.upsert('leads', randomUUID(), lead(eventId, 'Spät')))
      expect(late.results[0]).toMatchObject({ status: 'rejected', reason: 'deleted' })
    })

    it('anonymises leads without consent 14 days after the fair, and nothing else', async () => {
      const now = Date.now()
      const today = toIsoDate(new Date(now))
      const guide = await TestDevice.signIn(server, guideA)
      const [oldFair, recentFair] = [randomUUID(), randomUUID()]
      const [noConsent, consented, recent] = [randomUUID(), randomUUID(), randomUUID()]
      await guide.push(
        guide.upsert('events', oldFair, fair(addDays(today, -15))),
        guide.upsert('events', recentFair, fair(addDays(today, -14))),
        guide.upsert('leads', noConsent, lead(oldFair, 'Taras')),
        guide.upsert('leads', consented, lead(oldFair, 'Oksana', { consentFollowUp: true, consentDate: addDays(today, -15) })),
        guide.upsert('leads', recent, lead(recentFair, 'Yurii')),
      )
      // A colleague's concurrent edit that lost leaves the name in the conflict log: it must go too.
      const coach = await TestDevice.signIn(server, users.coachA)
      await coach.push(coach.upsert('leads', noConsent, { givenName: 'Tarass' }, '000000000000001:00000:old-device'))
      const logged = async () => (await db.query(`SELECT 1 FROM conflicts WHERE record_id = $1`, [noConsent])).rows.length
      expect(await logged()).toBe(1)

      const anonymised = await anonymiseExpiredLeads(db, { now, days: 14 })
      expect(anonymised).toContain(noConsent)
      expect(anonymised).not.toContain(consented)
      expect(anonymised).not.toContain(recent)
      expect(await logged()).toBe(0)

      const state = await stateOf(guideA)
      const gone = state.get(`leads:${noConsent}`)!
      expect(gone).toMatchObject({ anonymised: true, eventId: oldFair, contacts: [{ employerId: 'e1', outcome: 'internship' }] })
      for (const field of LEAD_PERSONAL_FIELDS) expect(gone[field], field).toEqual(field === 'birthYear' ? null : field === 'desiredOccupations' ? [] : '')
      expect(state.get(`leads:${consented}`)).toMatchObject({ givenName: 'Oksana', anonymised: false })
      expect(state.get(`leads:${recent}`)).toMatchObject({ givenName: 'Yurii' })
      // Run again: nothing left to do.
      expect(await anonymiseExpiredLeads(db, { now: now + DAY / 24, days: 14 })).not.toContain(noConsent)
    })

    it('exports and erases the lead a mentee came from together with the mentee', async () => {
      const guide = await TestDevice.signIn(server, guideA)
      const coach = await TestDevice.signIn(server, users.coachA)
      const [eventId, leadId, menteeId] = [randomUUID(), randomUUID(), randomUUID()]
      await guide.push(guide.upsert('events', eventId, fair('2026-03-14')), guide.upsert('leads', leadId, lead(eventId, 'Kateryna')))
      // The coach turns the lead into a mentee: the mentee, and the lead naming it.
      await coach.push(coach.upsert('mentees', menteeId, mentee('Kateryna')), coach.upsert('leads', leadId, { menteeId }))

      const exported = await coach.call<{ tables: Record<string, { id: string }[]> }>('GET', `/api/v1/mentees/${menteeId}/export`)
      expect(exported.status).toBe(200)
      expect(exported.body.tables.leads?.map((row) => row.id)).toEqual([leadId])

      const before = await guide.pullAll()
      const erased = await coach.call<{ erased: Record<string, number> }>('POST', `/api/v1/mentees/${menteeId}/erasure`)
      expect(erased.body.erased).toMatchObject({ mentees: 1, leads: 1, events: 0 })
      const { changes } = await guide.pullAll(before.cursor)
      expect(changes).toContainEqual({ table: 'leads', id: leadId, op: 'delete' })
      const { rows } = await db.query<{ fields: object }>(`SELECT fields FROM records WHERE tbl = 'leads' AND id = $1`, [leadId])
      expect(rows[0]?.fields).toEqual({})
    })

    it('reads the retention period from the environment and refuses nonsense', () => {
      expect(leadRetentionDaysFromEnv({})).toBe(14)
      expect(leadRetentionDaysFromEnv({ LEAD_RETENTION_DAYS: '30' })).toBe(30)
      expect(() => leadRetentionDaysFromEnv({ LEAD_RETENTION_DAYS: '0' })).toThrow(/LEAD_RETENTION_DAYS/)
      expect(() => leadRetentionDaysFromEnv({ LEAD_RETENTION_DAYS: 'two weeks' })).toThrow(/LEAD_RETENTION_DAYS/)
    })
  })
}
