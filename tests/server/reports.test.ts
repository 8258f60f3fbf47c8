/**
 * Figures for funders on the endpoint: coordinators only, counted in SQL over records pushed
 * through the real push endpoint, small groups suppressed by the shared rule, bad queries refused
 * with 400, the reading audited; and the SQL counts equal the shared in-memory count over what a
 * coach's device holds after a pull (random records, several periods).
 */
import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../server/db/database'
import { countReport } from '../../server/reports'
import { addDays } from '../../src/shared/dates'
import type { AuditResponse, Mutation, ReportResponse } from '../../src/shared/protocol'
import { emptyContent, emptyLead, type SyncedTable } from '../../src/shared/records'
import {
  computeReport,
  suppressReport,
  type Report,
  type ReportEvent,
  type ReportLead,
  type ReportMentee,
  type ReportPeriod,
} from '../../src/shared/reports'
import { GERMAN_LEVELS, GOALS, LEAD_OUTCOMES, STAGES } from '../../src/shared/vocabulary'
import { forEachDatabase } from './databases'
import {
  applyChanges,
  call,
  createLoneTeam,
  createTestUsers,
  mentee,
  type RunningServer,
  SETUP_TIMEOUT_MS,
  startServer,
  TEST_TIMEOUT_MS,
  TestDevice,
  type TestUsers,
} from './sync-helpers'

const Q1: ReportPeriod = { from: '2025-01-01', to: '2025-03-31' }
const query = (period: ReportPeriod, teamId?: string) =>
  `/api/v1/reports?from=${period.from}&to=${period.to}${teamId ? `&teamId=${teamId}` : ''}`

/** Pushes in batches the endpoint takes, every mutation applied. */
async function pushAll(device: TestDevice, mutations: Mutation[]): Promise<void> {
  for (let start = 0; start < mutations.length; start += 200) {
    const answer = await device.push(...mutations.slice(start, start + 200))
    const refused = answer.results.filter((result) => result.status !== 'applied')
    expect(refused, JSON.stringify(refused.slice(0, 3))).toEqual([])
  }
}

/** The report's input as a device holds it after a pull: every field, defaults where none came. */
function deviceInput(state: Map<string, Record<string, unknown>>) {
  const of = <T>(table: SyncedTable) =>
    [...state]
      .filter(([key]) => key.startsWith(`${table}:`))
      .map(([key, fields]) => ({ ...emptyContent(table), ...fields, id: key.slice(table.length + 1) }) as T)
  return { mentees: of<ReportMentee>('mentees'), events: of<ReportEvent>('events'), leads: of<ReportLead>('leads') }
}

for (const database of forEachDatabase()) {
  describe.skipIf(!database.available)(`reports on ${database.name}`, { timeout: TEST_TIMEOUT_MS }, () => {
    let db: Database
    let server: RunningServer
    let users: TestUsers
    let coordinator: TestDevice
    let teamA: string
    const seeded = { ids: [] as string[], names: [] as string[] }

    beforeAll(async () => {
      db = await database.open()
      server = await startServer(db)
      users = await createTestUsers(db)
      coordinator = await TestDevice.signIn(server, users.coordinator)
      const coachA = await TestDevice.signIn(server, users.coachA)
      const coachB = await TestDevice.signIn(server, users.coachB)
      teamA = coachA.session.user.teamId!

      // Team A, the first quarter of 2025. 23 live mentees: 12 accompanied, 9 in internship/EQ
      // (7 entered it in the quarter), 2 in training/job (entered on its last day).
      const people: Record<string, unknown>[] = []
      for (let i = 0; i < 12; i += 1) {
        people.push({
          stage: 'accompanied',
          goals: i < 6 ? ['training'] : i < 9 ? ['job'] : [],
          // 12 IFK leavers in the quarter: 9 with a follow-on offer, 3 without (false, null, unknown).
          schoolClass: i % 2 === 0 ? 'IFK 2' : 'ifk-b',
          expectedLeavingDate: i < 6 ? '2025-01-01' : '2025-03-31',
          ...(i < 9 ? { followOnOffer: true } : i === 9 ? { followOnOffer: false } : i === 10 ? { followOnOffer: null } : {}),
        })
      }
      for (let i = 0; i < 9; i += 1) {
        people.push({
          stage: 'internshipEq',
          stageHistory: [
            { stage: 'accompanied', date: '2024-10-01' },
            { stage: 'internshipEq', date: i < 7 ? `2025-02-0${i + 1}` : '2024-12-31' },
          ],
          // 6 moved up to B1, 3 to B2 within the quarter.
          germanLevelHistory: i < 6 ? [{ level: 'A2', date: '2024-06-01' }, { level: 'B1', date: '2025-02-01' }] : [{ level: 'B1', date: '2024-06-01' }, { level: 'B2', date: '2025-03-01' }],
          // Leaving after the quarter: not counted.
          ...(i === 0 ? { schoolClass: 'IFK 1', expectedLeavingDate: '2025-04-01', followOnOffer: true } : {}),
        })
      }
      for (let i = 0; i < 2; i += 1) {
        people.push({
          stage: 'trainingJob',
          stageHistory: [{ stage: 'trainingJob', date: '2025-03-31' }],
          // 2 more up to B2 (without a level before the quarter, from their first one in it).
          germanLevelHistory: [{ level: 'B1', date: '2025-01-10' }, { level: 'B2', date: '2025-03-10' }],
          // Not an IFK class: not counted as a leaver.
          schoolClass: '10b',
          expectedLeavingDate: '2025-02-01',
        })
      }
      const mutations: Mutation[] = people.map((fields, i) => {
        const id = randomUUID()
        const givenName = `Personreport${i}`
        seeded.ids.push(id)
        seeded.names.push(givenName)
        return coachA.upsert('mentees', id, mentee(givenName, fields))
      })
      // A deleted mentee counts nowhere.
      const deletedId = randomUUID()
      mutations.push(coachA.upsert('mentees', deletedId, mentee('Geloescht', { stage: 'closed' })), coachA.delete('mentees', deletedId))
      // A fair in the quarter: 13 visitors, one of them anonymised, one who typed in themselves.
      const fairId = randomUUID()
      const laterFairId = randomUUID()
      const employers = [
        { id: 'e1', name: 'Beispiel Bau GmbH', sector: 'Bau', openPositions: '' },
        { id: 'e2', name: 'Muster Pflege gGmbH', sector: 'Pflege', openPositions: '' },
      ]
      mutations.push(
        coachA.upsert('events', fairId, { name: '#JobsForYou Testmesse', date: '2025-02-20', place: 'Kreishaus', employers }),
        coachA.upsert('events', laterFairId, { name: 'Spätere Messe', date: '2025-04-02', place: '', employers }),
      )
      for (let i = 0; i < 12; i += 1) {
        const leadId = randomUUID()
        seeded.ids.push(leadId)
        const anonymised = i === 0
        mutations.push(
          coachA.upsert('leads', leadId, {
            ...emptyLead(fairId),
            givenName: anonymised ? '' : `Besuchreport${i}`,
            familyName: anonymised ? '' : 'Testperson',
            anonymised,
            contacts: [{ employerId: 'e1', outcome: 'contact' }],
          }),
        )
        if (!anonymised) seeded.names.push(`Besuchreport${i}`)
      }
      mutations.push(
        coachA.upsert('leads', randomUUID(), { ...emptyLead(fairId), givenName: 'Selbstreport', selfIntake: true, contacts: [{ employerId: 'e2', outcome: 'internship' }] }),
        coachA.upsert('leads', randomUUID(), { ...emptyLead(laterFairId), givenName: 'Spaetreport', contacts: [{ employerId: 'e1', outcome: 'contract' }] }),
      )
      seeded.names.push('Selbstreport', 'Spaetreport')
      await pushAll(coachA, mutations)
      // Team B: 5 more accompanied mentees, for the whole municipality.
      await pushAll(
        coachB,
        Array.from({ length: 5 }, (_, i) => coachB.upsert('mentees', randomUUID(), mentee(`Teamb${i}`, { stage: 'accompanied' }))),
      )
    }, SETUP_TIMEOUT_MS * 2)
    afterAll(async () => {
      await server?.app.close()
      await db?.close()
    })

    const expectedTeamA: Report = {
      period: Q1,
      // 9 next to a 2 under a total of 23 would give the 2 away: hidden.
      stages: { cells: { firstContact: 0, accompanied: 12, internshipEq: 'hidden', trainingJob: 'small', closed: 0 }, total: 23 },
      goals: { cells: { schoolQualification: 0, languageCourse: 0, internship: 0, eq: 0, training: 6, job: 'small' }, total: null },
      transitions: { cells: { internshipEq: 7, trainingJob: 'small' }, total: null },
      ifkLeavers: { cells: { withOffer: 'hidden', withoutOffer: 'small' }, total: 12 },
      germanProgress: { cells: { A2: 0, B1: 6, B2: 5, C1: 0, C2: 0 }, total: 11 },
      fairs: [
        {
          name: '#JobsForYou Testmesse',
          date: '2025-02-20',
          visitors: 13,
          selfIntakes: 'small',
          contacts: 13,
          outcomes: { contact: 'hidden', internship: 'small', contract: 0 },
          employers: [
            { name: 'Beispiel Bau GmbH', contacts: 'hidden' },
            { name: 'Muster Pflege gGmbH', contacts: 'small' },
          ],
          otherEmployers: 0,
        },
      ],
    }

    it('counts a team, suppressing small groups and what would give them away, and nothing but counts', async () => {
      const answer = await coordinator.call<ReportResponse>('GET', query(Q1, teamA))
      expect(answer.status).toBe(200)
      expect(answer.body.teamId).toBe(teamA)
      expect(answer.body.report).toEqual(expectedTeamA)
      const text = JSON.stringify(answer.body)
      for (const id of seeded.ids) expect(text).not.toContain(id)
      for (const name of seeded.names) expect(text).not.toContain(name)
      // The raw counts behind it, straight from the SQL.
      const raw = await countReport(db, Q1, teamA)
      expect(raw.stages).toEqual({ firstContact: 0, accompanied: 12, internshipEq: 9, trainingJob: 2, closed: 0 })
      expect(raw.ifkLeavers).toEqual({ withOffer: 9, withoutOffer: 3 })
      expect(raw.germanProgress).toEqual({ A2: 0, B1: 6, B2: 5, C1: 0, C2: 0 })
      expect(raw.fairs[0]).toMatchObject({ visitors: 13, selfIntakes: 1, outcomes: { contact: 12, internship: 1, contract: 0 }, otherEmployers: 0 })
    })

    it('counts the whole municipality without a team, and audits who read which figures', async () => {
      const answer = await coordinator.call<ReportResponse>('GET', query(Q1))
      expect(answer.status).toBe(200)
      expect(answer.body.teamId).toBeNull()
      expect(answer.body.report.stages.cells.accompanied).toBe(17)
      expect(answer.body.report.stages.total).toBe(28)
      expect(answer.body.report.fairs).toEqual(expectedTeamA.fairs)
      const later = await coordinator.call<ReportResponse>('GET', query({ from: '2025-04-01', to: '2025-06-30' }))
      expect(later.body.report.fairs.map((fair) => [fair.name, fair.visitors])).toEqual([['Spätere Messe', 'small']])
      expect(later.body.report.transitions.cells).toEqual({ internshipEq: 0, trainingJob: 0 })

      const log = await coordinator.call<AuditResponse>('GET', '/api/v1/audit?limit=2')
      const reads = log.body.entries.filter((entry) => entry.action === 'report')
      expect(reads.map((entry) => entry.details)).toEqual([
        { from: '2025-04-01', to: '2025-06-30' },
        { from: Q1.from, to: Q1.to },
      ])
      expect(reads[1]).toMatchObject({ actorId: coordinator.session.user.id, deviceId: coordinator.session.deviceId, targetId: null })
    })

    it('is for coordinators only', async () => {
      expect((await call(server, 'GET', query(Q1))).status).toBe(401)
      expect((await call(server, 'GET', query(Q1), { token: 'not-a-token' })).status).toBe(401)
      for (const username of [users.coachA, users.pate, users.guide]) {
        const device = await TestDevice.signIn(server, username)
        const answer = await device.call('GET', query(Q1, teamA))
        expect(answer.status, username).toBe(403)
        expect(answer.body).toEqual({ error: 'forbidden' })
      }
    })

    it('refuses a malformed query with 400 and an unknown team with 404, never a 5xx', async () => {
      const bad: [string, RegExp][] = [
        ['/api/v1/reports', /from/],
        ['/api/v1/reports?from=2025-01-01', /to/],
        ['/api/v1/reports?from=2025-02-30&to=2025-03-01', /from/],
        ['/api/v1/reports?from=2025-01-01&to=2025-1-31', /to/],
        ['/api/v1/reports?from=2025-03-01&to=2025-02-01', /after/],
        ['/api/v1/reports?from=2025-01-01&from=2025-02-01&to=2025-03-01', /from/],
        ["/api/v1/reports?from=2025-01-01'--&to=2025-03-01", /from/],
        ['/api/v1/reports?from=2025-01-01&to=2025-03-01&teamId=team-a', /teamId/],
        [`/api/v1/reports?from=2025-01-01&to=2025-03-01&teamId=${teamA.toUpperCase()}`, /teamId/],
      ]
      for (const [url, message] of bad) {
        const answer = await coordinator.call<{ error: string; message: string }>('GET', url)
        expect(answer.status, url).toBe(400)
        expect(answer.body.error).toBe('bad_request')
        expect(answer.body.message, url).toMatch(message)
      }
      const unknown = await coordinator.call('GET', query(Q1, randomUUID()))
      expect(unknown.status).toBe(404)
      const oneDay = await coordinator.call<ReportResponse>('GET', query({ from: '2025-02-20', to: '2025-02-20' }, teamA))
      expect(oneDay.status).toBe(200)
    })

    it('counts in SQL exactly what the shared code counts on a coach\'s device (random records)', async () => {
      const day = fc.integer({ min: 0, max: 240 }).map((offset) => addDays('2024-11-01', offset))
      const person = fc.record(
        {
          stage: fc.constantFrom(...STAGES),
          stageHistory: fc.array(fc.record({ stage: fc.constantFrom(...STAGES), date: day }), { maxLength: 4 }),
          germanLevelHistory: fc.array(fc.record({ level: fc.constantFrom(...GERMAN_LEVELS), date: day }), { maxLength: 4 }),
          schoolClass: fc.constantFrom('IFK 1', '  ifk-b', 'IFK', 'iFk3', '10b', '', 'Klasse IFK'),
          expectedLeavingDate: fc.option(day, { nil: '' }),
          followOnOffer: fc.constantFrom(true, false, null),
          goals: fc.subarray([...GOALS]),
        },
        // Fields left out are stored as missing: the SQL must take them as the device does.
        { requiredKeys: [] },
      )
      const employerIds = ['e1', 'e2', 'e3']
      const fair = fc.record({
        date: day,
        name: fc.constantFrom('Messe Nord', 'Messe Süd', 'Messe Nord'),
        employers: fc.subarray(employerIds).map((ids) => ids.map((id) => ({ id, name: `Arbeitgeber ${id}`, sector: '', openPositions: '' }))),
      })
      const visitor = fc.record({
        fair: fc.nat(),
        contacts: fc.uniqueArray(fc.record({ employerId: fc.constantFrom(...employerIds, 'gone'), outcome: fc.constantFrom(...LEAD_OUTCOMES) }), {
          selector: (contact) => contact.employerId,
          maxLength: 3,
        }),
        selfIntake: fc.boolean(),
        anonymised: fc.boolean(),
        deleted: fc.boolean(),
      })
      const dataset = fc.record({
        people: fc.array(fc.tuple(person, fc.boolean()), { minLength: 20, maxLength: 60 }),
        fairs: fc.array(fair, { minLength: 1, maxLength: 4 }),
        visitors: fc.array(visitor, { maxLength: 40 }),
        period: fc.tuple(day, day).map(([a, b]): ReportPeriod => (a <= b ? { from: a, to: b } : { from: b, to: a })),
      })

      await fc.assert(
        fc.asyncProperty(dataset, async ({ people, fairs, visitors, period }) => {
          const lone = await createLoneTeam(db)
          const coach = await TestDevice.signIn(server, lone.coach)
          const mutations: Mutation[] = []
          people.forEach(([fields, deleted], i) => {
            const id = randomUUID()
            mutations.push(coach.upsert('mentees', id, { givenName: `Zufall${i}`, ...fields }))
            if (deleted) mutations.push(coach.delete('mentees', id))
          })
          const fairIds = fairs.map(() => randomUUID())
          fairs.forEach((fields, i) => mutations.push(coach.upsert('events', fairIds[i]!, { ...fields, place: '' })))
          for (const [i, { fair: index, deleted, anonymised, ...fields }] of visitors.entries()) {
            const id = randomUUID()
            const eventId = fairIds[index % fairIds.length]!
            mutations.push(coach.upsert('leads', id, { ...emptyLead(eventId), ...fields, anonymised, givenName: anonymised ? '' : `Gast${i}` }))
            if (deleted) mutations.push(coach.delete('leads', id))
          }
          await pushAll(coach, mutations)
          const device = deviceInput(applyChanges((await coach.pullAll()).changes))
          const teamId = coach.session.user.teamId!

          for (const window of [period, Q1, { from: '2024-11-01', to: '2025-06-30' }]) {
            const expected = computeReport(device, window)
            expect(await countReport(db, window, teamId), JSON.stringify(window)).toEqual(expected)
            const answer = await coordinator.call<ReportResponse>('GET', query(window, teamId))
            expect(answer.body.report).toEqual(suppressReport(expected))
          }
        }),
        { numRuns: 4, seed: 8_2025 },
      )
    }, SETUP_TIMEOUT_MS * 2)
  })
}
